"""Comparisons by unit for the summary (issue 18): each unit's key figures beside its own past.

A unit that did not exist in the compared period (a commune of 2026 against 2025, Sở Nội vụ
against the months before 01/03/2025) is compared with its predecessors' figures through
`pcmbn.lineage`, and the row's note says so; the province totals of `TongHop` are untouched
(they sum the units of each period itself).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from pcmbn.catalog import Catalog
from pcmbn.domain import Plan, Unit
from pcmbn.lineage import comparable_value, history_index, predecessors
from pcmbn.periods import Period
from pcmbn.summary.model import BY_UNIT_COLUMNS


def by_unit_comparisons(
    values: pd.DataFrame,
    catalog: Catalog,
    plan: Plan,
    period: Period,
    expected: list[Unit],
    group_labels: dict[str, str],
    change: Callable[[float, float], float],
) -> pd.DataFrame:
    """One row per expected unit × key indicator (schemas/summary.yaml) that applies to it.

    `values` are the plan's current values of `period`, its previous period and the same period
    last year (as `summary.build` reads them); `change` is the summary's change function.
    """
    registry, rule = catalog.registry(plan), plan.reporting.cutoff
    index = history_index(values)
    previous, last_year = period.previous(), period.same_period_last_year()
    codes = [
        c
        for c in catalog.summary.key_indicators
        if c in catalog.indicators and catalog.indicators[c].in_force(period, rule)
    ]
    rows = []
    for unit in expected:
        # One resolution per unit and compared period, for all its indicators.
        was = predecessors(catalog, registry, unit.code, previous, rule)
        was_year = predecessors(catalog, registry, unit.code, last_year, rule)
        for code in codes:
            ind = catalog.indicators[code]
            if not ind.applies(unit.kind, period, rule):
                continue
            this = index.get((unit.code, period.code, code), float("nan"))
            before = comparable_value(
                index, catalog, registry, unit.code, previous, code, rule, sources=was
            )
            year_ago = comparable_value(
                index, catalog, registry, unit.code, last_year, code, rule, sources=was_year
            )
            notes = [
                n
                for n in (
                    before.note(catalog, "previous_period"),
                    year_ago.note(catalog, "same_period_last_year"),
                )
                if n
            ]
            b = float("nan") if before.value is None else before.value
            y = float("nan") if year_ago.value is None else year_ago.value
            rows.append(
                {
                    "unit_code": unit.code,
                    "unit_name": unit.name,
                    "group_label": group_labels.get(unit.code, ""),
                    "code": code,
                    "name": ind.name,
                    "period": this,
                    "previous": b,
                    "last_year": y,
                    "change_prev_pct": change(this, b),
                    "change_year_pct": change(this, y),
                    "note": "; ".join(notes),
                }
            )
    return pd.DataFrame(rows, columns=list(BY_UNIT_COLUMNS))
