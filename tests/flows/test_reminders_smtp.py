"""Reminders through a real SMTP server on 127.0.0.1 (aiosmtpd, started and stopped here)."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from report_fixtures import Fixture, set_value, write_fixture

from flows.monthly_aggregation import monthly_aggregation
from flows.reminders import unit_reminders
from pcmbn.catalog import load_catalog
from pcmbn.periods import parse_period
from pcmbn.reminders import Reminder, SmtpSettings, send_all
from pcmbn.settings import Settings, store_path
from pcmbn.store.history import HistoryStore

PLAN = "ST-KH-30-7-2024"
PERIOD = "2024-08"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
USER, PASSWORD = "bcd138", "mật-khẩu-thử"


class Inbox:
    """aiosmtpd handler keeping every message it receives, with its envelope recipients."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.original_content, policy=email_policy.default)
        self.received.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=_authenticator,
        auth_require_tls=False,  # loopback only; production uses STARTTLS
    )
    controller.start()
    monkeypatch.setenv("PCMBN_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PCMBN_SMTP_PORT", str(port))
    monkeypatch.setenv("PCMBN_SMTP_STARTTLS", "false")
    monkeypatch.setenv("PCMBN_SMTP_USER", USER)
    monkeypatch.setenv("PCMBN_SMTP_PASSWORD", PASSWORD)
    monkeypatch.setenv("PCMBN_SMTP_FROM", "thuongtruc138@soc-trang.example.org")
    try:
        yield inbox
    finally:
        controller.stop()


