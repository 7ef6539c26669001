"""Issue 16 end to end: the flow `thu-thap-thu-dien-tu` against a real IMAP server (dovecot,
started here on a free loopback port over TLS) and a real SMTP server (aiosmtpd) capturing the
answers; then the monthly run over the collected inbox; then a crash between filing and
flagging, and a rerun that takes nothing twice."""

from __future__ import annotations

import csv
import io
import os
import signal
import socket
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import datetime
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from aiosmtpd.controller import Controller
from cli import run_pcmbn
from imap_server import MISSING, ImapServer, available
from report_fixtures import Fixture, set_value, write_fixture

from pcmbn.catalog import load_catalog
from pcmbn.mailbox.imap import ImapSettings, Mailbox
from pcmbn.settings import PROJECT_ROOT, Settings

PLAN = "ST-KH-30-7-2024"
PERIOD = "2024-07"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CA = "ca.tinh@soc-trang.example.org"
BP_SECOND = "van.thu.bp@soc-trang.example.org"  # BP_TINH's second registry address
STRANGER = "nguoi.la@thu-rac.example.net"

pytestmark = pytest.mark.slow


class Captured:
    """aiosmtpd handler keeping every answer with its envelope recipients."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.original_content, policy=email_policy.default)
        self.received.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpt, m in self.received if address in rcpt]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def imap(monkeypatch: pytest.MonkeyPatch) -> Iterator[ImapServer]:
    if not available():
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(MISSING, pytrace=False)
        pytest.skip(MISSING)
    server = ImapServer()
    try:
        server.start()
        for name, value in server.environment().items():
            monkeypatch.setenv(name, value)
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Captured]:
    captured = Captured()
    port = _free_port()
    controller = Controller(captured, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("PCMBN_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PCMBN_SMTP_PORT", str(port))
    monkeypatch.setenv("PCMBN_SMTP_STARTTLS", "false")
    monkeypatch.setenv("PCMBN_SMTP_FROM", "bcd138@soc-trang.example.org")
    try:
        yield captured
    finally:
        controller.stop()


@pytest.fixture
def catalog_dir(schemas_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The project's catalog, with a second address for BP_TINH (several per unit, `;`)."""
    registry = schemas_copy / "units" / "units-soc-trang-2024.csv"
    text = registry.read_text(encoding="utf-8")
    registry.write_text(
        text.replace(
            "bp.tinh@soc-trang.example.org,", f'"bp.tinh@soc-trang.example.org; {BP_SECOND}",'
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("PCMBN_SCHEMAS", str(schemas_copy))
    return schemas_copy


def _workbook(tmp: Path, name: str, unit: str, *edits: Any) -> bytes:
    catalog = load_catalog()

    def edit(content: Any) -> None:
        for one in edits:
            one(content)

    folder = tmp / name
    folder.mkdir(parents=True, exist_ok=True)
    path = write_fixture(Fixture(name, unit=unit, edit=edit), folder, catalog)
    return path.read_bytes()


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _message(
    sender: str,
    received: datetime,
    number: int,
    files: dict[str, bytes] | None = None,
    subject: str = "Báo cáo PCMBN tháng 7/2024",
    extra: dict[str, str] | None = None,
) -> bytes:
    """A message as the office's server stores it: its `Received:` line on top (the time it
    arrived), the unit's own `Date:` a day off (a wrong clock must not matter)."""
    msg = EmailMessage()
    msg["From"] = f"Văn thư <{sender}>"
    msg["To"] = "bcd138@soc-trang.example.org"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(received.replace(day=received.day - 1))
    msg["Message-ID"] = f"<thu-{number}@don-vi.example.org>"
    for name, value in (extra or {}).items():
        msg[name] = value
    msg.set_content("Kính gửi Cơ quan Thường trực, đơn vị gửi báo cáo kèm theo.")
    for name, data in (files or {}).items():
        kind = ("application", "zip") if name.endswith(".zip") else ("application", "octet-stream")
        msg.add_attachment(data, maintype=kind[0], subtype=kind[1], filename=name)
    stamp = format_datetime(received)
    return (
        f"Received: from mail.don-vi.example.org by mail.soc-trang.example.org with ESMTPS "
        f"id {number}; {stamp}\r\n"
    ).encode() + msg.as_bytes()


def _reception_rows(home: Path) -> list[dict[str, str]]:
    log = home / "inbox" / PLAN / PERIOD / "received.csv"
    if not log.exists():
        return []
    with log.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _unseen() -> list[str]:
    with Mailbox(ImapSettings.from_settings(Settings.from_env())) as box:
        return box.unseen()


def _held(home: Path) -> list[Any]:
    from pcmbn import submissions
    from pcmbn.resources import resources_for

    return submissions.held_items(resources_for(Settings.from_env()))


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def test_the_mailbox_is_collected_answered_and_counted_by_received_time(
    prefect_harness: None,
    imap: ImapServer,
    smtp: Captured,
    catalog_dir: Path,
    tmp_path: Path,
) -> None:
    from flows.mail_intake import mail_intake
    from flows.monthly_aggregation import monthly_aggregation

    home = Path(os.environ["PCMBN_HOME"])
    rejected = _workbook(tmp_path, "BaoCao_CA_TINH", "CA_TINH", set_value("TT01", -3))
    corrected = _workbook(tmp_path, "BaoCao_CA_TINH_sua", "CA_TINH", set_value("DT01", 3))
    border = _workbook(tmp_path, "BaoCao_BP_TINH", "BP_TINH", set_value("DT01", 5))
    bundle = _zip({"BaoCao_BP_TINH.xlsx": border, "ghi-chu.txt": b"xin gui"})
    on_time = datetime(2024, 7, 16, 9, 0, tzinfo=TZ)  # due 17/07/2024
    fixed = datetime(2024, 7, 16, 15, 30, tzinfo=TZ)
    late = datetime(2024, 7, 20, 8, 30, tzinfo=TZ)
    imap.deliver(_message(CA, on_time, 1, {"BaoCao_CA_TINH.xlsx": rejected}))
    imap.deliver(_message(CA, fixed, 2, {"BaoCao_CA_TINH_sua.xlsx": corrected}))
    imap.deliver(_message(BP_SECOND, late, 3, {"BaoCao_BP.zip": bundle}))
    imap.deliver(_message(BP_SECOND, late.replace(hour=9), 4, {"BaoCao_BP.zip": bundle}))
    imap.deliver(_message(STRANGER, on_time, 5, {"BaoCao.xlsx": corrected}))
    imap.deliver(_message(CA, on_time.replace(hour=10), 6, {"BaoCao_BP_TINH.xlsx": border}))
    imap.deliver(_message(BP_SECOND, late, 7, {"BaoCao.pdf": b"%PDF-1.4 ..."}))
    imap.deliver(
        _message(
            CA,
            on_time,
            8,
            {"BaoCao_CA_TINH.xlsx": corrected},
            subject="Trả lời tự động: vắng mặt",
            extra={"Auto-Submitted": "auto-replied"},
        )
    )

    summary = mail_intake(plan=PLAN)

    assert summary["messages"] == 8 and summary["automatic"] == 1
    rows = _reception_rows(home)
    assert [(r["unit_code"], r["sender"], r["channel"]) for r in rows] == [
        ("CA_TINH", CA, "email"),
        ("CA_TINH", CA, "email"),
        ("BP_TINH", BP_SECOND, "email"),
    ]
    assert [datetime.fromisoformat(r["received_at"]) for r in rows] == [on_time, fixed, late]
    inbox = home / "inbox" / PLAN / PERIOD
    stored = [(inbox / r["file"]).read_bytes() for r in rows]
    assert stored == [rejected, corrected, border]
    held = {h.reason: h for h in _held(home)}
    assert set(held) == {"unknown_sender", "unit_mismatch"}
    assert held["unknown_sender"].sender == STRANGER
    mismatch = held["unit_mismatch"].message
    assert "BP_TINH" in mismatch and "CA_TINH" in mismatch
    assert "Bộ Chỉ huy Bộ đội Biên phòng tỉnh" in mismatch and "Công an tỉnh" in mismatch

    # Answers: three to the police (rejected, accepted, mismatch), three to the border guard's
    # second address (received from a zip, duplicate, no workbook); none to the stranger or to
    # the auto-reply.
    assert smtp.to(STRANGER) == []
    to_ca, to_bp = smtp.to(CA), smtp.to(BP_SECOND)
    assert len(to_ca) == 3 and len(to_bp) == 3, [m["Subject"] for _, m in smtp.received]
    for _, message in smtp.received:
        assert message["Auto-Submitted"] == "auto-replied" and message["X-PCMBN-Reply"] == "1"
    first = to_ca[0]
    assert first["In-Reply-To"] == "<thu-1@don-vi.example.org>"
    assert "Biên nhận báo cáo PCMBN BN-" in first["Subject"]
    text = _body(first)
    assert "Kính gửi: Công an tỉnh," in text
    assert "lúc 16/07/2024 09:00" in text and "chưa đạt yêu cầu" in text
    assert "Trang “ChiTieu”, ô " in text
    attached = [p for p in first.iter_attachments()]
    assert len(attached) == 1 and attached[0].get_filename().endswith("_KiemTra.xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(attached[0].get_content()))
    assert "LoiKiemTra" in workbook.sheetnames
    assert "Kết quả kiểm tra: đạt yêu cầu" in _body(to_ca[1])
    assert "chưa tiếp nhận" in _body(to_ca[2]) and "BP_TINH" in _body(to_ca[2])
    zipped = _body(to_bp[0])
    assert "Kính gửi: Bộ Chỉ huy Bộ đội Biên phòng tỉnh," in zipped
    assert "Tệp “BaoCao_BP_TINH.xlsx”: đã tiếp nhận" in zipped and "ghi-chu.txt" in zipped
    assert "đã được tiếp nhận trước đó" in _body(to_bp[1])
    polite = _body(to_bp[2])
    assert "Thư không kèm báo cáo nào hệ thống tiếp nhận được" in polite
    assert ".xlsx, .xlsm, .xls, .ods" in polite and ".zip" in polite
    assert _unseen() == []

    # A second pass finds nothing new: no receipt, no answer.
    again = mail_intake(plan=PLAN)
    assert again["messages"] == 0 and len(_reception_rows(home)) == 3
    assert len(smtp.received) == 6

    # The monthly run over the collected inbox: lateness by the message's received time.
    document = monthly_aggregation(plan=PLAN, period=PERIOD)
    assert document["completeness"]["CA_TINH"] == "on_time"
    assert document["completeness"]["BP_TINH"] == "late"
    assert document["totals"]["DT01"]["period"] == 3 + 5


def _collect_in_a_process(crash: bool) -> subprocess.CompletedProcess[str]:
    """One pass in a fresh interpreter (the code the task runs), optionally killed at the
    `mail` crash point, between filing the message's files and flagging it."""
    env = dict(os.environ)
    env.pop("PCMBN_CRASH_AT", None)
    if crash:
        env["PCMBN_CRASH_AT"] = "mail"
    code = (
        "from pcmbn.mailbox.collect import collect_mailbox\n"
        "from pcmbn.resources import resources_for\n"
        "from pcmbn.settings import Settings\n"
        f"print(collect_mailbox(resources_for(Settings.from_env()), {PLAN!r}).to_json())\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_crash_between_filing_and_flagging_takes_nothing_twice(
    imap: ImapServer, smtp: Captured, catalog_dir: Path, tmp_path: Path
) -> None:
    home = Path(os.environ["PCMBN_HOME"])
    report = _workbook(tmp_path, "BaoCao_CA_TINH", "CA_TINH", set_value("DT01", 3))
    imap.deliver(_message(CA, datetime(2024, 7, 16, 9, 0, tzinfo=TZ), 1, {"BaoCao.xlsx": report}))

    crashed = _collect_in_a_process(crash=True)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    assert len(_reception_rows(home)) == 1  # filed before the crash ...
    assert smtp.received == [] and len(_unseen()) == 1  # ... neither answered nor flagged

    rerun = _collect_in_a_process(crash=False)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert len(_reception_rows(home)) == 1  # not filed twice
    assert len(smtp.to(CA)) == 1 and _unseen() == []
    assert "đã tiếp nhận, số biên nhận" in _body(smtp.to(CA)[0])

    third = _collect_in_a_process(crash=False)
    assert third.returncode == 0 and len(_reception_rows(home)) == 1 and len(smtp.received) == 1

    # The officer's "collect now": `pcmbn mail` (in-process here), the same pass and a summary.
    later = _workbook(tmp_path, "BaoCao_CA_TINH_2", "CA_TINH", set_value("DT01", 4))
    imap.deliver(_message(CA, datetime(2024, 7, 17, 9, 0, tzinfo=TZ), 2, {"Sua.xlsx": later}))
    typed = run_pcmbn(home, "mail", "--plan", PLAN, env={"PCMBN_USE_SERVICE": "false"})
    assert typed.returncode == 0, typed.stderr[-2000:]
    said = " ".join(typed.stdout.split())
    assert "1 thư mới; tiếp nhận 1 tệp" in said and "đã trả lời 1 thư" in said, said
    assert len(_reception_rows(home)) == 2 and _unseen() == []


def test_a_mail_server_out_of_reach_leaves_the_message_for_a_later_answer(
    imap: ImapServer, smtp: Captured, catalog_dir: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The answer is part of the job: while SMTP is down the message stays unseen (its file
    filed once), and the pass after the server is back answers it, once."""
    from pcmbn.mailbox.collect import collect_mailbox
    from pcmbn.resources import resources_for

    home = Path(os.environ["PCMBN_HOME"])
    report = _workbook(tmp_path, "BaoCao_CA_TINH", "CA_TINH", set_value("DT01", 3))
    imap.deliver(_message(CA, datetime(2024, 7, 16, 9, 0, tzinfo=TZ), 1, {"BaoCao.xlsx": report}))
    working_port = os.environ["PCMBN_SMTP_PORT"]
    monkeypatch.setenv("PCMBN_SMTP_PORT", str(_free_port()))  # nobody listens there
    down = collect_mailbox(resources_for(Settings.from_env()), PLAN)
    assert down.answered == 0 and len(_reception_rows(home)) == 1 and len(_unseen()) == 1
    monkeypatch.setenv("PCMBN_SMTP_PORT", working_port)
    back = collect_mailbox(resources_for(Settings.from_env()), PLAN)
    assert back.answered == 1 and len(_reception_rows(home)) == 1 and _unseen() == []
    assert len(smtp.to(CA)) == 1
