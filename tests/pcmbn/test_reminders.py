"""Reminder emails, composed from small generated tables (no SMTP here; see tests/flows)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from pcmbn import layout
from pcmbn.catalog import load_catalog
from pcmbn.errors import PcmbnError
from pcmbn.periods import parse_period
from pcmbn.reminders import (
    QUOTED_PROBLEMS,
    Reminder,
    ReturnedReport,
    SmtpSettings,
    compose,
    plan_reminders,
    reminder_days,
    send_all,
)
from pcmbn.settings import Settings

PLAN = "ST-KH-30-7-2024"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _table(rows: list[tuple[str, str, str | None, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "unit_code": code,
                "unit_name": f"Đơn vị {code}",
                "status": status,
                "due_date": date(2024, 8, 17),
                "file_name": file_name,
                "email": email,
            }
            for code, status, email, file_name in rows
        ]
    )


def _sha(unit: str) -> str:
    return hashlib.sha256(unit.encode()).hexdigest()


def _problems(unit: str, n: int, name: str | None = None) -> pd.DataFrame:
    """The unit's newest rejected submission's problems, as `Store.rejection_problems` gives."""
    submission = {"unit_code": unit, "sha256": _sha(unit), "original_name": name}
    return pd.DataFrame(
        [
            {
                **submission,
                "severity": "error",
                "sheet": "ChiTieu",
                "cell": f"D{10 + i}",
                "message": f"Số âm ở ô D{10 + i}",
            }
            for i in range(n)
        ]
        + [{**submission, "severity": "warning", "sheet": "ChiTieu", "cell": "E1"}]
    )


def test_only_missing_and_rejected_units_get_a_reminder(tmp_path: Path) -> None:
    plan, period = load_catalog().plan(PLAN), parse_period("2024-07")
    table = _table(
        [
            ("A", "on_time", "a@x.vn", "a.xlsx"),
            ("B", "late", "b@x.vn", "b.xlsx"),
            ("C", "missing", "c@x.vn", None),
            ("D", "rejected", "d@x.vn", "BaoCao_D.xlsx"),
        ]
    )
    reminders = plan_reminders(table, plan, period, _problems("D", 2), tmp_path)
    assert [(r.unit_code, r.status) for r in reminders] == [("C", "missing"), ("D", "rejected")]
    missing, rejected = reminders
    assert "Tháng 7/2024" in missing.subject and "17/08/2024" in missing.body
    assert missing.attachment is None
    assert rejected.problems == ["Trang “ChiTieu”, ô D10: Số âm ở ô D10", rejected.problems[1]]


def test_rejection_attaches_the_feedback_file_and_caps_quoted_problems(tmp_path: Path) -> None:
    plan, period = load_catalog().plan(PLAN), parse_period("2024-07")
    name = f"D_{_sha('D')[:12]}_BaoCao_D_KiemTra.xlsx"
    (tmp_path / name).write_bytes(b"feedback")
    table = _table([("D", "rejected", "d@x.vn", "BaoCao_D.xlsx")])
    problems = _problems("D", QUOTED_PROBLEMS + 3, "BaoCao_D.xlsx")
    (only,) = plan_reminders(table, plan, period, problems, tmp_path)
    assert only.attachment == tmp_path / name
    assert len(only.problems) == QUOTED_PROBLEMS + 1  # the cap, then "… và 3 lỗi khác"
    assert "3 lỗi khác" in only.problems[-1]


def test_compose_encodes_vietnamese_subject_and_attaches_workbook(tmp_path: Path) -> None:
    workbook = tmp_path / "BaoCao_KiemTra.xlsx"
    workbook.write_bytes(b"PK\x03\x04 not really a workbook")
    reminder = Reminder(
        "CA_TINH",
        "Công an tỉnh",
        "rejected",
        "ca@tinh.vn",
        # long enough to be folded: the spaces at the folds must survive
        "Báo cáo PCMBN Tháng 7/2024 chưa đạt yêu cầu – Bộ Chỉ huy Bộ đội Biên phòng tỉnh",
        "Kính gửi: Công an tỉnh,\nĐề nghị sửa ô D12.",
        workbook,
    )
    raw = compose(reminder, SmtpSettings(host="localhost")).as_bytes()
    assert raw.isascii()  # RFC 2047 headers, base64 or quoted-printable body
    parsed = message_from_bytes(raw, policy=email_policy.default)
    assert parsed["Subject"] == reminder.subject
    assert parsed["To"].addresses[0].addr_spec == "ca@tinh.vn"
    assert parsed.get_body(("plain",)).get_content().strip() == reminder.body
    (attachment,) = list(parsed.iter_attachments())
    assert attachment.get_filename() == "BaoCao_KiemTra.xlsx"
    assert attachment.get_content() == workbook.read_bytes()


def test_a_unit_with_several_addresses_is_reminded_at_each() -> None:
    reminder = Reminder(
        "BP_TINH", "Bộ Chỉ huy Bộ đội Biên phòng tỉnh", "missing", "bp@tinh.vn; van.thu@tinh.vn",
        "Nhắc gửi báo cáo", "Kính gửi",
    )  # fmt: skip
    parsed = message_from_bytes(
        compose(reminder, SmtpSettings(host="localhost")).as_bytes(), policy=email_policy.default
    )
    assert [a.addr_spec for a in parsed["To"].addresses] == ["bp@tinh.vn", "van.thu@tinh.vn"]


def test_unit_without_address_is_reported_not_sent() -> None:
    reminder = Reminder("X", "Xã X", "missing", None, "s", "b")
    (delivery,) = send_all([reminder], SmtpSettings(host="127.0.0.1", port=1))
    assert not delivery.sent and "địa chỉ thư" in (delivery.error or "")


def test_unreachable_server_fails_each_reminder_with_one_line() -> None:
    reminder = Reminder("X", "Xã X", "missing", "x@x.vn", "s", "b")
    settings = SmtpSettings(host="127.0.0.1", port=9, starttls=False, timeout=2)
    (delivery,) = send_all([reminder], settings)
    assert not delivery.sent and "127.0.0.1:9" in (delivery.error or "")


def test_sending_needs_a_configured_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PCMBN_SMTP_HOST", raising=False)
    with pytest.raises(PcmbnError):
        SmtpSettings.from_settings(Settings.from_env())


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PCMBN_SMTP_HOST", "mail.tinh.gov.vn")
    monkeypatch.setenv("PCMBN_SMTP_PORT", "2525")
    monkeypatch.setenv("PCMBN_SMTP_STARTTLS", "false")
    monkeypatch.setenv("PCMBN_SMTP_USER", "bcd138")
    monkeypatch.setenv("PCMBN_SMTP_PASSWORD", "bí mật")
    settings = SmtpSettings.from_settings(Settings.from_env())
    assert (settings.host, settings.port, settings.starttls) == ("mail.tinh.gov.vn", 2525, False)
    assert (settings.username, settings.password) == ("bcd138", "bí mật")


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2024, 8, 17), ["2024-08"]),  # due date of August (window 15/7–14/8, + 3 days)
        (date(2024, 8, 19), ["2024-08"]),  # two days after it
        (date(2024, 8, 18), []),
        (date(2024, 8, 16), []),
    ],
)
def test_reminder_days_are_the_due_date_and_two_days_after(
    today: date, expected: list[str]
) -> None:
    plan = load_catalog().plan(PLAN)
    assert [p.code for p in reminder_days(plan, today)] == expected


def test_two_units_sending_the_same_name_get_their_own_attachment(tmp_path: Path) -> None:
    """CongAn/BaoCao.xlsx and BienPhong/BaoCao.xlsx: each reminder attaches its own unit's
    annotated workbook (found by submission), never the other's, and never one by name alone."""
    plan, period = load_catalog().plan(PLAN), parse_period("2024-07")
    for unit in ("CA_TINH", "BP_TINH"):
        path = tmp_path / layout.feedback_name(unit, _sha(unit), "BaoCao.xlsx", ".xlsx")
        path.write_bytes(unit.encode())
    (tmp_path / "BaoCao_KiemTra.xlsx").write_bytes(b"the old, shared name")
    table = _table(
        [
            ("CA_TINH", "rejected", "ca@x.vn", "BaoCao.xlsx"),
            ("BP_TINH", "rejected", "bp@x.vn", "BaoCao.xlsx"),
        ]
    )
    problems = pd.concat(
        [_problems("CA_TINH", 1, "BaoCao.xlsx"), _problems("BP_TINH", 1, "BaoCao.xlsx")]
    )
    police, border = plan_reminders(table, plan, period, problems, tmp_path)
    assert police.attachment is not None and border.attachment is not None
    assert police.attachment != border.attachment
    assert police.attachment.read_bytes() == b"CA_TINH"
    assert border.attachment.read_bytes() == b"BP_TINH"
    # a unit whose own submission has no feedback file gets none, not another unit's
    lone = _table([("VKS_TINH", "rejected", "v@x.vn", "BaoCao.xlsx")])
    (only,) = plan_reminders(lone, plan, period, _problems("VKS_TINH", 1, "BaoCao.xlsx"), tmp_path)
    assert only.attachment is None


