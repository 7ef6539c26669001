"""The warm executor's finished monthly job carries what the CLI prints after a run (the
approval and the files held pending), read in the service where the store is open: the CLI then
needs neither the store nor pandas."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from pcmbn.periods import parse_period
from pcmbn.resources import resources_for
from pcmbn.serve.executor import MONTHLY_FLOW, WarmExecutor
from pcmbn.service import approve
from pcmbn.settings import Settings
from pcmbn.store.base import RunRecord, SubmissionRecord

ST = "ST-KH-30-7-2024"
DOCUMENT = {"plan_id": ST, "period": "2024-07", "files": {}}


def _record(sha: str, status: str) -> SubmissionRecord:
    at = datetime(2024, 7, 16, 2, tzinfo=UTC)
    return SubmissionRecord(sha * 64, f"{sha}.xlsx", at, "x", 1, status, ST, "2024-07", "CA_TINH")


def test_a_finished_monthly_job_says_approved_and_pending() -> None:
    resources = resources_for(Settings.from_env())
    executor = WarmExecutor([], resources=resources)
    monthly = SimpleNamespace(name=MONTHLY_FLOW)
    at = datetime(2024, 7, 16, 2, tzinfo=UTC)
    resources.store.record_run(RunRecord("r1", ST, "2024-07", None, at, [_record("a", "accepted")]))
    assert executor._summary(monthly, DOCUMENT) == {"approved": False, "pending": 0}  # noqa: SLF001

    plan, period = resources.catalog.plan(ST), parse_period("2024-07")
    approve(resources, plan, period, "gửi BCĐ")
    resources.store.record_run(RunRecord("r2", ST, "2024-07", None, at, [_record("b", "pending")]))
    assert executor._summary(monthly, DOCUMENT) == {"approved": True, "pending": 1}  # noqa: SLF001


def test_other_flows_and_odd_results_carry_no_summary() -> None:
    resources = resources_for(Settings.from_env())
    executor = WarmExecutor([], resources=resources)
    packet = SimpleNamespace(name="conference-packet")
    assert executor._summary(packet, DOCUMENT) is None  # noqa: SLF001
    monthly = SimpleNamespace(name=MONTHLY_FLOW)
    assert executor._summary(monthly, "not a document") is None  # noqa: SLF001
    assert executor._summary(monthly, {"plan_id": "KHONG-CO", "period": "2024-07"}) is None  # noqa: SLF001
    assert WarmExecutor([])._summary(monthly, DOCUMENT) is None  # noqa: SLF001 - no resources


def test_a_caller_waiting_for_news_is_answered_when_the_job_moves_not_later() -> None:
    """The CLI's long poll (issue 13): one request per change of a running job, answered at
    once when the job moves or ends, instead of ten polls a second beside the run."""
    import threading
    import time

    from pcmbn.serve.executor import Job

    executor = WarmExecutor([])
    job = Job("j1", "tong-hop-chay-lai", "tong-hop ST · 2024-07")
    executor._jobs[job.id] = job  # noqa: SLF001
    began = time.monotonic()
    assert executor.wait("j1", job.version, 0.2) is job  # nothing moved: after the timeout
    assert time.monotonic() - began >= 0.2
    seen = job.version
    mover = threading.Timer(0.1, lambda: executor._touch(job, state="RUNNING"))  # noqa: SLF001
    began = time.monotonic()
    mover.start()
    moved = executor.wait("j1", seen, 20.0)
    assert moved is job and job.state == "RUNNING" and job.version == seen + 1
    assert time.monotonic() - began < 10.0  # woken by the change, not by the timeout
    job.done.set()
    began = time.monotonic()
    assert executor.wait("j1", job.version, 20.0) is job  # finished: at once
    assert time.monotonic() - began < 1.0
    assert executor.wait("nothing", 0, 20.0) is None
    assert job.to_json()["version"] == job.version


def test_flows_run_in_the_service_start_no_heartbeat_thread() -> None:
    """Prefect joins its heartbeat thread (which sleeps in whole seconds) at the end of every
    run: runs in the service go without it, inside the flow run's own settings too."""
    from prefect import flow
    from prefect.settings import get_current_settings

    from pcmbn.serve.executor import without_heartbeats

    @flow
    def frequency() -> int | None:
        return get_current_settings().flows.heartbeat_frequency

    assert frequency() is not None  # Prefect's default: heartbeats on
    with without_heartbeats():
        assert frequency() is None
    assert frequency() is not None
