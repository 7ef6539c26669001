"""The DuckDB store's lease: one open connection per process and file while calls keep coming,
given back promptly so other processes (runs in subprocesses, the CLI) still get the file."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from pcmbn.store.duckdb_store import DuckDBStore, release_all


def _receipt(number: int) -> dict[str, object]:
    return {
        "receipt_id": f"BN-202601-{number:06d}",
        "number": number,
        "plan_id": "P",
        "period": "2026-01",
        "unit_code": f"U{number:03d}",
        "sha256": f"{number:064x}",
        "size": 1,
        "original_name": "a.xlsx",
        "inbox_name": "a.xlsx",
        "archive_path": "x",
        "received_at": datetime(2026, 1, 5, tzinfo=UTC),
        "channel": "portal",
        "sender": f"u{number}",
        "status": "received",
        "explanation": None,
        "reference": None,
    }


def test_calls_in_a_burst_share_one_connection(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "h.duckdb", idle_release=5, max_hold=30)
    try:
        for _ in range(20):
            store.portal_session("nobody")
            store.audit(datetime.now(UTC), "a", "upload", "P", None, "x")
        assert store.lease.leases == 1
        assert store.lease.held
        # Another store object of the same file, in the same process, shares the lease.
        assert DuckDBStore(tmp_path / "h.duckdb").lease is store.lease
    finally:
        store.close()
    assert not store.lease.held
    assert len(store.audit_log("P")) == 20


def test_released_after_idle(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "h.duckdb", idle_release=0.05, max_hold=30)
    store.counts()
    assert store.lease.held
    deadline = time.monotonic() + 5
    while store.lease.held and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not store.lease.held
    store.counts()  # usable again: leased anew
    assert store.lease.leases == 2
    store.close()


def test_fifty_threads_write_fifty_receipts_with_unique_numbers(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "h.duckdb")
    errors: list[BaseException] = []
    start = threading.Barrier(50)

    def deliver() -> None:
        try:
            start.wait()
            number = store.next_number("receipt_seq")
            audit = (datetime.now(UTC), "u", "receive", "P", "2026-01", str(number))
            store.record_receipt(_receipt(number), audit)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    receipts = store.receipts(plan_id="P")
    assert len(receipts) == 50
    assert receipts["number"].nunique() == 50
    assert len(store.audit_log("P")) == 50
    store.close()


def test_another_process_gets_the_file_while_this_one_keeps_calling(tmp_path: Path) -> None:
    path = tmp_path / "h.duckdb"
    # Holds long enough that only the waiter's claim can make this process give the file up.
    store = DuckDBStore(path, idle_release=30, max_hold=60)
    store.counts()
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            store.audit(datetime.now(UTC), "svc", "upload", "P", None, "x")

    worker = threading.Thread(target=hammer)
    worker.start()
    try:
        child = textwrap.dedent(
            f"""
            import time
            from datetime import UTC, datetime
            from pcmbn.store.duckdb_store import DuckDBStore
            store = DuckDBStore({str(path)!r})
            began = time.perf_counter()
            store.audit(datetime.now(UTC), "child", "run", "P", None, "x")
            print(round(time.perf_counter() - began, 3))
            """
        )
        done = subprocess.run(
            [sys.executable, "-c", child], capture_output=True, text=True, timeout=120
        )
    finally:
        stop.set()
        worker.join(30)
    assert done.returncode == 0, done.stderr
    waited = float(done.stdout.strip())
    # About one call plus opening the file on a busy machine: never the 60 s hold.
    assert waited < 5, waited
    assert not Path(str(path) + ".wanted").exists()  # the claim goes once the lock is taken
    log = store.audit_log("P")
    assert (log["actor"] == "child").sum() == 1
    assert (log["actor"] == "svc").sum() > 1
    store.close()


def test_close_gives_the_file_back_at_once(tmp_path: Path) -> None:
    path = tmp_path / "h.duckdb"
    store = DuckDBStore(path, idle_release=60, max_hold=600)
    store.audit(datetime.now(UTC), "svc", "upload", "P", None, "x")
    assert store.lease.held
    store.close()
    assert not store.lease.held
    child = (
        "from pcmbn.store.duckdb_store import DuckDBStore\n"
        "import pcmbn.store.duckdb_store as m\n"
        "m.LOCK_TIMEOUT = 2\n"
        f"print(len(DuckDBStore({str(path)!r}).audit_log('P')))\n"
    )
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"


def test_release_all_at_exit_gives_every_lease_back(tmp_path: Path) -> None:
    first = DuckDBStore(tmp_path / "a.duckdb", idle_release=60, max_hold=600)
    second = DuckDBStore(tmp_path / "b.duckdb", idle_release=60, max_hold=600)
    first.counts()
    second.counts()
    release_all()
    assert not first.lease.held and not second.lease.held


def test_an_error_inside_a_call_drops_the_connection(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "h.duckdb", idle_release=60, max_hold=600)
    store.counts()
    with pytest.raises(duckdb.CatalogException):
        store.query("SELECT * FROM no_such_table")
    assert not store.lease.held
    assert store.audit_log("P").empty
    store.close()


def test_a_file_recreated_in_place_is_migrated_again(tmp_path: Path) -> None:
    path = tmp_path / "h.duckdb"
    store = DuckDBStore(path, idle_release=60, max_hold=600)
    store.audit(datetime.now(UTC), "a", "upload", "P", None, "x")
    store.close()
    path.unlink()
    Path(str(path) + ".wal").unlink(missing_ok=True)
    assert len(store.audit_log("P")) == 0  # a new, empty, migrated file
    store.close()
