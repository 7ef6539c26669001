"""All rows of all files of a call as one table, so Great Expectations runs once.

Each row is one thing a rule can be about: a required sheet or column (`structure`), an
identification field (`info`), one indicator cell (`value`: Kỳ này or Lũy kế), one task
(`task`). Columns carry what the rules compare (parsed numbers, parent values, validity
dates as ordinals); `RowContext` keeps, per row, the file, sheet, cell and message parameters
needed to map a failed row back to the clerk's cell.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd

from pcmbn.catalog import Catalog
from pcmbn.periods import data_window
from pcmbn.reading.numbers import format_number_vi
from pcmbn.text import fold
from pcmbn.validation.history import HistoryContext
from pcmbn.validation.submission import ParsedCell, Submission, parse_cell
from pcmbn.vocabulary import RuleId

FAR_FUTURE = 10**7


@dataclass(frozen=True)
class RowContext:
    file_index: int
    sheet: str | None
    cell: str | None
    params: dict[str, str] = field(default_factory=dict)
    order: tuple[int, int] = (0, 0)  # (row, column) for sorting a file's problems


@dataclass
class _Builder:
    history: HistoryContext
    #: per file index, when the files of one call belong to different periods (`pcmbn check`)
    by_file: Mapping[int, HistoryContext] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)
    contexts: list[RowContext] = field(default_factory=list)

    def history_for(self, sub: Submission) -> HistoryContext:
        """The history the file is judged against: its own where given, else the call's."""
        return self.by_file.get(sub.index, self.history)

    def add(self, context: RowContext, **columns: Any) -> None:
        columns["row_id"] = len(self.rows)
        columns["file_idx"] = context.file_index
        self.rows.append(columns)
        self.contexts.append(context)


def _month_ordinal(year: int, month: int) -> int:
    return year * 12 + month


def build_frame(
    subs: list[Submission],
    catalog: Catalog,
    history: HistoryContext | Mapping[int, HistoryContext] | None = None,
) -> tuple[pd.DataFrame, list[RowContext]]:
    """One DataFrame over every readable submission; row_id indexes the contexts.

    `history` is one context for every file (a run: one plan and period), or a context per
    file index (`pcmbn check`: files of several periods in one call)."""
    if isinstance(history, HistoryContext) or history is None:
        b = _Builder(history=history or HistoryContext())
    else:
        b = _Builder(history=HistoryContext(), by_file=history)
    for sub in subs:
        if not sub.readable:
            continue
        _structure_rows(b, sub, catalog)
        if sub.records.info or not _sheet_missing(sub, catalog.template.sheets.info):
            _info_rows(b, sub, catalog)
        _value_rows(b, sub, catalog)
        _task_rows(b, sub, catalog)
    frame = pd.DataFrame(b.rows, columns=_COLUMNS)
    for name in (
        "value",
        "parent_value",
        "period_value",
        "expected_cumulative",
        "outlier_high",
        "max_value",
    ):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    for name in _ORDINALS:
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    for name in (
        "applicable",
        "plan_known",
        "unit_known",
        "period_ok",
        "present",
        "blank",
        "required",
        "nonzero",
    ):
        frame[name] = frame[name].astype("boolean")
    return frame, b.contexts


_ORDINALS = (
    "unit_from",
    "unit_to",
    "window_start",
    "window_end",
    "period_first",
    "period_last",
    "plan_start",
    "plan_end",
)
_COLUMNS = [
    "row_id",
    "file_idx",
    "kind",
    "key",
    "col",
    "code",
    "text",
    "present",
    "blank",
    "required",
    "applicable",
    "nonzero",
    "value",
    "parse_error",
    "parse_warning",
    "parent_value",
    "period_value",
    "expected_cumulative",
    "outlier_high",
    "max_value",
    "plan_known",
    "unit_known",
    "period_ok",
    "plan_unit",
    "plan_task",
    "period_error",
    "status_key",
    *_ORDINALS,
]


def _sheet_missing(sub: Submission, sheet: str) -> bool:
    assert sub.records is not None
    return any(
        p.rule == RuleId.SHEET_MISSING and p.params.get("sheet") == sheet
        for p in sub.records.problems
    )


def _structure_rows(b: _Builder, sub: Submission, catalog: Catalog) -> None:
    assert sub.records is not None
    missing = {
        (p.rule, p.params.get("sheet"), p.params.get("column")) for p in sub.records.problems
    }
    spec = catalog.template
    for key in ("info", "indicators", "tasks", "narrative"):
        sheet = getattr(spec.sheets, key)
        present = (RuleId.SHEET_MISSING, sheet, None) not in missing
        b.add(
            RowContext(sub.index, None, None, {"sheet": sheet, "version": str(spec.version)}),
            kind="structure",
            key="sheet",
            present=present,
        )
    for rule, sheet, column in missing:
        if rule == RuleId.COLUMN_MISSING:
            b.add(
                RowContext(sub.index, sheet, None, {"sheet": sheet or "", "column": column}),
                kind="structure",
                key="column",
                present=False,
            )


