"""Cell styles for the office's workbooks: Times New Roman 12, thin grey boxes, A4 tables.

One `Style` names a cell's font, fill, border, alignment and number format. `Painter` applies
styles fast by reusing openpyxl's style arrays; the named styles below are shared by the monthly
summary and the conference packet, so both read as documents of one office.
"""

from __future__ import annotations

from copy import copy
from dataclasses import dataclass, field
from typing import Any

from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.worksheet.worksheet import Worksheet

INTEGER_FORMAT = "#,##0"
#: Money (triệu đồng) to two decimals. A number format cannot choose the separators: Excel and
#: LibreOffice draw "," and "." from the reader's locale, so a Vietnamese Office shows
#: "1.234,50" and an English one "1,234.50"; cells stay numbers so they can be summed.
DECIMAL_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"

FONT = "Times New Roman"
TITLE = Font(name=FONT, size=13, bold=True)
BOLD = Font(name=FONT, size=12, bold=True)
NORMAL = Font(name=FONT, size=12)
ITALIC = Font(name=FONT, size=12, italic=True)
SMALL = Font(name=FONT, size=10)
NOTE = Font(name=FONT, size=12, italic=True, bold=True, color="C00000")
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
GROUP_FILL = PatternFill("solid", fgColor="F2F2F2")
NOT_STARTED_FILL = PatternFill("solid", fgColor="FCE4D6")
STATUS_FILLS = {
    "on_time": PatternFill("solid", fgColor="C6EFCE"),  # green
    "late": PatternFill("solid", fgColor="FFEB9C"),  # amber
    "missing": PatternFill("solid", fgColor="FFC7CE"),  # red
    "rejected": PatternFill("solid", fgColor="FFC7CE"),  # red
    "returned": PatternFill("solid", fgColor="E4DFEC"),  # violet: returned by the office
}
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
TOP = Alignment(horizontal="left", vertical="top", wrap_text=True)
ROTATED = Alignment(horizontal="center", vertical="bottom", text_rotation=90, wrap_text=True)


@dataclass(frozen=True)
class Style:
    """A cell's look; instances are reused so their openpyxl style arrays can be cached."""

    font: Font = NORMAL
    fill: PatternFill | None = None
    border: Border | None = BOX
    alignment: Alignment | None = None
    number_format: str = "General"


@dataclass
class Painter:
    """Applies `Style`s by copying a cached openpyxl style array.

    Setting font, border and fill attribute by attribute hashes each style object on every
    cell, which makes a 170-unit summary (~100k cells) take seconds; copying the array is ~5x
    faster and gives identical XML.
    """

    _arrays: dict[int, tuple[Style, Any]] = field(default_factory=dict)
    #: (start cell's style, end cell's style, rows, columns) → the style array of every cell
    #: of the merged range after openpyxl's merge, row by row.
    _merged: dict[tuple[Any, ...], list[Any]] = field(default_factory=dict)

    def paint(self, cell: Cell, style: Style) -> None:
        hit = self._arrays.get(id(style))
        if hit is not None:
            cell._style = copy(hit[1])
            return
        cell.font = style.font
        cell.border = style.border or Border()
        cell.fill = style.fill or PatternFill()
        cell.alignment = style.alignment or Alignment()
        cell.number_format = style.number_format
        self._arrays[id(style)] = (style, copy(cell._style))  # keep `style` alive: id stays valid

    def array(self, style: Style) -> Any | None:
        """The cached openpyxl style array of `style` (None until a cell was painted with it)."""
        hit = self._arrays.get(id(style))
        return None if hit is None else hit[1]

    def merge(
        self, ws: Worksheet, start_row: int, start_column: int, end_row: int, end_column: int
    ) -> None:
        """`ws.merge_cells` over a range no other merge overlaps, with the same result.

        openpyxl checks a new range against every range merged before (quadratic: 5,000 unit
        headings of a national summary took over a minute) and re-derives the merged cells'
        borders style by style. The borders depend only on the corner cells' styles and the
        range's shape, so the first merge of each kind goes through openpyxl and the next ones
        copy its style arrays: identical cells, identical XML.
        """
        cells = ws._cells
        start = cells.get((start_row, start_column))
        end = cells.get((end_row, end_column))
        key = (
            None if start is None else tuple(start._style),
            None if end is None else tuple(end._style),
            end_row - start_row,
            end_column - start_column,
        )
        found = self._merged.get(key)
        if found is None:
            ws.merge_cells(
                start_row=start_row,
                start_column=start_column,
                end_row=end_row,
                end_column=end_column,
            )
            self._merged[key] = [
                copy(cells[(row, col)]._style)
                for row in range(start_row, end_row + 1)
                for col in range(start_column, end_column + 1)
            ]
            return
        if start is None:
            start = ws.cell(row=start_row, column=start_column)
        merged = MergedCellRange.__new__(MergedCellRange)
        CellRange.__init__(
            merged, min_col=start_column, min_row=start_row, max_col=end_column, max_row=end_row
        )
        merged.ws, merged.start_cell = ws, start
        ws.merged_cells.ranges.add(merged)
        arrays = iter(found)
        for row in range(start_row, end_row + 1):
            for col in range(start_column, end_column + 1):
                first = (row, col) == (start_row, start_column)
                cell = start if first else MergedCell(ws, row, col)
                cell._style = copy(next(arrays))
                cells[(row, col)] = cell


