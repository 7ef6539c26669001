"""Returning a submission to its unit: the office's "bị trả lại", with a reason on the record.

A return changes the receipt (status, reason, who, when) and writes an audit row in one
transaction; the next monthly run then records that file as `returned` (not counted: the store
keeps it out of the current submissions and the completeness table says "Bị trả lại"). The unit
is told by mail when a mail server is configured; a failed notice never undoes the return, and
every notice leaves its audit row (`notify`: sent, no mail server, no address, failed).
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pcmbn.errors import PcmbnError
from pcmbn.periods import Period
from pcmbn.submissions.model import Receipt, SubmissionError
from pcmbn.submissions.receive import get_receipt
from pcmbn.vocabulary import AuditAction, Completeness, ReceiptStatus

if TYPE_CHECKING:
    from pcmbn.resources import Resources

log = logging.getLogger(__name__)


def return_submission(resources: Resources, receipt_id: str, *, reason: str, actor: str) -> Receipt:
    """Return the receipt's file to its unit with `reason`, by `actor`; the returned receipt.

    Refused (one Vietnamese line) without a reason, for an unknown or already returned
    receipt, and while the period is approved (reopen it first: an approval freezes what
    counts)."""
    words = resources.catalog.labels.submissions
    reason = (reason or "").strip()
    if not reason:
        raise SubmissionError(words.reason_required)
    receipt = get_receipt(resources, receipt_id)
    if receipt is None:
        raise SubmissionError(words.not_found.format(receipt=receipt_id))
    if receipt.status == ReceiptStatus.RETURNED:
        raise SubmissionError(words.already_returned.format(receipt=receipt.id))
    period = Period.from_code(receipt.period)
    store = resources.store
    if store.active_approval(receipt.plan_id, period) is not None:
        raise SubmissionError(words.approved.format(period=period.label_vi))
    at = datetime.now(tz=UTC)
    audit = (
        at,
        actor,
        str(AuditAction.RETURN),
        receipt.plan_id,
        receipt.period,
        f"{receipt.id} {receipt.unit_code}: {reason}",
    )
    if not store.return_receipt(receipt.id, reason=reason, actor=actor, at=at, audit=audit):
        raise SubmissionError(words.already_returned.format(receipt=receipt.id))
    returned = get_receipt(resources, receipt.id)
    assert returned is not None
    notify_return(resources, returned, actor=actor)
    return returned


def notify_return(resources: Resources, receipt: Receipt, *, actor: str | None = None) -> bool:
    """Mail the unit that its report was returned, when a mail server is configured and the
    unit has an address; True when sent. Never raises: the return stands either way.

    Every outcome leaves one audit row (`notify`, by `actor`): sent, not sent because no mail
    server is configured or the unit has no address, or failed with the reason, so the
    officer can tell from `pcmbn log` whether the unit was told."""
    words = resources.catalog.labels.reminders
    fields = {"receipt": receipt.id, "unit": receipt.unit_code}
    sent = False
    if not resources.settings.smtp_host:
        detail = words.notice_no_mailer.format(**fields)
    else:
        sent, detail = _send_notice(resources, receipt, fields)
    try:
        resources.store.audit(
            datetime.now(tz=UTC),
            actor or resources.settings.actor,
            str(AuditAction.NOTIFY),
            receipt.plan_id,
            receipt.period,
            detail,
        )
    except Exception:  # noqa: BLE001 - the audit row of a notice must never fail the return
        log.warning("audit row of the return notice for %s not written", receipt.id, exc_info=True)
    return sent


def _send_notice(
    resources: Resources, receipt: Receipt, fields: dict[str, str]
) -> tuple[bool, str]:
    """(sent, the audit line) of mailing the return notice; never raises."""
    words = resources.catalog.labels.reminders
    address = None
    try:
        from pcmbn.reminders import Reminder

        catalog = resources.catalog
        plan = catalog.plan(receipt.plan_id)
        unit = catalog.registry(plan).get(receipt.unit_code)
        address = _first_address(unit.email if unit else None)
        if unit is None or address is None:
            return False, words.notice_no_address.format(**fields)
        submission_words = catalog.labels.submissions
        period = Period.from_code(receipt.period)
        notice = Reminder(
            unit_code=unit.code,
            unit_name=unit.name,
            status=Completeness.RETURNED,
            to=address,
            subject=submission_words.return_subject.format(
                receipt=receipt.id, period=period.label_vi
            ),
            body=submission_words.return_body.format(
                unit_name=unit.name,
                receipt=receipt.id,
                file=receipt.original_name,
                received=receipt.received_vi,
                period=period.label_vi,
                reason=receipt.return_reason or "",
            ),
        )
        deliveries = resources.mailer.send([notice])
        if deliveries and deliveries[0].sent:
            return True, words.notice_sent.format(to=address, **fields)
        log.warning("return notice for %s not sent: %s", receipt.id, deliveries)
        error = (deliveries[0].error if deliveries else None) or "không rõ lý do"
    except Exception as exc:  # noqa: BLE001 - a notice must never fail the return
        log.warning("return notice for %s failed", receipt.id, exc_info=True)
        error = str(exc) if isinstance(exc, PcmbnError) else "lỗi hệ thống, xem tệp nhật ký"
    return False, words.notice_failed.format(to=address or "—", error=error.rstrip("."), **fields)


def _first_address(email: str | None) -> str | None:
    """The first address of a registry's `email` cell (several may be listed)."""
    parts = [p for p in re.split(r"[;,\s]+", email or "") if "@" in p]
    return parts[0] if parts else None
