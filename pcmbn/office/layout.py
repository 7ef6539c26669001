"""Sheet layout for printing: column widths, row heights for wrapped text, A4 page setup.

LibreOffice and some Excel builds do not grow wrapped rows when a file is opened, and the office
prints everything; so row heights are estimated here from the text and the column widths.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from pcmbn.office.styles import FONT, FOOTNOTE, GROUP, GROUP_NO, HEAD, Painter, Style
from pcmbn.office.xlsx import put

__all__ = [
    "columns",
    "finish",
    "fit_row",
    "footnote",
    "group_row",
    "header",
    "last_column",
    "line_count",
    "span_chars",
    "table_width",
]


def columns(ws: Worksheet, widths: Sequence[float]) -> int:
    """Set column widths; return how many columns the table has."""
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    return len(widths)


def span_chars(ws: Worksheet, width: int) -> int:
    """About how many characters fit across the first `width` columns (merged text)."""
    total = sum(
        ws.column_dimensions[get_column_letter(col)].width or 9 for col in range(1, width + 1)
    )
    return max(10, int(total * 1.1))


def fit_row(
    ws: Worksheet,
    row: int,
    texts: dict[int, Any],
    width: float | None = None,
    factor: float = 1.1,
) -> None:
    """Give wrapped text rows room: LibreOffice and some Excel builds do not grow them on open.

    `texts` maps column numbers to the text in them. `factor` is characters per unit of column
    width (about 1.1 for 12 pt Times New Roman).
    """
    needed = 1
    for col, text in texts.items():
        if not isinstance(text, str):
            continue
        col_width = width or ws.column_dimensions[get_column_letter(col)].width or 9
        needed = max(needed, line_count(text, max(8, int(col_width * factor))))
    if needed > 1:
        line = 16.5 if factor <= 1.1 else 13.5
        ws.row_dimensions[row].height = min(409, line * needed)


def line_count(text: str, chars_per_line: int) -> int:
    """Printed lines `text` needs at `chars_per_line` (each paragraph starts a new line)."""
    return sum(max(1, -(-len(part) // chars_per_line)) for part in text.split("\n"))


def header(
    ws: Worksheet, painter: Painter, row: int, labels: Sequence[str], style: Style = HEAD
) -> None:
    """A table's column header: one label per column from A, 36 pt tall for two lines."""
    for col, label in enumerate(labels, start=1):
        put(ws, painter, row, col, label, style)
    ws.row_dimensions[row].height = 36


def group_row(
    ws: Worksheet,
    painter: Painter,
    row: int,
    number: str,
    text: str,
    width: int,
    label_col: int = 3,
) -> None:
    """A heading row (indicator group, task): number in A, text merged to the table's edge."""
    put(ws, painter, row, 1, number, GROUP_NO)
    for col in range(2, width + 1):
        put(ws, painter, row, col, text if col == label_col else None, GROUP)
    painter.merge(ws, row, label_col, row, width)


def footnote(ws: Worksheet, painter: Painter, row: int, text: str, width: int) -> None:
    """An italic note under a table, merged across it and tall enough for its lines."""
    put(ws, painter, row, 1, text, FOOTNOTE)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    ws.row_dimensions[row].height = 17 * line_count(text, span_chars(ws, width))


#: Column-width units (characters) one A4 page prints at 100 %, margins of `finish` deducted.
PORTRAIT_WIDTH = 95
LANDSCAPE_WIDTH = 140
#: Shrinking a table below this share of its size makes it unreadable on paper: it runs over
#: more pages across instead, with its label columns repeated on each.
MIN_SCALE = 0.6


def last_column(ws: Worksheet) -> int:
    """The table's last column: the furthest written or sized one."""
    sized = [
        column_index_from_string(letter)
        for letter, dim in ws.column_dimensions.items()
        if dim.width
    ]
    return max([ws.max_column or 1, *sized])


def table_width(ws: Worksheet) -> float:
    """The sheet's columns' total width (characters), the default 9 for unset columns."""
    return sum(
        ws.column_dimensions[get_column_letter(col)].width or 9
        for col in range(1, last_column(ws) + 1)
    )


def finish(
    ws: Worksheet,
    *,
    header_rows: tuple[int, int] | None,
    freeze: str | None = None,
    landscape: bool | None = None,
    fit: tuple[int, int] | None = None,
    repeat_cols: str | None = None,
    print_area: str | None = None,
) -> None:
    """The one print policy of every workbook (issue 17): A4, fitted to the page width.

    Header rows repeat on every printed page, page numbers are in the footer. Orientation
    follows the table's width unless given (landscape where a portrait page would shrink it).
    `fit` is (pages wide, pages tall), 0 meaning as many as needed; by default one page wide
    and as many tall, or, for a table too wide to shrink onto one landscape page, as many
    pages across as keep it readable, with `repeat_cols` (the unit-name columns, "A:B")
    printed on each. `print_area` includes what lies beyond the cells (charts); by default it
    is the table (A1 to its last written or sized column and last row).

    The print area is always explicit: without one, LibreOffice works out the printed range
    itself, measuring every cell's text for overflow, once per zoom it tries while fitting the
    page width (the packet's appendix took ~3 s to convert that way, 0.4 s with its areas).
    Text never runs beyond the table: notes wider than it are merged across it (`footnote`).
    """
    width = table_width(ws)
    if landscape is None:
        landscape = width > PORTRAIT_WIDTH
    if fit is None:
        page = LANDSCAPE_WIDTH if landscape else PORTRAIT_WIDTH
        across = 1 if width <= page / MIN_SCALE else -(-int(width) // int(page / MIN_SCALE))
        fit = (across, 0)
    if header_rows is not None:
        ws.print_title_rows = f"{header_rows[0]}:{header_rows[1]}"
    if repeat_cols is not None:
        ws.print_title_cols = repeat_cols
    ws.print_area = print_area or f"A1:{get_column_letter(last_column(ws))}{ws.max_row or 1}"
    if freeze:
        ws.freeze_panes = freeze
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = fit
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "Trang &P/&N"
    ws.oddFooter.center.font = FONT
    ws.oddFooter.center.size = 10
