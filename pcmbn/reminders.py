"""Reminders by email to units that have not reported, whose report was rejected, or whose
report the office returned ("bị trả lại", `pcmbn.submissions.return_submission`).

The standing office phones every missing unit today; DHIS2 users rely on automatic reminders.
Composing is pure (`plan_reminders`, `compose`); sending is one small function over `smtplib`
(`send_all`), reached through the `Mailer` that `pcmbn.resources` hands out: host, port and
STARTTLS from `Settings`, credentials from `Settings` or a Prefect Secret block, never from a
file in the repository.
"""

from __future__ import annotations

import base64
import json
import logging
import smtplib
import ssl
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from pcmbn.catalog import Catalog
from pcmbn.clock import today_in_vietnam
from pcmbn.domain import Plan, ReminderWords
from pcmbn.errors import PcmbnError
from pcmbn.layout import feedback_name
from pcmbn.monthly import TO_REMIND, completeness
from pcmbn.office.times import naive
from pcmbn.periods import (
    Period,
    deadline_vi,
    due_date,
    format_date_vi,
    last_closed_month,
    resend_by_vi,
)
from pcmbn.settings import Settings
from pcmbn.store.history import HistoryStore
from pcmbn.validation.feedback import PROBLEM_SHEET
from pcmbn.vocabulary import AuditAction, Completeness, ReceiptStatus, Severity

if TYPE_CHECKING:
    from pcmbn.submissions.model import Receipt

log = logging.getLogger(__name__)

#: At most this many problems are quoted in a rejection email; the attachment holds them all.
QUOTED_PROBLEMS = 5
#: Reminders go out on the due date and two days after it (days after the due date).
REMINDER_OFFSETS_DAYS = (0, 2)
XLSX_SUBTYPE = "vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SIGNATURE = (
    "\n\nTrân trọng,\nCơ quan Thường trực Ban Chỉ đạo 138\n"
    "(Thư do hệ thống tổng hợp báo cáo PCMBN gửi tự động.)"
)


@dataclass(frozen=True)
class SmtpSettings:
    """Where reminders go out (`from_settings`)."""

    host: str
    port: int = 587
    starttls: bool = True
    username: str | None = None
    password: str | None = None
    sender: str = "bcd138@localhost"
    sender_name: str = "Cơ quan Thường trực Ban Chỉ đạo 138"
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpSettings:
        """The mail server of `settings` (its `PCMBN_SMTP_*` variables, README table).

        Credentials are `PCMBN_SMTP_USER` and `PCMBN_SMTP_PASSWORD`, or `PCMBN_SMTP_SECRET`: the
        name of a Prefect Secret block holding the password, or JSON `{"username": ...,
        "password": ...}`; the block is read here, when mail is about to be sent.
        """
        if not settings.smtp_host:
            raise PcmbnError(
                "Chưa cấu hình máy chủ thư (PCMBN_SMTP_HOST) nên không gửi được thư nhắc; "
                "bỏ --send để xem trước các thư."
            )
        username = settings.smtp_user
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        if settings.smtp_secret:
            username, password = _from_secret_block(settings.smtp_secret, username)
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            starttls=settings.smtp_starttls,
            username=username,
            password=password or None,
            sender=settings.smtp_from,
            sender_name=settings.smtp_from_name,
        )


def _from_secret_block(name: str, username: str | None) -> tuple[str | None, str | None]:
    """Credentials kept in Prefect (`prefect block create secret`), never in the repository."""
    return secret_credentials(name, username, "PCMBN_SMTP_SECRET", "mật khẩu thư")


def secret_credentials(
    name: str, username: str | None, variable: str, what: str
) -> tuple[str | None, str | None]:
    """(username, password) from the Prefect Secret block `name`: a bare password, or JSON
    `{"username": ..., "password": ...}`; `variable` and `what` name it in the error line
    (the mail server's and the mailbox's blocks share this reading)."""
    from prefect.blocks.system import Secret

    try:
        value = Secret.load(name).get()
    except Exception as exc:  # noqa: BLE001 - any failure to reach or find the block
        log.warning("cannot load Prefect Secret block %r: %r", name, exc)
        raise PcmbnError(
            f"Không đọc được khối bí mật Prefect “{name}” ({variable}) chứa {what}."
        ) from exc
    if isinstance(value, dict):
        return value.get("username", username), value.get("password")
    text = str(value)
    try:
        parsed = json.loads(text)
    except ValueError:
        return username, text
    if isinstance(parsed, dict):
        return parsed.get("username", username), parsed.get("password")
    return username, text


