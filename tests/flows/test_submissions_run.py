"""Issue 14/16 acceptance: a file received through `pcmbn.submissions` is counted by `pcmbn run`
with the receipt's received time and sending unit (lateness judged by it, never the file's
mtime); a returned file is not counted by the next run and `pcmbn status` says "Bị trả lại"."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cli import run_pcmbn
from report_fixtures import Fixture, set_value, write_fixture

from pcmbn.periods import Period
from pcmbn.resources import Resources
from pcmbn.settings import Settings
from pcmbn.submissions import receive, return_submission
from pcmbn.vocabulary import Channel

PLAN = "ST-KH-30-7-2024"
PERIOD = Period.from_code("2024-07")
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ON_TIME = datetime(2024, 7, 16, 9, 0, tzinfo=TZ)  # due 17/07/2024
LATE = datetime(2024, 7, 19, 8, 0, tzinfo=TZ)


def _run(home: Path) -> dict:
    """The monthly flow over the default inbox `<home>/inbox/<plan>/<period>/` (the home is the
    test's `PCMBN_HOME`), as `pcmbn run --format json` returns it."""
    from flows.monthly_aggregation import monthly_aggregation

    return monthly_aggregation(plan=PLAN, period=PERIOD.code)


@pytest.mark.slow
def test_received_files_count_with_the_receipt_time_and_a_returned_one_does_not(
    prefect_harness: None, tmp_path: Path
) -> None:
    home = tmp_path / "home"  # the PCMBN_HOME of every test (tests/conftest.py)
    resources = Resources(Settings(home=home))
    catalog, plan = resources.catalog, resources.catalog.plan(PLAN)
    workbooks = tmp_path / "made"
    workbooks.mkdir()

    def send(unit: str, when: datetime, declared: str | None = None, dt01: int = 3):
        made = write_fixture(
            Fixture(f"BaoCao_{unit}", unit=declared or unit, edit=set_value("DT01", dt01)),
            workbooks,
            catalog,
        )
        return receive(
            resources,
            plan,
            PERIOD,
            unit_code=unit,
            filename=made.name,
            content=made.read_bytes(),
            received_at=when,
            channel=Channel.EMAIL,
            sender=f"{unit.lower()}@example.org",
        )

    send("CA_TINH", ON_TIME, dt01=3)
    send("BP_TINH", LATE, dt01=5)
    spoof = send("SO_TTTT", ON_TIME, declared="CA_TINH", dt01=40)  # the sender decides
    first = _run(home)
    assert first["completeness"]["CA_TINH"] == "on_time"  # the receipt's time, not the mtime
    assert first["completeness"]["BP_TINH"] == "late"
    assert first["completeness"]["SO_TTTT"] == "rejected"  # declares another unit
    assert first["totals"]["DT01"]["period"] == 8
    assert first["files"]["accepted"] == 2 and first["files"]["rejected"] == 1
    stored = resources.store.submissions(PLAN, PERIOD)
    assert stored.loc[stored["sha256"] == spoof.sha256, "unit_code"].item() == "SO_TTTT"

    bp = resources.store.receipts(plan_id=PLAN, unit_code="BP_TINH")["receipt_id"].item()
    return_submission(resources, bp, reason="Số liệu DT01 chưa khớp.", actor="can_bo")
    second = _run(home)
    assert second["completeness"]["BP_TINH"] == "returned"
    assert second["totals"]["DT01"]["period"] == 3  # the returned file is not counted
    status = run_pcmbn(home, "status", "--plan", PLAN, "--period", PERIOD.code)
    assert status.returncode == 0, status.stderr
    assert "Bị trả lại" in status.stdout
    # The run's reminder list asks BP_TINH for the corrected report, naming the reason.
    listed = Path(second["outputs"]["summary"]).parent / f"NhacNho_{PLAN}_{PERIOD.code}.csv"
    rows = {r["unit_code"]: r for r in csv.DictReader(io.StringIO(listed.read_text("utf-8-sig")))}
    assert rows["BP_TINH"]["status_vi"] == "Bị trả lại"
    assert (
        f"số biên nhận {bp}). Lý do: Số liệu DT01 chưa khớp. Đề nghị" in rows["BP_TINH"]["message"]
    )

    # the unit sends a corrected file: counted again, late by its own received time
    send("BP_TINH", datetime(2024, 7, 20, 8, 0, tzinfo=TZ), dt01=6)
    third = _run(home)
    assert third["completeness"]["BP_TINH"] == "late"
    assert third["totals"]["DT01"]["period"] == 9
