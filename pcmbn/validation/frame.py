"""All rows of all files of a call as one table, so Great Expectations runs once.

Each row is one thing a rule can be about: a required sheet or column (`structure`), an
identification field (`info`), one indicator cell (`value`: Kỳ này or Lũy kế), one task
(`task`). Columns carry what the rules compare (parsed numbers, parent values, validity
dates as ordinals); `RowContext` keeps, per row, the file, sheet, cell and message parameters
needed to map a failed row back to the clerk's cell.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any, overload

import numpy as np
import pandas as pd

from pcmbn.catalog import Catalog
from pcmbn.periods import data_window
from pcmbn.reading.compact import IndicatorTable
from pcmbn.reading.numbers import ParsedNumber, format_number_vi
from pcmbn.reading.workbook import CellValue
from pcmbn.text import fold
from pcmbn.validation.history import HistoryContext
from pcmbn.validation.submission import Figures, ParsedCell, Submission, parse_cell
from pcmbn.vocabulary import RuleId

FAR_FUTURE = 10**7


Params = dict[str, str]


class RowContext:
    """Where a row points (file, sheet, cell, order) and its message parameters.

    The parameters are formatted on first use only (`params`): a national batch has hundreds of
    thousands of rows and a few hundred failures, and formatting every row's numbers cost more
    than validating them. `params` may be given as a dict or as a function that makes it.
    """

    __slots__ = ("_params", "cell", "file_index", "order", "sheet")

    def __init__(
        self,
        file_index: int,
        sheet: str | None,
        cell: str | None,
        params: Params | Callable[[], Params] | None = None,
        order: tuple[int, int] = (0, 0),  # (row, column) for sorting a file's problems
    ) -> None:
        self.file_index = file_index
        self.sheet = sheet
        self.cell = cell
        self._params = params if params is not None else {}
        self.order = order

    @property
    def params(self) -> Params:
        if callable(self._params):
            self._params = self._params()
        return self._params

    def __repr__(self) -> str:
        return f"RowContext({self.file_index}, {self.sheet!r}, {self.cell!r}, order={self.order})"


class Contexts(Sequence[RowContext]):
    """The frame's row contexts, by row id: single rows as `RowContext`s, the value rows of a
    file as one block that makes a row's context only when it is asked for (a failed row, a
    test); a national batch has hundreds of thousands of rows and a few hundred failures."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._items: list[RowContext | _ValueBlock] = []
        self._size = 0

    def append(self, context: RowContext) -> None:
        self._starts.append(self._size)
        self._items.append(context)
        self._size += 1

    def extend_block(self, block: _ValueBlock) -> None:
        self._starts.append(self._size)
        self._items.append(block)
        self._size += len(block)

    def __len__(self) -> int:
        return self._size

    @overload
    def __getitem__(self, index: int) -> RowContext: ...

    @overload
    def __getitem__(self, index: slice) -> list[RowContext]: ...

    def __getitem__(self, index: int | slice) -> RowContext | list[RowContext]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._size))]
        row = int(index)
        if row < 0:
            row += self._size
        if not 0 <= row < self._size:
            raise IndexError(index)
        at = bisect_right(self._starts, row) - 1
        item = self._items[at]
        if isinstance(item, RowContext):
            return item
        return item.context(row - self._starts[at])


