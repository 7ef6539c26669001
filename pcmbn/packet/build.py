"""Assemble a conference packet's tables from the history store (never from Excel again).

Values are those of the current (newest accepted) submission per unit and month, for indicators
that apply to the unit. Over several months a `sum` indicator adds the months; a `last`
indicator (a stock, e.g. models running) takes each unit's latest month and adds the units.
Every number gets a reference key whose sources (file, sheet, cell) `refs` lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time

import numpy as np
import pandas as pd

from pcmbn.catalog import Catalog
from pcmbn.domain import Aggregation, Labels, Milestone, MilestoneKind, Plan, Unit
from pcmbn.errors import PcmbnError
from pcmbn.monthly import applicable_values, completeness, json_number
from pcmbn.packet.model import (
    COMPLETENESS_COLUMNS,
    COMPLETENESS_COUNTS,
    NARRATIVES_COLUMNS,
    SERIES_COLUMNS,
    SOURCES_COLUMNS,
    TASKS_COLUMNS,
    TOTALS_COLUMNS,
    Comparison,
    PacketData,
    ref_series,
    ref_total,
)
from pcmbn.packet.targets import packet_targets
from pcmbn.periods import Period, PeriodKind, data_window, months_between
from pcmbn.store.base import Store
from pcmbn.summary.build import change, group_of, task_progress
from pcmbn.vocabulary import Completeness
from pcmbn.warned import warned_figures


def resolve_milestone(
    plan: Plan,
    kind: MilestoneKind | str,
    period: Period | None,
    today: datetime | None = None,
    *,
    labels: Labels,
) -> Milestone:
    """The milestone a packet is for.

    `period` (parsed by the caller, at the boundary) picks among several of the same kind
    (Sóc Trăng has two sơ kết) or sets an ad-hoc end inside the plan; without it, the latest
    milestone already reached (else the first). `labels` word the kind ("sơ kết").
    """
    kind = MilestoneKind(kind)
    mine = [m for m in plan.milestones if m.kind is kind]
    label = labels.milestones[kind].in_sentence
    if period is not None:
        wanted = period
        for m in mine:
            if m.period == wanted or m.period.last_month == wanted.last_month:
                return m
        if not plan.covers(wanted):
            raise PcmbnError(
                f"Kỳ {wanted.label_vi} nằm ngoài thời gian thực hiện kế hoạch {plan.id} "
                f"({plan.span.start.label_vi} – {plan.span.end.label_vi})."
            )
        return Milestone(kind=kind, period=wanted, name=f"Hội nghị {label} {wanted.label_vi}")
    if not mine:
        raise PcmbnError(
            f"Kế hoạch {plan.id} không có mốc {label}; chọn kỳ cần {label} bằng --period."
        )
    now = (today or datetime.now(tz=UTC)).date()
    reached = [m for m in mine if data_window(m.period.last_month).end < now]
    return (reached or mine[:1])[-1]


def span_months(plan: Plan, milestone: Milestone, start: Period | None = None) -> list[Period]:
    """From `start` (else the milestone's own start, else the plan's) to the milestone's last
    month: a campaign's sơ kết reviews the campaign, not the year so far."""
    first = start.first_month if start is not None else milestone.first_month(plan.span.start)
    last = milestone.period.last_month
    if first > last:
        raise PcmbnError(
            f"Kỳ bắt đầu {first.label_vi} sau kỳ kết thúc {last.label_vi} của mốc {milestone.name}."
        )
    return months_between(first, last)


