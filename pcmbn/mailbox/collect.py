"""One pass over the office mailbox: every unseen message filed, held or answered, once.

For each message (oldest first): its files (attachments, and the workbooks inside an attached
`.zip` or inside a zip within it, unpacked by the reader's guard) are checked in one run with
the same code as `pcmbn check` (`service.check_reports`), which also tells the unit, plan and
period each file declares. Then each file goes, only through the submissions domain, to

- `submissions.hold` (reason `unknown_sender`) when the From address is in no registry: kept
  for the officer, and no answer is sent (never to an address outside the registry);
- `submissions.hold` (reason `unit_mismatch`, both units named) when the file declares another
  unit than the sender's;
- `submissions.receive` (channel `email`, sender = the address, reference = the Message-ID,
  received at the message's `Received:` time) otherwise, under the sender's unit.

The sender is answered once (`replies`), then the message is flagged (`\\Seen` and
`$PcmbnCollected`, moved when configured). The ledger (`ledger`) records each step first, so a
crash anywhere (the `mail` crash point sits between filing and flagging) makes the next pass
take nothing twice and answer once. Automatic mail (auto-replies, bounces, our own answers) is
flagged and left alone.
"""

from __future__ import annotations

import logging
import smtplib
import tempfile
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pcmbn.errors import PcmbnError
from pcmbn.faults import crash_point
from pcmbn.mailbox.ledger import Entry, Ledger
from pcmbn.mailbox.message import ZIP_EXTENSIONS, Attachment, MailItem, parse_message
from pcmbn.mailbox.replies import FileFate, FileResult, compose_answer, send_answer
from pcmbn.mailbox.senders import find_sender, registry_addresses
from pcmbn.reading.guard import ACCEPTED_EXTENSIONS, Limits, Refused, unpack_zip
from pcmbn.reminders import where_vi
from pcmbn.vocabulary import Channel, HeldReason

if TYPE_CHECKING:
    from pcmbn.domain import Plan
    from pcmbn.mailbox.imap import Mailbox
    from pcmbn.periods import Period
    from pcmbn.resources import Resources

log = logging.getLogger(__name__)

#: A message larger than this is not downloaded: its sender is told what is accepted.
MAX_MESSAGE_BYTES = 60 * 1024 * 1024
#: A zip attached may hold zips of reports this many levels deep (opened through the guard
#: under the limits of the whole attachment); an archive deeper than that is not opened and is
#: answered like any file that is not a report workbook.
NESTED_ZIP_LEVELS = 1
#: Files that commonly ride along with a report (a signature's logo) and are not worth a word
#: when the message also carries a workbook.
_QUIET_TYPES = ("image/",)


@dataclass
class CollectSummary:
    """What one pass did, for the flow's log line and its return value."""

    messages: int = 0
    automatic: int = 0
    answered: int = 0
    files: Counter[str] = field(default_factory=Counter)
    receipts: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "automatic": self.automatic,
            "answered": self.answered,
            "files": dict(self.files),
            "receipts": self.receipts,
            "held": self.held,
        }


@dataclass(frozen=True)
class _Candidate:
    """A workbook to check: its name as the unit sent it, its bytes."""

    filename: str
    content: bytes


def collect_mailbox(resources: Resources, plan_id: str | None = None) -> CollectSummary:
    """Collect every unseen message of the configured mailbox (`PCMBN_IMAP_*`).

    `plan_id` is the plan a file is filed under when it does not say which (an unreadable
    file from a known unit lands in that plan's month being collected, so the run counts it
    as rejected); files that name their plan go to it.
    """
    from pcmbn.mailbox.imap import ImapSettings, Mailbox

    default_plan = resources.catalog.plan(plan_id) if plan_id else None
    ledger = Ledger(resources.layout.mail_ledger)
    summary = CollectSummary()
    with Mailbox(ImapSettings.from_settings(resources.settings)) as box:
        for uid in box.unseen():
            collect_message(resources, box, uid, ledger, summary, default_plan)
    return summary