@dataclass
class _Builder:
    """Columns filled sparsely: each row sets only the columns it has (row id → value), and a
    file's value rows come as one block of column arrays; the frame's arrays are built once at
    the end, column by column, not from a dict per row."""

    history: HistoryContext
    #: per file index, when the files of one call belong to different periods (`pcmbn check`)
    by_file: Mapping[int, HistoryContext] = field(default_factory=dict)
    columns: dict[str, tuple[list[int], list[Any]]] = field(default_factory=dict)
    contexts: Contexts = field(default_factory=Contexts)
    #: (first row id, row count, columns): a column is an array of `count` values, or for a
    #: boolean column a (values, missing) pair of arrays
    blocks: list[tuple[int, int, dict[str, Any]]] = field(default_factory=list)

    def history_for(self, sub: Submission) -> HistoryContext:
        """The history the file is judged against: its own where given, else the call's."""
        return self.by_file.get(sub.index, self.history)

    def add(self, context: RowContext, **columns: Any) -> None:
        row = len(self.contexts)
        columns["file_idx"] = context.file_index
        for name, value in columns.items():
            if value is None:
                continue
            found = self.columns.get(name)
            if found is None:
                found = self.columns[name] = ([], [])
            found[0].append(row)
            found[1].append(value)
        self.contexts.append(context)

    def add_block(self, block: _ValueBlock, columns: dict[str, Any]) -> None:
        self.blocks.append((len(self.contexts), len(block), columns))
        self.contexts.extend_block(block)

    def frame(self) -> pd.DataFrame:
        n = len(self.contexts)
        data: dict[str, Any] = {"row_id": np.arange(n, dtype="int64")}
        for name in _COLUMNS[1:]:
            rows, values = self.columns.get(name, ([], []))
            blocks = [(s, k, c[name]) for s, k, c in self.blocks if name in c]
            if name in _FLOATS:
                array = np.full(n, np.nan, dtype="float64")
                if rows:
                    array[rows] = np.asarray(values, dtype="float64")
                for start, count, block in blocks:
                    array[start : start + count] = block
                data[name] = array
            elif name in _BOOLEANS:
                array = np.zeros(n, dtype=bool)
                mask = np.ones(n, dtype=bool)
                if rows:
                    array[rows] = np.asarray(values, dtype=bool)
                    mask[rows] = False
                for start, count, (known, missing) in blocks:
                    array[start : start + count] = known
                    mask[start : start + count] = missing
                data[name] = pd.arrays.BooleanArray(array, mask)
            elif name == "file_idx":
                array = np.zeros(n, dtype="int64")
                array[rows] = values
                for start, count, block in blocks:
                    array[start : start + count] = block
                data[name] = array
            else:
                array = np.full(n, None, dtype=object)
                if rows:
                    array[rows] = values
                for start, count, block in blocks:
                    array[start : start + count] = block
                data[name] = array
        return pd.DataFrame(data, columns=_COLUMNS)


def _month_ordinal(year: int, month: int) -> int:
    return year * 12 + month


def build_frame(
    subs: list[Submission],
    catalog: Catalog,
    history: HistoryContext | Mapping[int, HistoryContext] | None = None,
) -> tuple[pd.DataFrame, Contexts]:
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
    return b.frame(), b.contexts


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
_FLOATS = frozenset(
    (
        "value",
        "parent_value",
        "period_value",
        "expected_cumulative",
        "outlier_high",
        "max_value",
        *_ORDINALS,
    )
)
_BOOLEANS = frozenset(
    (
        "applicable",
        "plan_known",
        "unit_known",
        "period_ok",
        "present",
        "blank",
        "required",
        "nonzero",
    )
)


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
    table, figures = sub.records.table, sub.figures
    if table is not None and figures is not None:
        if len(table):
            _value_block(b, sub, catalog, sheet, table, figures)
        seen = set(table.codes)
    else:
        seen = _value_rows_one_by_one(b, sub, catalog, sheet)
    _missing_rows(b, sub, catalog, sheet, seen)


def _value_rows_one_by_one(b: _Builder, sub: Submission, catalog: Catalog, sheet: str) -> set[str]:
    """The value rows of a file without compact figures (built by hand), one `add` each; the
    column-wise `_value_block` gives the same rows."""
    assert sub.records is not None
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
    return seen


def _missing_rows(
    b: _Builder, sub: Submission, catalog: Catalog, sheet: str, seen: set[str]
) -> None:
    """Two rows (Kỳ này, Lũy kế) for each indicator the unit owes and the sheet lacks."""
    assert sub.records is not None
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


