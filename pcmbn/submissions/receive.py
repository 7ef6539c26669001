"""Receiving a unit's file: the one path by which the portal, the mail intake and the officer
put a file into a period's inbox.

`receive` writes the file into `<inbox>/<plan>/<period>/` under a name derived from its unit and
content, archives the original exactly as a run's intake does (`pcmbn.intake.archive_file`, so
the archive holds one copy at the same content-addressed path), rewrites the folder's reception
log `received.csv` with the file's row (file, received_at, unit_code, channel, sender, receipt) and
records the receipt and its audit row in the store. A run over that inbox then takes the received
time and the sending unit from the log, never from the file's mtime or its ThongTin sheet.

Deliveries to one folder that arrive together are received together (`_deliver`): one thread
takes the folder's lock for all that wait, rewrites the log once and records each receipt, so a
burst of fifty portal uploads does not queue fifty times for the lock; each delivery's outcome
is what it would be alone, in arrival order.

Everything that touches one folder happens under an exclusive `flock` on a lock file beside the
log (`.received.lock`: a dot-file, which intake never lists), which holds between threads and
between processes; the log itself is replaced atomically (temporary file, fsync, rename), so a
reader or a crash sees the old log or the new one, never half a row. The inbox name depends only
on the unit and the bytes, so a retry after a crash between the log and the store rewrites the
same file and the same log row instead of adding a second copy.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import io
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from fsspec.core import url_to_fs

from pcmbn.clock import OFFICE_TZ
from pcmbn.errors import PcmbnError
from pcmbn.intake import RECEPTION_LOG, InboxFile, archive_file, is_local, safe_name
from pcmbn.office.atomic import atomic_write
from pcmbn.office.csv import to_csv_bytes
from pcmbn.submissions.model import Receipt, UnitMismatch, rows_of
from pcmbn.validation.checker import unit_key
from pcmbn.vocabulary import AuditAction, ReceiptStatus

if TYPE_CHECKING:
    from pcmbn.catalog import Catalog
    from pcmbn.domain import Plan, Unit
    from pcmbn.periods import Period
    from pcmbn.resources import Resources
    from pcmbn.store.base import AuditRow

#: The lock file beside a folder's reception log (a dot-file: intake ignores it).
LOCK_NAME = ".received.lock"
#: The reception log's columns, in order: intake reads `file`, `received_at`, `unit_code`.
LOG_COLUMNS = ("file", "received_at", "unit_code", "channel", "sender", "receipt")


def ensure_unit_matches(
    declared_unit: str | None, unit_code: str, catalog: Catalog, plan: Plan | None = None
) -> None:
    """Refuse a file that declares another unit than `unit_code` (the logged-in unit, the mail
    sender's unit), naming both. An unreadable declaration (None) is the checker's business."""
    if not declared_unit or unit_key(declared_unit) == unit_key(unit_code):
        return
    words = catalog.labels.submissions
    raise UnitMismatch(
        words.unit_mismatch.format(
            declared=unit_key(declared_unit),
            declared_name=_unit_name(catalog, unit_key(declared_unit), plan),
            unit=unit_key(unit_code),
            unit_name=_unit_name(catalog, unit_key(unit_code), plan),
        )
    )


def _unit_name(catalog: Catalog, code: str, plan: Plan | None) -> str:
    """A unit's name from the plan's registry (else any registry that lists it), else its code."""
    registries = [catalog.registry(plan)] if plan is not None else []
    registries += list(catalog.registries.values())
    for registry in registries:
        unit = registry.get(code)
        if unit is not None:
            return unit.name
    return code


def inbox_folder(resources: Resources, plan: Plan, period: Period) -> Path:
    """The period's inbox folder on this machine (`<inbox>/<plan>/<period>/`); a remote inbox
    cannot be locked across processes, so receiving refuses it."""
    where = resources.layout.inbox(plan.id, period.code)
    fs, path = url_to_fs(where)
    if not is_local(fs):
        raise PcmbnError(resources.catalog.labels.submissions.local_inbox.format(inbox=where))
    return Path(path)


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Exclusive access to one inbox folder and its reception log, between threads (each call
    opens its own descriptor, and `flock` locks conflict per descriptor) and processes."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def inbox_name(unit_code: str, sha256: str, filename: str) -> str:
    """The file's name in the inbox: unit, the start of its checksum, the original name made
    safe (no folders, no leading dot), at most 200 characters. The same unit and bytes always
    give the same name, so a retried receive replaces rather than duplicates."""
    original = safe_name(PurePosixPath(filename.replace("\\", "/")).name).lstrip(".") or "bao-cao"
    stem, suffix = os.path.splitext(original)
    suffix = suffix.lower()[:10]
    prefix = f"{unit_key(unit_code)}_{sha256[:10]}_"
    return prefix + stem[: 200 - len(prefix) - len(suffix)] + suffix


def read_log(folder: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The folder's reception log as (columns, rows); none yet → the standard columns."""
    path = folder / RECEPTION_LOG
    if not path.exists():
        return list(LOG_COLUMNS), []
    reader = csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline=""))
    columns = list(reader.fieldnames or [])
    rows = [{k: v for k, v in row.items() if k is not None} for row in reader]
    columns += [c for c in LOG_COLUMNS if c not in columns]
    return columns, rows


