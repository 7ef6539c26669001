"""The officer's desk: one row per expected unit of a plan and period, with the status the
office acts on (chưa gửi, đã gửi, bị từ chối, bị trả lại, đúng hạn, muộn).

The last run's completeness table says what was decided; receipts whose file no run recorded
yet say what arrived since (đã gửi: received, not yet run), and which files the office
returned. Pure reads: the same rows feed the desk page, its JSON and `pcmbn status`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from pcmbn.submissions.model import DeskRow, Receipt, rows_of
from pcmbn.submissions.receive import get_receipt, receipts_for_period
from pcmbn.vocabulary import DeskStatus, ReceiptStatus

if TYPE_CHECKING:
    from pcmbn.domain import Plan
    from pcmbn.periods import Period
    from pcmbn.resources import Resources

#: What checks a file afresh: `WarmValidator.check_bytes`'s signature (files, feedback folder)
#: → the `pcmbn check --format json` document.
CheckBytes = Callable[[list[tuple[str, bytes]], Path | None], dict[str, Any]]
#: Where the desk keeps the annotated copy of a file checked afresh (under the home).
DESK_CHECKS = Path("portal") / "van-phong"


def desk_matrix(
    resources: Resources, plan: Plan, period: Period, group: str | None = None
) -> list[DeskRow]:
    """The desk's rows in registry order (only `group`'s units when given)."""
    from pcmbn.monthly import completeness

    catalog, store = resources.catalog, resources.store
    expected = catalog.expected_units(plan, period)
    table = completeness(expected, store.submissions(plan.id, period.code), plan, period)
    decided = {row.unit_code: row for row in table.itertuples()}
    newest: dict[str, Receipt] = {}
    for receipt in receipts_for_period(resources, plan.id, period):  # newest first
        newest.setdefault(receipt.unit_code, receipt)
    # "Đã gửi": a file no run has recorded yet (by its bytes, not by times: a mailed file
    # keeps the message's received time, which may be older than the last run).
    seen = store.known([r.sha256 for r in newest.values()])
    labels = catalog.labels.desk_status
    rows = []
    for unit in expected:
        unit_group = catalog.group_of(unit)
        if group and unit_group != group:
            continue
        receipt = newest.get(unit.code)
        row = decided.get(unit.code)
        status = DeskStatus(str(row.status)) if row is not None else DeskStatus.MISSING
        when = None
        if row is not None and row.received_at is not None and not pd.isna(row.received_at):
            when = pd.Timestamp(row.received_at).to_pydatetime()
        if receipt is not None:
            if receipt.status == ReceiptStatus.RETURNED:
                status = DeskStatus.RETURNED
            elif receipt.sha256 not in seen or status == DeskStatus.RETURNED:
                status = DeskStatus.RECEIVED  # new, or sent again after the return
            if status in (DeskStatus.RETURNED, DeskStatus.RECEIVED):
                when = receipt.received_at
        rows.append(
            DeskRow(
                unit_code=unit.code,
                unit_name=unit.name,
                group=unit_group,
                status=str(status),
                label=labels[status],
                receipt_id=receipt.id if receipt is not None else None,
                received_at=when,
            )
        )
    return rows


def desk_counts(rows: list[DeskRow]) -> dict[str, int]:
    """Units per desk status, every status listed (zeros included), in `DeskStatus` order."""
    counts = dict.fromkeys((str(s) for s in DeskStatus), 0)
    for row in rows:
        counts[row.status] += 1
    return counts


@dataclass(frozen=True)
class SubmissionView:
    """A unit's submission as the officer reviews it: the receipt, what the last run decided
    (None: not run yet), every problem, and the annotated copy to download."""

    receipt: Receipt
    unit_name: str
    decision: str | None  # SubmissionStatus recorded by a run, None before any run saw it
    problems: list[dict[str, Any]]  # severity, rule, sheet, cell, message (errors first)
    feedback: Path | None  # the annotated workbook (or the note for a hostile file)
    source: str  # "run": the run's findings; "check": a fresh check of the received file

    def to_json(self) -> dict[str, Any]:
        return {
            "receipt": self.receipt.to_json(),
            "unit_name": self.unit_name,
            "decision": self.decision,
            "problems": self.problems,
            "feedback": self.feedback.name if self.feedback else None,
            "source": self.source,
        }


def submission_view(
    resources: Resources, receipt_id: str, check: CheckBytes | None = None
) -> SubmissionView | None:
    """The submission behind a receipt, or None for an unknown receipt.

    Once a run recorded the file, its problems and the run's feedback workbook are shown;
    before that the file is checked afresh with `check` (the warm validator), once per file:
    the annotated copy is kept under `<home>/portal/van-phong/<sha256>/`."""
    receipt = get_receipt(resources, receipt_id)
    if receipt is None:
        return None
    catalog = resources.catalog
    plan = catalog.plan(receipt.plan_id)
    unit = catalog.registry(plan).get(receipt.unit_code)
    unit_name = unit.name if unit is not None else receipt.unit_code
    store = resources.store
    recorded = store.submissions(receipt.plan_id, receipt.period)
    mine = recorded[recorded["sha256"] == receipt.sha256] if not recorded.empty else recorded
    if not mine.empty:
        problems = [_problem(p) for p in rows_of(store.problems_of(receipt.sha256))]
        feedback = run_feedback(resources, receipt)
        return SubmissionView(
            receipt, unit_name, str(mine["status"].iloc[0]), problems, feedback, "run"
        )
    folder = Path(resources.settings.home) / DESK_CHECKS / receipt.sha256
    problems, feedback = _fresh_check(resources, receipt, folder, check)
    return SubmissionView(receipt, unit_name, None, problems, feedback, "check")


def _problem(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row.get(k) for k in ("severity", "rule", "sheet", "cell", "message")}


def _ordered(problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(problems, key=lambda p: p.get("severity") != "error")


def run_feedback(resources: Resources, receipt: Receipt) -> Path | None:
    """The run's annotated copy of this file (`layout.feedback_name`: unit, sha256 prefix)."""
    folder = resources.layout.feedback_dir(receipt.plan_id, receipt.period)
    if not folder.is_dir():
        return None
    found = sorted(folder.glob(f"{receipt.unit_code}_{receipt.sha256[:12]}_*"))
    return found[0] if found else None


