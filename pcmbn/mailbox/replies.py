"""The answer to a unit that e-mailed its report, in Vietnamese, through the reminders' server.

Composing is pure (`compose_answer` → `Answer`, `to_mime`); sending uses the mail server of
`PCMBN_SMTP_*` (`pcmbn.reminders.open_smtp`). Every answer carries `Auto-Submitted:
auto-replied` (RFC 3834) and `X-PCMBN-Reply`, so a well-behaved robot never answers it and our
own intake never answers an answer; `In-Reply-To`/`References` thread it under the unit's
message. What it says, per file: the receipt number and time, whether the first check found
errors (the first ones quoted with sheet and cell, the annotated workbook attached), a file
already received, a file held because it declares another unit, a file not accepted and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid
from enum import StrEnum
from pathlib import Path

from pcmbn.mailbox.message import REPLY_HEADER, MailItem
from pcmbn.office.times import datetime_label
from pcmbn.reading.guard import ACCEPTED_EXTENSIONS, Limits
from pcmbn.reminders import XLSX_SUBTYPE, SmtpSettings, open_smtp
from pcmbn.validation.feedback import PROBLEM_SHEET

#: At most this many errors are quoted per file; the attached workbook holds them all.
QUOTED_ERRORS = 5
DEFAULT_LIMITS = Limits()
SIGNATURE = (
    "\n\nTrân trọng,\nCơ quan Thường trực Ban Chỉ đạo 138\n"
    "(Thư do hệ thống tổng hợp báo cáo PCMBN gửi tự động; đơn vị không cần trả lời thư này.)"
)


class FileFate(StrEnum):
    """What became of one file of a message."""

    RECEIVED = "received"  # filed, with a new receipt
    DUPLICATE = "duplicate"  # the same file was received before (its receipt is quoted)
    HELD = "held"  # declares another unit than the sender's: held for the officer
    UNFILED = "unfiled"  # checked, but its plan or period cannot be told: not filed
    REFUSED = "refused"  # not a workbook we read, too large, a damaged archive


@dataclass(frozen=True)
class FileResult:
    """One file's outcome, as the answer tells it."""

    filename: str
    fate: FileFate
    receipt_id: str | None = None
    received_at: datetime | None = None
    accepted: bool | None = None  # the first check's verdict (None: not checked)
    errors: tuple[str, ...] = ()  # "Trang “ChiTieu”, ô E12: …" lines, all of them
    warnings: int = 0
    feedback: Path | None = None  # the annotated copy (or text note) to attach
    note: str | None = None  # why held or refused (one Vietnamese sentence)


@dataclass(frozen=True)
class Answer:
    """One answer to one message."""

    to: str
    to_name: str
    subject: str
    body: str
    in_reply_to: str
    references: tuple[str, ...] = ()
    attachments: tuple[Path, ...] = field(default=())


def accepted_formats(limits: Limits = DEFAULT_LIMITS) -> str:
    """What the intake takes, in one sentence."""
    extensions = ", ".join(ACCEPTED_EXTENSIONS)
    megabytes = limits.max_bytes // (1024 * 1024)
    return (
        f"Hệ thống chỉ tiếp nhận báo cáo là tệp bảng tính theo biểu mẫu của Ban Chỉ đạo, gửi "
        f"kèm thư ({extensions}; có thể gom nhiều tệp trong một tệp nén .zip), mỗi tệp không "
        f"quá {megabytes} MB."
    )


def _file_paragraph(number: int, result: FileResult) -> str:
    head = f"{number}. Tệp “{result.filename}”: "
    if result.fate == FileFate.DUPLICATE:
        when = f" lúc {datetime_label(result.received_at)}" if result.received_at else ""
        return (
            head + f"đã được tiếp nhận trước đó (số biên nhận {result.receipt_id}{when}); "
            "hệ thống không tiếp nhận lại tệp trùng."
        )
    if result.fate == FileFate.HELD:
        return (
            head + f"chưa tiếp nhận. {result.note} Cơ quan Thường trực sẽ xem xét và liên hệ "
            "với đơn vị; nếu gửi nhầm tệp, đề nghị đơn vị gửi lại đúng báo cáo của đơn vị."
        )
    if result.fate == FileFate.REFUSED:
        return head + f"không tiếp nhận được. {result.note}"
    if result.fate == FileFate.RECEIVED:
        when = f" lúc {datetime_label(result.received_at)}" if result.received_at else ""
        text = head + f"đã tiếp nhận, số biên nhận {result.receipt_id}{when}. "
    else:
        reason = result.note or "hệ thống không xác định được kế hoạch, kỳ báo cáo của tệp."
        text = head + f"chưa tiếp nhận được: {reason} "
    if result.accepted:
        text += "Kết quả kiểm tra: đạt yêu cầu"
        text += (
            f" (có {result.warnings} cảnh báo, đề nghị đơn vị xem lại trong tệp kèm theo)."
            if result.warnings
            else "."
        )
        return text
    quoted = [f"   - {line}" for line in result.errors[:QUOTED_ERRORS]]
    more = len(result.errors) - len(quoted)
    if more > 0:
        quoted.append(f"   - … và {more} lỗi khác (xem tệp kèm theo).")
    text += f"Kết quả kiểm tra: chưa đạt yêu cầu, còn {len(result.errors)} lỗi:\n"
    text += "\n".join(quoted or ["   - (xem tệp kèm theo)"])
    text += "\n   Đề nghị đơn vị sửa và gửi lại báo cáo."
    return text


