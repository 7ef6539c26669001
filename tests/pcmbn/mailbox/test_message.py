"""A raw message read for the intake: received time, sender, attachments, the loop guard."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest

from pcmbn.mailbox.message import automatic_reason, parse_message

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _raw(headers: dict[str, str], received: list[str] | None = None, **files: bytes) -> bytes:
    msg = EmailMessage()
    msg["From"] = headers.pop("From", "Văn thư <Van.Thu@Don-Vi.example.org>")
    for name, value in headers.items():
        msg[name] = value
    msg.set_content("Kèm theo báo cáo.")
    for name, data in files.items():
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    top = "".join(f"Received: {line}\r\n" for line in received or [])
    return top.encode() + msg.as_bytes()


@pytest.mark.parametrize(
    ("received", "date", "arrived", "expected"),
    [
        # the office server's own (newest, topmost) Received line wins over the unit's Date
        (["by mx.office; Tue, 16 Jul 2024 02:00:00 +0000", "by relay; Mon, 1 Jan 2024 00:00 +0000"],
         "Mon, 15 Jul 2024 08:00:00 +0700", None, datetime(2024, 7, 16, 9, 0, tzinfo=TZ)),
        (["from somewhere without a date"], "Mon, 15 Jul 2024 08:00:00 +0700", None,
         datetime(2024, 7, 15, 8, 0, tzinfo=TZ)),
        ([], "", datetime(2024, 7, 20, 1, 0, tzinfo=ZoneInfo("UTC")),
         datetime(2024, 7, 20, 8, 0, tzinfo=TZ)),
    ],
)  # fmt: skip
def test_received_time_is_the_office_servers(
    received: list[str], date: str, arrived: datetime | None, expected: datetime
) -> None:
    headers = {"Date": date} if date else {}
    item = parse_message(_raw(headers, received), "7", arrived)
    assert item.received_at == expected and item.received_at.utcoffset() == expected.utcoffset()


def test_sender_attachments_and_message_id() -> None:
    raw = _raw(
        {"Message-ID": "<abc@don-vi>", "Subject": "Báo cáo tháng 7/2024"},
        **{"../../BaoCao Công an.xlsx": b"PK\x03\x04 x", "ghi chu.txt": b"a"},
    )
    item = parse_message(raw, "1")
    assert item.sender == "van.thu@don-vi.example.org" and item.sender_name == "Văn thư"
    assert item.message_id == "<abc@don-vi>" and item.subject == "Báo cáo tháng 7/2024"
    assert [a.filename for a in item.attachments] == ["BaoCao Công an.xlsx", "ghi chu.txt"]
    assert item.attachments[0].content == b"PK\x03\x04 x" and item.automatic is None


def test_a_message_without_id_gets_a_stable_one() -> None:
    raw = _raw({})
    assert parse_message(raw, "1").message_id == parse_message(raw, "2").message_id


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, "Auto-Submitted"),
        ({"Auto-Submitted": "no"}, None),
        ({"X-PCMBN-Reply": "1"}, "X-PCMBN-Reply"),
        ({"X-Autoreply": "yes"}, "X-Autoreply"),
        ({"Precedence": "bulk"}, "Precedence"),
        ({"List-Id": "<tin.example.org>"}, "List-Id"),
        ({"Return-Path": "<>"}, "Return-Path"),
        ({"From": "MAILER-DAEMON@mx.example.org"}, "From"),
        ({}, None),
    ],
)
def test_the_loop_guard(headers: dict[str, str], reason: str | None) -> None:
    item = parse_message(_raw(dict(headers)), "1")
    assert (item.automatic or "").startswith(reason or "") and bool(item.automatic) == bool(reason)


def test_a_delivery_report_is_automatic() -> None:
    msg = EmailMessage()
    msg["From"] = "he-thong@mx.example.org"
    msg.set_content("x")
    msg.add_attachment("y", subtype="plain")
    msg.replace_header(
        "Content-Type", 'multipart/report; report-type=delivery-status; boundary="b"'
    )
    assert automatic_reason(msg) == "multipart/report"