@dataclass
class Reminder:
    """One email to one unit; `attachment` is the annotated feedback file of a rejection."""

    unit_code: str
    unit_name: str
    status: Completeness  # MISSING, REJECTED or RETURNED
    to: str | None
    subject: str
    body: str
    attachment: Path | None = None
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReturnedReport:
    """A unit's newest delivery of the period, which the office returned: what the unit's
    reminder quotes (`returned_reports`)."""

    receipt_id: str
    file_name: str
    reason: str
    returned_on: date  # office calendar
    received_at: datetime  # when the returned file was received (aware)


def returned_reports(
    store: HistoryStore, plan_id: str, period: Period
) -> dict[str, ReturnedReport]:
    """Units whose newest receipt of the period is returned, by unit code.

    The same reading as the officer's desk (`submissions.desk_matrix`): the newest receipt of
    each unit decides, so a unit that has sent a new file since its return is not listed, and a
    return made after the last run counts at once (the run has not recorded it yet)."""
    from pcmbn.clock import OFFICE_TZ

    return {
        code: ReturnedReport(
            receipt_id=receipt.id,
            file_name=receipt.original_name,
            reason=receipt.return_reason or "",
            returned_on=(receipt.returned_at or receipt.received_at).astimezone(OFFICE_TZ).date(),
            received_at=receipt.received_at,
        )
        for code, receipt in _newest_receipts(store, plan_id, period).items()
        if receipt.status == ReceiptStatus.RETURNED
    }


def _newest_receipts(store: HistoryStore, plan_id: str, period: Period) -> dict[str, Receipt]:
    """Each unit's newest receipt of the period (the one that decides), by unit code."""
    from pcmbn.submissions.model import Receipt, rows_of

    newest: dict[str, Receipt] = {}
    for row in rows_of(store.receipts(plan_id=plan_id, period=period.code)):  # newest first
        receipt = Receipt.from_row(row)
        newest.setdefault(receipt.unit_code, receipt)
    return newest


def awaiting_run(store: HistoryStore, plan_id: str, period: Period) -> dict[str, str]:
    """Units whose newest receipt of the period no run has recorded yet: receipt id by unit.

    They have sent a report (portal, mail or a copy into the inbox with a receipt) that the
    next `pcmbn run` will judge; until then a reminder would tell them, wrongly, that nothing
    arrived or that their older file is still what counts. Known by the file's bytes, like
    the officer's desk ("Đã gửi"), not by times: a mailed file keeps the message's time."""
    newest = _newest_receipts(store, plan_id, period)
    pending = {u: r for u, r in newest.items() if r.status == ReceiptStatus.RECEIVED}
    seen = store.known([r.sha256 for r in pending.values()])
    return {u: r.id for u, r in pending.items() if r.sha256 not in seen}


