"""The officer's desk: one row per expected unit of a plan and period, with the status the
office acts on (chưa gửi, đã gửi, bị từ chối, bị trả lại, đúng hạn, muộn).

The last run's completeness table says what was decided; receipts newer than that run say what
arrived since (đã gửi: received, not yet run) and which files the office returned. Pure reads:
the same rows feed the desk page, its JSON and `pcmbn status`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from pcmbn.submissions.model import DeskRow, Receipt
from pcmbn.submissions.receive import receipts_for_period
from pcmbn.vocabulary import DeskStatus, ReceiptStatus

if TYPE_CHECKING:
    from pcmbn.domain import Plan
    from pcmbn.periods import Period
    from pcmbn.resources import Resources


def desk_matrix(
    resources: Resources, plan: Plan, period: Period, group: str | None = None
) -> list[DeskRow]:
    """The desk's rows in registry order (only `group`'s units when given)."""
    from pcmbn.monthly import completeness

    catalog, store = resources.catalog, resources.store
    expected = catalog.expected_units(plan, period)
    table = completeness(expected, store.submissions(plan.id, period.code), plan, period)
    decided = {row.unit_code: row for row in table.itertuples()}
    last_run = store.latest_run_at(plan.id, [period.code])
    newest: dict[str, Receipt] = {}
    for receipt in receipts_for_period(resources, plan.id, period):  # newest first
        newest.setdefault(receipt.unit_code, receipt)
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
            elif last_run is None or receipt.received_at > last_run:
                status = DeskStatus.RECEIVED
            when = receipt.received_at if status != DeskStatus.MISSING else when
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