# --- issue 12.14: the words of a reminder ----------------------------------------------------


def _file_level(unit: str, name: str) -> pd.DataFrame:
    """A file the reader could not open: the store gives NaN for its sheet and cell."""
    return pd.DataFrame(
        [
            {
                "unit_code": unit,
                "sha256": _sha(unit),
                "original_name": name,
                "severity": "error",
                "sheet": float("nan"),
                "cell": None,
                "message": "Tệp không phải là bảng tính Excel.",
            }
        ]
    )


def test_file_level_problem_is_worded_as_one_and_the_text_note_as_a_list(tmp_path: Path) -> None:
    plan, period = load_catalog().plan(PLAN), parse_period("2024-07")
    note = tmp_path / layout.feedback_name("D", _sha("D"), "BaoCao_D.xlsx", ".txt")
    note.write_text("KẾT QUẢ KIỂM TRA", encoding="utf-8")
    table = _table([("D", "rejected", "d@x.vn", "BaoCao_D.xlsx")])
    (only,) = plan_reminders(table, plan, period, _file_level("D", "BaoCao_D.xlsx"), tmp_path)
    assert only.attachment == note
    assert only.problems == ["Cả tệp: Tệp không phải là bảng tính Excel."]
    assert "nan" not in only.body and "Trang" not in only.body
    assert f"Tệp kèm theo “{note.name}” (văn bản) liệt kê các lỗi" in only.body
    assert "đánh dấu từng ô cần sửa" not in only.body and "tô màu" not in only.body


