"""Flow runs executed in the warm service process, as runs of their deployments.

Prefect's runner starts a new interpreter for every flow run: importing Great Expectations and
the catalog again costs 10–40 s on two cores, more than the work of a province month. The
commands a data officer types (`pcmbn run` through the service) therefore go here instead: the
run is created on the server as a run *of the deployment* (so it shows in the UI with its name,
tags and parameters) in state Pending, which the runner never claims (it polls Scheduled runs
only), and Prefect's engine executes it in a thread of this process, where everything is
already imported. Scheduled runs stay with the runner.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pcmbn.errors import PcmbnError
from pcmbn.serve.deployments import DeploymentSpec
from pcmbn.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

#: Runs at once in the service process (two cores: one run, and checks beside it).
WORKERS = 2
#: The flow whose finished runs carry a `Job.summary`.
MONTHLY_FLOW = "monthly-aggregation"
#: Finished jobs kept for their callers to read (oldest forgotten first).
KEEP_FINISHED = 200


@contextmanager
def without_heartbeats() -> Iterator[None]:
    """Run flows here without Prefect's flow-run heartbeat thread.

    Heartbeats let a server notice a run whose process died; a run executed in the service
    dies only with the service, whose stop (and restart) marks what it left RUNNING. The
    thread costs more than it tells: it sleeps in whole seconds and the engine joins it at the
    end of every run, so each command waited up to a second (half a second on average) after
    its work was done. Scheduled runs in the runner's processes keep their heartbeats.
    """
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


@dataclass
class Job:
    """One flow run started through the service, as its caller polls it."""

    id: str
    deployment: str
    name: str
    state: str = "PENDING"
    result: Any = None
    error: str | None = None
    progress: dict[str, Any] | None = None  # `pcmbn.progress.Snapshot.to_json()`
    #: What the CLI prints after a monthly run beyond its document (`service.RunSummary`'s
    #: approval and pending count), read here where the store is already open.
    summary: dict[str, Any] | None = None
    #: bumped on every change of state or progress: a caller waiting for news
    #: (`WarmExecutor.wait`) is answered as soon as it moves past the version it saw
    version: int = 0
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "deployment": self.deployment,
            "name": self.name,
            "state": self.state,
            "result": self.result,
            "error": self.error,
            "progress": self.progress,
            "summary": self.summary,
            "version": self.version,
        }


def _tags(parameters: dict[str, Any]) -> list[str]:
    """The run's plan and period tags, as the flows tag their own runs (`flows.naming`)."""
    from flows.naming import run_tags

    plan, period = parameters.get("plan"), parameters.get("period")
    return run_tags(str(plan), *([str(period)] if period else [])) if plan else []


