"""The province's report upward (issue 18.6): its figures as one unit of the national catalog.

The national steering committee runs this same pipeline with provinces as its units (a plan
such as `QG-KH-PCMBN-2026` whose registry lists provinces, kind `TINH`, each with a `province`
column). `upward_report` turns a province's period into the `ReportContent` of its unit in that
plan — the same template contract every commune fills, so `pcmbn check` reads it like any other
report — and into a JSON document (shape in the README, "Báo cáo lên cấp trên") for systems that
connect by API. Pure: the caller passes the store's current values and the completeness table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from pcmbn.catalog import Catalog
from pcmbn.domain import Plan, Unit
from pcmbn.errors import PcmbnError
from pcmbn.monthly import applicable_values, json_number
from pcmbn.office.times import naive
from pcmbn.periods import Period, data_window
from pcmbn.report_content import ReportContent
from pcmbn.targets import target_table

#: The JSON document's format name and version (README: "Báo cáo lên cấp trên").
FORMAT = "pcmbn.bao-cao-len-cap-tren/1"
#: The registry column that names a national unit's province (as plans' `province` does).
PROVINCE_COLUMN = "province"
#: The "Ghi chú" of an indicator no unit of the province reported (left blank, not 0).
NO_DATA_NOTE = "Chưa có số liệu của đơn vị nào"


@dataclass(frozen=True)
class Upward:
    """Where a province's report goes: the national plan and the province's unit in it."""

    plan: Plan
    unit: Unit


def national_target(
    catalog: Catalog, plan: Plan, period: Period, national_id: str | None = None
) -> Upward:
    """The national plan covering `period` whose registry has the province of `plan` as a unit.

    `national_id` names it (`--to`); without it, the only such plan. Refusals say in
    Vietnamese what is missing, so a province without a national catalog learns why.
    """
    candidates = [catalog.plan(national_id)] if national_id else list(catalog.plans.values())
    found = []
    for other in candidates:
        if other.id == plan.id:
            continue
        for unit in catalog.registry(other).units.values():
            if (
                unit.extra.get(PROVINCE_COLUMN) == plan.province
                and other.covers(period)
                and unit.active_in(period, other.reporting.cutoff)
            ):
                found.append(Upward(other, unit))
    if len(found) == 1:
        return found[0]
    if national_id:
        raise PcmbnError(
            f"Kế hoạch {national_id} không có đơn vị nào của {plan.province} "
            f"(cột {PROVINCE_COLUMN} trong {catalog.registry(candidates[0]).path.name}) cho kỳ "
            f"{period.label_vi}."
        )
    if not found:
        raise PcmbnError(
            f"Danh mục không có kế hoạch cấp trên nào nhận báo cáo của {plan.province} cho kỳ "
            f"{period.label_vi} (một kế hoạch có đơn vị với cột {PROVINCE_COLUMN} = "
            f'"{plan.province}").'
        )
    names = ", ".join(sorted(u.plan.id for u in found))
    raise PcmbnError(f"Có nhiều kế hoạch cấp trên ({names}); hãy chọn một bằng --to.")


def province_totals(
    values: pd.DataFrame, catalog: Catalog, upward: Upward, period: Period
) -> dict[str, tuple[float | None, float | None]]:
    """Indicator code → (Kỳ này, Lũy kế) summed over the province's units, for the indicators
    the national unit reports this period (None: no unit reported a number)."""
    rows = catalog.indicators_for(upward.unit.kind, period, upward.plan.reporting.cutoff)
    totals: dict[str, tuple[float | None, float | None]] = {}
    for ind in rows:
        mine = values[values["indicator"] == ind.code] if not values.empty else values
        pair = []
        for column in ("period_value", "cumulative"):
            total = mine[column].sum(min_count=1) if not mine.empty else float("nan")
            pair.append(None if pd.isna(total) else float(total))
        totals[ind.code] = (pair[0], pair[1])
    return totals


def upward_report(
    catalog: Catalog,
    plan: Plan,
    period: Period,
    upward: Upward,
    current: pd.DataFrame,
    figures: Mapping[str, Mapping[str, float]],
    completeness: pd.DataFrame,
    prepared_on: date,
    preparer: str | None,
    generated_at: datetime,
    workbook_name: str,
) -> tuple[ReportContent, dict[str, Any]]:
    """The filled report of the province's national unit, and the JSON document.

    `current` are the store's current values of `plan` for `period`; `figures` the units'
    figures of the year so far (`targets.span_figures`, for the targets); `completeness` the
    period's table (`monthly.completeness`).
    Indicators no unit reported stay blank with a note: a blank is missing data, never 0.
    """
    registry = catalog.registry(plan)
    values = applicable_values(current, catalog, registry.units)
    totals = province_totals(values, catalog, upward, period)
    missing = [
        str(c)
        for c, s in zip(completeness["unit_code"], completeness["status"], strict=True)
        if s in ("missing", "rejected")
    ]
    content = ReportContent(
        prepared_on=prepared_on,
        preparer=preparer,
        values={code: pair for code, pair in totals.items()},
        notes={
            code: "Chưa có số liệu của đơn vị nào"
            for code, pair in totals.items()
            if pair[0] is None
        },
    )
    if missing:
        content.difficulties = (
            f"Số liệu tổng hợp chưa đầy đủ: {len(missing)}/{len(completeness)} đơn vị chưa có "
            f"báo cáo được chấp nhận ({', '.join(missing)})."
        )
    window = data_window(period, upward.plan.reporting.cutoff)
    targets = target_table(plan, catalog, figures, registry.units)
    counts = completeness["status"].value_counts()
    document: dict[str, Any] = {
        "format": FORMAT,
        "plan_id": upward.plan.id,
        "unit_code": upward.unit.code,
        "unit_name": upward.unit.name,
        "province": plan.province,
        "source_plan_id": plan.id,
        "period": period.code,
        "period_label": period.label_vi,
        "data_window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
        "generated_at": naive(generated_at).isoformat(timespec="seconds"),
        "workbook": workbook_name,
        "completeness": {
            "expected": len(completeness),
            **{str(k): int(v) for k, v in counts.items()},
            "without_report": missing,
        },
        "indicators": [
            {
                "code": code,
                "name": catalog.indicators[code].name,
                "unit_of_measure": catalog.indicators[code].unit_of_measure,
                "period": json_number(pair[0]),
                "cumulative": json_number(pair[1]),
            }
            for code, pair in totals.items()
        ],
        "targets": [
            {
                "id": row["target_id"],
                "label": row["label"],
                "requirement": row["threshold_text"],
                "numerator": json_number(row["numerator"]),
                "denominator": json_number(row["denominator"]),
                "value": json_number(row["value"]),
                "met": None if row["met"] is None else bool(row["met"]),
                "verdict": row["verdict"],
            }
            for row in targets.to_dict("records")
        ],
    }
    return content, document
