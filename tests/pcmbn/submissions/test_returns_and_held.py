"""Returns and held files (contract §1): on the record, refused when they cannot apply, and
the desk's view of them."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from submission_month import AT, PERIOD, PLAN, Month

from pcmbn.submissions import (
    Receipt,
    SubmissionError,
    assign_held,
    desk_counts,
    desk_matrix,
    discard_held,
    held_items,
    hold,
    return_submission,
)
from pcmbn.vocabulary import HeldReason


def _receive(month: Month, tag: str, unit: str = "CA_TINH") -> Receipt:
    return month.receive(unit, filename=f"{tag}.xlsx", content=tag.encode())


def test_a_return_is_recorded_with_its_reason_and_refused_when_it_cannot_apply(
    month: Month,
) -> None:
    receipt = _receive(month, "bao-cao")
    with pytest.raises(SubmissionError, match="Cần ghi lý do"):
        return_submission(month.resources, receipt.id, reason="  ", actor="can_bo")
    with pytest.raises(SubmissionError, match="Không có biên nhận BN-000"):
        return_submission(month.resources, "BN-000", reason="x", actor="can_bo")
    returned = return_submission(
        month.resources, receipt.id, reason="Thiếu số liệu quý III.", actor="can_bo"
    )
    assert returned.status == "returned" and returned.return_reason == "Thiếu số liệu quý III."
    assert returned.returned_by == "can_bo"
    with pytest.raises(SubmissionError, match="đã được trả lại trước đó"):
        return_submission(month.resources, receipt.id, reason="lần nữa", actor="can_bo")
    audit = month.store.audit_log(PLAN, PERIOD)
    assert list(audit["action"]) == ["receive", "return", "notify"]
    assert "Thiếu số liệu quý III." in audit["detail"].iloc[1]
    # no mail server configured: the notice is not sent, and the record says why
    assert audit["detail"].iloc[2] == (
        f"Thư báo trả lại {receipt.id} cho CA_TINH: chưa gửi vì chưa cấu hình máy chủ thư "
        "(PCMBN_SMTP_HOST)"
    )
    assert audit["actor"].iloc[2] == "can_bo"
    assert month.store.returned_hashes(PLAN, PERIOD) == {receipt.sha256}
    # the same bytes sent again after the return count again
    again = _receive(month, "bao-cao")
    assert again.id != receipt.id and again.status == "received"
    assert month.store.returned_hashes(PLAN, PERIOD) == set()


def test_a_return_is_refused_while_the_period_is_approved(month: Month) -> None:
    receipt = _receive(month, "bao-cao")
    month.store.approve(
        {
            "approval_id": "a1",
            "plan_id": PLAN,
            "period": PERIOD.code,
            "approved_by": "lanh_dao",
            "approved_at": datetime.now(tz=UTC),
            "note": None,
            "totals": "{}",
            "summary_sha256": None,
            "submissions": "",
        },
        "lanh_dao",
        datetime.now(tz=UTC),
    )
    with pytest.raises(SubmissionError, match="đã được phê duyệt"):
        return_submission(month.resources, receipt.id, reason="sai", actor="can_bo")


def test_held_files_are_archived_then_assigned_or_discarded_on_the_record(
    month: Month,
) -> None:
    content = b"a workbook from nobody we know"
    sha = hashlib.sha256(content).hexdigest()
    arguments = {
        "filename": "BaoCao.xlsx",
        "content": content,
        "received_at": AT,
        "sender": "la@example.net",
        "reason": HeldReason.UNKNOWN_SENDER,
        "message": "Người gửi la@example.net không có trong danh sách đơn vị.",
        "reference": "<m9@example.net>",
    }
    first = hold(month.resources, **arguments)  # type: ignore[arg-type]
    assert hold(month.resources, **arguments) == first  # type: ignore[arg-type]
    assert first.id.startswith("TG-") and first.state == "held" and first.sha256 == sha
    archived = Path(month.resources.settings.archive_root) / sha[:2] / f"{sha}.xlsx"
    assert archived.read_bytes() == content
    other = hold(month.resources, **{**arguments, "content": b"second", "reference": None})  # type: ignore[arg-type]
    assert [h.id for h in held_items(month.resources)] == [first.id, other.id]

    plan = month.plan
    receipt = assign_held(
        month.resources, first.id, unit_code="CA_TINH", plan=plan, period=PERIOD, actor="can_bo"
    )
    assert (receipt.unit_code, receipt.sha256, receipt.received_at) == ("CA_TINH", sha, AT)
    assert (receipt.sender, receipt.channel, receipt.reference) == (
        "la@example.net",
        "email",
        "<m9@example.net>",
    )
    with pytest.raises(SubmissionError, match="đã được xử lý"):
        discard_held(month.resources, first.id, actor="can_bo", reason="trùng")
    with pytest.raises(SubmissionError, match="Cần ghi lý do hủy"):
        discard_held(month.resources, other.id, actor="can_bo", reason="")
    discard_held(month.resources, other.id, actor="can_bo", reason="Thư rác.")
    assert held_items(month.resources) == []
    states = {h.id: (h.state, h.decision) for h in held_items(month.resources, None)}
    assert states == {first.id: ("assigned", receipt.id), other.id: ("discarded", "Thư rác.")}
    actions = list(month.store.audit_log("")["action"])
    assert actions == ["hold", "hold", "discard"]
    assert list(month.store.audit_log(PLAN, PERIOD)["action"]) == ["receive", "assign"]


def test_the_desk_shows_received_and_returned_units_before_any_run(month: Month) -> None:
    plan = month.plan
    _receive(month, "ca")
    returned = _receive(month, "bp", unit="BP_TINH")
    return_submission(month.resources, returned.id, reason="Sai biểu mẫu.", actor="can_bo")
    rows = {row.unit_code: row for row in desk_matrix(month.resources, plan, PERIOD)}
    assert len(rows) == len(month.resources.catalog.expected_units(plan, PERIOD))
    assert (rows["CA_TINH"].status, rows["CA_TINH"].label) == ("received", "Đã gửi")
    assert (rows["BP_TINH"].status, rows["BP_TINH"].label) == ("returned", "Bị trả lại")
    assert rows["BP_TINH"].receipt_id == returned.id
    others = [r for code, r in rows.items() if code not in ("CA_TINH", "BP_TINH")]
    assert {r.label for r in others} == {"Chưa gửi"}
    counts = desk_counts(list(rows.values()))
    assert counts["received"] == 1 and counts["returned"] == 1
    group = rows["CA_TINH"].group
    only = desk_matrix(month.resources, plan, PERIOD, group=group)
    assert only and all(r.group == group for r in only)
    assert len(only) < len(rows)


def test_the_desk_follows_a_file_through_run_return_and_resend(month: Month) -> None:
    from pcmbn.store.base import RunRecord, SubmissionRecord

    plan = month.plan

    def cell() -> tuple[str, str | None]:
        [row] = [r for r in desk_matrix(month.resources, plan, PERIOD) if r.unit_code == "CA_TINH"]
        return row.status, row.receipt_id

    def run(sha: str, status: str, run_id: str) -> None:
        record = SubmissionRecord(sha, "x.xlsx", AT, "/a", 1, status, PLAN, PERIOD.code, "CA_TINH")
        month.store.record_run(
            RunRecord(run_id, PLAN, PERIOD.code, None, datetime.now(tz=UTC), [record])
        )

    first = _receive(month, "ca")
    assert cell() == ("received", first.id)
    run(first.sha256, "accepted", "r1")
    assert cell() == ("on_time", first.id)  # decided by the run, judged by the receipt's time
    return_submission(month.resources, first.id, reason="Sai.", actor="can_bo")
    assert cell() == ("returned", first.id)
    run(first.sha256, "returned", "r2")
    assert cell() == ("returned", first.id)
    again = _receive(month, "ca")  # the same bytes sent again after the return
    assert cell() == ("received", again.id)