def test_annotated_workbook_is_described_as_one(tmp_path: Path) -> None:
    plan, period = load_catalog().plan(PLAN), parse_period("2024-07")
    book = tmp_path / layout.feedback_name("D", _sha("D"), "BaoCao_D.xlsx", ".xlsx")
    book.write_bytes(b"PK")
    table = _table([("D", "rejected", "d@x.vn", "BaoCao_D.xlsx")])
    (only,) = plan_reminders(table, plan, period, _problems("D", 1, "BaoCao_D.xlsx"), tmp_path)
    assert "bản sao báo cáo của đơn vị, trong đó từng ô cần sửa được tô màu" in only.body
    assert "(văn bản)" not in only.body


@pytest.mark.parametrize(
    ("today", "missing_words", "rejected_words"),
    [
        (
            date(2024, 8, 10),
            "(hạn gửi chậm nhất ngày 17/08/2024).\nĐề nghị đơn vị hoàn thành biểu mẫu và gửi báo "
            "cáo chậm nhất ngày 17/08/2024.",
            "Đề nghị đơn vị sửa và gửi lại chậm nhất ngày 17/08/2024.",
        ),
        (
            date(2024, 8, 17),  # the due date itself is still in time
            "(hạn gửi chậm nhất ngày 17/08/2024)",
            "gửi lại chậm nhất ngày 17/08/2024.",
        ),
        (
            date(2024, 8, 18),
            "(đã quá hạn gửi ngày 17/08/2024).\nĐề nghị đơn vị hoàn thành biểu mẫu và gửi báo "
            "cáo sớm nhất có thể.",
            "Đề nghị đơn vị sửa và gửi lại sớm nhất có thể.",
        ),
    ],
)
def test_a_past_due_date_asks_for_the_report_as_soon_as_possible(
    tmp_path: Path, today: date, missing_words: str, rejected_words: str
) -> None:
    plan, period = load_catalog().plan(PLAN), parse_period("2024-07")
    table = _table([("C", "missing", "c@x.vn", None), ("D", "rejected", "d@x.vn", "D.xlsx")])
    missing, rejected = plan_reminders(table, plan, period, _problems("D", 1), tmp_path, today)
    assert missing_words in missing.body
    assert rejected_words in rejected.body
    past = today > date(2024, 8, 17)
    assert "hạn gửi 17/08/2024" not in rejected.body
    assert ("sớm nhất có thể" in rejected.body) is past


