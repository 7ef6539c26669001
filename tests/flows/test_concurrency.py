"""Two runs at once: the same period refuses the second with a clear message; two different
periods proceed together, and each ends exactly as if it had run alone."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from filelock import FileLock, Timeout

from flows.monthly_aggregation import monthly_aggregation
from pcmbn.errors import PcmbnError
from pcmbn.settings import PROJECT_ROOT, home_dir, store_path
from pcmbn.store.history import HistoryStore

PLAN = "ST-KH-30-7-2024"
SAMPLES = PROJECT_ROOT / "sample_reports" / PLAN


def _run(period: str) -> dict[str, Any]:
    return monthly_aggregation(plan=PLAN, period=period, inbox=str(SAMPLES / period))


def _lock_is_held(period: str) -> bool:
    path = home_dir() / "locks" / f"{PLAN}_{period}.lock"
    if not path.exists():
        return False
    try:
        with FileLock(str(path), timeout=0):
            return False
    except Timeout:
        return True


@pytest.mark.slow
def test_same_period_twice_refuses_the_second_and_the_first_is_right(
    prefect_harness: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    import flows.monthly_aggregation as monthly

    # The first run holds its lock until the second has been answered (a month now runs in
    # about as long as a second run takes to start, so without this they need not overlap).
    answered = threading.Event()
    publish = monthly._publish_outputs

    def held(*args: Any, **kwargs: Any) -> None:
        answered.wait(120)
        publish(*args, **kwargs)

    monkeypatch.setattr(monthly, "_publish_outputs", held)
    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(_run, "2024-07")
        deadline = time.monotonic() + 120
        while not _lock_is_held("2024-07"):  # the second starts while the first holds the lock
            assert not first.done(), first.exception()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        second = pool.submit(_run, "2024-07")
        try:
            with pytest.raises(PcmbnError) as refused:
                second.result()
        finally:
            answered.set()
        document = first.result()
    assert "Đang có một lượt tổng hợp khác" in str(refused.value)
    assert "Tháng 7/2024" in str(refused.value)
    before = HistoryStore(store_path()).counts()
    alone = _run("2024-07")  # the same inputs again: nothing changes
    assert alone["totals"] == document["totals"]
    assert HistoryStore(store_path()).counts() == before


@pytest.mark.slow
def test_two_periods_run_together_and_match_runs_alone(prefect_harness: None) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        july, august = pool.submit(_run, "2024-07"), pool.submit(_run, "2024-08")
        together = {"2024-07": july.result(), "2024-08": august.result()}
    store = HistoryStore(store_path())
    before = store.counts()
    for period, document in together.items():
        alone = _run(period)
        assert alone["totals"] == document["totals"], period
        assert alone["completeness"] == document["completeness"], period
        assert alone["run_id"] == document["run_id"], period
    after = store.counts()
    # Warnings that compare with the previous month (cumulative discontinuity, outliers) may
    # differ: August run beside July could not yet see July's figures; the rerun refreshes
    # them. Everything counted is recorded once.
    before.pop("problems"), after.pop("problems")
    assert after == before