def write_log_row(folder: Path, row: dict[str, str]) -> None:
    """Put `row` into the folder's reception log (replacing the row of the same file), by an
    atomic rewrite through the project's one CSV writer (`office.csv.to_csv_bytes`: CRLF, BOM,
    text neutralised; the names `inbox_name` gives start with a unit code, so they never
    change). The caller holds `folder_lock`. Rows written by people keep their columns; new
    columns are added at the end."""
    columns, rows = read_log(folder)
    rows = [r for r in rows if (r.get("file") or "").strip() != row["file"]]
    rows.append(row)
    atomic_write(folder / RECEPTION_LOG, to_csv_bytes(rows, columns))


def receipt_id(period: Period, number: int) -> str:
    """A human-readable receipt number: BN-<period without separators>-<six digits>."""
    return f"BN-{re.sub(r'[^0-9A-Za-z]', '', period.code)}-{number:06d}"


def _unit(resources: Resources, plan: Plan, unit_code: str) -> Unit:
    unit = resources.catalog.registry(plan).get(unit_key(unit_code))
    if unit is None:
        words = resources.catalog.labels.submissions
        raise PcmbnError(words.unknown_unit.format(unit=unit_code))
    return unit


def _aware(moment: datetime) -> datetime:
    """A naive time is office time (as everywhere in the pipeline)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=OFFICE_TZ)


def _existing(
    resources: Resources,
    plan: Plan,
    unit_code: str,
    sha256: str,
    channel: str,
    reference: str | None,
) -> Receipt | None:
    """The receipt this delivery repeats: same (reference, sha256), or the same unit, bytes and
    channel still received."""
    store = resources.store
    if reference:
        found = rows_of(store.receipts(reference=reference, sha256=sha256))
        if found:
            return Receipt.from_row(found[0])
    found = rows_of(
        store.receipts(
            plan_id=plan.id,
            unit_code=unit_code,
            sha256=sha256,
            channel=str(channel),
            status=ReceiptStatus.RECEIVED,
        )
    )
    return Receipt.from_row(found[0]) if found else None


def receive(
    resources: Resources,
    plan: Plan,
    period: Period,
    *,
    unit_code: str,
    filename: str,
    content: bytes,
    received_at: datetime,
    channel: str,
    sender: str,
    explanation: str | None = None,
    reference: str | None = None,
) -> Receipt:
    """Put a unit's file into the period's inbox with its reception-log row, archive it,
    record its receipt and audit row; the same delivery again returns the first receipt.

    The received time and sender are the caller's (the session, the mail headers), never the
    file's. The content is not validated here: the portal and the mail intake check it first
    (`ensure_unit_matches`, the checker), the monthly run decides it.
    """
    from pcmbn.service import check_period_in_plan

    check_period_in_plan(plan, period)
    unit = _unit(resources, plan, unit_code)
    folder = inbox_folder(resources, plan, period)
    delivery = _Delivery(
        unit_code=unit.code,
        sha256=hashlib.sha256(content).hexdigest(),
        filename=filename,
        content=content,
        received_at=_aware(received_at),
        channel=str(channel),
        sender=sender,
        explanation=explanation,
        reference=reference,
    )
    return _deliver(resources, plan, period, folder, delivery)


@dataclass(eq=False)
class _Delivery:
    """One `receive` call waiting for the folder's next group (see `_deliver`)."""

    unit_code: str
    sha256: str
    filename: str
    content: bytes
    received_at: datetime
    channel: str
    sender: str
    explanation: str | None
    reference: str | None
    done: threading.Event = field(default_factory=threading.Event)
    receipt: Receipt | None = None
    error: BaseException | None = None
    same_as: _Delivery | None = None  # repeats an earlier delivery of the same group


