"""The indicator table of one file as a few flat arrays, not one Python object per cell.

A national month is 5,000 files × ~40 indicator rows × 2 value cells. Kept as `CellValue`
objects with their own sheet name and A1 address, every cell costs allocations when read,
hundreds of bytes and microseconds when pickled (the sandbox's pipe, the process pool, Dask),
and the GIL while doing so. Here a file's table is: the codes, their 1-based sheet rows, the
clean numbers as one float64 array, and only the cells that were *not* a clean number (text,
blanks, dates, booleans, counts beyond float precision) as raw values in a small dict.
Provenance is derived from the layout, stored once per file: the sheet's name and the columns
of the code, Kỳ này and Lũy kế; a cell's A1 address is computed when a person needs it.

Positions: value cell `pos = 2 * i + col` for indicator row `i`, `col` 0 for Kỳ này (period)
and 1 for Lũy kế (cumulative).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

PERIOD, CUMULATIVE = 0, 1
#: Integers a float64 holds exactly; beyond them a count keeps its raw Python int.
_EXACT = 2**53


def is_clean_number(raw: Any) -> bool:
    """A finite float, or an int a float64 holds exactly (bool and dates are not numbers)."""
    kind = type(raw)
    if kind is float:
        return math.isfinite(raw)
    return kind is int and -_EXACT <= raw <= _EXACT


@lru_cache(maxsize=512)
def column_letters(column: int) -> str:
    """1-based column number to its letters (cached: a template has a handful of columns)."""
    letters = ""
    while column:
        column, rem = divmod(column - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass(slots=True, eq=False)
class IndicatorTable:
    """One file's indicator rows (duplicates included, in sheet order), column-wise.

    `numbers[pos]` is the cell's value when it was a clean number, NaN otherwise; then
    `raw[pos]` holds what the cell held (`""`, None for a cell past a short row, text, a date…).
    """

    sheet: str
    code_column: int  # 1-based columns of the layout's header row
    period_column: int
    cumulative_column: int
    codes: tuple[str, ...]
    rows: array  # array('l'): 1-based sheet rows
    numbers: array  # array('d'): two per row (period, cumulative)
    raw: dict[int, Any]

    @classmethod
    def build(
        cls,
        sheet: str,
        columns: tuple[int, int, int],
        codes: Sequence[str],
        rows: Sequence[int],
        cells: Sequence[Any],
    ) -> IndicatorTable:
        """From the reader's codes, rows and raw value cells (two per row, period first)."""
        nan = math.nan
        numbers = array("d", [nan]) * len(cells)
        raw: dict[int, Any] = {}
        for pos, value in enumerate(cells):
            if is_clean_number(value):
                numbers[pos] = value
            else:
                raw[pos] = value
        return cls(sheet, *columns, tuple(codes), array("l", rows), numbers, raw)

    def __reduce__(self) -> tuple[Any, ...]:
        # The fields as one tuple: cheaper both ways than the slots' generated state.
        return (
            IndicatorTable,
            (
                self.sheet,
                self.code_column,
                self.period_column,
                self.cumulative_column,
                self.codes,
                self.rows,
                self.numbers,
                self.raw,
            ),
        )

    def __len__(self) -> int:
        return len(self.codes)

    def value(self, pos: int) -> Any:
        """The cell's raw value as the reader got it (a clean number comes back as a float;
        an int cell that a float holds exactly reads the same everywhere downstream)."""
        if pos in self.raw:
            return self.raw[pos]
        return self.numbers[pos]

    def column(self, col: int) -> int:
        return self.period_column if col == PERIOD else self.cumulative_column

    def cell(self, pos: int) -> str:
        """A1 address of value cell `pos`."""
        row, col = divmod(pos, 2)
        return f"{column_letters(self.column(col))}{self.rows[row]}"

    def code_cell(self, i: int) -> str:
        return f"{column_letters(self.code_column)}{self.rows[i]}"

    def first_rows(self) -> dict[str, int]:
        """code -> index of its first row (a repeated code counts once, the first time)."""
        first: dict[str, int] = {}
        for i, code in enumerate(self.codes):
            first.setdefault(code, i)
        return first

    def positions(self) -> Iterator[tuple[int, str, int]]:
        """(pos, code, 1-based row) for every value cell, in sheet order."""
        for i, code in enumerate(self.codes):
            row = self.rows[i]
            yield 2 * i, code, row
            yield 2 * i + 1, code, row
