"""A unit whose report the office returned is reminded of the return (`pcmbn remind`, the
`unit-reminders` flow): the reason, the date, and the request for the corrected report."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cli import run_pcmbn

from pcmbn.clock import OFFICE_TZ
from pcmbn.periods import Period
from pcmbn.resources import Resources
from pcmbn.settings import Settings
from pcmbn.store.base import RunRecord, SubmissionRecord
from pcmbn.submissions import Receipt, receive, return_submission
from pcmbn.vocabulary import Channel

PLAN = "ST-KH-30-7-2024"
PERIOD = Period.from_code("2024-07")
AT = datetime(2024, 7, 16, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


def _returned_pair(resources: Resources) -> tuple[Receipt, Receipt]:
    """CA_TINH's file accepted by a run, then returned; BP_TINH's returned before any run."""
    plan = resources.catalog.plan(PLAN)

    def deliver(unit: str) -> Receipt:
        return receive(
            resources,
            plan,
            PERIOD,
            unit_code=unit,
            filename=f"BaoCao_{unit}.xlsx",
            content=unit.encode(),
            received_at=AT,
            channel=Channel.PORTAL,
            sender=unit.lower(),
        )

    ca, bp = deliver("CA_TINH"), deliver("BP_TINH")
    row = SubmissionRecord(
        ca.sha256, ca.original_name, AT, "/a", 1, "accepted", PLAN, PERIOD.code, "CA_TINH"
    )
    resources.store.record_run(RunRecord("r1", PLAN, PERIOD.code, None, datetime.now(UTC), [row]))
    ca = return_submission(resources, ca.id, reason="Thiếu số liệu DT01.", actor="can_bo")
    bp = return_submission(resources, bp.id, reason="Sai biểu mẫu.", actor="can_bo")
    return ca, bp


def _returned_on(receipt: Receipt) -> str:
    assert receipt.returned_at is not None
    return receipt.returned_at.astimezone(OFFICE_TZ).strftime("%d/%m/%Y")


@pytest.mark.slow
def test_pcmbn_remind_names_the_return_its_reason_and_date(tmp_path: Path) -> None:
    home = tmp_path / "home"
    ca, bp = _returned_pair(Resources(Settings(home=home)))
    shown = run_pcmbn(home, "remind", "--plan", PLAN, "--period", PERIOD.code, columns=250)
    assert shown.returncode == 0, shown.stderr
    text = " ".join(shown.stdout.split())
    for receipt, name, reason in (
        (ca, "Công an tỉnh", "Thiếu số liệu DT01."),
        (bp, "Bộ Chỉ huy Bộ đội Biên phòng tỉnh", "Sai biểu mẫu."),
    ):
        assert f"Đề nghị gửi lại báo cáo PCMBN Tháng 7/2024 bị trả lại – {name}" in text
        assert (
            f"Ngày {_returned_on(receipt)}, Cơ quan Thường trực Ban Chỉ đạo 138 đã trả lại báo "
            f"cáo tháng 7/2024 của đơn vị"
        ) in text
        assert f"(tệp “{receipt.original_name}”, số biên nhận {receipt.id})" in text
        assert f"Lý do trả lại: {reason}" in text
    assert text.count("Đề nghị đơn vị sửa theo lý do nêu trên và gửi lại báo cáo") == 2
    # the returned units are not told that nothing came from them
    assert "Kính gửi: Bộ Chỉ huy Bộ đội Biên phòng tỉnh, Đến nay Cơ quan" not in text


@pytest.mark.slow
def test_the_reminders_flow_reminds_a_returned_unit(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.reminders import unit_reminders

    home = tmp_path / "home"
    monkeypatch.setenv("PCMBN_HOME", str(home))
    ca, bp = _returned_pair(Resources(Settings(home=home)))
    results = unit_reminders(plan=PLAN, period=PERIOD.code, send=False, refresh=False)
    subjects = {r["unit_code"]: r["subject"] for r in results}
    assert subjects["CA_TINH"] == (
        "Đề nghị gửi lại báo cáo PCMBN Tháng 7/2024 bị trả lại – Công an tỉnh"
    )
    assert "bị trả lại" in subjects["BP_TINH"]