def plan_reminders(
    table: pd.DataFrame,
    plan: Plan,
    period: Period,
    problems: pd.DataFrame,
    feedback_dir: Path,
    today: date | None = None,
    *,
    returned: Mapping[str, ReturnedReport] | None = None,
    words: ReminderWords | None = None,
) -> list[Reminder]:
    """A reminder for every missing, rejected or returned unit of the completeness `table`.

    `returned` (`returned_reports`) names the units whose newest delivery the office returned;
    each gets a reminder that names the return, its reason and date and asks for the corrected
    report (`words`: `labels.yaml` `reminders`), whatever the last run decided of that file,
    unless the table knows of a file of the unit received after the returned one.

    `problems` holds the problems of each unit's newest rejected submission (`unit_code`,
    `sha256`, `original_name`, `severity`, `sheet`, `cell`, `message`, as
    `Store.rejection_problems` gives them); a rejection quotes the first few errors and attaches
    the feedback file the monthly run wrote for that very submission, when it exists.

    The words follow what the unit can do (issue 12.14): the plan is named by its number and
    title; a due date already past (`today`, office calendar) asks for the report "sớm nhất có
    thể"; a problem of the whole file is said to be one; the attachment is described as what it
    is (the unit's annotated workbook, or a text list when the file could not be opened).
    """
    today = today or today_in_vietnam()
    returned = returned or {}
    if returned and words is None:
        raise ValueError("returned reports need the reminders' words (labels.yaml `reminders`)")
    reminders = []
    plan_name = plan.document_title
    for row in table.itertuples():
        back = returned.get(row.unit_code)
        if back is not None and _sent_since(row, back):
            back = None  # a later file of the unit is what the run judged
        if back is None and row.status not in TO_REMIND:
            continue
        due = pd.Timestamp(row.due_date).date()  # a date, or a Timestamp from a frame
        email = row.email if isinstance(row.email, str) and row.email.strip() else None
        greeting = f"Kính gửi: {row.unit_name},"
        if back is not None:
            assert words is not None
            reminders.append(_returned_reminder(row, back, plan, period, due, today, words))
            continue
        if row.status == Completeness.MISSING:
            subject = f"Nhắc gửi báo cáo PCMBN {period.label_vi} – {row.unit_name}"
            body = (
                f"{greeting}\n\nĐến nay Cơ quan Thường trực Ban Chỉ đạo 138 chưa nhận được báo "
                f"cáo {period.in_sentence} của đơn vị về kết quả thực hiện {plan_name} "
                f"({_due_clause(due, today)}).\nĐề nghị đơn vị hoàn thành biểu mẫu và gửi báo "
                f"cáo {resend_by_vi(due, today)}." + SIGNATURE
            )
            reminders.append(
                Reminder(row.unit_code, row.unit_name, row.status, email, subject, body)
            )
            continue
        mine = problems[problems["unit_code"] == row.unit_code] if not problems.empty else problems
        errors = mine[mine["severity"] == Severity.ERROR] if not mine.empty else mine
        quoted = [
            f"- {where_vi(p.sheet, p.cell)}{p.message}"
            for p in errors.head(QUOTED_PROBLEMS).itertuples()
        ]
        more = len(errors) - len(quoted)
        if more > 0:
            quoted.append(f"- … và {more} lỗi khác (xem tệp kèm theo).")
        attachment = _feedback_file(feedback_dir, row.unit_code, mine)
        subject = f"Báo cáo PCMBN {period.label_vi} chưa đạt yêu cầu – {row.unit_name}"
        body = (
            f"{greeting}\n\nBáo cáo {period.in_sentence} của đơn vị về kết quả thực hiện "
            f"{plan_name} (tệp “{row.file_name}”) chưa được tiếp nhận vì còn lỗi:\n"
            + "\n".join(quoted or ["- (xem tệp kèm theo)"])
            + "\n\n"
            + (_attachment_sentence(attachment) if attachment else "")
            + f"Đề nghị đơn vị sửa và gửi lại {resend_by_vi(due, today)}."
            + SIGNATURE
        )
        reminders.append(
            Reminder(
                row.unit_code,
                row.unit_name,
                row.status,
                email,
                subject,
                body,
                attachment,
                [line[2:] for line in quoted],
            )
        )
    return reminders


def _sent_since(row: Any, back: ReturnedReport) -> bool:
    """True when the completeness row is about a file received after the returned one (sent
    another way since, and already judged by a run: its own status stands)."""
    received = getattr(row, "received_at", None)
    if received is None or pd.isna(received) or row.status == Completeness.RETURNED:
        return False
    return naive(pd.Timestamp(received).to_pydatetime()) > naive(back.received_at)


def _returned_reminder(
    row: Any,
    back: ReturnedReport,
    plan: Plan,
    period: Period,
    due: date,
    today: date,
    words: ReminderWords,
) -> Reminder:
    """The reminder of a returned report: the return, its reason and date, and the request
    for the corrected report."""
    unit_code, unit_name, email = str(row.unit_code), str(row.unit_name), row.email
    subject = words.returned_subject.format(
        period=period.label_vi, unit_name=unit_name, receipt=back.receipt_id
    )
    body = words.returned_body.format(
        unit_name=unit_name,
        period=period.in_sentence,
        plan=plan.document_title,
        file=back.file_name,
        receipt=back.receipt_id,
        returned_on=format_date_vi(back.returned_on),
        reason=back.reason,
        resend_by=resend_by_vi(due, today),
    )
    return Reminder(
        unit_code,
        unit_name,
        Completeness.RETURNED,
        email if isinstance(email, str) and email.strip() else None,
        subject,
        body + SIGNATURE,
        problems=[back.reason] if back.reason else [],
    )


def _due_clause(due: date, today: date) -> str:
    """ "hạn gửi chậm nhất ngày 17/08/2024", or "đã quá hạn gửi ngày 17/08/2024"."""
    if today <= due:
        return f"hạn gửi {deadline_vi(due)}"
    return f"đã quá hạn gửi ngày {format_date_vi(due)}"