# Styles shared by the sheets (one cache entry each).
HEAD = Style(font=BOLD, fill=HEADER_FILL, alignment=CENTER)
HEAD_ROTATED = Style(font=Font(name=FONT, size=10, bold=True), fill=HEADER_FILL, alignment=ROTATED)
HEAD_SMALL_ROTATED = Style(
    font=Font(name=FONT, size=8),
    fill=HEADER_FILL,
    alignment=Alignment(horizontal="center", vertical="bottom", text_rotation=90),
)
GROUP = Style(font=BOLD, fill=GROUP_FILL, alignment=LEFT)
GROUP_NO = Style(font=BOLD, fill=GROUP_FILL, alignment=CENTER)
TEXT = Style(alignment=LEFT)
TEXT_TOP = Style(alignment=TOP)
TEXT_SMALL = Style(font=SMALL, alignment=LEFT)
CODE = Style(font=SMALL, alignment=Alignment(horizontal="left", vertical="center"))
HASH = Style(font=Font(name=FONT, size=8), alignment=Alignment(vertical="center"))
TEXT_CHILD = Style(font=ITALIC, alignment=LEFT)
CENTERED = Style(alignment=CENTER)
NUMBER = Alignment(vertical="center")
INTEGER = Style(alignment=NUMBER, number_format=INTEGER_FORMAT)
DECIMAL = Style(alignment=NUMBER, number_format=DECIMAL_FORMAT)
PERCENT = Style(alignment=NUMBER, number_format=PERCENT_FORMAT)
#: A change too large for a percentage, written as words ("tăng 27,7 lần"), aligned as numbers.
CHANGE_WORDS = Style(alignment=Alignment(horizontal="right", vertical="center"))
WHEN = Style(alignment=CENTER, number_format=DATETIME_FORMAT)
DAY = Style(alignment=CENTER, number_format=DATE_FORMAT)
PLAIN = Style(border=None)
FOOTNOTE = Style(font=ITALIC, border=None, alignment=LEFT)
TOTAL_LABEL = Style(font=BOLD, alignment=LEFT)
TOTAL_COUNT = Style(font=BOLD, number_format=INTEGER_FORMAT)
STATUS_STYLES = {key: Style(fill=fill, alignment=CENTER) for key, fill in STATUS_FILLS.items()}
NOT_STARTED = {
    "text": Style(fill=NOT_STARTED_FILL, alignment=LEFT),
    "top": Style(fill=NOT_STARTED_FILL, alignment=TOP),
    "center": Style(fill=NOT_STARTED_FILL, alignment=CENTER),
    "code": Style(font=SMALL, fill=NOT_STARTED_FILL, alignment=LEFT),
}