def build_packet_data(
    store: Store,
    catalog: Catalog,
    plan: Plan,
    milestone: Milestone,
    months: list[Period],
) -> PacketData:
    registry = catalog.registry(plan)
    units = registry.units
    codes = [m.code for m in months]
    length = len(months)
    previous = months_between(_shift(months[0], -length), _shift(months[0], -1))
    last_year = [Period.month(m.year - 1, m.index) for m in months]
    wanted = sorted({*months, *previous, *last_year}, key=lambda p: p.ordinal)
    values = applicable_values(store.current_values(plan.id, wanted), catalog, units)
    values = values[values["period_value"].notna()].sort_values(
        ["period", "unit_code", "indicator"], kind="stable"
    )
    values = values.reset_index(drop=True)
    values["source_id"] = np.arange(1, len(values) + 1)
    refs: dict[str, list[int]] = {}
    aggregation = {code: ind.aggregation for code, ind in catalog.indicators.items()}
    shown = catalog.indicators_in_span(months, plan.reporting.cutoff)

    span_values = values[values["period"].isin(codes)]
    prev_values = values[values["period"].isin([m.code for m in previous])]
    year_values = values[values["period"].isin([m.code for m in last_year])]

    totals_rows = []
    span_by_code = dict(tuple(span_values.groupby("indicator", sort=False)))
    prev_by_code = dict(tuple(prev_values.groupby("indicator", sort=False)))
    year_by_code = dict(tuple(year_values.groupby("indicator", sort=False)))
    for code, ind in shown.items():
        value = _aggregate(span_by_code.get(code), aggregation[code], refs, ref_total(code))
        before = _aggregate(prev_by_code.get(code), aggregation[code], refs, f"truoc/{code}")
        year_ago = _aggregate(year_by_code.get(code), aggregation[code], refs, f"cung_ky/{code}")
        totals_rows.append(
            {
                "code": code,
                "group": ind.group,
                "name": ind.name,
                "unit_of_measure": ind.unit_of_measure,
                "aggregation": ind.aggregation.value,
                "value": value,
                "previous": before,
                "last_year": year_ago,
                "change_prev_pct": change(value, before),
                "change_year_pct": change(value, year_ago),
            }
        )

    month_labels = {m.code: m.short_label for m in months}
    by_month = _series(span_values, "period", month_labels, aggregation, refs, "thang")
    quarter_of = {
        m.code: Period(m.year, PeriodKind.QUARTER, (m.index - 1) // 3 + 1) for m in months
    }
    quarters = {q.code: q.label_vi for q in dict.fromkeys(quarter_of.values())}
    with_quarter = span_values.assign(
        quarter=span_values["period"].map(lambda c: quarter_of[c].code)
    )
    by_quarter = _series(with_quarter, "quarter", quarters, aggregation, refs, "quy")
    unit_labels = {code: unit.name for code, unit in units.items()}
    by_unit = _series(span_values, "unit_code", unit_labels, aggregation, refs, "don_vi")
    group_label = {
        code: catalog.group_label(group_of(catalog, unit)) for code, unit in units.items()
    }
    with_group = span_values.assign(group=span_values["unit_code"].map(group_label))
    groups = {g: g for g in catalog.groups.values()}
    by_group = _series(with_group, "group", groups, aggregation, refs, "nhom")

    campaign_name, campaign_months, by_campaign = None, (), pd.DataFrame(columns=SERIES_COLUMNS)
    for campaign in plan.campaigns:
        inside = [
            m
            for m in months
            if (campaign.start.year, campaign.start.month)
            <= (m.year, m.index)
            <= (campaign.end.year, campaign.end.month)
        ]
        if inside:
            campaign_name, campaign_months = campaign.name, tuple(inside)
            in_campaign = span_values[span_values["period"].isin([m.code for m in inside])]
            in_campaign = in_campaign.assign(campaign="cao_diem")
            by_campaign = _series(
                in_campaign, "campaign", {"cao_diem": campaign.name}, aggregation, refs, "cao_diem"
            )
            break

    targets = packet_targets(span_values, catalog, plan, units, refs)
    sources = values[values["source_id"].isin({i for ids in refs.values() for i in ids})]
    sources = sources.rename(columns={"indicator": "code", "period_value": "value"})
    sources = sources.assign(cell=sources["period_cell"])[list(SOURCES_COLUMNS)]

    warned = warned_figures(values, store.current_warnings(plan.id, wanted))
    warned_ids = {
        int(i)
        for i, unit, code, period in zip(
            values["source_id"],
            values["unit_code"],
            values["indicator"],
            values["period"],
            strict=True,
        )
        if warned.is_warned(unit, code, period)
    }
    warned_refs = frozenset(key for key, ids in refs.items() if warned_ids.intersection(ids))

    submissions = store.submissions_in(plan.id, months)
    end = months[-1]
    expected_end = registry.expected(plan, end)
    return PacketData(
        catalog=catalog,
        plan=plan,
        milestone=milestone,
        months=tuple(months),
        generated_at=_generated_at(store, plan, months, end),
        missing_periods=[m for m in months if m.code not in set(span_values["period"])],
        unapproved_periods=unapproved_months(store, plan, months),
        previous=Comparison(
            f"{previous[0].label_vi} – {previous[-1].label_vi}",
            tuple(previous),
            int(prev_values["period"].nunique()),
        ),
        last_year=Comparison(
            f"{last_year[0].label_vi} – {last_year[-1].label_vi}",
            tuple(last_year),
            int(year_values["period"].nunique()),
        ),
        totals=pd.DataFrame(totals_rows, columns=TOTALS_COLUMNS),
        by_month=by_month,
        by_quarter=by_quarter,
        by_unit=by_unit,
        by_group=by_group,
        completeness=_completeness(catalog, plan, months, submissions, group_label),
        tasks=task_progress(store, catalog, plan, end, expected_end)[list(TASKS_COLUMNS)],
        narratives=_narratives(store, catalog, plan, months, units, group_label),
        sources=sources.reset_index(drop=True),
        refs=refs,
        campaign_name=campaign_name,
        campaign_months=campaign_months,
        by_campaign=by_campaign,
        targets=targets,
        # The JSON follows each indicator's aggregation, as the appendix does: flows summed over
        # the span, a stock (`last`) as each unit's latest month summed over units.
        json_totals={row["code"]: json_number(row["value"]) for row in totals_rows},
        warned=warned,
        warned_refs=warned_refs,
    )


def unapproved_months(store: Store, plan: Plan, months: list[Period]) -> list[Period]:
    """Months that were aggregated but are not approved.

    A month the store has no run for has no figures to approve: it is "chưa có số liệu"
    (`missing_periods`), never "chưa phê duyệt" (issue 12, item 19).
    """
    return [
        m for m in months if store.runs(plan.id, m) and store.active_approval(plan.id, m) is None
    ]


def _shift(month: Period, by: int) -> Period:
    index = month.year * 12 + (month.index - 1) + by
    return Period.month(index // 12, index % 12 + 1)


def _aggregate(
    rows: pd.DataFrame | None, how: Aggregation, refs: dict[str, list[int]], key: str
) -> float:
    """Sum the months (`sum`) or each unit's latest month (`last`); record the sources used."""
    if rows is None or rows.empty:
        return float("nan")
    return _aggregate_arrays(
        rows["unit_code"].to_numpy(),
        rows["period"].to_numpy(),
        rows["period_value"].to_numpy(dtype=float),
        rows["source_id"].to_numpy(),
        how,
        refs,
        key,
    )


def _aggregate_arrays(
    units: np.ndarray,
    periods: np.ndarray,
    values: np.ndarray,
    ids: np.ndarray,
    how: Aggregation,
    refs: dict[str, list[int]],
    key: str,
) -> float:
    """`_aggregate` on plain arrays: a 170-unit year has ~3,500 cells to fill, pandas per cell
    would cost seconds."""
    if len(values) == 0:
        return float("nan")
    if how is Aggregation.LAST:
        latest: dict[str, int] = {}
        for i, (unit, period) in enumerate(zip(units, periods, strict=True)):
            j = latest.get(unit)
            if j is None or periods[j] < period:
                latest[unit] = i
        keep = np.array(sorted(latest.values()), dtype=int)
        values, ids = values[keep], ids[keep]
    refs[key] = sorted(int(i) for i in ids)
    return float(values.sum())


def _series(
    frame: pd.DataFrame,
    key_column: str,
    labels: dict[str, str],
    aggregation: dict[str, Aggregation],
    refs: dict[str, list[int]],
    table: str,
) -> pd.DataFrame:
    rows = []
    if frame.empty:
        return pd.DataFrame(rows, columns=SERIES_COLUMNS)
    groups = frame.groupby([key_column, "indicator"], sort=False).indices
    units = frame["unit_code"].to_numpy()
    periods = frame["period"].to_numpy()
    values = frame["period_value"].to_numpy(dtype=float)
    ids = frame["source_id"].to_numpy()
    for key, label in labels.items():
        for code, how in aggregation.items():
            index = groups.get((key, code))
            if index is None:
                continue
            value = _aggregate_arrays(
                units[index],
                periods[index],
                values[index],
                ids[index],
                how,
                refs,
                ref_series(table, key, code),
            )
            rows.append({"key": key, "label": label, "code": code, "value": value})
    return pd.DataFrame(rows, columns=SERIES_COLUMNS)


def _completeness(
    catalog: Catalog,
    plan: Plan,
    months: list[Period],
    submissions: pd.DataFrame,
    group_label: dict[str, str],
) -> pd.DataFrame:
    """Per unit over the span: reports expected, on time, late, rejected, missing."""
    counts: dict[str, dict[str, int]] = {}
    names: dict[str, str] = {}
    by_period = dict(tuple(submissions.groupby("period"))) if not submissions.empty else {}
    for month in months:
        expected = catalog.expected_units(plan, month)
        table = completeness(
            expected, by_period.get(month.code, submissions.iloc[0:0]), plan, month
        )
        for row in table.itertuples():
            names[row.unit_code] = row.unit_name
            mine = counts.setdefault(
                row.unit_code, dict.fromkeys(("expected", *COMPLETENESS_COUNTS), 0)
            )
            mine["expected"] += 1
            # A report the office returned and the unit never resent is, over a span, a
            # month without a valid report: the packet counts it with the rejected ones.
            status = Completeness.REJECTED if row.status == Completeness.RETURNED else row.status
            mine[status] += 1
    order = list(catalog.registry(plan).units)
    rows = [
        {"unit_code": code, "unit_name": names[code], "group_label": group_label.get(code), **c}
        for code, c in sorted(counts.items(), key=lambda kv: order.index(kv[0]))
    ]
    return pd.DataFrame(rows, columns=COMPLETENESS_COLUMNS)


def _narratives(
    store: Store,
    catalog: Catalog,
    plan: Plan,
    months: list[Period],
    units: dict[str, Unit],
    group_label: dict[str, str],
) -> pd.DataFrame:
    """Difficulties and proposals over the span; the same text sent in several months once."""
    frame = store.narratives_in(plan.id, months)
    order = {code: i for i, code in enumerate(units)}
    groups = list(catalog.groups.values())
    rows: dict[tuple[str, str, str], dict[str, object]] = {}
    for row in frame.itertuples():
        text = " ".join(str(row.text).split())
        key = (row.kind, row.unit_code, text)
        entry = rows.setdefault(
            key,
            {
                "kind": row.kind,
                "group_label": group_label.get(row.unit_code, ""),
                "unit_code": row.unit_code,
                "unit_name": units[row.unit_code].name if row.unit_code in units else row.unit_code,
                "periods": [],
                "text": text,
            },
        )
        entry["periods"].append(row.period)  # type: ignore[union-attr]
    kinds = [block.key for block in catalog.template.narrative_blocks]
    ordered = sorted(
        rows.values(),
        key=lambda e: (
            kinds.index(str(e["kind"])) if e["kind"] in kinds else 9,
            groups.index(str(e["group_label"])) if e["group_label"] in groups else 9,
            order.get(str(e["unit_code"]), 10**6),
            min(e["periods"]),  # type: ignore[type-var]
        ),
    )
    for entry in ordered:
        entry["periods"] = ", ".join(_month_labels(entry["periods"]))  # type: ignore[arg-type]
    return pd.DataFrame(ordered, columns=NARRATIVES_COLUMNS)


def _month_labels(codes: Iterable[str]) -> list[str]:
    """Stored period codes as short labels ("T7/2024"), in the order the periods end."""
    periods = sorted({Period.from_code(c) for c in codes}, key=lambda p: (p.ordinal, p.code))
    return [p.short_label for p in periods]


def _generated_at(store: Store, plan: Plan, months: list[Period], end: Period) -> datetime:
    """The newest run over the span: the packet's date follows its data, not the clock."""
    at = store.latest_run_at(plan.id, months)
    if at is None:
        return datetime.combine(data_window(end).end, time(0, 0), tzinfo=UTC)
    return at
