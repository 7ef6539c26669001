"""What the unit reported before: the basis of the rules that need history.

Cumulative continuity (this cumulative = previous accepted cumulative + this period's value,
within a calendar year) and outliers against the unit's own history (DHIS2-style min–max bounds
from the interquartile range) run in the same Great Expectations pass as every other rule; this
module only prepares the numbers they compare.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pcmbn.catalog import Catalog
from pcmbn.domain import Aggregation, Plan, Unit
from pcmbn.lineage import comparable_value, has_predecessors, history_index, predecessors
from pcmbn.periods import Period, months_between
from pcmbn.vocabulary import RuleId

if TYPE_CHECKING:
    from pcmbn.store.base import Store

#: The rules that compare a report with the unit's earlier months (they need the store).
HISTORY_RULES = (RuleId.VALUE_CUMULATIVE_DISCONTINUITY, RuleId.VALUE_OUTLIER)
#: Months of a unit's own history needed before its values are judged for outliers.
MIN_HISTORY = 6
HISTORY_MONTHS = 12


@dataclass(frozen=True)
class HistoryContext:
    #: (unit, indicator) -> cumulative of the previous month's current submission (same year)
    previous_cumulative: dict[tuple[str, str], float] = field(default_factory=dict)
    #: (unit, indicator) -> (low, high) bounds of ordinary period values
    bounds: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)
    #: codes of the earlier months the store holds any current value of the plan for
    months_known: frozenset[str] = frozenset()


def read_history(
    store: Store,
    catalog: Catalog,
    plan: Plan,
    period: Period,
    units: Iterable[str] | None = None,
) -> HistoryContext:
    """The history context of a plan's period as the store knows it: what the monthly run
    validates with, and what `pcmbn check` applies when a store is at hand (one copy).

    `units`: the unit codes of one validation batch; then one query fetches only their
    figures (and their predecessors', for the lineage rules), never the whole plan's months.
    For those units the context is the same as from the whole plan's history; its
    `months_known` counts only their months."""
    months = months_for_history(period)
    wanted = None if units is None else sorted(history_units(catalog, plan, period, units))
    values = store.current_values(plan.id, months, wanted, provenance=False)
    return history_context(values, catalog, plan, period)


def history_units(catalog: Catalog, plan: Plan, period: Period, units: Iterable[str]) -> set[str]:
    """The units whose figures the history rules of `units` read: themselves and, for a unit
    formed by a reform, its predecessors over the history months (recursively)."""
    registry, rule = catalog.registry(plan), plan.reporting.cutoff
    found = set(units)
    for code in list(found):
        if code not in registry.units or not has_predecessors(catalog, registry, code):
            continue
        for month in months_for_history(period):
            found.update(s.code for s in predecessors(catalog, registry, code, month, rule))
    return found


def rules_without_history(history: HistoryContext, period: Period) -> list[RuleId]:
    """The history rules the run would apply to `period` that `history` cannot support.

    Cumulative continuity needs the previous month of the same year (January starts a new
    cumulative, so it has none to need); outliers need some earlier month. A quarter or a year
    gets no history rule in the run either, so nothing is missing for it.
    """
    if period.kind != "month":
        return []
    missing = []
    previous = period.previous()
    if previous.year == period.year and previous.code not in history.months_known:
        missing.append(RuleId.VALUE_CUMULATIVE_DISCONTINUITY)
    if not history.months_known:
        missing.append(RuleId.VALUE_OUTLIER)
    return missing


def outlier_bounds(values: list[float]) -> tuple[float, float] | None:
    """Ordinary range from the unit's own history: [min, q3 + 3·max(IQR, 1)].

    Counts here are small and mostly zero, so a pure z-score would flag every first case; the
    floor of 1 on the IQR keeps "usually 0, now 2" quiet and "usually 0, now 40" loud.
    """
    if len(values) < MIN_HISTORY:
        return None
    # NumPy, not a pandas Series: a run builds one per unit and indicator (170 units: ~1 s of
    # Series overhead). The same figures: pandas' quantile is np.percentile (linear), NaN left
    # out, as its min leaves them out.
    array = np.asarray(values, dtype="float64")
    array = array[~np.isnan(array)]
    if array.size == 0:
        return float("nan"), float("nan")
    q1, q3 = np.percentile(array, [25.0, 75.0])
    high = q3 + 3 * max(q3 - q1, 1.0)
    return float(array.min()), float(high)


def history_context(
    history: pd.DataFrame, catalog: Catalog, plan: Plan, period: Period
) -> HistoryContext:
    """Build the context from current values of earlier months (see `HistoryStore`).

    `history` has columns unit_code, period, indicator, period_value, cumulative.
    """
    if history.empty or period.kind != "month":
        return HistoryContext()
    known = frozenset(str(code) for code in history["period"].unique())
    previous = period.previous()
    prev_rows = (
        history[history["period"] == previous.code]
        if previous.year == period.year
        else history.iloc[0:0]
    )
    sums = {code for code, ind in catalog.indicators.items() if ind.aggregation is Aggregation.SUM}
    previous_cumulative = {
        (row.unit_code, row.indicator): float(row.cumulative)
        for row in prev_rows.itertuples()
        if row.indicator in sums and pd.notna(row.cumulative)
    }
    months = _history_months(plan, period)
    earlier = {p.code for p in months}
    window = history[history["period"].isin(earlier) & history["period_value"].notna()]
    series: dict[tuple[str, str], list[float]] = {
        (str(unit), str(indicator)): group["period_value"].tolist()
        for (unit, indicator), group in window.groupby(["unit_code", "indicator"])
    }
    # --- unit lineage (issue 18): a unit's past before it existed is its predecessors' ---
    if previous.year == period.year:
        previous_cumulative.update(
            _lineage_cumulative(history, catalog, plan, period, previous, sums)
        )
    series.update(_lineage_series(history, catalog, plan, period, months))
    bounds: dict[tuple[str, str], tuple[float, float]] = {}
    for key, values in series.items():
        found = outlier_bounds(values)
        if found is not None:
            bounds[key] = found
    return HistoryContext(previous_cumulative, bounds, known)


def _successor_units(catalog: Catalog, plan: Plan, period: Period) -> list[Unit]:
    """Units expected for `period` that have predecessors in the plan's registry."""
    registry = catalog.registry(plan)
    return [
        u for u in registry.expected(plan, period) if has_predecessors(catalog, registry, u.code)
    ]


def _lineage_cumulative(
    history: pd.DataFrame,
    catalog: Catalog,
    plan: Plan,
    period: Period,
    previous: Period,
    sums: set[str],
) -> dict[tuple[str, str], float]:
    """Previous cumulatives of units that did not exist last month, from their predecessors.

    Only an exact lineage ("whole") counts: a clerk's figure is never judged against an
    apportioned estimate.
    """
    registry, rule = catalog.registry(plan), plan.reporting.cutoff
    index = history_index(history[history["period"] == previous.code], "cumulative")
    found: dict[tuple[str, str], float] = {}
    for unit in _successor_units(catalog, plan, period):
        if unit.active_in(previous, rule):
            continue
        sources = predecessors(catalog, registry, unit.code, previous, rule)
        if not sources or any(s.estimate for s in sources):
            continue
        for code in sums:
            if not catalog.indicators[code].applies(unit.kind):
                continue
            got = comparable_value(
                index, catalog, registry, unit.code, previous, code, rule, sources=sources
            )
            if got.value is not None:
                found[(unit.code, code)] = got.value
    return found


def _lineage_series(
    history: pd.DataFrame, catalog: Catalog, plan: Plan, period: Period, months: list[Period]
) -> dict[tuple[str, str], list[float]]:
    """A new unit's past period values for the outlier bounds: its own where it existed, its
    predecessors' (exact lineage only) for the months before."""
    registry, rule = catalog.registry(plan), plan.reporting.cutoff
    index = history_index(history)
    found: dict[tuple[str, str], list[float]] = {}
    for unit in _successor_units(catalog, plan, period):
        resolved = [(m, predecessors(catalog, registry, unit.code, m, rule)) for m in months]
        exact = [(m, s) for m, s in resolved if s and not any(x.estimate for x in s)]
        if all(len(s) == 1 and s[0].code == unit.code for _, s in exact):
            continue  # only its own past: the plain series above already holds it
        for code in (c for c, ind in catalog.indicators.items() if ind.applies(unit.kind)):
            values = [
                got.value
                for month, sources in exact
                if (
                    got := comparable_value(
                        index, catalog, registry, unit.code, month, code, rule, sources=sources
                    )
                ).value
                is not None
            ]
            if values:
                found[(unit.code, code)] = values
    return found


def _history_months(plan: Plan, period: Period) -> list[Period]:
    months = months_between(Period.month(period.year - 1, period.index), period.previous())
    return months[-HISTORY_MONTHS:]


def months_for_history(period: Period) -> list[Period]:
    """The months the store must return for `history_context`."""
    months = months_between(Period.month(period.year - 1, period.index), period.previous())
    return months[-HISTORY_MONTHS:]
