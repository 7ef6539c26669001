"""The monthly flow on a 2-worker Dask `LocalCluster` gives the default runner's outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.monthly_aggregation import monthly_aggregation
from pcmbn.errors import UsageError
from pcmbn.runners import task_runner
from pcmbn.settings import PROJECT_ROOT, Settings, store_path
from pcmbn.store.history import HistoryStore

PLAN = "ST-KH-30-7-2024"
PERIOD = "2024-07"
INBOX = PROJECT_ROOT / "sample_reports" / PLAN / PERIOD


def _outcome(home: Path, document: dict) -> dict:
    exports = home / "outputs" / PLAN / PERIOD / "exports"
    store = HistoryStore(store_path())
    submissions = store.query(
        "SELECT sha256, status, superseded_by, unit_code FROM submissions ORDER BY sha256"
    )
    return {
        "document": {k: v for k, v in document.items() if k != "outputs"},
        "exports": {
            p.name: p.read_bytes().replace(str(home).encode(), b"<HOME>")
            for p in sorted(exports.glob("*.csv"))
        },
        "submissions": submissions.astype(str).values.tolist(),
        "feedback": sorted(p.name for p in (exports.parent / "feedback").iterdir()),
    }


@pytest.mark.slow
def test_dask_local_cluster_matches_the_default_runner(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.settings import PREFECT_API_URL

    monkeypatch.setenv("PCMBN_HOME", str(tmp_path / "threads"))
    default = _outcome(
        tmp_path / "threads", monthly_aggregation(plan=PLAN, period=PERIOD, inbox=str(INBOX))
    )

    # Dask workers are processes of their own: they reach the session's Prefect server.
    monkeypatch.setenv("PREFECT_API_URL", str(PREFECT_API_URL.value()))
    monkeypatch.setenv("PCMBN_TASK_RUNNER", "dask")
    monkeypatch.setenv("PCMBN_DASK_WORKERS", "2")
    monkeypatch.setenv("PCMBN_HOME", str(tmp_path / "dask"))
    assert type(task_runner(Settings.from_env())).__name__ == "DaskTaskRunner"
    on_dask = _outcome(
        tmp_path / "dask", monthly_aggregation(plan=PLAN, period=PERIOD, inbox=str(INBOX))
    )
    assert on_dask == default


@pytest.mark.slow
def test_process_pool_matches_the_default_runner(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.settings import PREFECT_API_URL

    monkeypatch.setenv("PCMBN_HOME", str(tmp_path / "threads"))
    default = _outcome(
        tmp_path / "threads", monthly_aggregation(plan=PLAN, period=PERIOD, inbox=str(INBOX))
    )
    monkeypatch.setenv("PREFECT_API_URL", str(PREFECT_API_URL.value()))
    monkeypatch.setenv("PCMBN_TASK_RUNNER", "processes")
    monkeypatch.setenv("PCMBN_HOME", str(tmp_path / "processes"))
    pooled = _outcome(
        tmp_path / "processes", monthly_aggregation(plan=PLAN, period=PERIOD, inbox=str(INBOX))
    )
    assert pooled == default


def test_dask_without_a_real_prefect_server_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PCMBN_TASK_RUNNER", "dask")
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with pytest.raises(UsageError, match="PREFECT_API_URL"):
        task_runner(Settings.from_env())


@pytest.mark.parametrize(
    ("name", "runner"),
    [("threads", "ThreadPoolTaskRunner"), ("processes", "ProcessPoolTaskRunner")],
)
def test_runner_by_configuration(name: str, runner: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PCMBN_TASK_RUNNER", name)
    assert type(task_runner(Settings.from_env())).__name__ == runner


def test_unknown_runner_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PCMBN_TASK_RUNNER", "spark")
    with pytest.raises(UsageError):
        task_runner(Settings.from_env())
