"""Assemble the provincial summary's tables from the history store (never from Excel again).

Every number is the sum, over units, of the current (newest accepted) submission's value for an
indicator that applies to the unit; `sources` lists each of those values with its file, sheet
and cell, so the summary's `Nguon` sheet traces every aggregate.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from pcmbn.catalog import Catalog
from pcmbn.domain import Plan, Unit
from pcmbn.monthly import applicable_values
from pcmbn.periods import Period, months_between
from pcmbn.store.base import Store
from pcmbn.summary.by_unit import by_unit_comparisons
from pcmbn.summary.model import (
    BY_GROUP_COLUMNS,
    BY_INDICATOR_COLUMNS,
    COMPLETENESS_COLUMNS,
    NARRATIVES_COLUMNS,
    SOURCES_COLUMNS,
    TASKS_COLUMNS,
    TREND_COLUMNS,
    UNITS_COLUMNS,
    SummaryData,
)
from pcmbn.summary.review import review_months, review_tables
from pcmbn.text import fold
from pcmbn.vocabulary import Completeness
from pcmbn.warned import warned_figures

#: Completeness statuses whose unit has no accepted report (named in every sheet's note).
WITHOUT_REPORT = (Completeness.MISSING, Completeness.REJECTED, Completeness.RETURNED)


def group_of(catalog: Catalog, unit: Unit) -> str:
    """The unit's group key (unit_kinds.yaml), which the summary and the packets total by."""
    return catalog.group_of(unit)


def _checked(frame: pd.DataFrame, columns: tuple[str, ...], table: str) -> pd.DataFrame:
    """The table with exactly the contract's columns (`pcmbn.summary.model`), in that order.

    The writers and the exports index these columns by name; a builder that drifts from the
    contract fails here, where the table is made, not in a sheet months later.
    """
    if tuple(frame.columns) != columns:
        raise ValueError(
            f"summary table {table}: columns {list(frame.columns)} differ from {list(columns)}"
        )
    return frame