def collect_message(
    resources: Resources,
    box: Mailbox,
    uid: str,
    ledger: Ledger,
    summary: CollectSummary,
    default_plan: Plan | None = None,
) -> None:
    """One message: files, answer, flag, each step recorded before the next."""
    oversized = box.size(uid) > MAX_MESSAGE_BYTES
    fetched = box.fetch(uid, headers_only=oversized)
    item = parse_message(fetched.raw, uid, fetched.arrived)
    summary.messages += 1
    if ledger.done(item.message_id):  # handled, the flag was lost: flag again only
        box.mark_collected(uid)
        return
    if item.sender and item.sender == resources.settings.smtp_from.lower():
        item = replace(item, automatic="From: our own address")
    if item.automatic:
        log.info("mail %s from %s is automatic (%s): not taken", uid, item.sender, item.automatic)
        summary.automatic += 1
        box.mark_collected(uid)
        ledger.record_done(item.message_id)
        return
    results, unit_name = file_message(resources, item, ledger, summary, default_plan, oversized)
    crash_point("mail")
    pending = unit_name is not None and not ledger.answered(item.message_id)
    if pending and not answer(resources, item, str(unit_name), results, ledger, summary):
        return  # the mail server is out of reach: left unseen, answered on a later pass
    box.mark_collected(uid)
    ledger.record_done(item.message_id)


def answer(
    resources: Resources,
    item: MailItem,
    unit_name: str,
    results: list[FileResult],
    ledger: Ledger,
    summary: CollectSummary,
) -> bool:
    """Send the answer once; False when the mail server could not be reached (nothing is
    recorded: the message stays unseen and a later pass, filing nothing twice, answers it).
    A refused address or a missing mail server configuration is recorded as final."""
    if item.sender not in registry_addresses(resources.catalog):
        ledger.record_answer(item.message_id, item.sender, False, "not in the registry")
        return True
    reply = compose_answer(item, unit_name, results)
    try:
        send_answer(reply, resources.mailer.smtp())
    except smtplib.SMTPRecipientsRefused as exc:
        log.warning("answer to %s refused by the mail server: %r", item.sender, exc)
        ledger.record_answer(item.message_id, item.sender, False, repr(exc))
        return True
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("answer to %s (%s) not sent, retried later: %r", item.sender, uid_of(item), exc)
        return False
    except PcmbnError as exc:  # no mail server configured (PCMBN_SMTP_HOST)
        log.warning("answer to %s not sent: %s", item.sender, exc)
        ledger.record_answer(item.message_id, item.sender, False, str(exc))
        return True
    ledger.record_answer(item.message_id, item.sender, True, reply.subject)
    summary.answered += 1
    return True


def uid_of(item: MailItem) -> str:
    """How the log names a message: its IMAP UID and Message-ID."""
    return f"{item.uid} {item.message_id}"


def file_message(
    resources: Resources,
    item: MailItem,
    ledger: Ledger,
    summary: CollectSummary,
    default_plan: Plan | None,
    oversized: bool = False,
) -> tuple[list[FileResult], str | None]:
    """Every file of `item` received or held; (what to tell the sender, the sender's unit name
    when the sender is a registry unit, else None: no answer)."""
    catalog = resources.catalog
    limits = Limits()
    anyone = find_sender(catalog, item.sender)
    unit_name = anyone.unit.name if anyone else _any_unit_name(resources, item.sender)
    if oversized:
        note = "Thư quá lớn nên hệ thống không tải về được."
        return [FileResult(item.subject or "(thư)", FileFate.REFUSED, note=note)], unit_name
    candidates, refused = _candidates(resources, item.attachments, limits)
    if not candidates:
        summary.files[FileFate.REFUSED] += len(refused)
        return refused, unit_name
    results = check_and_file(resources, item, candidates, ledger, summary, default_plan)
    return results + refused, unit_name


