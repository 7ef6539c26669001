"""The runner child of `pcmbn serve`: every deployment of `prefect.yaml`, served with its schedule.

Run as `python -m pcmbn.serve.runner CONFIG` with `PREFECT_API_URL` naming the service's own
Prefect server and the project root as working directory (the flows' entrypoints are relative to
the project, wherever the file is). Prefect's `serve` registers (or updates) each deployment
with its parameters, description, schedules and concurrency limit, polls for scheduled and
triggered runs and executes each in a
subprocess: this is what makes a schedule fire without anyone at a terminal.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from pcmbn.serve.children import wait_until
from pcmbn.serve.deployments import DeploymentSpec, ScheduleSpec, load_deployments
from pcmbn.serve.http import exchange

#: Longest wait for the service's Prefect server before registering the deployments.
API_WAIT_S = 300.0
#: How many flow runs the runner executes at once (2 cores: one run and one quick action).
RUN_LIMIT = 4


def prefect_schedule(spec: ScheduleSpec) -> Any:
    """Prefect's schedule object for one schedule of the file."""
    from datetime import timedelta

    from prefect.schedules import Cron, Interval

    if spec.cron is not None:
        return Cron(spec.cron, timezone=spec.timezone, active=spec.active)
    return Interval(
        timedelta(seconds=spec.interval_s or 60), timezone=spec.timezone, active=spec.active
    )


@lru_cache(maxsize=32)
def _load_flow(root: Path, entrypoint: str) -> Any:
    """The flow of an entrypoint, loaded once (two deployments of one flow share it)."""
    from prefect.flows import load_flow_from_entrypoint

    file, _, name = entrypoint.partition(":")
    return load_flow_from_entrypoint(f"{root / file}:{name}")


def runner_deployment(
    spec: DeploymentSpec,
    root: Path,
    labels: dict[str, dict[str, str]] | None = None,
    plan_ids: list[str] | None = None,
) -> Any:
    """A `RunnerDeployment` of one spec (its flow loaded from the entrypoint under `root`),
    its run form in Vietnamese when `labels` are given (`pcmbn.serve.forms`)."""
    from pcmbn.serve.forms import localise_form

    flow = _load_flow(root, spec.entrypoint)
    deployment = flow.to_deployment(
        name=spec.name,
        description=spec.description or None,
        parameters=spec.parameters,
        schedules=[prefect_schedule(s) for s in spec.schedules] or None,
        concurrency_limit=spec.concurrency_limit,
        tags=list(spec.tags) or None,
    )
    if labels is not None:
        schema = deployment._parameter_openapi_schema  # noqa: SLF001 (no public setter)
        schema.properties = localise_form(schema.properties, labels, plan_ids or [])
    return deployment


def main(argv: list[str] | None = None) -> int:
    """Serve every deployment of the file named on the command line until stopped."""
    from prefect import serve

    from pcmbn.settings import PROJECT_ROOT, QUIET_ENVIRONMENT

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m pcmbn.serve.runner CONFIG\n")
        return 2
    import os

    for key, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    config = Path(args[0]).resolve()
    specs = load_deployments(config)
    # Entrypoints are relative to the project, wherever the file lives (a province may keep
    # its own deployments file beside its catalog).
    from pcmbn.resources import resources_for
    from pcmbn.serve.forms import load_parameter_labels
    from pcmbn.settings import Settings

    settings = Settings.from_env()
    labels = load_parameter_labels(settings.schemas)
    plan_ids = sorted(resources_for(settings).catalog.plans)
    deployments = [runner_deployment(s, PROJECT_ROOT, labels, plan_ids) for s in specs]
    # The supervisor starts this child beside the server (imports overlap its start-up): the
    # deployments are registered once the API answers.
    api_url = os.environ.get("PREFECT_API_URL", "")
    if api_url and not wait_until(
        lambda: exchange(f"{api_url.rstrip('/')}/health", timeout=2).status == 200,
        API_WAIT_S,
    ):
        sys.stderr.write(f"the Prefect API at {api_url} did not answer in {API_WAIT_S:.0f} s\n")
        return 1
    print(f"serving {len(deployments)} deployments from {config}", flush=True)
    serve(*deployments, print_starting_message=False, limit=RUN_LIMIT, pause_on_shutdown=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