#: Per (process, folder, resources): deliveries waiting, and the lock of whoever writes them.
_WAITING: dict[tuple[Path, int], list[_Delivery]] = {}
_WRITERS: dict[tuple[Path, int], threading.Lock] = {}
_WAITING_LOCK = threading.Lock()


def _deliver(
    resources: Resources, plan: Plan, period: Period, folder: Path, delivery: _Delivery
) -> Receipt:
    """The receipt of `delivery`, received together with every delivery to the same
    folder that waits meanwhile: fifty units sending at once take a few passes under the
    folder's lock (one log rewrite each), not fifty in a row. Each delivery's outcome is what
    it would be alone, in arrival order (the validator batches checks the same way)."""
    key = (folder, id(resources))
    with _WAITING_LOCK:
        _WAITING.setdefault(key, []).append(delivery)
        writer = _WRITERS.setdefault(key, threading.Lock())
    with writer:
        if not delivery.done.is_set():
            with _WAITING_LOCK:
                group, _WAITING[key] = _WAITING[key], []
            _receive_group(resources, plan, period, folder, group)
    if delivery.error is not None:
        raise delivery.error
    assert delivery.receipt is not None
    return delivery.receipt


def _receive_group(
    resources: Resources, plan: Plan, period: Period, folder: Path, group: list[_Delivery]
) -> None:
    """Under the folder's lock: each delivery's file, archive copy and log row, then every new
    receipt with its audit row in one transaction (a repeat gets the receipt it repeats). The
    log is rewritten once, the receipt numbers are drawn at once, the receipts read back once."""
    store = resources.store
    try:
        with folder_lock(folder):
            columns, log_rows = read_log(folder)
            placed: list[tuple[_Delivery, dict[str, str], dict[str, Any], AuditRow]] = []
            fresh = [d for d in group if not _repeats(resources, plan, d, group)]
            numbers = iter(store.next_numbers("receipt_seq", len(fresh)))
            for delivery in fresh:
                try:
                    log_row, receipt_row, audit = _place(
                        resources, plan, period, folder, delivery, next(numbers)
                    )
                except Exception as exc:  # noqa: BLE001 - this delivery's failure, raised to it
                    delivery.error = exc
                    continue
                placed.append((delivery, log_row, receipt_row, audit))
            for _, log_row, _, _ in placed:
                log_rows = [r for r in log_rows if (r.get("file") or "").strip() != log_row["file"]]
                log_rows.append(log_row)
            if placed:
                atomic_write(folder / RECEPTION_LOG, to_csv_bytes(log_rows, columns))
            _record(store, [(d, row, audit) for d, _, row, audit in placed])
        _read_back(resources, plan, period, [(d, row) for d, _, row, _ in placed])
    except BaseException as exc:
        for delivery in group:
            if delivery.receipt is None and delivery.error is None:
                delivery.error = exc
        if not isinstance(exc, Exception):
            raise
    finally:
        for delivery in group:
            if delivery.same_as is not None:
                delivery.receipt = delivery.same_as.receipt
                delivery.error = delivery.same_as.error
            delivery.done.set()


def _read_back(
    resources: Resources,
    plan: Plan,
    period: Period,
    placed: list[tuple[_Delivery, dict[str, Any]]],
) -> None:
    """Each recorded delivery's receipt as stored (one read for a group). A receipt a later
    delivery of the same group superseded is answered as its caller would have seen it alone,
    just received (the store already says superseded, as it would a moment later)."""
    recorded = [(d, row) for d, row in placed if d.error is None]
    if not recorded:
        return
    if len(recorded) == 1:
        found = get_receipt(resources, recorded[0][1]["receipt_id"])
        stored = {found.id: found} if found is not None else {}
    else:
        frame = resources.store.receipts(plan_id=plan.id, period=period.code)
        stored = {r.id: r for r in map(Receipt.from_row, rows_of(frame))}
    later: set[str] = set()
    for delivery, row in reversed(recorded):
        receipt = stored.get(row["receipt_id"])
        if receipt is None:
            delivery.error = PcmbnError(f"receipt {row['receipt_id']} was not stored")
            continue
        if receipt.status == ReceiptStatus.SUPERSEDED and row["unit_code"] in later:
            receipt = replace(receipt, status=str(ReceiptStatus.RECEIVED))
        later.add(row["unit_code"])
        delivery.receipt = receipt