class WarmExecutor:
    """Creates deployment runs and executes them in this process's thread pool."""

    def __init__(
        self, specs: list[DeploymentSpec], workers: int = WORKERS, resources: Any = None
    ) -> None:
        self.specs = specs
        self.resources = resources  # `pcmbn.resources.Resources` of the service (for summaries)
        self._flows: dict[str, Any] = {}
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # a job's state or progress moved
        #: deployment ids by name, looked up once (one API round trip less per command)
        self._deployment_ids: dict[str, Any] = {}
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="flow-run")

    def load(self) -> None:
        """Import every deployment's flow once (the warm part)."""
        from prefect.flows import load_flow_from_entrypoint

        loaded: dict[str, Any] = {}  # two deployments of one flow share its object
        for spec in self.specs:
            if spec.entrypoint not in loaded:
                file, _, name = spec.entrypoint.partition(":")
                loaded[spec.entrypoint] = load_flow_from_entrypoint(f"{PROJECT_ROOT / file}:{name}")
            self._flows[spec.name] = loaded[spec.entrypoint]

    @property
    def ready(self) -> bool:
        return len(self._flows) == len(self.specs)

    def on_demand(self, flow_name: str) -> DeploymentSpec:
        """The deployment to run `flow_name` on demand: one with no schedule at all first
        (`tong-hop-chay-lai`), then one whose schedules are inactive, then any."""
        candidates = [s for s in self.specs if self._flows[s.name].name == flow_name]
        if not candidates:
            raise PcmbnError(f"Dịch vụ không có lịch chạy nào cho luồng {flow_name}.")
        return min(
            candidates,
            key=lambda s: (bool(s.schedules), any(x.active for x in s.schedules)),
        )

    def submit(
        self,
        flow_name: str,
        parameters: dict[str, Any],
        name: str | None = None,
        actor: str | None = None,
    ) -> Job:
        """Create the deployment run (Pending) and start executing it; the job to poll."""
        from prefect.client.orchestration import get_client
        from prefect.states import Pending

        spec = self.on_demand(flow_name)
        flow = self._flows[spec.name]
        from prefect.exceptions import ObjectNotFound

        with get_client(sync_client=True) as client:

            def create(deployment_id: Any) -> Any:
                return client.create_flow_run_from_deployment(
                    deployment_id,
                    parameters=parameters,
                    state=Pending(message="Chạy trong dịch vụ"),
                    name=name,
                    tags=_tags(parameters),
                )

            known = self._deployment_ids.get(spec.name)
            try:
                run = create(known) if known is not None else None
            except ObjectNotFound:  # registered again since: look it up anew
                run = None
            if run is None:
                deployment = client.read_deployment_by_name(f"{flow.name}/{spec.name}")
                self._deployment_ids[spec.name] = deployment.id
                run = create(deployment.id)
        job = Job(str(run.id), spec.name, run.name)
        with self._lock:
            self._jobs[job.id] = job
            self._forget_old()
        self._pool.submit(self._execute, job, flow, run, actor)
        return job

    def _execute(self, job: Job, flow: Any, run: Any, actor: str | None) -> None:
        from prefect.flow_engine import run_flow

        from pcmbn.progress import listening
        from pcmbn.settings import acting_for

        self._touch(job, state="RUNNING")

        def keep(snap: Any) -> None:
            self._touch(job, progress=snap.to_json())

        try:
            with listening(keep), acting_for(actor), without_heartbeats():
                state = run_flow(flow, flow_run=run, parameters=run.parameters, return_type="state")
            value = state.result(raise_on_failure=False)
            if state.is_completed():
                job.summary = self._summary(flow, value)
                job.state, job.result = "COMPLETED", value
            else:
                job.state = state.type.value
                job.error = str(value) if isinstance(value, BaseException) else state.message
        except BaseException as exc:  # noqa: BLE001 - the job reports it; the thread lives on
            log.exception("flow run %s failed in the service", job.id)
            job.state, job.error = "FAILED", str(exc) or type(exc).__name__
        finally:
            job.done.set()
            self._touch(job)

    def _summary(self, flow: Any, document: Any) -> dict[str, Any] | None:
        """A finished monthly run's approval and pending count (None for other flows): the
        CLI would otherwise open the store and import pandas only to print two facts."""
        if self.resources is None or flow.name != MONTHLY_FLOW or not isinstance(document, dict):
            return None
        from pcmbn.periods import Period
        from pcmbn.service import run_summary

        try:
            plan = self.resources.catalog.plan(str(document["plan_id"]))
            period = Period.from_code(str(document["period"]))
            summary = run_summary(self.resources, plan, period, "")
        except Exception:  # noqa: BLE001 - the CLI then reads the store itself
            log.exception("cannot summarise the run for the CLI")
            return None
        return {"approved": summary.approved, "pending": summary.pending}

    def _touch(self, job: Job, **changes: Any) -> None:
        """Change `job` and wake whoever waits for news of it."""
        with self._changed:
            for name, value in changes.items():
                setattr(job, name, value)
            job.version += 1
            self._changed.notify_all()

    def job(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def wait(self, job_id: str, seen: int | None, timeout: float) -> Job | None:
        """The job once it has moved past version `seen` (or finished), waiting at most
        `timeout` seconds: the CLI learns of progress and the end at once, with one request
        per change instead of ten polls a second competing with the run for the GIL."""
        with self._changed:
            job = self._jobs.get(job_id)
            if job is None or seen is None:
                return job
            self._changed.wait_for(
                lambda: job.version != seen or job.done.is_set(), timeout=max(0.0, timeout)
            )
            return job

    def running(self) -> int:
        with self._lock:
            return sum(not j.done.is_set() for j in self._jobs.values())

    def _forget_old(self) -> None:
        finished = [k for k, j in self._jobs.items() if j.done.is_set()]
        for key in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[key]

    def shutdown(self, wait: bool = True) -> None:
        """Let running flow runs finish (their writes are atomic either way)."""
        self._pool.shutdown(wait=wait, cancel_futures=True)