_BLOCK_KINDS = np.array(["indicator", "value", "value"], dtype=object)
_BLOCK_COLS = np.array([None, "period", "cumulative"], dtype=object)


class _ValueBlock:
    """A file's indicator table as frame rows: for each sheet row its `indicator` row, then its
    Kỳ này and Lũy kế `value` rows; a row's `RowContext` is made from the compact table when
    asked for (`Contexts`), with what `_value_rows_one_by_one` would have given it."""

    __slots__ = ("catalog", "duplicates", "figures", "first", "history", "made", "sheet", "sub")

    def __init__(
        self,
        sub: Submission,
        catalog: Catalog,
        sheet: str,
        history: HistoryContext,
        first: dict[str, int],
        duplicates: dict[int, ParsedNumber],
    ) -> None:
        assert sub.records is not None and sub.records.table is not None
        assert sub.figures is not None
        self.sub = sub
        self.catalog = catalog
        self.sheet = sheet
        self.history = history
        self.figures: Figures = sub.figures
        self.first = first  # code -> index of its first row
        self.duplicates = duplicates  # pos -> the parse of a repeated code's cell
        self.made: dict[int, RowContext] = {}

    @property
    def table(self) -> IndicatorTable:
        assert self.sub.records is not None and self.sub.records.table is not None
        return self.sub.records.table

    def __len__(self) -> int:
        return 3 * len(self.table)

    def context(self, j: int) -> RowContext:
        found = self.made.get(j)
        if found is None:
            found = self.made[j] = self._make(j)
        return found

    def _cell(self, pos: int) -> ParsedCell:
        table = self.table
        number = self.duplicates.get(pos) or self.figures.number(pos)
        return ParsedCell(CellValue(table.value(pos), table.sheet, table.cell(pos)), number)

    def _make(self, j: int) -> RowContext:
        i, kind = divmod(j, 3)
        table, sub, sheet, catalog = self.table, self.sub, self.sheet, self.catalog
        code, row = table.codes[i], table.rows[i]
        if kind == 0:
            code_cell = table.code_cell(i)
            others = [table.code_cell(k) for k, c in enumerate(table.codes) if c == code and k != i]
            params = {
                "cell": f"{sheet}!{code_cell}",
                "value": code,
                "code": code,
                "other": ", ".join(others),
            }
            return RowContext(sub.index, sheet, code_cell, params, (row, 2))
        col = "period" if kind == 1 else "cumulative"
        current = self._cell(2 * i + kind - 1)
        indicator = catalog.indicators.get(code)
        parent = period_cell = None
        if indicator is not None and indicator.parent and indicator.parent in self.first:
            parent = self._cell(2 * self.first[indicator.parent] + kind - 1)
        if col == "cumulative":
            period_cell = self._cell(2 * self.first[code])
        value = _as_float(current.number.value)
        period_value = _as_float(period_cell.number.value) if period_cell is not None else None
        key = (sub.unit_code or "", code)
        previous, expected, bounds = _against_history(self.history, key, col, value, period_value)
        params = partial(
            _value_params,
            catalog,
            sheet,
            code,
            col,
            current,
            indicator,
            parent,
            period_cell,
            previous,
            expected,
            bounds,
        )
        return RowContext(sub.index, sheet, current.cell.cell, params, (row, 4 + kind))


def _against_history(
    history: HistoryContext,
    key: tuple[str, str],
    col: str,
    value: float | None,
    period_value: float | None,
) -> tuple[float | None, float | None, tuple[float, float] | None]:
    """One value row against its unit's history: (previous cumulative, expected cumulative,
    12-month bounds), the first only where the second is known. One place for both the
    row-by-row path and the lazy contexts of the column-wise one, so their messages agree.

    Continuity compares finite figures only: a figure beyond float range is already
    value.implausible, and "expected ∞" is no message for a clerk.
    """
    previous = expected = None
    if (
        col == "cumulative"
        and key in history.previous_cumulative
        and _finite(period_value)
        and (value is None or math.isfinite(value))
    ):
        previous = history.previous_cumulative[key]
        expected = round(previous + period_value, 6)  # type: ignore[operator]
    bounds = history.bounds[key] if col == "period" and key in history.bounds else None
    return previous, expected, bounds


