"""The summary's review tables: targets met or not, interagency reconciliation.

Read from the store once for the months both need (January, or the plan's start, to the period,
plus the reconciliation lag before it), then computed by the pure functions of `pcmbn.targets`
and `pcmbn.reconciliation`.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from pcmbn.catalog import Catalog
from pcmbn.domain import Plan, Unit
from pcmbn.monthly import applicable_values
from pcmbn.periods import Period, months_between
from pcmbn.reconciliation import reconcile, rules_in_force, windows
from pcmbn.store.base import Store
from pcmbn.targets import span_figures, target_table


def target_months(plan: Plan, period: Period) -> list[Period]:
    """The months a summary's targets are measured on: the year so far, inside the plan."""
    last = period.last_month
    first = max(Period.month(last.year, 1), plan.span.start.first_month, key=lambda p: p.ordinal)
    return months_between(first, last) if first.ordinal <= last.ordinal else []


def review_months(catalog: Catalog, plan: Plan, period: Period) -> list[Period]:
    """The months the review tables read, in order: the targets' year so far and each
    reconciliation rule's windows (the summary reads them with its own months in one query)."""
    months = set(target_months(plan, period))
    for rule in rules_in_force(catalog, plan, [period.last_month]):
        for _left, right, _clipped in windows(plan, period, rule.lag_months).values():
            months.update(right)
    return sorted(months, key=lambda p: p.ordinal)


def review_tables(
    store: Store,
    catalog: Catalog,
    plan: Plan,
    period: Period,
    expected: list[Unit],
    values: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(targets, reconciliation) of the summary for `plan` and `period`.

    `values`: the plan's current applicable values of at least `review_months` (the summary
    passes what it read; the rows of other months are left out here), else read from `store`.
    """
    units = catalog.registry(plan).units
    ordered = review_months(catalog, plan, period)
    if not ordered:
        values = pd.DataFrame()
    elif values is None:
        values = applicable_values(
            store.current_values(plan.id, ordered, provenance=False), catalog, units
        )
    elif not values.empty:
        values = values[values["period"].isin({m.code for m in ordered})]

    @lru_cache(maxsize=32)
    def figures(codes: tuple[str, ...]) -> dict[str, dict[str, float]]:
        return span_figures(values, catalog, codes)

    targets = target_table(
        plan, catalog, figures(tuple(m.code for m in target_months(plan, period))), units
    )
    reconciliation = reconcile(
        catalog,
        plan,
        period,
        lambda ms: figures(tuple(m.code for m in ms)),
        units,
        expected,
    )
    return targets, reconciliation