def _info_rows(b: _Builder, sub: Submission, catalog: Catalog) -> None:
    assert sub.records is not None
    spec = catalog.template
    info = sub.records.info
    plan, unit, period = sub.plan, sub.unit, sub.period
    for order, field_spec in enumerate(spec.info_fields):
        cell = info.get(field_spec.key)
        text = None if cell is None or cell.blank else str(cell.raw).strip()
        if field_spec.key == "unit_code":
            text = sub.unit_code
        if field_spec.key == "plan_id":
            text = sub.plan_text
        if field_spec.key == "template_version":
            text = sub.template_version
        params = {
            "label": field_spec.label,
            "value": text or "",
            "version": str(spec.version),
            "plan": plan.id if plan else "",
        }
        columns: dict[str, Any] = {
            "kind": "info",
            "key": field_spec.key,
            "text": text,
            "blank": text is None,
            "required": field_spec.required,
            "plan_known": plan is not None,
            "unit_known": unit is not None,
            "period_ok": period is not None,
        }
        if field_spec.key == "unit_code" and plan is not None and text is not None:
            columns["plan_unit"] = f"{plan.id}|{text}"
            if unit is not None and period is not None:
                window = data_window(period, plan.reporting.cutoff)
                columns.update(
                    unit_from=unit.valid_from.toordinal(),
                    unit_to=unit.valid_to.toordinal() if unit.valid_to else FAR_FUTURE,
                    window_start=window.start.toordinal(),
                    window_end=window.end.toordinal(),
                )
                params.update(unit=unit.code, period=period.label_vi, valid=_validity(unit))
        if field_spec.key == "period":
            columns["period_error"] = sub.period_error
            params["detail"] = sub.period_error or ""
            if plan is not None and period is not None:
                first, last = period.first_month, period.last_month
                start, end = plan.span.start.first_month, plan.span.end.last_month
                columns.update(
                    period_first=_month_ordinal(first.year, first.index),
                    period_last=_month_ordinal(last.year, last.index),
                    plan_start=_month_ordinal(start.year, start.index),
                    plan_end=_month_ordinal(end.year, end.index),
                )
                params.update(
                    period=period.label_vi,
                    span=f"{plan.span.start.label_vi} – {plan.span.end.label_vi}",
                )
        sheet = cell.sheet if cell else spec.sheets.info
        address = cell.cell if cell else None
        params["cell"] = f"{sheet}!{address}" if address else sheet
        b.add(RowContext(sub.index, sheet, address, params, (order, 2)), **columns)


def _validity(unit: Any) -> str:
    start = unit.valid_from.strftime("%d/%m/%Y")
    end = unit.valid_to.strftime("%d/%m/%Y") if unit.valid_to else "nay"
    return f"{start} – {end}"


#: From this size on a figure is shown as "1,23 × 10^20": no bound of the catalog comes near it,
#: and a clerk cannot read (or a message hold) the 300 digits of a pasted 1e308.
_COMPACT_FROM = 10**15


def _shown(parsed: ParsedCell) -> str:
    number = parsed.number
    if number.value is not None:
        if abs(number.value) >= _COMPACT_FROM:
            return _compact(number.value)
        return format_number_vi(number.value)
    return "" if parsed.cell.raw is None else str(parsed.cell.raw).strip()


def _compact(value: int | float) -> str:
    """A huge figure in powers of ten, the Vietnamese way: `1 × 10^20`, `-1,5 × 10^308`."""
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    exponent = exact.adjusted()
    mantissa = exact.scaleb(-exponent).quantize(Decimal("0.01"))
    return f"{format_number_vi(mantissa)} × 10^{exponent}"


def _value_rows(b: _Builder, sub: Submission, catalog: Catalog) -> None:
    assert sub.records is not None
    sheet = sub.records.indicator_sheet or catalog.template.sheets.indicators
    rows = sub.records.indicators
    code_cells: dict[str, list[str]] = {}
    for row in rows:
        code_cells.setdefault(row.code, []).append(row.code_cell)
    seen: set[str] = set()
    for row in rows:
        indicator = catalog.indicators.get(row.code)
        duplicate = row.code in seen
        seen.add(row.code)
        others = [c for c in code_cells[row.code] if c != row.code_cell]
        b.add(
            RowContext(
                sub.index,
                sheet,
                row.code_cell,
                {
                    "cell": f"{sheet}!{row.code_cell}",
                    "value": row.code,
                    "code": row.code,
                    "other": ", ".join(others),
                },
                (row.row, 2),
            ),
            kind="indicator",
            code=row.code,
            present=True,
        )
        parsed = sub.values[row.code] if not duplicate else None
        for col, cell_value in (("period", row.period), ("cumulative", row.cumulative)):
            if parsed is not None:
                current = parsed[0] if col == "period" else parsed[1]
            else:
                current = ParsedCell(
                    cell_value,
                    parse_cell(cell_value.raw, indicator.value_type if indicator else "decimal"),
                )
            _value_row(
                b,
                sub,
                catalog,
                indicator,
                row.code,
                col,
                current,
                row.row,
                sheet=sheet,
            )
    if (
        sub.unit is None
        or sub.records.indicator_sheet is None
        or any(p.rule == RuleId.COLUMN_MISSING and p.sheet == sheet for p in sub.records.problems)
    ):
        return  # without a readable table, "missing row" would only repeat that problem
    for code, indicator in catalog.indicators.items():
        if code in seen or not sub.applicable(indicator):
            continue
        for col in ("period", "cumulative"):
            b.add(
                RowContext(
                    sub.index,
                    sheet,
                    None,
                    {
                        "cell": sheet,
                        "label": _label(catalog, code, col),
                        "code": code,
                    },
                    (10**6, 0),
                ),
                kind="value",
                code=code,
                col=col,
                present=False,
                blank=True,
                applicable=True,
                nonzero=False,
            )


