"""What the office keeps of a delivered file: a receipt, a held file, a cell of the desk.

Plain frozen dataclasses built from the store's rows (`from_row`), so the portal, the mail
intake, the CLI and the desk read the same objects; times are aware and shown in office time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from pcmbn.clock import OFFICE_TZ
from pcmbn.errors import PcmbnError


class UnitMismatch(PcmbnError):
    """A file declares another unit than the one delivering it (the portal's logged-in unit,
    the mail sender's unit); the message names both, code and name."""


class SubmissionError(PcmbnError):
    """A receipt or held file that cannot be acted on (unknown id, already returned …)."""


def shown_time(moment: datetime) -> str:
    """A time as a person reads it: office time, dd/mm/yyyy HH:MM."""
    return moment.astimezone(OFFICE_TZ).strftime("%d/%m/%Y %H:%M")


def _aware(value: Any) -> datetime:
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(OFFICE_TZ)
    return stamp.to_pydatetime()


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    return str(value)


@dataclass(frozen=True)
class Receipt:
    """A file received from a unit: số biên nhận, fingerprint, when, how and from whom."""

    id: str  # số biên nhận, e.g. "BN-202608-000123"
    plan_id: str
    period: str  # Period.code
    unit_code: str
    sha256: str
    size: int
    original_name: str
    received_at: datetime  # aware
    channel: str  # Channel
    sender: str  # portal username or e-mail address
    status: str  # ReceiptStatus
    explanation: str | None
    reference: str | None  # mail: Message-ID
    return_reason: str | None
    inbox_name: str = ""  # the file's name in the period's inbox folder
    archive_path: str = ""
    returned_at: datetime | None = None
    returned_by: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Receipt:
        returned = row.get("returned_at")
        return cls(
            id=str(row["receipt_id"]),
            plan_id=str(row["plan_id"]),
            period=str(row["period"]),
            unit_code=str(row["unit_code"]),
            sha256=str(row["sha256"]),
            size=int(row["size"]),
            original_name=str(row["original_name"]),
            received_at=_aware(row["received_at"]),
            channel=str(row["channel"]),
            sender=str(row["sender"]),
            status=str(row["status"]),
            explanation=_text(row.get("explanation")),
            reference=_text(row.get("reference")),
            return_reason=_text(row.get("return_reason")),
            inbox_name=str(row.get("inbox_name") or ""),
            archive_path=str(row.get("archive_path") or ""),
            returned_at=None if returned is None or pd.isna(returned) else _aware(returned),
            returned_by=_text(row.get("returned_by")),
        )

    @property
    def received_vi(self) -> str:
        return shown_time(self.received_at)

    def to_json(self) -> dict[str, Any]:
        """The receipt as the API answers it (strict JSON: strings, numbers, null)."""
        return {
            "id": self.id,
            "plan_id": self.plan_id,
            "period": self.period,
            "unit_code": self.unit_code,
            "sha256": self.sha256,
            "size": self.size,
            "original_name": self.original_name,
            "received_at": self.received_at.astimezone(OFFICE_TZ).isoformat(),
            "received_at_vi": self.received_vi,
            "channel": self.channel,
            "sender": self.sender,
            "status": self.status,
            "explanation": self.explanation,
            "reference": self.reference,
            "return_reason": self.return_reason,
        }


@dataclass(frozen=True)
class Held:
    """A mailed file waiting for the officer (unknown sender, another unit's file)."""

    id: str  # e.g. "TG-000007"
    received_at: datetime
    sender: str
    filename: str
    sha256: str
    reason: str  # HeldReason
    message: str  # Vietnamese; names both units for a mismatch
    reference: str | None
    plan_id: str | None
    period: str | None
    unit_code: str | None
    state: str  # HeldState
    channel: str = "email"
    size: int = 0
    archive_path: str = ""
    decided_by: str | None = None
    decision: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Held:
        return cls(
            id=str(row["held_id"]),
            received_at=_aware(row["received_at"]),
            sender=str(row["sender"]),
            filename=str(row["filename"]),
            sha256=str(row["sha256"]),
            reason=str(row["reason"]),
            message=str(row["message"]),
            reference=_text(row.get("reference")),
            plan_id=_text(row.get("plan_id")),
            period=_text(row.get("period")),
            unit_code=_text(row.get("unit_code")),
            state=str(row["state"]),
            channel=str(row.get("channel") or "email"),
            size=int(row.get("size") or 0),
            archive_path=str(row.get("archive_path") or ""),
            decided_by=_text(row.get("decided_by")),
            decision=_text(row.get("decision")),
        )

    @property
    def received_vi(self) -> str:
        return shown_time(self.received_at)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "received_at": self.received_at.astimezone(OFFICE_TZ).isoformat(),
            "received_at_vi": self.received_vi,
            "sender": self.sender,
            "filename": self.filename,
            "sha256": self.sha256,
            "reason": self.reason,
            "message": self.message,
            "reference": self.reference,
            "plan_id": self.plan_id,
            "period": self.period,
            "unit_code": self.unit_code,
            "state": self.state,
        }


@dataclass(frozen=True)
class DeskRow:
    """One unit's cell in the officer's desk matrix for a plan and period."""

    unit_code: str
    unit_name: str
    group: str  # group key from unit_kinds.yaml `groups:`
    status: str  # DeskStatus
    label: str  # its Vietnamese label (labels.yaml `desk_status`)
    receipt_id: str | None
    received_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "unit_code": self.unit_code,
            "unit_name": self.unit_name,
            "group": self.group,
            "status": self.status,
            "label": self.label,
            "receipt_id": self.receipt_id,
            "received_at": (
                self.received_at.astimezone(OFFICE_TZ).isoformat() if self.received_at else None
            ),
        }


def rows_of(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A store frame as plain dicts (NaN/NaT as None)."""
    if frame.empty:
        return []
    clean = frame.astype(object).where(frame.notna(), None)
    return [
        dict(zip(clean.columns, values, strict=True)) for values in clean.itertuples(index=False)
    ]
