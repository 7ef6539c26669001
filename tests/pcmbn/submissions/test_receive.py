"""Receiving a unit's file (contract §1): the inbox file, the reception log, the archive, the
receipt and its audit row; idempotency; concurrent receivers never lose or corrupt a log row."""

from __future__ import annotations

import csv
import hashlib
import importlib
import io
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from submission_month import AT, PERIOD, PLAN, Month

from pcmbn.intake import RECEPTION_LOG, collect_inbox
from pcmbn.submissions import (
    Receipt,
    UnitMismatch,
    ensure_unit_matches,
    get_receipt,
    receipts_for_unit,
)
from pcmbn.submissions.receive import LOG_COLUMNS, inbox_folder, inbox_name
from pcmbn.vocabulary import Channel, ReceiptStatus


def _content(tag: str) -> bytes:
    """Stand-in bytes: receiving does not read the workbook (the run and the portal do)."""
    return b"PK\x03\x04 report " + tag.encode()


def _receive(month: Month, tag: str, unit: str = "CA_TINH", **extra: Any) -> Receipt:
    return month.receive(unit, filename=f"BaoCao {tag}.xlsx", content=_content(tag), **extra)


def _log(month: Month) -> list[dict[str, str]]:
    folder = inbox_folder(month.resources, month.plan, month.period)
    text = (folder / RECEPTION_LOG).read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_receive_writes_the_file_the_log_row_the_archive_and_the_receipt(
    month: Month,
) -> None:
    receipt = _receive(month, "một", explanation="Số liệu tăng do chuyên án.")
    content = _content("một")
    sha = hashlib.sha256(content).hexdigest()
    assert receipt.id.startswith("BN-202407-")
    assert (receipt.sha256, receipt.size, receipt.unit_code) == (sha, len(content), "CA_TINH")
    assert receipt.received_at == AT and receipt.status == ReceiptStatus.RECEIVED
    assert receipt.explanation == "Số liệu tăng do chuyên án."
    folder = Path(month.resources.settings.inbox_root) / PLAN / PERIOD.code
    inboxed = folder / inbox_name("CA_TINH", sha, "BaoCao một.xlsx")
    assert inboxed.read_bytes() == content
    assert receipt.inbox_name == inboxed.name
    # archived at the path a run's intake archives the same file to
    archived = Path(month.resources.settings.archive_root) / sha[:2] / f"{sha}.xlsx"
    assert archived.read_bytes() == content
    assert receipt.archive_path == str(archived)
    [row] = _log(month)
    assert list(row) == list(LOG_COLUMNS)
    assert row == {
        "file": inboxed.name,
        "received_at": "2024-07-16T09:30:00+07:00",
        "unit_code": "CA_TINH",
        "channel": "portal",
        "sender": "ca_tinh",
        "receipt": receipt.id,
    }
    # intake reads the log, its new columns harmlessly: received time and sending unit
    [listed] = collect_inbox(str(folder))
    assert (listed.name, listed.received_at, listed.sender) == (inboxed.name, AT, "CA_TINH")
    audit = month.store.audit_log(PLAN, PERIOD)
    assert list(audit["action"]) == ["receive"]
    assert receipt.id in audit["detail"].iloc[0] and audit["actor"].iloc[0] == "ca_tinh"
    assert get_receipt(month.resources, receipt.id) == receipt
    assert receipt.to_json()["received_at_vi"] == "16/07/2024 09:30"


def test_receiving_the_same_delivery_twice_returns_the_first_receipt(
    month: Month,
) -> None:
    first = _receive(month, "a", channel=Channel.EMAIL, reference="<m1@example.org>")
    again = _receive(month, "a", channel=Channel.EMAIL, reference="<m1@example.org>")
    same_bytes = _receive(month, "a", channel=Channel.EMAIL)  # same unit, bytes, channel
    assert again == first and same_bytes == first
    assert len(_log(month)) == 1
    assert len(month.store.audit_log(PLAN, PERIOD)) == 1
    # a new version supersedes the unit's earlier receipt; the other channel is a new receipt
    newer = _receive(month, "b")
    by_portal = _receive(month, "a")
    assert len({first.id, newer.id, by_portal.id}) == 3
    statuses = {r.id: r.status for r in receipts_for_unit(month.resources, PLAN, "CA_TINH")}
    assert statuses == {
        first.id: "superseded",
        newer.id: "superseded",
        by_portal.id: "received",
    }
    newest_first = receipts_for_unit(month.resources, PLAN, "ca_tinh", PERIOD)
    assert newest_first[0].id == by_portal.id
    # the same bytes again land in the same inbox file: one log row per file, newest time
    assert len(_log(month)) == 2