def _fresh_check(
    resources: Resources, receipt: Receipt, folder: Path, check: CheckBytes | None
) -> tuple[list[dict[str, Any]], Path | None]:
    import json

    from pcmbn.office.atomic import atomic_write
    from pcmbn.office.jsonio import dumps_strict

    kept = folder / "check.json"
    if kept.exists():
        item = json.loads(kept.read_text(encoding="utf-8"))
    elif check is None:
        return [], None
    else:
        import fsspec

        with fsspec.open(receipt.archive_path, "rb") as handle:
            content = handle.read()
        document = check([(receipt.original_name, content)], folder / "kiem-tra")
        item = document["files"][0]
        atomic_write(kept, dumps_strict(item, default=str))
    problems = _ordered([_problem(p) for p in item.get("problems", [])])
    annotated = folder / "kiem-tra"
    found = sorted(annotated.iterdir()) if annotated.is_dir() else []
    return problems, found[0] if found else None


def period_document(resources: Resources, plan: Plan, period: Period) -> dict[str, Any]:
    """`GET /api/v1/periods/{plan}/{period}`: the completeness table with the desk's view of
    each unit, the counts, the due date and whether the period is approved."""
    from pcmbn.service import period_status

    status = period_status(resources, plan, period)
    labels = resources.catalog.labels
    desk = {row.unit_code: row for row in desk_matrix(resources, plan, period)}
    units = []
    for row in status.table.itertuples():
        received = row.received_at
        seen = desk.get(row.unit_code)
        units.append(
            {
                "unit_code": row.unit_code,
                "unit_name": row.unit_name,
                "status": str(row.status),
                "label": labels.completeness[row.status],
                "received_at": (
                    pd.Timestamp(received).isoformat()
                    if received is not None and not pd.isna(received)
                    else None
                ),
                "file_name": row.file_name if isinstance(row.file_name, str) else None,
                "desk": seen.to_json() if seen is not None else None,
            }
        )
    return {
        "plan_id": plan.id,
        "period": period.code,
        "due_date": status.due.isoformat(),
        "approved": status.approved,
        "ever_run": status.ever_run,
        "counts": {str(k): v for k, v in status.counts().items()},
        "desk_counts": desk_counts(list(desk.values())),
        "completeness": units,
    }


def period_downloads(resources: Resources, plan: Plan, period: Period) -> dict[str, Path]:
    """What the desk offers to download for a period: the summary workbook, the validation
    report, and the plan's conference packets (name → path; only files that exist)."""
    layout = resources.layout
    found: dict[str, Path] = {}
    for path in (
        layout.summary(plan.id, period.code),
        layout.validation_report(plan.id, period.code),
    ):
        if path.is_file():
            found[path.name] = path
    packets = layout.packets_dir(plan.id)
    if packets.is_dir():
        for path in sorted(packets.rglob("*.zip")):
            if not any(part.startswith(".") for part in path.relative_to(packets).parts):
                found[path.name] = path  # a packet's hidden staging folder is not offered
    return found
