"""Figures that carry a warning nobody has resolved yet, for the summary and the packets.

A warning (severity `warning`: a money "1.500" read as 1 500, an outlier, a cumulative that
does not continue last month's) does not reject the file, so its numbers are summed like any
other. A leader quoting such a total must know it rests on a figure still in doubt: the summary
workbook and the packet mark every figure and every total that includes one, and list the
warnings (unit, indicator, period, the message the unit was sent).

`warned_figures` is the one function both outputs use: it maps the warnings of the current
submissions (`Store.current_warnings`) onto the values they concern (`Store.current_values`),
by file, sheet and cell. A warning on a cell that holds no summed value (a task, an indicator
that does not apply to the unit) marks nothing. A warning stays as long as the submission is
current: a correction without it clears the mark.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

import pandas as pd

from pcmbn.periods import Period


class FigureKey(NamedTuple):
    """One unit's figure: an indicator in a period (both its Kỳ này and Lũy kế cells)."""

    unit_code: str
    indicator: str
    period: str  # the period's code ("2024-07")


@dataclass(frozen=True)
class FigureWarning:
    """One warning on a figure, as the unit was told it."""

    column: str  # "period" (Kỳ này) or "cumulative" (Lũy kế): the cell warned about
    rule: str  # a RuleId value
    sheet: str | None
    cell: str | None
    message: str  # the Vietnamese message of rules.yaml, as rendered for the unit
    file_name: str


#: The columns of `WarnedFigures.table` (the notes sheets and the `canh_bao` export).
WARNED_COLUMNS = (
    "unit_code",
    "unit_name",
    "period",
    "code",
    "name",
    "column",
    "sheet",
    "cell",
    "rule",
    "message",
    "file_name",
)


@dataclass(frozen=True)
class WarnedFigures:
    """The figures with an unresolved warning, by (unit, indicator, period)."""

    by_figure: Mapping[FigureKey, tuple[FigureWarning, ...]] = field(default_factory=dict)
    #: (indicator, period) -> units warned: what marking a total asks, per cell of a table
    _units: dict[tuple[str, str], frozenset[str]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        index: dict[tuple[str, str], set[str]] = {}
        for key in self.by_figure:
            index.setdefault((key.indicator, key.period), set()).add(key.unit_code)
        object.__setattr__(self, "_units", {k: frozenset(v) for k, v in index.items()})

    def __bool__(self) -> bool:
        return bool(self.by_figure)

    def __len__(self) -> int:
        return len(self.by_figure)

    def warnings(self, unit_code: str, indicator: str, period: str) -> tuple[FigureWarning, ...]:
        return self.by_figure.get(FigureKey(str(unit_code), str(indicator), str(period)), ())

    def is_warned(self, unit_code: str, indicator: str, period: str) -> bool:
        return FigureKey(str(unit_code), str(indicator), str(period)) in self.by_figure

    def units_warned(
        self, indicator: str, periods: Iterable[str], units: Iterable[str] | None = None
    ) -> list[str]:
        """The units (sorted) whose figure of `indicator` in one of `periods` is warned: a
        total over those periods (and `units`, all when None) includes a warned figure."""
        found: set[str] = set()
        for period in periods:
            found |= self._units.get((str(indicator), str(period)), frozenset())
        if units is not None and found:
            found &= {str(u) for u in units}
        return sorted(found)

    def table(
        self,
        unit_names: Mapping[str, str],
        indicator_names: Mapping[str, str],
        periods: Iterable[str] | None = None,
    ) -> pd.DataFrame:
        """One row per warning (WARNED_COLUMNS), by period, unit, indicator; only `periods`
        when given. `period` is the period's short label ("T7/2024")."""
        wanted = None if periods is None else {str(p) for p in periods}
        rows = []
        for key in sorted(self.by_figure, key=lambda k: (_ordinal(k.period), k[0], k[1])):
            if wanted is not None and key.period not in wanted:
                continue
            for warning in self.by_figure[key]:
                rows.append(
                    {
                        "unit_code": key.unit_code,
                        "unit_name": unit_names.get(key.unit_code, key.unit_code),
                        "period": _label(key.period),
                        "code": key.indicator,
                        "name": indicator_names.get(key.indicator, key.indicator),
                        "column": warning.column,
                        "sheet": warning.sheet,
                        "cell": warning.cell,
                        "rule": warning.rule,
                        "message": warning.message,
                        "file_name": warning.file_name,
                    }
                )
        return pd.DataFrame(rows, columns=list(WARNED_COLUMNS))


def warned_figures(values: pd.DataFrame, warnings: pd.DataFrame) -> WarnedFigures:
    """The warned figures among `values`: each warning joined to the value whose Kỳ này or
    Lũy kế cell it names, in the same file and sheet.

    `values` has the columns of `Store.current_values` (filtered to what is summed, e.g. by
    `pcmbn.monthly.applicable_values`); `warnings` those of `Store.current_warnings`. Pure:
    the caller reads both from the store for the period (or span) it shows.
    """
    if values is None or warnings is None or values.empty or warnings.empty:
        return WarnedFigures()
    cells: dict[tuple[str, str | None, str], tuple[FigureKey, str]] = {}
    for row in values.itertuples(index=False):
        key = FigureKey(str(row.unit_code), str(row.indicator), str(row.period))
        sheet = _text(row.sheet)
        for column, cell in (("period", row.period_cell), ("cumulative", row.cumulative_cell)):
            if _text(cell) is not None:
                cells[(str(row.sha256), sheet, str(cell))] = (key, column)
    found: dict[FigureKey, list[FigureWarning]] = {}
    for row in warnings.itertuples(index=False):
        cell = _text(row.cell)
        if cell is None:
            continue
        hit = cells.get((str(row.sha256), _text(row.sheet), cell))
        if hit is None:
            continue
        key, column = hit
        found.setdefault(key, []).append(
            FigureWarning(
                column=column,
                rule=str(row.rule),
                sheet=_text(row.sheet),
                cell=cell,
                message=str(row.message),
                file_name=str(row.original_name),
            )
        )
    return WarnedFigures({key: tuple(items) for key, items in found.items()})


def _text(value: object) -> str | None:
    """A stored text column's value, None for SQL NULL / NaN."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return str(value)


def _ordinal(code: str) -> int:
    try:
        return Period.from_code(code).ordinal
    except ValueError:
        return 0


def _label(code: str) -> str:
    try:
        return Period.from_code(code).short_label
    except ValueError:
        return code
