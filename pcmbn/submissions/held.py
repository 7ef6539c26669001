"""Files held for the officer: mail from an unknown sender, or a file of another unit than its
sender's. Nothing is dropped: the original is archived at once (content-addressed, as intake
archives), the officer sees it in `pcmbn status`, `pcmbn held` and on the desk, and assigns it to a
unit (it then becomes an ordinary receipt, with its original received time and sender) or
discards it with a reason; each step is an audit row.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import fsspec

from pcmbn.intake import InboxFile, archive_file, safe_name
from pcmbn.office.atomic import atomic_write
from pcmbn.submissions.model import Held, Receipt, SubmissionError, rows_of
from pcmbn.submissions.receive import _aware, folder_lock, receive
from pcmbn.vocabulary import AuditAction, Channel, HeldState

if TYPE_CHECKING:
    from pcmbn.domain import Plan
    from pcmbn.periods import Period
    from pcmbn.resources import Resources


def hold(
    resources: Resources,
    *,
    filename: str,
    content: bytes,
    received_at: datetime,
    sender: str,
    reason: str,
    message: str,
    reference: str | None = None,
    plan_id: str | None = None,
    period: str | None = None,
    unit_code: str | None = None,
    channel: str = Channel.EMAIL,
) -> Held:
    """Archive the file and hold it for the officer; the same file held again (same reference
    and bytes, or the same sender and bytes still held) returns the first `Held`."""
    sha256 = hashlib.sha256(content).hexdigest()
    store = resources.store
    scratch = resources.layout.tmp_dir
    with folder_lock(scratch / "held"):
        found = (
            rows_of(store.held(reference=reference, sha256=sha256))
            if reference
            else rows_of(store.held(sender=sender, sha256=sha256, state=HeldState.HELD))
        )
        if found:
            return Held.from_row(found[0])
        name = safe_name(filename)
        staged = scratch / "held" / f"{sha256}{_suffix(name)}"
        atomic_write(staged, content)
        try:
            archived = archive_file(
                InboxFile(str(staged), name, _aware(received_at), None, None, len(content)),
                resources.settings.archive_root,
                scratch,
            )
        finally:
            staged.unlink(missing_ok=True)
        held_id = f"TG-{store.next_number('held_seq'):06d}"
        row = {
            "held_id": held_id,
            "received_at": _aware(received_at),
            "sender": sender,
            "filename": name,
            "sha256": sha256,
            "size": len(content),
            "archive_path": archived.archive_path,
            "channel": str(channel),
            "reason": str(reason),
            "message": message,
            "reference": reference,
            "plan_id": plan_id,
            "period": period,
            "unit_code": unit_code,
            "state": str(HeldState.HELD),
        }
        audit = (
            datetime.now(tz=UTC),
            sender,
            str(AuditAction.HOLD),
            plan_id or "",
            period,
            f"{held_id} {reason} {sender} {name} sha256 {sha256}: {message}",
        )
        store.record_held(row, audit)
    return get_held(resources, held_id)  # type: ignore[return-value]


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower()[:10] if dot > 0 else ""


def get_held(resources: Resources, held_id: str) -> Held | None:
    found = rows_of(resources.store.held(held_id=held_id.strip()))
    return Held.from_row(found[0]) if found else None


def held_items(resources: Resources, state: str | None = HeldState.HELD) -> list[Held]:
    """Held files in `state` (None: every state), oldest first."""
    return [Held.from_row(row) for row in rows_of(resources.store.held(state=state))]


def _still_held(resources: Resources, held_id: str) -> Held:
    words = resources.catalog.labels.submissions
    item = get_held(resources, held_id)
    if item is None:
        raise SubmissionError(words.held_not_found.format(held=held_id))
    if item.state != HeldState.HELD:
        state = resources.catalog.labels.held_state[HeldState(item.state)]
        raise SubmissionError(words.held_settled.format(held=item.id, state=state.lower()))
    return item


def assign_held(
    resources: Resources,
    held_id: str,
    *,
    unit_code: str,
    plan: Plan,
    period: Period,
    actor: str,
) -> Receipt:
    """The officer files a held file under a unit: it becomes a receipt (with its original
    received time, sender and reference) and the held item is marked assigned."""
    item = _still_held(resources, held_id)
    with fsspec.open(item.archive_path, "rb") as handle:
        content = handle.read()
    receipt = receive(
        resources,
        plan,
        period,
        unit_code=unit_code,
        filename=item.filename,
        content=content,
        received_at=item.received_at,
        channel=item.channel,
        sender=item.sender,
        reference=item.reference,
    )
    audit = (
        datetime.now(tz=UTC),
        actor,
        str(AuditAction.ASSIGN),
        plan.id,
        period.code,
        f"{item.id} → {receipt.unit_code} {receipt.id}",
    )
    if not resources.store.settle_held(
        item.id,
        state=HeldState.ASSIGNED,
        actor=actor,
        at=audit[0],
        decision=receipt.id,
        audit=audit,
    ):
        _still_held(resources, held_id)  # raises: someone else decided meanwhile
    return receipt


def discard_held(resources: Resources, held_id: str, *, actor: str, reason: str) -> None:
    """The officer discards a held file, with a reason (the original stays in the archive)."""
    words = resources.catalog.labels.submissions
    reason = (reason or "").strip()
    if not reason:
        raise SubmissionError(words.discard_reason_required)
    item = _still_held(resources, held_id)
    at = datetime.now(tz=UTC)
    audit = (
        at,
        actor,
        str(AuditAction.DISCARD),
        item.plan_id or "",
        item.period,
        f"{item.id}: {reason}",
    )
    if not resources.store.settle_held(
        item.id, state=HeldState.DISCARDED, actor=actor, at=at, decision=reason, audit=audit
    ):
        _still_held(resources, held_id)