def _any_unit_name(resources: Resources, address: str | None) -> str | None:
    """A unit name for an address listed by several units (an ambiguous address still belongs
    to the registry, and is answered); None when no registry lists it."""
    from pcmbn.mailbox.senders import units_of

    units = units_of(resources.catalog, address) if address else []
    return units[0].name if units else None


def _candidates(
    resources: Resources, attachments: tuple[Attachment, ...], limits: Limits
) -> tuple[list[_Candidate], list[FileResult]]:
    """The workbooks to check (zips unpacked through the guard) and the files refused."""
    catalog = resources.catalog
    candidates: list[_Candidate] = []
    refused: list[FileResult] = []
    quiet: list[FileResult] = []
    for part in attachments:
        lower = part.filename.lower()
        if part.size > limits.max_bytes:
            rule = catalog.rule("file.too_large")
            note = rule.render(size=_mb(part.size), limit=_mb(limits.max_bytes))
            refused.append(FileResult(part.filename, FileFate.REFUSED, note=note))
        elif lower.endswith(ZIP_EXTENSIONS):
            with tempfile.TemporaryDirectory(prefix="pcmbn-mail-") as scratch:
                path = Path(scratch) / "tep.zip"
                path.write_bytes(part.content)
                unpacked = unpack_zip(path, limits, nested=NESTED_ZIP_LEVELS)
            if isinstance(unpacked, Refused):
                note = catalog.rule(unpacked.rule).render(**unpacked.params)
                refused.append(FileResult(part.filename, FileFate.REFUSED, note=note))
                continue
            candidates += [_Candidate(name, data) for name, data in unpacked.workbooks]
            for name in unpacked.others:
                note = f"Tệp “{name}” trong tệp nén không phải bảng tính báo cáo."
                refused.append(FileResult(part.filename, FileFate.REFUSED, note=note))
            if not unpacked.workbooks and not unpacked.others:
                note = "Tệp nén không chứa tệp nào."
                refused.append(FileResult(part.filename, FileFate.REFUSED, note=note))
        elif lower.endswith(ACCEPTED_EXTENSIONS):
            candidates.append(_Candidate(part.filename, part.content))
        else:
            extension = Path(lower).suffix or "(không có phần mở rộng)"
            note = catalog.rule("file.unsupported_format").render(extension=extension)
            target = quiet if part.content_type.startswith(_QUIET_TYPES) else refused
            target.append(FileResult(part.filename, FileFate.REFUSED, note=note))
    if not candidates:
        refused += quiet
    return candidates, refused


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")


def check_and_file(
    resources: Resources,
    item: MailItem,
    candidates: list[_Candidate],
    ledger: Ledger,
    summary: CollectSummary,
    default_plan: Plan | None,
) -> list[FileResult]:
    """Check the workbooks in one run, then receive or hold each (`submissions`)."""
    from pcmbn.service import check_document, check_reports

    feedback_dir = resources.layout.mail_feedback_dir
    feedback_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pcmbn-mail-") as scratch:
        paths = []
        for number, candidate in enumerate(candidates):
            folder = Path(scratch) / str(number)
            folder.mkdir()
            path = folder / candidate.filename
            path.write_bytes(candidate.content)
            paths.append(path)
        document = check_document(resources, check_reports(resources, paths), feedback_dir)
    results = []
    for candidate, checked in zip(candidates, document["files"], strict=True):
        result = file_one(resources, item, candidate, checked, default_plan)
        ledger.record(
            Entry(item.message_id, checked["sha256"], candidate.filename, result.fate, _ref(result))
        )
        summary.files[result.fate] += 1
        if result.fate == FileFate.RECEIVED and result.receipt_id:
            summary.receipts.append(result.receipt_id)
        if result.fate == FileFate.HELD and result.receipt_id:
            summary.held.append(result.receipt_id)
        results.append(result)
    return results


