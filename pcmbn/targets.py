"""A plan's targets (chỉ tiêu phấn đấu) measured on the figures of a span: one pure function.

BCĐ 138/CP's yearly plans set targets a review is measured against ("giải quyết trên 90% tố
giác, tin báo"). `target_table` turns the units' figures over the months reviewed into one row
per target: its value, the threshold and comparison, met or not, and the numbers it comes from,
so the summary, the packet's appendix and its report show the same verdict. The words are data
(`schemas/review.yaml` `targets`, `domain.COMPARISONS`); numbers are written the Vietnamese way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from pcmbn.domain import COMPARISONS, Aggregation, Target, TargetKind, Unit
from pcmbn.reading.numbers import format_number_vi

if TYPE_CHECKING:
    import pandas as pd

    from pcmbn.catalog import Catalog
    from pcmbn.domain import Plan

__all__ = [
    "TARGETS_COLUMNS",
    "format_threshold",
    "format_value",
    "span_figures",
    "target_table",
]

#: One row per target, in the plan's order (the summary's export `chi_tieu_phan_dau`).
TARGETS_COLUMNS = (
    "target_id",
    "label",
    "kind",
    "comparison",
    "threshold",
    "threshold_text",
    "numerator_code",
    "numerator_name",
    "numerator",
    "denominator_code",
    "denominator_name",
    "denominator",
    "value",
    "value_text",
    "met",
    "verdict",
    "units",
)


def span_figures(
    values: pd.DataFrame, catalog: Catalog, months: Iterable[str]
) -> dict[str, dict[str, float]]:
    """Unit code → indicator code → the unit's figure over `months` (period codes).

    `values` are current values (`unit_code`, `indicator`, `period`, `period_value`) already
    limited to indicators that apply to the unit. A flow (`sum`) adds the months; a stock
    (`last`) takes the unit's latest month, as the packets do. A unit and code without any
    number is absent (no data is not 0).
    """
    import numpy as np  # here: the catalog imports this module, and a CLI command need not

    wanted = set(months)
    if values.empty:
        return {}
    rows = values[values["period"].isin(wanted) & values["period_value"].notna()]
    if rows.empty:
        return {}
    # Grouped with NumPy, not a Python loop over pandas groups (90,000 of them in a national
    # month took 10 s): groups in first-appearance order as `groupby(sort=False)` gives them,
    # each group's numbers summed by `np.sum` in row order, as `Series.sum` does.
    ids = rows.groupby(["unit_code", "indicator"], sort=False).ngroup().to_numpy()
    order = np.argsort(ids, kind="stable")
    numbers = rows["period_value"].to_numpy(dtype="float64")[order]
    periods = rows["period"].to_numpy()[order]
    unit_codes, codes = rows["unit_code"].to_numpy()[order], rows["indicator"].to_numpy()[order]
    starts = np.flatnonzero(np.r_[True, ids[order][1:] != ids[order][:-1]])
    ends = np.r_[starts[1:], len(order)]
    out: dict[str, dict[str, float]] = {}
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        code = str(codes[start])
        ind = catalog.indicators.get(code)
        if ind is not None and ind.aggregation is Aggregation.LAST:
            months_of = periods[start:end]  # the latest month; of equal ones the last row
            latest = max(range(end - start), key=lambda i: (months_of[i], i))
            figure = float(numbers[start + latest])
        else:
            figure = float(np.sum(numbers[start:end]))
        out.setdefault(str(unit_codes[start]), {})[code] = figure
    return out


def summed(
    figures: Mapping[str, Mapping[str, float]],
    units: Mapping[str, Unit],
    code: str,
    counts: object,
) -> tuple[float | None, list[str]]:
    """The sum of `code` over the units `counts(kind)` accepts, and the units that had a figure.

    None when no counted unit reported it.
    """
    total, found = 0.0, []
    for unit_code, by_code in figures.items():
        unit = units.get(unit_code)
        if unit is None or not counts(unit.kind) or code not in by_code:  # type: ignore[operator]
            continue
        total += by_code[code]
        found.append(unit_code)
    return (total if found else None), found


def format_value(target: Target, value: float | None) -> str | None:
    """A ratio as a percent with a decimal comma ("92,5%"), a count as "1.234"."""
    if value is None:
        return None
    if target.kind is TargetKind.RATIO:
        return format_number_vi(value * 100, 1) + "%"
    return format_number_vi(value)


def format_threshold(target: Target) -> str:
    """The requirement in words: "đạt từ 90%", "trên 500"."""
    word = COMPARISONS[target.comparison]
    if target.kind is TargetKind.RATIO:
        number = format_number_vi(target.threshold * 100)
        return f"{word} {number}%"
    return f"{word} {format_number_vi(target.threshold)}"


def target_table(
    plan: Plan,
    catalog: Catalog,
    figures: Mapping[str, Mapping[str, float]],
    units: Mapping[str, Unit],
) -> pd.DataFrame:
    """One row per target of `plan` (TARGETS_COLUMNS) from the units' span figures.

    A target none of whose counted units reported its indicators says "chưa có số liệu"
    (`met` None); a ratio over a denominator of 0 has nothing to measure ("không phát sinh").
    """
    words = catalog.review.targets
    rows = []
    for target in plan.targets:
        numbers: dict[str, float | None] = {}
        reporting: set[str] = set()
        for code in target.codes:
            numbers[code], found = summed(figures, units, code, target.counts)
            reporting.update(found)
        value = target.value(numbers)
        met = target.met(value)
        if target.kind is TargetKind.RATIO:
            top, bottom = str(target.numerator), str(target.denominator)
        else:
            top, bottom = str(target.indicator), None
        if met is True:
            verdict = words.met
        elif met is False:
            verdict = words.not_met
        elif target.kind is TargetKind.RATIO and numbers.get(bottom or "") == 0:
            verdict = words.no_base
        else:
            verdict = words.no_data
        rows.append(
            {
                "target_id": target.id,
                "label": target.label,
                "kind": target.kind.value,
                "comparison": target.comparison,
                "threshold": target.threshold,
                "threshold_text": format_threshold(target),
                "numerator_code": top,
                "numerator_name": _name(catalog, top),
                "numerator": _nan(numbers.get(top)),
                "denominator_code": bottom,
                "denominator_name": _name(catalog, bottom) if bottom else None,
                "denominator": _nan(numbers.get(bottom)) if bottom else float("nan"),
                "value": _nan(value),
                "value_text": format_value(target, value),
                "met": met,
                "verdict": verdict,
                "units": ", ".join(sorted(reporting)),
            }
        )
    import pandas as pd  # here: the catalog imports this module, and a CLI command need not

    return pd.DataFrame(rows, columns=list(TARGETS_COLUMNS))


def _name(catalog: Catalog, code: str) -> str:
    ind = catalog.indicators.get(code)
    return ind.name if ind is not None else code


def _nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)