def compose_answer(
    item: MailItem, unit_name: str, results: list[FileResult], limits: Limits = DEFAULT_LIMITS
) -> Answer:
    """The answer to `item` from `unit_name`'s address; `results` empty: nothing usable came
    (no attachment, no workbook, only unsupported or oversized files)."""
    assert item.sender is not None
    greeting = f"Kính gửi: {unit_name},\n\n"
    subject_part = f" (“{item.subject}”)" if item.subject else ""
    opening = (
        f"Cơ quan Thường trực Ban Chỉ đạo 138 đã nhận thư của đơn vị lúc "
        f"{datetime_label(item.received_at)}{subject_part}."
    )
    usable = [r for r in results if r.fate != FileFate.REFUSED]
    if not usable:
        refused = [f"- Tệp “{r.filename}”: {r.note}" for r in results]
        why = (
            " Thư không kèm báo cáo nào hệ thống tiếp nhận được:\n" + "\n".join(refused) + "\n\n"
            if refused
            else " Thư không kèm tệp báo cáo nào.\n\n"
        )
        body = (
            greeting
            + opening
            + why
            + accepted_formats(limits)
            + " Đề nghị đơn vị gửi lại thư kèm tệp báo cáo."
            + SIGNATURE
        )
        subject = f"Chưa nhận được tệp báo cáo PCMBN trong thư của {unit_name}"
        return Answer(item.sender, unit_name, subject, body, item.message_id, item.references)
    paragraphs = [_file_paragraph(n, r) for n, r in enumerate(results, start=1)]
    attachments = tuple(r.feedback for r in results if r.feedback is not None)
    closing = ""
    if attachments:
        closing = (
            "\n\nTệp kèm theo là bản sao báo cáo của đơn vị, trong đó từng ô cần sửa được tô màu "
            f"và ghi chú; trang “{PROBLEM_SHEET}” liệt kê mọi lỗi và cảnh báo."
        )
    if any(r.fate == FileFate.REFUSED for r in results):
        closing += "\n\n" + accepted_formats(limits)
    note = (
        "\n\nĐây là kết quả kiểm tra khi tiếp nhận; kết quả tổng hợp chính thức của kỳ báo cáo "
        "do Cơ quan Thường trực thông báo sau."
    )
    body = greeting + opening + "\n\n" + "\n\n".join(paragraphs) + closing + note + SIGNATURE
    receipts = [r.receipt_id for r in results if r.fate == FileFate.RECEIVED and r.receipt_id]
    subject = (
        f"Biên nhận báo cáo PCMBN {', '.join(receipts)} – {unit_name}"
        if receipts
        else f"Kết quả tiếp nhận báo cáo PCMBN – {unit_name}"
    )
    return Answer(
        item.sender, unit_name, subject, body, item.message_id, item.references, attachments
    )


def to_mime(answer: Answer, settings: SmtpSettings) -> Message:
    """The MIME message, Vietnamese intact (headers through `email.header.Header`, as the
    reminders: `EmailMessage`'s folder drops spaces between encoded words)."""
    text = MIMEText(answer.body, "plain", "utf-8")
    message: Message
    if not answer.attachments:
        message = text
    else:
        message = MIMEMultipart()
        message.attach(text)
        for path in answer.attachments:
            if path.suffix.lower() == ".xlsx":
                part: Message = MIMEApplication(path.read_bytes(), XLSX_SUBTYPE)
            else:
                part = MIMEText(path.read_text(encoding="utf-8"), "plain", "utf-8")
            part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", path.name))
            message.attach(part)
    message["From"] = formataddr((settings.sender_name, settings.sender), charset="utf-8")
    message["To"] = formataddr((answer.to_name, answer.to), charset="utf-8")
    message["Subject"] = Header(answer.subject, "utf-8")
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message["In-Reply-To"] = answer.in_reply_to
    message["References"] = " ".join((*answer.references, answer.in_reply_to))
    message["Auto-Submitted"] = "auto-replied"
    message[REPLY_HEADER] = "1"
    return message


def send_answer(answer: Answer, settings: SmtpSettings) -> None:
    """Send one answer (raises `OSError`/`smtplib.SMTPException` when the server fails)."""
    with open_smtp(settings) as smtp:
        smtp.send_message(to_mime(answer, settings))