def _ref(result: FileResult) -> str | None:
    """The receipt's id, or the held item's (kept in the same field)."""
    return result.receipt_id


def file_one(
    resources: Resources,
    item: MailItem,
    candidate: _Candidate,
    checked: dict[str, Any],
    default_plan: Plan | None,
) -> FileResult:
    """One checked workbook to the inbox or to the held items."""
    from pcmbn import submissions

    catalog = resources.catalog
    declared_plan = catalog.plans.get(str(checked.get("plan_id") or "").strip())
    plan = declared_plan or default_plan
    sender = find_sender(catalog, item.sender, plan)
    errors = tuple(
        where_vi(p.get("sheet"), p.get("cell")) + str(p.get("message"))
        for p in checked["problems"]
        if p.get("severity") == "error"
    )
    warnings = sum(1 for p in checked["problems"] if p.get("severity") == "warning")
    feedback = Path(checked["feedback"]) if checked.get("feedback") else None
    period = _period(checked, plan, item.received_at)
    if sender is None:
        address = item.sender or "(không rõ)"
        message = (
            f"Thư gửi từ địa chỉ {address} không thuộc đơn vị nào trong danh mục đơn vị"
            + (f" của kế hoạch {plan.id}" if plan else "")
            + "."
        )
        held = submissions.hold(
            resources,
            filename=candidate.filename,
            content=candidate.content,
            received_at=item.received_at,
            sender=address,
            reason=HeldReason.UNKNOWN_SENDER,
            message=message,
            reference=item.message_id,
            plan_id=plan.id if plan else None,
            period=period.code if period else None,
            unit_code=checked.get("unit_code"),
        )
        log.info("mail from unknown sender %s held as %s", address, held.id)
        return FileResult(candidate.filename, FileFate.HELD, held.id, note=message)
    try:
        submissions.ensure_unit_matches(checked.get("unit_code"), sender.unit.code, catalog, plan)
    except submissions.UnitMismatch as mismatch:
        held = submissions.hold(
            resources,
            filename=candidate.filename,
            content=candidate.content,
            received_at=item.received_at,
            sender=sender.address,
            reason=HeldReason.UNIT_MISMATCH,
            message=str(mismatch),
            reference=item.message_id,
            plan_id=plan.id if plan else None,
            period=period.code if period else None,
            unit_code=sender.unit.code,
        )
        return FileResult(candidate.filename, FileFate.HELD, held.id, note=str(mismatch))
    common: dict[str, Any] = {
        "accepted": checked.get("status") == "accepted",
        "errors": errors,
        "warnings": warnings,
        "feedback": feedback,
    }
    if plan is None or period is None:
        return FileResult(candidate.filename, FileFate.UNFILED, **common)
    try:
        receipt = submissions.receive(
            resources,
            plan,
            period,
            unit_code=sender.unit.code,
            filename=candidate.filename,
            content=candidate.content,
            received_at=item.received_at,
            channel=Channel.EMAIL,
            sender=sender.address,
            reference=item.message_id,
        )
    except PcmbnError as refused:  # a period outside the plan, a unit not in its registry
        log.info("mail file %s not filed: %s", candidate.filename, refused)
        return FileResult(candidate.filename, FileFate.UNFILED, note=str(refused), **common)
    fate = FileFate.RECEIVED if receipt.reference == item.message_id else FileFate.DUPLICATE
    return FileResult(candidate.filename, fate, receipt.id, receipt.received_at, **common)


def _period(checked: dict[str, Any], plan: Plan | None, received_at: datetime) -> Period | None:
    """The period the file declares, else (for a known plan) the month being collected when
    the message arrived: what the officer would have filed it under by hand."""
    from pcmbn.periods import Period

    code = checked.get("period")
    if code:
        try:
            return Period.from_code(str(code))
        except (ValueError, KeyError):
            pass
    if plan is None:
        return None
    from pcmbn.service import default_period

    try:
        return default_period(plan, received_at.date())
    except PcmbnError:
        return None