def test_concurrent_receives_in_threads_lose_no_log_row(month: Month) -> None:
    units = ["CA_TINH", "BP_TINH", "SO_LDTBXH", "SO_TTTT", "SO_TP", "VKS_TINH"]
    failures: list[BaseException] = []

    def work(unit: str) -> None:
        try:
            for n in range(3):
                _receive(month, f"{unit}-{n}", unit=unit, received_at=AT + timedelta(minutes=n))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(u,)) for u in units]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    rows = _log(month)
    assert len(rows) == len(units) * 3
    assert len({r["receipt"] for r in rows}) == len(rows)
    assert all(set(r) == set(LOG_COLUMNS) and all(r.values()) for r in rows)
    stored = month.store.receipts(plan_id=PLAN)
    assert sorted(stored["receipt_id"]) == sorted(r["receipt"] for r in rows)


def test_deliveries_arriving_together_share_passes_under_the_folder_lock(
    month: Month, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thirty units at once (and one of them twice, the same bytes): every delivery gets its
    own receipt and log row — the repeat gets the first one's — in far fewer lock passes."""
    receiving = importlib.import_module("pcmbn.submissions.receive")
    passes: list[int] = []
    original = receiving.folder_lock
    gate = threading.Event()

    @contextmanager
    def counted(folder: Path) -> Iterator[None]:
        with original(folder):
            passes.append(1)
            gate.wait(10)  # the first pass holds the lock until everyone else is waiting
            yield

    monkeypatch.setattr(receiving, "folder_lock", counted)
    units = sorted(month.resources.catalog.registry(month.plan).units)[:30]
    results: dict[str, object] = {}
    failures: list[BaseException] = []

    def work(key: str, unit: str, tag: str) -> None:
        try:
            results[key] = _receive(month, tag, unit=unit)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    # every unit; the first one's bytes again; a second version from the second unit
    jobs = [(u, u, u) for u in units] + [("again", units[0], units[0])]
    jobs += [("newer", units[1], f"{units[1]}-v2")]
    threads = [threading.Thread(target=work, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    while len(passes) < 1:
        time.sleep(0.01)
    time.sleep(0.5)  # the others queue behind the first pass
    gate.set()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert len(passes) < len(jobs) // 2, passes
    assert results["again"] == results[units[0]]
    # Each caller sees its receipt as it would alone: just received; the store then keeps
    # only the unit's newest one received.
    assert {r.status for r in results.values()} == {"received"}  # type: ignore[attr-defined]
    rows = _log(month)
    assert sorted(r["unit_code"] for r in rows) == sorted([*units, units[1]])
    ids = {results[k].id for k in [*units, "newer"]}  # type: ignore[attr-defined]
    assert {r["receipt"] for r in rows} == ids
    stored = month.store.receipts(plan_id=PLAN)
    assert len(stored) == len(units) + 1
    assert (stored["status"] == "superseded").sum() == 1
    assert len(month.store.audit_log(PLAN, PERIOD)) == len(units) + 1


def test_two_processes_receiving_at_once_lose_no_log_row(new_month: Callable[..., Month]) -> None:
    """A second interpreter receives 8 files while this one receives 8 others."""
    month = new_month()
    script = textwrap.dedent(
        f"""
        from datetime import datetime
        from zoneinfo import ZoneInfo
        from pcmbn.periods import Period
        from pcmbn.resources import Resources
        from pcmbn.settings import Settings
        from pcmbn.submissions import receive
        res = Resources(Settings(home={str(month.home)!r}))
        plan = res.catalog.plan({PLAN!r})
        at = datetime(2024, 7, 16, 10, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
        for n in range(8):
            receive(res, plan, Period.from_code("2024-07"), unit_code="BP_TINH",
                    filename=f"bp-{{n}}.xlsx", content=b"other process %d" % n,
                    received_at=at, channel="email", sender="bp.tinh@example.org")
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True)
    for n in range(8):
        _receive(month, f"main-{n}")
    _, errors = child.communicate(timeout=300)
    assert child.returncode == 0, errors
    rows = _log(month)
    assert len(rows) == 16
    assert sorted(r["unit_code"] for r in rows) == ["BP_TINH"] * 8 + ["CA_TINH"] * 8
    folder = inbox_folder(month.resources, month.plan, PERIOD)
    listed = collect_inbox(str(folder))
    assert len(listed) == 16 and all(item.sender for item in listed)
    assert len(month.store.receipts(plan_id=PLAN)) == 16


def test_a_file_declaring_another_unit_is_refused_naming_both(month: Month) -> None:
    catalog = month.resources.catalog
    ensure_unit_matches("CA_TINH", "ca_tinh", catalog)  # the same unit, however written
    ensure_unit_matches(None, "CA_TINH", catalog)  # unreadable: the checker says why
    with pytest.raises(UnitMismatch) as refused:
        ensure_unit_matches("BP_TINH", "CA_TINH", catalog, month.plan)
    message = str(refused.value)
    assert "BP_TINH (Bộ Chỉ huy Bộ đội Biên phòng tỉnh)" in message
    assert "CA_TINH (Công an tỉnh)" in message


def test_receive_refuses_a_unit_outside_the_plan(month: Month) -> None:
    from pcmbn.errors import PcmbnError

    with pytest.raises(PcmbnError, match="Không có đơn vị KHONG_CO"):
        _receive(month, "x", unit="KHONG_CO")