def build_summary_data(
    store: Store,
    catalog: Catalog,
    plan: Plan,
    period: Period,
    completeness: pd.DataFrame,
    generated_at: datetime,
) -> SummaryData:
    registry = catalog.registry(plan)
    units = registry.units
    expected = [units[c] for c in completeness["unit_code"]] if not completeness.empty else []
    previous, last_year = period.previous(), period.same_period_last_year()
    trend_months = trend_months_of(plan, period)
    wanted = sorted({period, previous, last_year, *trend_months}, key=lambda p: p.ordinal)
    shown = catalog.indicators_in_span([period], plan.reporting.cutoff)
    # One read of the figures for the summary's months and the review tables'
    # (`review_months`); each value's source (file, sheet, cells) only where it is shown: this
    # period's values (the sources table) and the warned units' (the marked figures). With
    # every month's sources, month 10 of a national year read 1.75 M rows peaking at 3 GB.
    read = sorted({*wanted, *review_months(catalog, plan, period)}, key=lambda p: p.ordinal)
    everything = applicable_values(
        store.current_values(plan.id, read, provenance=False), catalog, units
    )
    codes = {p.code for p in wanted}
    values = everything[everything["period"].isin(codes)] if not everything.empty else everything
    now = applicable_values(store.current_values(plan.id, [period]), catalog, units)
    warnings = store.current_warnings(plan.id, wanted)
    warned_units = sorted(set(warnings["unit_code"])) if not warnings.empty else []
    warned_values = applicable_values(
        store.current_values(plan.id, wanted, warned_units), catalog, units
    )

    def total(frame: pd.DataFrame, code: str, column: str) -> float:
        rows = frame[frame["indicator"] == code] if not frame.empty else frame
        return float(rows[column].sum(min_count=1)) if not rows.empty else float("nan")

    prev_frame = values[values["period"] == previous.code] if not values.empty else values
    year_frame = values[values["period"] == last_year.code] if not values.empty else values
    by_indicator = []
    for code, ind in shown.items():
        this, before, year_ago = (
            total(now, code, "period_value"),
            total(prev_frame, code, "period_value"),
            total(year_frame, code, "period_value"),
        )
        by_indicator.append(
            {
                "code": code,
                "group": ind.group,
                "name": ind.name,
                "unit_of_measure": ind.unit_of_measure,
                "period": this,
                "cumulative": total(now, code, "cumulative"),
                "previous": before,
                "last_year": year_ago,
                "change_prev_pct": change(this, before),
                "change_year_pct": change(this, year_ago),
            }
        )
    unit_group = {u.code: group_of(catalog, u) for u in expected}
    # Map each value's unit to its group once (per indicator and group it cost 3 s at 5,000).
    grouped = (
        dict(
            tuple(
                now.assign(_group=now["unit_code"].map(unit_group)).groupby(["indicator", "_group"])
            )
        )
        if not now.empty
        else {}
    )
    empty = now.iloc[0:0]
    by_group = []
    for code, ind in shown.items():
        for key, label in catalog.groups.items():
            rows = grouped.get((code, key), empty)
            by_group.append(
                {
                    "code": code,
                    "name": ind.name,
                    "group_key": key,
                    "group_label": label,
                    "period": float(rows["period_value"].sum(min_count=1))
                    if not rows.empty
                    else float("nan"),
                    "cumulative": float(rows["cumulative"].sum(min_count=1))
                    if not rows.empty
                    else float("nan"),
                }
            )
    unit_codes = [u.code for u in expected]
    # One pivot, not a cell-by-cell `.loc` (90,000 assignments took 13 s for 5,000 units).
    present = now[now["unit_code"].isin(unit_codes)] if not now.empty else now
    matrix = (
        present.groupby(["indicator", "unit_code"])["period_value"].last().unstack()
        if not present.empty
        else pd.DataFrame()
    )
    matrix = matrix.reindex(index=list(shown), columns=unit_codes).astype("float64")
    matrix.columns.name = None
    matrix.index.name = None
    units_frame = pd.DataFrame(
        [
            {
                "unit_code": u.code,
                "unit_name": u.name,
                "group_label": catalog.group_label(unit_group[u.code]),
            }
            for u in expected
        ],
        columns=list(UNITS_COLUMNS),
    )
    completeness_out = completeness.assign(
        group_label=[
            catalog.group_label(unit_group.get(c, next(iter(catalog.groups))))
            for c in completeness["unit_code"]
        ]
    )[list(COMPLETENESS_COLUMNS)]
    targets, reconciliation = review_tables(store, catalog, plan, period, expected, everything)
    return SummaryData(
        plan=plan,
        period=period,
        catalog=catalog,
        generated_at=generated_at,
        targets=targets,
        reconciliation=reconciliation,
        by_indicator=_checked(
            pd.DataFrame(by_indicator, columns=list(BY_INDICATOR_COLUMNS)),
            BY_INDICATOR_COLUMNS,
            "by_indicator",
        ),
        by_group=_checked(
            pd.DataFrame(by_group, columns=list(BY_GROUP_COLUMNS)), BY_GROUP_COLUMNS, "by_group"
        ),
        matrix=matrix,
        units=_checked(units_frame, UNITS_COLUMNS, "units"),
        completeness=_checked(completeness_out, COMPLETENESS_COLUMNS, "completeness"),
        tasks=_checked(_tasks(store, catalog, plan, period, expected), TASKS_COLUMNS, "tasks"),
        narratives=_checked(
            _narratives(store, plan, period, units), NARRATIVES_COLUMNS, "narratives"
        ),
        trend=_checked(_trend(values, trend_months, catalog), TREND_COLUMNS, "trend"),
        sources=_checked(_sources(now), SOURCES_COLUMNS, "sources"),
        missing_units=[
            c
            for c, s in zip(completeness["unit_code"], completeness["status"], strict=True)
            if s in WITHOUT_REPORT
        ],
        # Comparisons by unit, through unit lineage (issue 18).
        by_unit=by_unit_comparisons(
            values,
            catalog,
            plan,
            period,
            expected,
            {c: catalog.group_label(g) for c, g in unit_group.items()},
            change,
        ),
        warned=warned_figures(warned_values, warnings),
    )


