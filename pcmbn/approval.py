"""Approve and lock a period, reopen it on the record (as DHIS2 does with data approval).

Once the standing office sends a month's figures upward they are the official record: the
approval freezes the period's current submissions, its totals and the checksum of its summary
workbook. A later correction is archived and held as `pending` until the period is reopened,
with a reason, and rerun. Every approval and reopening is an audit-log row; an earlier approval
stays on the record after a reopening.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from pcmbn.catalog import Catalog
from pcmbn.domain import Plan
from pcmbn.errors import PcmbnError, UsageError
from pcmbn.monthly import applicable_values, provincial_totals
from pcmbn.office.jsonio import dumps_strict
from pcmbn.periods import Period, format_date_vi
from pcmbn.store.history import HistoryStore
from pcmbn.vocabulary import SubmissionStatus

#: The status of a file received while its period is approved (kept for importers).
PENDING = SubmissionStatus.PENDING


def sha256_file(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def approve_period(
    store: HistoryStore,
    catalog: Catalog,
    plan: Plan,
    period: Period,
    summary: Path,
    note: str | None = None,
    *,
    by: str,
) -> dict[str, object]:
    """Freeze the period; refuse when it is already approved and not reopened.

    `summary` is the period's summary workbook (`OutputLayout.summary`), whose checksum is
    frozen with the figures; `by` is who approves (`Settings.actor`).
    """
    existing = store.active_approval(plan.id, period)
    if existing is not None:
        when = existing["approved_at"]
        raise PcmbnError(
            f"Kỳ {period.label_vi} của kế hoạch {plan.id} đã được phê duyệt ngày "
            f"{format_date_vi(when.date())} bởi {existing['approved_by']}; muốn sửa thì mở "
            "lại trước (pcmbn reopen)."
        )
    if not store.runs(plan.id, period):
        raise PcmbnError(
            f"Kỳ {period.label_vi} của kế hoạch {plan.id} chưa được tổng hợp lần nào nên chưa "
            f"thể phê duyệt; chạy trước: pcmbn run --plan {plan.id} --period {period.code}"
        )
    values = applicable_values(
        store.current_values(plan.id, [period]), catalog, catalog.registry(plan).units
    )
    current = store.submissions(plan.id, period)
    accepted = current["status"] == SubmissionStatus.ACCEPTED
    frozen = current[accepted & current["superseded_by"].isna()]
    now = datetime.now(tz=UTC)
    approval = {
        "approval_id": hashlib.sha256(
            f"{plan.id}|{period.code}|{now.isoformat()}".encode()
        ).hexdigest()[:16],
        "plan_id": plan.id,
        "period": period.code,
        "approved_by": by,
        "approved_at": now,
        "note": note,
        "totals": dumps_strict(provincial_totals(values, catalog, plan, period), sort_keys=True),
        "summary_sha256": sha256_file(summary),
        "submissions": ",".join(sorted(frozen["sha256"])),
    }
    store.approve(approval, approval["approved_by"], now)
    return approval


def reopen_period(
    store: HistoryStore, plan: Plan, period: Period, reason: str | None, *, by: str
) -> None:
    """Reopen an approved period; a reason is required and recorded with who (`by`) did it."""
    if not reason or not reason.strip():
        raise UsageError('Cần ghi lý do mở lại kỳ đã phê duyệt: --reason "...".')
    if not store.runs(plan.id, period):
        # Nothing aggregated: "chưa có số liệu", never "chưa phê duyệt" (issue 12, item 19).
        raise PcmbnError(
            f"Kỳ {period.label_vi} của kế hoạch {plan.id} chưa có số liệu (chưa được tổng hợp "
            "lần nào) nên không có gì để mở lại."
        )
    if not store.reopen(plan.id, period, by, datetime.now(tz=UTC), reason.strip()):
        raise PcmbnError(
            f"Kỳ {period.label_vi} của kế hoạch {plan.id} chưa được phê duyệt nên không cần mở lại."
        )