def _label(catalog: Catalog, code: str, col: str) -> str:
    indicator = catalog.indicators.get(code)
    name = f"{code} – {indicator.name}" if indicator else code
    return f"{name}, {catalog.template.value_label(col)}"


def _value_row(
    b: _Builder,
    sub: Submission,
    catalog: Catalog,
    indicator: Any,
    code: str,
    col: str,
    current: ParsedCell,
    row_number: int,
    *,
    sheet: str,
) -> None:
    number = current.number
    parent_value = period_value = None
    params = {
        "cell": f"{sheet}!{current.cell.cell}",
        "label": _label(catalog, code, col),
        "value": _shown(current),
        "code": code,
        "column": catalog.template.value_label(col),
        "reading": number.reading or "",
    }
    if indicator is not None and indicator.parent and indicator.parent in sub.values:
        parent_cells = sub.values[indicator.parent]
        parent = parent_cells[0] if col == "period" else parent_cells[1]
        parent_value = parent.number.value
        params.update(parent=indicator.parent, parent_value=_shown(parent))
    if col == "cumulative" and code in sub.values:
        period_cell = sub.values[code][0]
        period_value = period_cell.number.value
        params["period_value"] = _shown(period_cell)
    expected_cumulative = outlier_high = None
    key = (sub.unit_code or "", code)
    history = b.history_for(sub)
    if col == "cumulative" and key in history.previous_cumulative and period_value is not None:
        previous = history.previous_cumulative[key]
        expected_cumulative = round(previous + period_value, 6)
        difference = (number.value or 0) - expected_cumulative
        params.update(
            previous=format_number_vi(previous),
            expected=format_number_vi(expected_cumulative),
            difference=format_number_vi(difference),
        )
    if col == "period" and key in history.bounds:
        low, outlier_high = history.bounds[key]
        params.update(low=format_number_vi(low), high=format_number_vi(outlier_high))
    max_value = indicator.max_value if indicator is not None else None
    if max_value is not None:
        params.update(max=format_number_vi(max_value), measure=indicator.unit_of_measure)
    column_index = 5 if col == "period" else 6
    b.add(
        RowContext(sub.index, sheet, current.cell.cell, params, (row_number, column_index)),
        kind="value",
        code=code,
        col=col,
        present=True,
        blank=number.blank,
        applicable=sub.applicable(indicator) if indicator else None,
        nonzero=number.value is not None and number.value != 0,
        value=_as_float(number.value),
        parse_error=number.error,
        parse_warning=number.warning,
        parent_value=_as_float(parent_value),
        period_value=_as_float(period_value),
        expected_cumulative=_as_float(expected_cumulative),
        outlier_high=outlier_high,
        max_value=max_value,
    )


def _as_float(value: int | float | None) -> float | None:
    """The cell's number as the frame's float column holds it.

    A count is a Python int of any size ("1" followed by 400 digits is one): beyond float range
    it becomes +/-inf, which every bound rejects (value.implausible or value.negative) instead of
    crashing the table for the whole batch.
    """
    if value is None:
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _task_rows(b: _Builder, sub: Submission, catalog: Catalog) -> None:
    assert sub.records is not None
    for order, task in enumerate(sub.records.tasks):
        status = task.status
        text = None if status.blank else str(status.raw).strip()
        b.add(
            RowContext(
                sub.index,
                status.sheet,
                status.cell,
                {
                    "cell": f"{status.sheet}!{status.cell}",
                    "value": text or "",
                    "task": task.code,
                    "plan": sub.plan.id if sub.plan else "",
                },
                (order, 3),
            ),
            kind="task",
            code=task.code,
            blank=text is None,
            status_key=fold(text) if text else None,
            plan_known=sub.plan is not None,
            plan_task=f"{sub.plan.id}|{task.code}" if sub.plan else None,
        )