def _send_reports(inbox: Path) -> None:
    """CA_TINH sends a valid report; BP_TINH one with a negative count (rejected)."""
    catalog = load_catalog()
    good = write_fixture(Fixture("BaoCao_CA_TINH", unit="CA_TINH", period=PERIOD), inbox, catalog)
    bad = write_fixture(
        Fixture("BaoCao_BP_TINH", unit="BP_TINH", period=PERIOD, edit=set_value("TT01", -3)),
        inbox,
        catalog,
    )
    with (inbox / "received.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "received_at", "unit_code"])
        for path, unit in ((good, "CA_TINH"), (bad, "BP_TINH")):
            writer.writerow([path.name, datetime(2024, 8, 16, 9, tzinfo=TZ).isoformat(), unit])


def _pcmbn(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pcmbn", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )


@pytest.mark.slow
def test_remind_dry_run_then_send(
    prefect_harness: None, smtp_server: Inbox, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _send_reports(inbox)
    monthly_aggregation(plan=PLAN, period=PERIOD, inbox=str(inbox))
    catalog = load_catalog()
    plan = catalog.plan(PLAN)
    expected = {u.code: u for u in catalog.expected_units(plan, parse_period(PERIOD))}
    to_remind = {code for code in expected if code != "CA_TINH"}

    dry = _pcmbn("remind", "--plan", PLAN, "--period", PERIOD)
    assert dry.returncode == 0, dry.stderr[-2000:]
    assert smtp_server.received == []  # a dry run sends nothing
    bad = inbox / "BaoCao_BP_TINH.xlsx"  # its feedback is named after the submission (19.5)
    feedback = (
        f"BP_TINH_{hashlib.sha256(bad.read_bytes()).hexdigest()[:12]}_BaoCao_BP_TINH_KiemTra.xlsx"
    )
    assert "Chế độ xem trước" in dry.stdout and feedback in dry.stdout

    sent = _pcmbn("remind", "--plan", PLAN, "--period", PERIOD, "--send")
    assert sent.returncode == 0, sent.stderr[-2000:]
    by_recipient = {rcpt[0]: message for rcpt, message in smtp_server.received}
    assert set(by_recipient) == {expected[code].email for code in to_remind}
    assert all(len(rcpt) == 1 for rcpt, _ in smtp_server.received)

    rejected = by_recipient[expected["BP_TINH"].email]
    assert rejected["Subject"] == (
        f"Báo cáo PCMBN Tháng 8/2024 chưa đạt yêu cầu – {expected['BP_TINH'].name}"
    )
    body = rejected.get_body(("plain",)).get_content()
    assert body.startswith(f"Kính gửi: {expected['BP_TINH'].name},")
    assert "TT01" in body or "ChiTieu" in body  # names where the error is
    (attachment,) = list(rejected.iter_attachments())
    assert attachment.get_filename() == feedback
    workbook = openpyxl.load_workbook(io.BytesIO(attachment.get_content()))
    assert "ChiTieu" in workbook.sheetnames

    missing_unit = sorted(to_remind - {"BP_TINH"})[0]
    missing = by_recipient[expected[missing_unit].email]
    assert missing["Subject"] == (
        f"Nhắc gửi báo cáo PCMBN Tháng 8/2024 – {expected[missing_unit].name}"
    )
    assert "chưa nhận được báo cáo" in missing.get_body(("plain",)).get_content()
    assert list(missing.iter_attachments()) == []

    audit = HistoryStore(store_path()).audit_log(PLAN, PERIOD)
    reminded = audit[audit["action"] == "remind"]
    assert len(reminded) == len(to_remind)
    assert all("đã gửi" in d for d in reminded["detail"])

    # The scheduled flow sends the same reminders through the same server, audited again.
    results = unit_reminders(plan=PLAN, period=PERIOD, send=True, refresh=False)
    assert sum(r["sent"] for r in results) == len(to_remind)
    assert len(smtp_server.received) == 2 * len(to_remind)

    # The audit trail as the data officer reads it, after an approval from the command line.
    approved = _pcmbn("approve", "--plan", PLAN, "--period", PERIOD, "--note", "Gửi BCĐ 138")
    assert approved.returncode == 0, approved.stderr[-2000:]
    log = _pcmbn("log", "--plan", PLAN, "--period", PERIOD)
    assert log.returncode == 0, log.stderr[-2000:]
    for action in ("Tổng hợp", "Nhắc nhở", "Phê duyệt", "Gửi BCĐ 138"):
        assert action in log.stdout


@pytest.mark.slow
def test_wrong_password_fails_every_reminder_with_one_line(
    smtp_server: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PCMBN_SMTP_PASSWORD", "sai")
    reminders = [Reminder("CA_TINH", "Công an tỉnh", "missing", "ca@x.vn", "Nhắc", "Kính gửi")]
    (delivery,) = send_all(reminders, SmtpSettings.from_settings(Settings.from_env()))
    assert not delivery.sent and "sai tên đăng nhập hoặc mật khẩu" in (delivery.error or "")
    assert smtp_server.received == []


def _email(stdout: str, unit: str) -> str:
    """One previewed email: the lines between its rule ("── UNIT → address ──") and the next
    rule, without the attachment's path (which holds the plan id as a folder name)."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if f" {unit} → " in line)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("─")), len(lines))
    return "\n".join(line for line in lines[start + 1 : end] if "Tệp đính kèm:" not in line)


@pytest.mark.slow
def test_remind_preview_words_an_unreadable_file_as_the_unit_can_act_on_it(
    prefect_harness: None, tmp_path: Path
) -> None:
    """Issue 12.14, as `pcmbn remind` shows it: BP_TINH sent a PDF renamed .xlsx. The email
    says the whole file is wrong (never "Trang “nan”, ô nan"), describes the attached text
    list as one, asks for the resend "sớm nhất có thể" (08/2024 is long past) and names the
    plan by its title, not its id."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "BaoCao_BP_TINH.xlsx").write_bytes(b"%PDF-1.4\n%%EOF\n")
    with (inbox / "received.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "received_at", "unit_code"])
        writer.writerow(
            ["BaoCao_BP_TINH.xlsx", datetime(2024, 8, 16, 9, tzinfo=TZ).isoformat(), "BP_TINH"]
        )
    monthly_aggregation(plan=PLAN, period=PERIOD, inbox=str(inbox))
    dry = _pcmbn("remind", "--plan", PLAN, "--period", PERIOD)
    assert dry.returncode == 0, dry.stderr[-2000:]
    text = _email(dry.stdout, "BP_TINH")
    body = " ".join(text.split())
    assert "nan" not in body.replace("nhận", "").lower().split()
    assert "Trang “nan”" not in body and "ô nan" not in body
    assert "- Cả tệp: " in text
    assert "(văn bản) liệt kê các lỗi của tệp" in body
    assert "đánh dấu từng ô cần sửa" not in body
    assert "Đề nghị đơn vị sửa và gửi lại sớm nhất có thể." in body
    assert "hạn gửi 1" not in body  # no past date offered as a deadline
    assert "Kế hoạch triển khai hoạt động hưởng ứng Ngày thế giới phòng, chống" in body
    assert PLAN not in body
    missing = _email(dry.stdout, "CA_TINH")
    assert "gửi báo cáo sớm nhất có thể." in " ".join(missing.split())