def where_vi(sheet: object, cell: object) -> str:
    """Where a problem is, as the clerk finds it: "Trang “ChiTieu”, ô D10: ", "Trang
    “ChiTieu”: ", or "Cả tệp: " for a problem of the whole file (unreadable, no sheet, no
    cell: the store gives NaN there, which must never be printed as “nan”)."""
    sheet_name = sheet if isinstance(sheet, str) and sheet.strip() else None
    address = cell if isinstance(cell, str) and cell.strip() else None
    if sheet_name and address:
        return f"Trang “{sheet_name}”, ô {address}: "
    if sheet_name:
        return f"Trang “{sheet_name}”: "
    if address:
        return f"Ô {address}: "
    return "Cả tệp: "


def _attachment_sentence(attachment: Path) -> str:
    """What the attached feedback file is: the unit's own workbook with each cell to fix marked
    (`.xlsx`), or a plain list of the problems for a file that could not be opened (`.txt`)."""
    if attachment.suffix.lower() == ".xlsx":
        return (
            f"Tệp kèm theo “{attachment.name}” là bản sao báo cáo của đơn vị, trong đó từng ô "
            f"cần sửa được tô màu và ghi chú; trang “{PROBLEM_SHEET}” liệt kê mọi lỗi. "
        )
    return (
        f"Tệp kèm theo “{attachment.name}” (văn bản) liệt kê các lỗi của tệp; hệ thống không mở "
        "được tệp nên không đánh dấu được từng ô. "
    )


def _feedback_file(feedback_dir: Path, unit_code: str, mine: pd.DataFrame) -> Path | None:
    """The monthly run's feedback file of the unit's newest rejected submission: its annotated
    `.xlsx` (or `.txt` for a file it could not open).

    Found by submission (the unit it is filed under and its sha256, `layout.feedback_name`),
    never by the file's name alone: a unit that sent `BaoCao.xlsx` like another gets its own
    workbook, never the other's. No sha256 known, no attachment.
    """
    if mine.empty or "sha256" not in mine.columns:
        return None
    first = mine.iloc[0]
    sha256, name = first["sha256"], first.get("original_name")
    if not isinstance(sha256, str) or not sha256:
        return None
    original = name if isinstance(name, str) else ""
    for suffix in (".xlsx", ".txt"):
        candidate = feedback_dir / feedback_name(unit_code, sha256, original, suffix)
        if candidate.is_file():
            return candidate
    return None


def compose(reminder: Reminder, settings: SmtpSettings) -> Message:
    """A MIME message that every mail client shows with its Vietnamese intact.

    Built with `email.header.Header` rather than `EmailMessage`: the latter's header folder
    (Python 3.11–3.13) drops the space at a fold between encoded words, so a long Vietnamese
    subject arrives as "chưa đạtyêu cầu". The body is UTF-8 in base64 (7-bit safe on any relay).
    """
    if not reminder.to:
        raise PcmbnError(f"Đơn vị {reminder.unit_code} chưa có địa chỉ thư trong danh mục.")
    text = MIMEText(reminder.body, "plain", "utf-8")
    message: Message
    if reminder.attachment is None:
        message = text
    else:
        message = MIMEMultipart()
        message.attach(text)
        if reminder.attachment.suffix == ".xlsx":
            part: Message = MIMEApplication(reminder.attachment.read_bytes(), XLSX_SUBTYPE)
        else:
            part = MIMEText(reminder.attachment.read_text(encoding="utf-8"), "plain", "utf-8")
        part.add_header(
            "Content-Disposition", "attachment", filename=("utf-8", "", reminder.attachment.name)
        )
        message.attach(part)
    message["From"] = formataddr((settings.sender_name, settings.sender), charset="utf-8")
    # A registry `email` may list several addresses (`Unit.addresses`): each one a recipient.
    addresses = [a.strip() for a in reminder.to.replace(",", ";").split(";") if a.strip()]
    message["To"] = ", ".join(
        formataddr((reminder.unit_name, address), charset="utf-8") for address in addresses
    )
    message["Subject"] = Header(reminder.subject, "utf-8")
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    return message


def _login(smtp: smtplib.SMTP, username: str, password: str) -> None:
    """`smtplib.login`, except for non-ASCII credentials (a Vietnamese password, say).

    smtplib encodes credentials as ASCII and fails on anything else; RFC 4616 AUTH PLAIN is
    UTF-8, so such credentials are sent that way.
    """
    if (username + password).isascii():
        smtp.login(username, password)
        return
    smtp.ehlo_or_helo_if_needed()
    token = base64.b64encode(f"\0{username}\0{password}".encode()).decode("ascii")
    code, response = smtp.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, response)