def _record(store: Any, items: list[tuple[_Delivery, dict[str, Any], AuditRow]]) -> None:
    """Every receipt of the group in one transaction; should that fail, each on its own, so
    one delivery's failure stays its own."""
    try:
        store.record_receipts([(row, audit) for _, row, audit in items])
    except Exception:  # noqa: BLE001 - retried one by one below, each failure to its caller
        for delivery, row, audit in items:
            try:
                if rows_of(store.receipts(receipt_id=row["receipt_id"])):
                    continue
                store.record_receipt(row, audit)
            except Exception as exc:  # noqa: BLE001 - this delivery's failure, raised to it
                delivery.error = exc


def _repeats(resources: Resources, plan: Plan, delivery: _Delivery, group: list[_Delivery]) -> bool:
    """Whether `delivery` repeats a receipt: a stored one (then set as its receipt) or an
    earlier delivery of the group (whose outcome it then shares)."""
    unit_code, sha256, channel = delivery.unit_code, delivery.sha256, delivery.channel
    for earlier in group[: group.index(delivery)]:
        if earlier.sha256 == sha256 and earlier.same_as is None:
            same_reference = bool(delivery.reference) and earlier.reference == delivery.reference
            same_unit = (earlier.unit_code, earlier.channel) == (unit_code, channel)
            if same_reference or same_unit:
                delivery.same_as = earlier
                return True
    delivery.receipt = _existing(resources, plan, unit_code, sha256, channel, delivery.reference)
    return delivery.receipt is not None


def _place(
    resources: Resources,
    plan: Plan,
    period: Period,
    folder: Path,
    delivery: _Delivery,
    number: int,
) -> tuple[dict[str, str], dict[str, Any], AuditRow]:
    """Put one new delivery's file into the inbox and the archive: its log row, receipt row
    and audit row."""
    unit_code, sha256, channel = delivery.unit_code, delivery.sha256, delivery.channel
    rid = receipt_id(period, number)
    name = inbox_name(unit_code, sha256, delivery.filename)
    target = folder / name
    if not (target.exists() and _sha_of(target) == sha256):
        atomic_write(target, delivery.content)
    archived = archive_file(
        InboxFile(str(target), name, delivery.received_at, unit_code, None, len(delivery.content)),
        resources.settings.archive_root,
        resources.layout.tmp_dir,
    )
    log_row = {
        "file": name,
        "received_at": delivery.received_at.astimezone(OFFICE_TZ).isoformat(),
        "unit_code": unit_code,
        "channel": channel,
        "sender": delivery.sender,
        "receipt": rid,
    }
    receipt_row = {
        "receipt_id": rid,
        "number": number,
        "plan_id": plan.id,
        "period": period.code,
        "unit_code": unit_code,
        "sha256": sha256,
        "size": len(delivery.content),
        "original_name": safe_name(delivery.filename),
        "inbox_name": name,
        "archive_path": archived.archive_path,
        "received_at": delivery.received_at,
        "channel": channel,
        "sender": delivery.sender,
        "status": str(ReceiptStatus.RECEIVED),
        "explanation": delivery.explanation,
        "reference": delivery.reference,
    }
    detail = (
        f"{rid} {unit_code} {channel} {delivery.sender} {safe_name(delivery.filename)} "
        f"sha256 {sha256}"
    )
    audit = (
        datetime.now(tz=UTC),
        delivery.sender,
        str(AuditAction.RECEIVE),
        plan.id,
        period.code,
        detail,
    )
    return log_row, receipt_row, audit


def _sha_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def get_receipt(resources: Resources, receipt_id: str) -> Receipt | None:
    """The receipt with this number, or None."""
    found = rows_of(resources.store.receipts(receipt_id=receipt_id.strip()))
    return Receipt.from_row(found[0]) if found else None


def receipts_for_unit(
    resources: Resources, plan_id: str, unit_code: str, period: Period | None = None
) -> list[Receipt]:
    """A unit's receipts for a plan (one period, or all), newest first."""
    frame = resources.store.receipts(
        plan_id=plan_id, unit_code=unit_key(unit_code), period=period.code if period else None
    )
    return [Receipt.from_row(row) for row in rows_of(frame)]


def receipts_for_period(resources: Resources, plan_id: str, period: Period) -> list[Receipt]:
    """Every receipt of a plan and period, newest first (the desk, `pcmbn status`)."""
    frame = resources.store.receipts(plan_id=plan_id, period=period.code)
    return [Receipt.from_row(row) for row in rows_of(frame)]
