"""Approve and lock a period, a correction held as pending, reopen on the record, rerun."""

from __future__ import annotations

import csv
import hashlib
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from report_fixtures import Fixture, write_fixture

from flows.monthly_aggregation import monthly_aggregation
from pcmbn.approval import approve_period, reopen_period
from pcmbn.catalog import load_catalog
from pcmbn.errors import PcmbnError, UsageError
from pcmbn.periods import parse_period
from pcmbn.settings import outputs_dir, store_path
from pcmbn.store.history import HistoryStore

PLAN = "ST-KH-30-7-2024"
PERIOD = "2024-08"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
WHO = "can-bo-tong-hop"


def _unit(folder: Path, name: str, unit: str, dt01: int, received: datetime) -> None:
    def edit(content):
        content.values["DT01"] = (dt01, dt01 * 3)

    path = write_fixture(Fixture(name, unit=unit, period=PERIOD, edit=edit), folder, load_catalog())
    log = folder / "received.csv"
    new = not log.exists()
    with log.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        if new:
            writer.writerow(["file", "received_at", "unit_code"])
        writer.writerow([path.name, received.isoformat(), unit])


def _summary() -> Path:
    return outputs_dir(PLAN, PERIOD) / f"TongHop_{PLAN}_{PERIOD}.xlsx"


def _summary_sha() -> str:
    return hashlib.sha256(_summary().read_bytes()).hexdigest()


@pytest.mark.slow
def test_approve_lock_reopen_rerun(prefect_harness: None, tmp_path: Path) -> None:
    catalog = load_catalog()
    plan, period = catalog.plan(PLAN), parse_period(PERIOD)
    store = HistoryStore(store_path())
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _unit(inbox, "BaoCao_CA_TINH", "CA_TINH", 3, datetime(2024, 8, 15, 9, tzinfo=TZ))
    _unit(inbox, "BaoCao_BP_TINH", "BP_TINH", 1, datetime(2024, 8, 15, 10, tzinfo=TZ))

    first = monthly_aggregation(plan=PLAN, period=PERIOD, inbox=str(inbox))
    assert first["totals"]["DT01"]["period"] == 4
    approval = approve_period(store, catalog, plan, period, _summary(), "gửi BCĐ", by=WHO)
    checksum = _summary_sha()
    assert approval["summary_sha256"] == checksum
    with pytest.raises(PcmbnError):
        approve_period(store, catalog, plan, period, _summary(), by=WHO)

    _unit(inbox, "BaoCao_CA_TINH_ban_sua", "CA_TINH", 5, datetime(2024, 8, 19, 9, tzinfo=TZ))
    locked = monthly_aggregation(plan=PLAN, period=PERIOD, inbox=str(inbox))
    assert locked["totals"] == first["totals"]
    assert _summary_sha() == checksum
    pending = store.query("SELECT original_name, status FROM submissions WHERE status = 'pending'")
    assert list(pending["original_name"]) == ["BaoCao_CA_TINH_ban_sua.xlsx"]

    with pytest.raises(UsageError):
        reopen_period(store, plan, period, "  ", by=WHO)
    reopen_period(store, plan, period, "Công an tỉnh gửi bản sửa số vụ", by=WHO)
    # A month with data that is not approved (any more) is "chưa được phê duyệt"; a month
    # without any run says "chưa có số liệu" instead (tests/pcmbn/test_cli.py).
    with pytest.raises(PcmbnError, match="chưa được phê duyệt"):
        reopen_period(store, plan, period, "lần nữa", by=WHO)
    reopened = monthly_aggregation(plan=PLAN, period=PERIOD, inbox=str(inbox))
    assert reopened["totals"]["DT01"]["period"] == 5 + 1
    assert (
        store.query("SELECT count(*) AS n FROM submissions WHERE status = 'pending'")["n"].iloc[0]
        == 0
    )
    approve_period(store, catalog, plan, period, _summary(), by=WHO)

    approvals = store.query("SELECT reopened_at, reopen_reason FROM approvals ORDER BY approved_at")
    assert len(approvals) == 2
    assert approvals["reopen_reason"].iloc[0] == "Công an tỉnh gửi bản sửa số vụ"
    assert approvals["reopened_at"].isna().tolist() == [False, True]
    log = store.audit_log(PLAN, PERIOD)
    assert list(log["action"]) == ["run", "approve", "run", "reopen", "run", "approve"]
    assert "pending=1" in log["detail"].iloc[2]