def open_smtp(settings: SmtpSettings) -> smtplib.SMTP:
    """A logged-in session with the mail server (STARTTLS first when configured); the
    reminders and the mail intake's answers both go out through it."""
    smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        if settings.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            _login(smtp, settings.username, settings.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


@dataclass(frozen=True)
class Delivery:
    """What happened to one reminder: sent, or why not (one Vietnamese line)."""

    unit_code: str
    to: str | None
    sent: bool
    error: str | None = None


def send_all(reminders: Iterable[Reminder], settings: SmtpSettings) -> list[Delivery]:
    """Send over one SMTP session; a refused address fails that reminder only."""
    reminders = list(reminders)
    deliveries: list[Delivery] = []
    sendable = [r for r in reminders if r.to]
    for r in reminders:
        if not r.to:
            deliveries.append(
                Delivery(r.unit_code, None, False, "Chưa có địa chỉ thư trong danh mục đơn vị.")
            )
    if not sendable:
        return deliveries
    try:
        with open_smtp(settings) as smtp:
            for r in sendable:
                try:
                    smtp.send_message(compose(r, settings))
                    deliveries.append(Delivery(r.unit_code, r.to, True))
                except smtplib.SMTPRecipientsRefused as exc:
                    log.warning("recipient refused %s: %r", r.to, exc)
                    deliveries.append(
                        Delivery(r.unit_code, r.to, False, "Máy chủ thư từ chối địa chỉ nhận.")
                    )
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("SMTP %s:%s failed: %r", settings.host, settings.port, exc)
        done = {d.unit_code for d in deliveries}
        reason = f"Không gửi được qua máy chủ thư {settings.host}:{settings.port}" + (
            ": sai tên đăng nhập hoặc mật khẩu."
            if isinstance(exc, smtplib.SMTPAuthenticationError)
            else "."
        )
        deliveries += [
            Delivery(r.unit_code, r.to, False, reason) for r in sendable if r.unit_code not in done
        ]
    return deliveries


@dataclass(frozen=True)
class Mailer:
    """Sends reminders with the configured mail server (`Resources.mailer`).

    The server settings are resolved when mail is sent, not before: previewing reminders
    needs no mail server, and a Secret block is only read when it is used.
    """

    settings: Settings

    def smtp(self) -> SmtpSettings:
        return SmtpSettings.from_settings(self.settings)

    def send(self, reminders: Iterable[Reminder]) -> list[Delivery]:
        return send_all(reminders, self.smtp())


def reminders_for(
    store: HistoryStore,
    catalog: Catalog,
    plan: Plan,
    period: Period,
    feedback_dir: Path,
    today: date | None = None,
    waiting: Collection[str] | None = None,
) -> list[Reminder]:
    """Reminders for the period as the history store knows it (run `pcmbn run` first); the
    receipts the office returned count from the moment of the return, and a unit whose newest
    file waits for the next run is not reminded (`waiting`: `awaiting_run`'s units, when the
    caller already has them)."""
    table = completeness(
        catalog.expected_units(plan, period), store.submissions(plan.id, period), plan, period
    )
    if waiting is None:
        waiting = awaiting_run(store, plan.id, period)
    table = table[~table["unit_code"].isin(list(waiting))]
    problems = store.rejection_problems(plan.id, period)
    return plan_reminders(
        table,
        plan,
        period,
        problems,
        feedback_dir,
        today,
        returned=returned_reports(store, plan.id, period),
        words=catalog.labels.reminders,
    )


def record_deliveries(
    store: HistoryStore,
    plan: Plan,
    period: Period,
    deliveries: list[Delivery],
    who: str,
    at: datetime,
) -> None:
    """One audit row per reminder: to whom, and whether it went out."""
    store.audit_many(
        [
            (
                at,
                who,
                AuditAction.REMIND,
                plan.id,
                period.code,
                f"{d.unit_code} <{d.to or '—'}>: " + ("đã gửi" if d.sent else f"lỗi: {d.error}"),
            )
            for d in deliveries
        ]
    )


def reminder_days(plan: Plan, today: date) -> list[Period]:
    """Months whose reminder day is today: the due date itself, and two days after it."""
    rule, days = plan.reporting.cutoff, plan.reporting.due_days_after_cutoff
    latest = last_closed_month(today, rule, days)
    candidates = [latest, latest.previous()]
    return [
        p
        for p in candidates
        if plan.covers(p) and (today - due_date(p, rule, days)).days in REMINDER_OFFSETS_DAYS
    ]
