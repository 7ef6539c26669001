"""What a return changes: the next run's record of the file (on both stores) and the notice
mailed to the unit through a real SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import UTC, datetime
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from submission_month import AT, PERIOD, PLAN, Month

from pcmbn.monthly import completeness
from pcmbn.store.base import RunRecord, SubmissionRecord
from pcmbn.submissions import return_submission


def _record(sha: str, status: str, run: str) -> RunRecord:
    row = SubmissionRecord(sha, "BaoCao.xlsx", AT, "/a", 1, status, PLAN, PERIOD.code, "CA_TINH")
    return RunRecord(run, PLAN, PERIOD.code, None, datetime.now(tz=UTC), [row])


def test_a_run_records_a_returned_file_as_returned_and_a_resent_one_again(
    month: Month,
) -> None:
    plan, store, resources = month.plan, month.store, month.resources
    receipt = month.receive(filename="BaoCao.xlsx", content=b"x")
    unit = [resources.catalog.registry(plan).units["CA_TINH"]]
    store.record_run(_record(receipt.sha256, "accepted", "r1"))
    assert completeness(unit, store.submissions(PLAN, PERIOD), plan, PERIOD)["status"][0] == (
        "on_time"
    )
    return_submission(resources, receipt.id, reason="Sai.", actor="can_bo")
    store.record_run(_record(receipt.sha256, "returned", "r2"))  # what the next run decides
    stored = store.submissions(PLAN, PERIOD)
    assert stored["status"].tolist() == ["returned"]
    assert store.current_values(PLAN, [PERIOD]).empty
    table = completeness(unit, stored, plan, PERIOD)
    assert table["status"][0] == "returned"
    store.record_run(_record(receipt.sha256, "accepted", "r3"))  # sent again, accepted
    assert store.submissions(PLAN, PERIOD)["status"].tolist() == ["accepted"]


class _Inbox:
    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.original_content, policy=email_policy.default)
        self.received.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 OK"


def test_the_unit_is_mailed_the_reason_and_a_failed_notice_never_undoes_the_return(
    new_month: Callable[..., Month],
) -> None:
    inbox = _Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        month = new_month(smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False)
        resources = month.resources
        receipt = month.receive(filename="BaoCao_CA.xlsx", content=b"x")
        return_submission(resources, receipt.id, reason="Thiếu số liệu DT01.", actor="can_bo")
    finally:
        controller.stop()
    [(to, message)] = inbox.received
    assert to == ["ca.tinh@soc-trang.example.org"]
    assert str(message["Subject"]) == f"Báo cáo Tháng 7/2024 bị trả lại (biên nhận {receipt.id})"
    body = message.get_content()
    assert "Kính gửi Công an tỉnh:" in body
    assert "Lý do: Thiếu số liệu DT01." in body
    assert "nhận lúc 16/07/2024 09:30" in body

    # the mail server is gone now: the return still stands
    second = month.receive("BP_TINH", filename="BaoCao_BP.xlsx", content=b"y")
    returned = return_submission(resources, second.id, reason="Sai kỳ.", actor="can_bo")
    assert returned.status == "returned"

    # each notice is on the record: sent to the unit's address, or failed with the reason
    audit = resources.store.audit_log(PLAN, PERIOD)
    notices = audit[audit["action"] == "notify"]
    assert list(notices["actor"]) == ["can_bo", "can_bo"]
    sent, failed = notices["detail"]
    assert (
        sent == f"Thư báo trả lại {receipt.id} cho CA_TINH <ca.tinh@soc-trang.example.org>: đã gửi"
    )
    assert failed.startswith(f"Thư báo trả lại {second.id} cho BP_TINH <")
    assert f"không gửi được (Không gửi được qua máy chủ thư 127.0.0.1:{port})" in failed