def trend_months_of(plan: Plan, period: Period) -> list[Period]:
    """The months the trend table and charts show: the year so far, inside the plan's span.

    A month before the plan began (or after it ended) has no report by construction; drawn, it
    reads as months of nothing done (issue 12, item 18), so it is not drawn at all.
    """
    first = max(Period.month(period.year, 1), plan.span.start.first_month)
    last = min(period.last_month, plan.span.end.last_month)
    return months_between(first, last)


def change(this: float, before: float) -> float:
    """(this − before) / before as a fraction; NaN when either is missing or the base is 0."""
    if pd.isna(this) or pd.isna(before) or before == 0:
        return float("nan")
    return (this - before) / before


def _tasks(
    store: Store, catalog: Catalog, plan: Plan, period: Period, expected: list[Unit]
) -> pd.DataFrame:
    return task_progress(store, catalog, plan, period, expected).drop(columns="period")


def task_progress(
    store: Store, catalog: Catalog, plan: Plan, period: Period, expected: list[Unit]
) -> pd.DataFrame:
    """Each plan task × its assigned units: latest status, results and the month reported,
    up to `period` (the monthly summary and the conference packets both show it).

    `not_started` compares with the template's `not_started` status wording (template.yaml),
    so a province that renames the status keeps the shading.
    """
    not_started = fold(catalog.not_started_status())
    latest = store.current_tasks(plan.id, period)
    by_key = {(r.unit_code, r.task_code): r for r in latest.itertuples()}
    rows = []
    for task in plan.tasks:
        for unit in expected:
            if not task.assigned_to(unit.kind):
                continue
            found = by_key.get((unit.code, task.code))
            status = found.status if found is not None else None
            rows.append(
                {
                    "task_code": task.code,
                    "task_text": task.text,
                    "unit_code": unit.code,
                    "unit_name": unit.name,
                    "status": status,
                    "result": found.result if found is not None else None,
                    "difficulty": found.difficulty if found is not None else None,
                    "period": found.period if found is not None else None,
                    "not_started": status is None or fold(str(status)) == not_started,
                }
            )
    return pd.DataFrame(rows, columns=[*TASKS_COLUMNS[:-1], "period", TASKS_COLUMNS[-1]])


def _narratives(store: Store, plan: Plan, period: Period, units: dict[str, Unit]) -> pd.DataFrame:
    frame = store.current_narratives(plan.id, period)
    frame["unit_name"] = [units[c].name if c in units else c for c in frame["unit_code"]]
    return frame[["unit_code", "unit_name", "kind", "text"]]


def _trend(values: pd.DataFrame, months: list[Period], catalog: Catalog) -> pd.DataFrame:
    """Monthly totals of the summary's key indicators (schemas/summary.yaml)."""
    rows = []
    for month in months:
        for code in catalog.summary.key_indicators:
            if code not in catalog.indicators:
                continue
            subset = (
                values[(values["period"] == month.code) & (values["indicator"] == code)]
                if not values.empty
                else values
            )
            total = (
                float(subset["period_value"].sum(min_count=1)) if not subset.empty else float("nan")
            )
            rows.append(
                {
                    "month": month.code,
                    "month_label": month.short_label,
                    "code": code,
                    "total": total,
                }
            )
    return pd.DataFrame(rows, columns=list(TREND_COLUMNS))


def _sources(now: pd.DataFrame) -> pd.DataFrame:
    """Each value twice (this period, then cumulative), in the values' order: built column by
    column (a national month's 180,000 row dictionaries took seconds)."""
    if now.empty:
        return pd.DataFrame([], columns=list(SOURCES_COLUMNS))

    def twice(column: str) -> list[Any]:
        return [value for value in now[column].tolist() for _ in (0, 1)]

    def interleaved(first: str, second: str) -> list[Any]:
        pairs = zip(now[first].tolist(), now[second].tolist(), strict=True)
        return [value for pair in pairs for value in pair]

    columns = {
        "code": twice("indicator"),
        "column": ["period", "cumulative"] * len(now),
        "unit_code": twice("unit_code"),
        "value": interleaved("period_value", "cumulative"),
        "file_name": twice("original_name"),
        "sha256": twice("sha256"),
        "sheet": twice("sheet"),
        "cell": interleaved("period_cell", "cumulative_cell"),
        "archive_path": twice("archive_path"),
    }
    return pd.DataFrame(columns, columns=list(SOURCES_COLUMNS))