def _value_block(
    b: _Builder,
    sub: Submission,
    catalog: Catalog,
    sheet: str,
    table: IndicatorTable,
    figures: Figures,
) -> None:
    """A file's indicator and value rows as column arrays from its compact figures (the rows
    and values `_value_rows_one_by_one` gives, without a dict or a context per row)."""
    n = len(table)
    codes = table.codes
    first = table.first_rows()
    indicators = catalog.indicators
    history = b.history_for(sub)
    value = np.array(figures.values, dtype="float64")
    has = ~np.isnan(value)
    blank = np.zeros(2 * n, dtype=bool)
    error = np.full(2 * n, None, dtype=object)
    warning = np.full(2 * n, None, dtype=object)
    duplicates: dict[int, ParsedNumber] = {}
    for i, code in enumerate(codes):
        if first[code] != i:  # a repeated code: its cells parsed as they stand
            indicator = indicators.get(code)
            value_type = indicator.value_type if indicator else "decimal"
            for pos in (2 * i, 2 * i + 1):
                duplicates[pos] = parse_cell(table.value(pos), value_type)  # type: ignore[arg-type]
    special = {**figures.special, **duplicates} if duplicates else figures.special
    for pos, parsed in special.items():
        number = parsed.value
        has[pos] = number is not None
        value[pos] = math.nan if number is None else _as_float(number)
        blank[pos] = parsed.blank
        error[pos] = parsed.error
        warning[pos] = parsed.warning
    values = value.tolist()
    present = has.tolist()
    applicable = np.zeros(n, dtype=bool)
    unknown = np.ones(n, dtype=bool)
    parent_period = np.full(n, np.nan)
    parent_cumulative = np.full(n, np.nan)
    max_value = np.full(n, np.nan)
    period_value = np.full(n, np.nan)
    expected = np.full(n, np.nan)
    outlier = np.full(n, np.nan)
    previous_cumulative, bounds = history.previous_cumulative, history.bounds
    unit = sub.unit_code or ""
    for i, code in enumerate(codes):
        indicator = indicators.get(code)
        if indicator is not None:
            owed = sub.applicable(indicator)
            if owed is not None:
                applicable[i] = owed
                unknown[i] = False
            if indicator.max_value is not None:
                max_value[i] = indicator.max_value
            if indicator.parent and indicator.parent in first:
                k = first[indicator.parent]
                parent_period[i] = values[2 * k]
                parent_cumulative[i] = values[2 * k + 1]
        f = 2 * first[code]
        period = values[f] if present[f] else None
        if period is not None:
            period_value[i] = period
        key = (unit, code)
        if key in previous_cumulative and _finite(period):
            own = 2 * i + 1
            if not present[own] or math.isfinite(values[own]):
                expected[i] = round(previous_cumulative[key] + period, 6)  # type: ignore[operator]
        if key in bounds:
            outlier[i] = bounds[key][1]
    m = 3 * n

    def spread(period: Any, cumulative: Any, fill: Any, dtype: Any) -> np.ndarray:
        array = np.full(m, fill, dtype=dtype)
        if period is not None:
            array[1::3] = period
        if cumulative is not None:
            array[2::3] = cumulative
        return array

    value_rows = np.ones(m, dtype=bool)
    value_rows[0::3] = False
    owed_unknown = spread(unknown, unknown, True, bool)
    nonzero = has & (value != 0)
    columns: dict[str, Any] = {
        "file_idx": sub.index,
        "kind": np.tile(_BLOCK_KINDS, n),
        "code": np.repeat(np.array(codes, dtype=object), 3),
        "col": np.tile(_BLOCK_COLS, n),
        "present": (np.ones(m, dtype=bool), np.zeros(m, dtype=bool)),
        "blank": (spread(blank[0::2], blank[1::2], False, bool), ~value_rows),
        "applicable": (spread(applicable, applicable, False, bool), owed_unknown),
        "nonzero": (spread(nonzero[0::2], nonzero[1::2], False, bool), ~value_rows),
        "value": spread(value[0::2], value[1::2], np.nan, "float64"),
        "parse_error": spread(error[0::2], error[1::2], None, object),
        "parse_warning": spread(warning[0::2], warning[1::2], None, object),
        "parent_value": spread(parent_period, parent_cumulative, np.nan, "float64"),
        "period_value": spread(None, period_value, np.nan, "float64"),
        "expected_cumulative": spread(None, expected, np.nan, "float64"),
        "outlier_high": spread(outlier, None, np.nan, "float64"),
        "max_value": spread(max_value, max_value, np.nan, "float64"),
    }
    b.add_block(_ValueBlock(sub, catalog, sheet, history, first, duplicates), columns)


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
    parent: ParsedCell | None = None
    period_cell: ParsedCell | None = None
    if indicator is not None and indicator.parent and indicator.parent in sub.values:
        parent_cells = sub.values[indicator.parent]
        parent = parent_cells[0] if col == "period" else parent_cells[1]
    if col == "cumulative" and code in sub.values:
        period_cell = sub.values[code][0]
    value = _as_float(number.value)
    period_value = _as_float(period_cell.number.value) if period_cell is not None else None
    key = (sub.unit_code or "", code)
    previous, expected_cumulative, bounds = _against_history(
        b.history_for(sub), key, col, value, period_value
    )
    outlier_high = bounds[1] if bounds is not None else None
    max_value = indicator.max_value if indicator is not None else None
    column_index = 5 if col == "period" else 6
    params = partial(
        _value_params,
        catalog,
        sheet,
        code,
        col,
        current,
        indicator,
        parent,
        period_cell,
        previous,
        expected_cumulative,
        bounds,
    )
    b.add(
        RowContext(sub.index, sheet, current.cell.cell, params, (row_number, column_index)),
        kind="value",
        code=code,
        col=col,
        present=True,
        blank=number.blank,
        applicable=sub.applicable(indicator) if indicator else None,
        nonzero=number.value is not None and number.value != 0,
        value=value,
        parse_error=number.error,
        parse_warning=number.warning,
        parent_value=_as_float(parent.number.value) if parent is not None else None,
        period_value=period_value,
        expected_cumulative=expected_cumulative,
        outlier_high=outlier_high,
        max_value=max_value,
    )


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _value_params(
    catalog: Catalog,
    sheet: str,
    code: str,
    col: str,
    current: ParsedCell,
    indicator: Any,
    parent: ParsedCell | None,
    period_cell: ParsedCell | None,
    previous: float | None,
    expected_cumulative: float | None,
    bounds: tuple[float, float] | None,
) -> Params:
    """A value row's message parameters, made only when one of its rules failed."""
    number = current.number
    params = {
        "cell": f"{sheet}!{current.cell.cell}",
        "label": _label(catalog, code, col),
        "value": _shown(current),
        "code": code,
        "column": catalog.template.value_label(col),
        "reading": number.reading or "",
    }
    if parent is not None:
        params.update(parent=indicator.parent, parent_value=_shown(parent))
    if period_cell is not None:
        params["period_value"] = _shown(period_cell)
    if previous is not None and expected_cumulative is not None:
        difference = (_as_float(number.value) or 0) - expected_cumulative
        params.update(
            previous=format_number_vi(previous),
            expected=format_number_vi(expected_cumulative),
            difference=format_number_vi(difference),
        )
    if bounds is not None:
        params.update(low=format_number_vi(bounds[0]), high=format_number_vi(bounds[1]))
    max_value = indicator.max_value if indicator is not None else None
    if max_value is not None:
        params.update(max=format_number_vi(max_value), measure=indicator.unit_of_measure)
    return params


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
