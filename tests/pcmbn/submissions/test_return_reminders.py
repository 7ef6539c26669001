"""A unit whose report the office returned is reminded of the return (`pcmbn remind`, the
`unit-reminders` flow): the reason, the date, and the request for the corrected report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from cli import run_pcmbn
from submission_month import AT, PERIOD, PLAN, Month

from pcmbn.clock import OFFICE_TZ
from pcmbn.store.base import RunRecord, SubmissionRecord
from pcmbn.submissions import Receipt, return_submission


def _returned_pair(month: Month) -> tuple[Receipt, Receipt]:
    """CA_TINH's file accepted by a run, then returned; BP_TINH's returned before any run."""
    ca, bp = month.receive("CA_TINH"), month.receive("BP_TINH")
    row = SubmissionRecord(
        ca.sha256, ca.original_name, AT, "/a", 1, "accepted", PLAN, PERIOD.code, "CA_TINH"
    )
    month.store.record_run(RunRecord("r1", PLAN, PERIOD.code, None, datetime.now(UTC), [row]))
    ca = return_submission(month.resources, ca.id, reason="Thiếu số liệu DT01.", actor="can_bo")
    bp = return_submission(month.resources, bp.id, reason="Sai biểu mẫu.", actor="can_bo")
    return ca, bp


def _returned_on(receipt: Receipt) -> str:
    assert receipt.returned_at is not None
    return receipt.returned_at.astimezone(OFFICE_TZ).strftime("%d/%m/%Y")


@pytest.mark.slow
def test_pcmbn_remind_names_the_return_its_reason_and_date(
    new_month: Callable[..., Month],
) -> None:
    month = new_month()
    ca, bp = _returned_pair(month)
    month.receive("SO_TP")  # sent, not run yet: not reminded, and the officer is told so
    shown = run_pcmbn(month.home, "remind", "--plan", PLAN, "--period", PERIOD.code, columns=250)
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
    assert (
        "Không nhắc 1 đơn vị đã gửi báo cáo Tháng 7/2024 chưa được tổng hợp (SO_TP). Chạy pcmbn "
        f"run --plan {PLAN} --period {PERIOD.code} để xét các tệp này."
    ) in text
    assert "Kính gửi: Sở Tư pháp" not in text
    # the returned units are not told that nothing came from them
    assert "Kính gửi: Bộ Chỉ huy Bộ đội Biên phòng tỉnh, Đến nay Cơ quan" not in text


@pytest.mark.slow
def test_the_reminders_flow_reminds_a_returned_unit(
    prefect_harness: None, new_month: Callable[..., Month], monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.reminders import unit_reminders

    month = new_month()
    monkeypatch.setenv("PCMBN_HOME", str(month.home))
    _returned_pair(month)
    results = unit_reminders(plan=PLAN, period=PERIOD.code, send=False, refresh=False)
    subjects = {r["unit_code"]: r["subject"] for r in results}
    assert subjects["CA_TINH"] == (
        "Đề nghị gửi lại báo cáo PCMBN Tháng 7/2024 bị trả lại – Công an tỉnh"
    )
    assert "bị trả lại" in subjects["BP_TINH"]


def test_a_unit_whose_new_file_waits_for_the_run_is_not_reminded(month: Month) -> None:
    """Received but not run yet: neither "nothing arrived" nor the return of its older file."""
    from pcmbn.reminders import awaiting_run, reminders_for

    def reminded() -> dict[str, str]:
        found = reminders_for(
            month.store, month.resources.catalog, month.plan, PERIOD, month.home / "fb"
        )
        return {r.unit_code: r.status for r in found}

    before = reminded()
    assert before["CA_TINH"] == "missing" and before["BP_TINH"] == "missing"
    ca, _bp = _returned_pair(month)
    assert reminded()["CA_TINH"] == "returned"
    later = AT + timedelta(hours=2)
    again = month.receive("CA_TINH", content=b"CA_TINH corrected", received_at=later)
    fresh = month.receive("SO_TP")
    assert awaiting_run(month.store, PLAN, PERIOD) == {"CA_TINH": again.id, "SO_TP": fresh.id}
    now = reminded()
    assert "CA_TINH" not in now and "SO_TP" not in now
    assert now["BP_TINH"] == "returned" and now["SO_TTTT"] == "missing"
    # Once a run has recorded the new file, the run's decision speaks again.
    row = SubmissionRecord(
        fresh.sha256, fresh.original_name, AT, "/b", 2, "rejected", PLAN, PERIOD.code, "SO_TP"
    )
    month.store.record_run(RunRecord("r2", PLAN, PERIOD.code, None, datetime.now(UTC), [row]))
    assert awaiting_run(month.store, PLAN, PERIOD) == {"CA_TINH": again.id}
    assert reminded()["SO_TP"] == "rejected"