@pytest.mark.parametrize(
    ("plan_id", "named"),
    [
        (
            "NA-276-KH-UBND-2021",
            "kết quả thực hiện Kế hoạch 276/KH-UBND triển khai chỉ đạo điểm thực hiện Chương trình",
        ),
        ("ST-KH-30-7-2024", "kết quả thực hiện Kế hoạch triển khai hoạt động hưởng ứng Ngày thế"),
    ],
)
def test_the_plan_is_named_by_number_and_title_not_by_id(
    tmp_path: Path, plan_id: str, named: str
) -> None:
    plan = load_catalog().plan(plan_id)
    period = parse_period("2021-07" if plan_id.startswith("NA") else "2024-07")
    table = _table([("C", "missing", "c@x.vn", None), ("D", "rejected", "d@x.vn", "D.xlsx")])
    for reminder in plan_reminders(table, plan, period, _problems("D", 1), tmp_path):
        assert named in " ".join(reminder.body.split())
        assert plan_id not in reminder.body


def test_a_returned_unit_is_asked_for_its_corrected_report(tmp_path: Path) -> None:
    """A unit whose newest file the office returned is reminded with the return itself, even
    when the last run had accepted that file (returned after the run) or never saw it."""
    catalog = load_catalog()
    plan, period = catalog.plan(PLAN), parse_period("2024-07")
    table = _table(
        [
            ("A", "on_time", "a@x.vn", "a.xlsx"),  # accepted by the run, returned since
            ("B", "returned", "b@x.vn", "b.xlsx"),  # the run recorded the return
            ("C", "missing", "c@x.vn", None),  # returned before any run saw it
            ("E", "on_time", "e@x.vn", "e.xlsx"),  # sent again (folder) after its return
        ]
    )
    table["received_at"] = [
        datetime(2024, 8, 10, 9, tzinfo=TZ),
        datetime(2024, 8, 11, 9, tzinfo=TZ),
        None,
        datetime(2024, 8, 20, 9, tzinfo=TZ),
    ]

    def back(code: str, received: datetime) -> ReturnedReport:
        return ReturnedReport(
            f"BN-202407-00000{code}",
            f"BaoCao_{code}.xlsx",
            "Thiếu số liệu DT01.",
            date(2024, 8, 12),
            received,
        )

    returned = {
        code: back(code, datetime(2024, 8, day, 9, tzinfo=TZ))
        for code, day in (("A", 10), ("B", 11), ("C", 12), ("E", 12))
    }
    reminders = plan_reminders(
        table,
        plan,
        period,
        _problems("Z", 0),
        tmp_path,
        date(2024, 8, 13),
        returned=returned,
        words=catalog.labels.reminders,
    )
    assert [(r.unit_code, r.status) for r in reminders] == [
        ("A", "returned"),
        ("B", "returned"),
        ("C", "returned"),
    ]
    first = reminders[0]
    assert first.subject == "Đề nghị gửi lại báo cáo PCMBN Tháng 7/2024 bị trả lại – Đơn vị A"
    assert first.to == "a@x.vn" and first.attachment is None
    body = " ".join(first.body.split())
    assert body.startswith("Kính gửi: Đơn vị A,")
    assert (
        "Ngày 12/08/2024, Cơ quan Thường trực Ban Chỉ đạo 138 đã trả lại báo cáo tháng 7/2024"
        in (body)
    )
    assert "(tệp “BaoCao_A.xlsx”, số biên nhận BN-202407-00000A)" in body
    assert "Lý do trả lại: Thiếu số liệu DT01." in body
    assert "gửi lại báo cáo chậm nhất ngày 17/08/2024." in body
    with pytest.raises(ValueError, match="words"):
        plan_reminders(table, plan, period, _problems("Z", 0), tmp_path, returned=returned)
