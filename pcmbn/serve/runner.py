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
from pathlib import Path
from typing import Any

from pcmbn.serve.deployments import DeploymentSpec, ScheduleSpec, load_deployments

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


def runner_deployment(
    spec: DeploymentSpec,
    root: Path,
    labels: dict[str, dict[str, str]] | None = None,
    plan_ids: list[str] | None = None,
) -> Any:
    """A `RunnerDeployment` of one spec (its flow loaded from the entrypoint under `root`),
    its run form in Vietnamese when `labels` are given (`pcmbn.serve.forms`)."""
    from prefect.flows import load_flow_from_entrypoint

    from pcmbn.serve.forms import localise_form

    file, _, name = spec.entrypoint.partition(":")
    flow = load_flow_from_entrypoint(f"{root / file}:{name}")
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
    print(f"serving {len(deployments)} deployments from {config}", flush=True)
    serve(*deployments, print_starting_message=False, limit=RUN_LIMIT, pause_on_shutdown=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
