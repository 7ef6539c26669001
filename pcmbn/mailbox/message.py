"""One e-mail as the intake needs it: who sent it, when it reached the office, its files.

Pure: bytes in, a `MailItem` out. The received time is the moment the office's own server
took the message (the newest `Received:` header, which that server writes), then the
sender's `Date:`, then the IMAP server's arrival time: never the moment someone happened to
save the attachment. The loop guard (`automatic_reason`) recognises auto-replies, bounces,
mailing lists and the office's own answers, which must never be answered.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime

from pcmbn.clock import OFFICE_TZ

#: The header every answer of ours carries; a message bearing it is never answered.
REPLY_HEADER = "X-PCMBN-Reply"
#: Where the workbooks may come from: a workbook attached, or a zip of them.
ZIP_EXTENSIONS = (".zip",)
_BOUNCE_SENDERS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply")


@dataclass(frozen=True)
class Attachment:
    """One attached file, as sent (name decoded, bytes decoded from base64/quoted-printable)."""

    filename: str
    content: bytes
    content_type: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(frozen=True)
class MailItem:
    """What the intake reads of one message."""

    uid: str
    message_id: str  # the Message-ID header, or a stand-in derived from the bytes
    sender: str | None  # the From address, lower case; None when there is none
    sender_name: str
    subject: str
    received_at: datetime  # aware, office time
    attachments: tuple[Attachment, ...] = ()
    automatic: str | None = None  # why the loop guard refuses to answer, or None
    references: tuple[str, ...] = field(default=())


def parse_message(raw: bytes, uid: str, arrived: datetime | None = None) -> MailItem:
    """A `MailItem` of the raw RFC 5322 bytes (`arrived`: the IMAP server's INTERNALDATE)."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    name, address = _sender(msg)
    message_id = _header(msg, "Message-ID").strip()
    if not message_id:
        message_id = f"<sha256-{hashlib.sha256(raw).hexdigest()[:32]}@pcmbn.invalid>"
    references = tuple(
        part for part in re.split(r"\s+", _header(msg, "References")) if part.startswith("<")
    )
    return MailItem(
        uid=uid,
        message_id=message_id,
        sender=address,
        sender_name=name,
        subject=_header(msg, "Subject"),
        received_at=received_time(msg, arrived),
        attachments=tuple(attachments(msg)),
        automatic=automatic_reason(msg),
        references=references,
    )


def _header(msg: EmailMessage, name: str) -> str:
    """A header as text; a malformed one is read as empty rather than stopping the intake."""
    try:
        value = msg.get(name)
    except (ValueError, IndexError, AttributeError):
        return ""
    return str(value or "").strip()


def _sender(msg: EmailMessage) -> tuple[str, str | None]:
    found = getaddresses([_header(msg, "From")])
    for name, address in found:
        if "@" in address:
            return name, address.strip().lower()
    return "", None


def received_time(msg: EmailMessage, arrived: datetime | None = None) -> datetime:
    """When the office received the message, in office time.

    The topmost `Received:` header is written by the office's own server when it accepts the
    message (RFC 5321 §4.4: each hop prepends one), so it is the time the unit's report
    arrived; a unit's wrong clock or a forged `Date:` cannot move it. Without one (a message
    filed by hand), the `Date:` header, then the IMAP arrival time.
    """
    for raw in msg.get_all("Received") or []:
        stamp = _date_of(str(raw).rpartition(";")[2])
        if stamp is not None:
            return stamp
    stamp = _date_of(_header(msg, "Date"))
    if stamp is not None:
        return stamp
    if arrived is not None:
        return arrived.astimezone(OFFICE_TZ)
    return datetime.now(OFFICE_TZ)


def _date_of(text: str) -> datetime | None:
    text = " ".join(text.split())
    if not text:
        return None
    try:
        stamp = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if stamp.tzinfo is None:  # "-0000": the zone is unknown; RFC 5322 says it is UTC
        from datetime import UTC

        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(OFFICE_TZ)


def attachments(msg: EmailMessage) -> list[Attachment]:
    """Every part that is a file (named, or not text/multipart), in the message's order."""
    found: list[Attachment] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        disposition = part.get_content_disposition()
        if not filename and disposition != "attachment":
            continue
        try:
            content = part.get_payload(decode=True) or b""
        except (ValueError, LookupError):
            content = b""
        found.append(
            Attachment(_clean_name(filename or "tep-dinh-kem"), content, part.get_content_type())
        )
    return found


def _clean_name(name: str) -> str:
    """The attachment's base name only (a name carrying folders must not choose where it goes)."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "".join(ch for ch in name if ch >= " ") or "tep-dinh-kem"


def automatic_reason(msg: EmailMessage) -> str | None:
    """Why this message must not be answered (RFC 3834), or None for a person's message.

    Auto-replies (`Auto-Submitted` other than `no`, `X-Autoreply`, `X-Autorespond`), bulk or
    list mail (`Precedence: bulk|junk|list|auto_reply`, `List-Id`), bounces and delivery
    reports (an empty return path, a mailer-daemon sender, `multipart/report`) and our own
    answers (`X-PCMBN-Reply`): answering any of them could start a loop between two robots.
    """
    auto = _header(msg, "Auto-Submitted").lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    if _header(msg, REPLY_HEADER):
        return REPLY_HEADER
    for name in ("X-Autoreply", "X-Autorespond"):
        if _header(msg, name):
            return name
    precedence = _header(msg, "Precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    if _header(msg, "List-Id"):
        return "List-Id"
    if _header(msg, "Return-Path") == "<>":
        return "Return-Path: <>"
    if msg.get_content_type() == "multipart/report":
        return "multipart/report"
    _, address = _sender(msg)
    if address and address.split("@", 1)[0] in _BOUNCE_SENDERS:
        return f"From: {address}"
    return None
