"""TEMPORARY SHIM of the `submissions` slice's contract (/work/notes/submissions_contract.md).

The mail intake is written against `receive`, `hold`, `ensure_unit_matches`, `Receipt`, `Held`
and `UnitMismatch`; this thin stand-in keeps the same names and meanings (inbox folder, its
`received.csv` with file, received_at, unit_code, channel, sender, receipt; idempotency on
(reference, sha256) and (unit, sha256, channel)) until branch `submissions` is merged, when this
file is deleted.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import io
import json
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pcmbn.errors import PcmbnError
from pcmbn.intake import RECEPTION_LOG, safe_name

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pcmbn.catalog import Catalog
    from pcmbn.domain import Plan
    from pcmbn.periods import Period
    from pcmbn.resources import Resources

_INDEX = "submissions-shim.json"


class UnitMismatch(PcmbnError):
    """A file declares another unit than the one delivering it; names both."""


@dataclass(frozen=True)
class Receipt:
    id: str
    plan_id: str
    period: str
    unit_code: str
    sha256: str
    size: int
    original_name: str
    received_at: datetime
    channel: str
    sender: str
    status: str
    explanation: str | None
    reference: str | None
    return_reason: str | None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["received_at"] = self.received_at.isoformat()
        return data


@dataclass(frozen=True)
class Held:
    id: str
    received_at: datetime
    sender: str
    filename: str
    sha256: str
    reason: str
    message: str
    reference: str | None
    plan_id: str | None
    period: str | None
    unit_code: str | None
    state: str


def ensure_unit_matches(declared_unit: str | None, unit_code: str, catalog: Catalog) -> None:
    """Raise `UnitMismatch` when the file declares another unit than `unit_code`."""
    if declared_unit is None or declared_unit.strip().upper() == unit_code.upper():
        return
    names = {u.code: u.name for r in catalog.registries.values() for u in r.units.values()}
    declared = declared_unit.strip().upper()
    unknown = "không có trong danh mục"
    raise UnitMismatch(
        f"Tệp ghi là báo cáo của đơn vị {declared} ({names.get(declared, unknown)}) nhưng "
        f"được gửi từ địa chỉ của đơn vị {unit_code} ({names.get(unit_code, unit_code)})."
    )


@contextmanager
def _index(resources: Resources) -> Iterator[dict[str, Any]]:
    path = resources.settings.home / _INDEX
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = (
            json.loads(path.read_text(encoding="utf-8"))
            if path.exists()
            else {"receipts": [], "held": []}
        )
        yield data
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)


def _receipt(row: dict[str, Any]) -> Receipt:
    return Receipt(**{**row, "received_at": datetime.fromisoformat(row["received_at"])})


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
    sha = hashlib.sha256(content).hexdigest()
    with _index(resources) as data:
        for row in data["receipts"]:
            same_ref = reference is not None and row["reference"] == reference
            if (same_ref and row["sha256"] == sha) or (
                row["unit_code"] == unit_code and row["sha256"] == sha and row["channel"] == channel
            ):
                return _receipt(row)
        folder = Path(resources.layout.inbox(plan.id, period.code))
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{unit_code}_{sha[:8]}_{safe_name(filename)}"
        (folder / name).write_bytes(content)
        number = len(data["receipts"]) + 1
        receipt = Receipt(
            f"BN-{period.code.replace('-', '')}-{number:06d}",
            plan.id,
            period.code,
            unit_code,
            sha,
            len(content),
            filename,
            received_at,
            channel,
            sender,
            "received",
            explanation,
            reference,
            None,
        )
        log = folder / RECEPTION_LOG
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        if not log.exists():
            writer.writerow(["file", "received_at", "unit_code", "channel", "sender", "receipt"])
        writer.writerow([name, received_at.isoformat(), unit_code, channel, sender, receipt.id])
        with log.open("a", encoding="utf-8", newline="") as fp:
            fp.write(out.getvalue())
        data["receipts"].append(receipt.to_json())
        return receipt


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
) -> Held:
    sha = hashlib.sha256(content).hexdigest()
    with _index(resources) as data:
        for row in data["held"]:
            if row["sha256"] == sha and row["reference"] == reference:
                return Held(**{**row, "received_at": datetime.fromisoformat(row["received_at"])})
        held = Held(
            f"GL-{len(data['held']) + 1:06d}",
            received_at,
            sender,
            filename,
            sha,
            reason,
            message,
            reference,
            plan_id,
            period,
            unit_code,
            "held",
        )
        row = asdict(held)
        row["received_at"] = received_at.isoformat()
        data["held"].append(row)
        return held


def held_items(resources: Resources, state: str = "held") -> list[Held]:
    with _index(resources) as data:
        return [
            Held(**{**row, "received_at": datetime.fromisoformat(row["received_at"])})
            for row in data["held"]
            if row["state"] == state
        ]
