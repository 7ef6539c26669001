"""Writing cells and saving workbooks: blanks for no data, office time, text never a formula.

Text typed by units (file names, task results, narratives) ends up in cells. A cell that starts
with "=" would become a live formula in the office's Excel, so `put` writes every text as a
string, with Excel's quote prefix when Excel would offer to evaluate it on edit.
"""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.text import (
    CharacterProperties,
    Paragraph,
    ParagraphProperties,
    RegularTextRun,
)
from openpyxl.drawing.text import Font as DrawingFont
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from pcmbn.office.styles import CHANGE_WORDS, FONT, PERCENT, Painter, Style
from pcmbn.office.times import UTC, naive
from pcmbn.office.zips import deterministic_zip
from pcmbn.reading.numbers import CHANGE_AS_MULTIPLE, format_change_vi

__all__ = [
    "FORMULA_PREFIXES",
    "MAX_CELL_TEXT",
    "cell_value",
    "chart_text",
    "clean_text",
    "keep_text",
    "put",
    "put_row",
    "xlsx_bytes",
]

#: Excel refuses longer cell text; a pasted report longer than this is cut with a mark.
MAX_CELL_TEXT = 32_767
#: Text Excel would evaluate (or offer to evaluate) when a user edits the cell.
FORMULA_PREFIXES = ("=", "+", "-", "@")


def put(ws: Worksheet, painter: Painter, row: int, col: int, value: Any, style: Style) -> Cell:
    """Write one value: NaN/NaT blank, datetimes in office time, text never a formula."""
    value = cell_value(value)
    fast = _new_cell(ws, painter, row, col, value, style)
    if fast is not None:
        return fast
    cell = ws.cell(row=row, column=col, value=value)
    painter.paint(cell, style)
    keep_text(cell)
    return cell


#: Value types `_new_cell` binds itself, with openpyxl's data type for each.
_PLAIN_TYPES = {int: "n", float: "n", bool: "b", str: "s", type(None): "n"}


def _new_cell(
    ws: Worksheet, painter: Painter, row: int, col: int, value: Any, style: Style
) -> Cell | None:
    """The cell `ws.cell(...)` + `painter.paint` + `keep_text` make, for the common case only:
    a new cell, a style painted before, a number, a blank or a plain text (`cell_value`
    cleaned it). openpyxl's checks and descriptors per cell cost a national summary seconds;
    anything else (dates, formula-like or error-like text, a cell written twice) returns None
    for the general path."""
    kind = _PLAIN_TYPES.get(type(value))
    array = painter.array(style)
    if kind is None or array is None or row < 1 or col < 1 or (row, col) in ws._cells:
        return None
    if kind == "s" and (value.startswith(FORMULA_PREFIXES) or value in ERROR_CODES):
        return None
    cell = Cell(ws, row=row, column=col, style_array=array)
    cell._value, cell.data_type = value, kind
    ws._cells[(row, col)] = cell
    if row > ws._current_row:
        ws._current_row = row
    return cell


def change_cell(fraction: Any) -> tuple[Any, Style]:
    """A relative change (a fraction) as a cell value and style: a number in `0.0%` within
    ±999 %, beyond that the words "tăng 27,7 lần" (issue 12.17: "2666.7%" helps no reader).
    No change known (NaN): blank."""
    value = cell_value(fraction)
    if isinstance(value, int | float) and abs(value) > CHANGE_AS_MULTIPLE:
        return format_change_vi(value), CHANGE_WORDS
    return value, PERCENT


def put_row(
    ws: Worksheet,
    painter: Painter,
    row: int,
    values: Sequence[Any],
    styles: Sequence[Style],
) -> None:
    """`put` each value of a row from column A, each with its own style."""
    for col, (value, style) in enumerate(zip(values, styles, strict=True), start=1):
        put(ws, painter, row, col, value, style)


def keep_text(cell: Cell) -> None:
    """Text that looks like a formula stays text, in the file and when a user edits the cell.

    openpyxl turns any string starting with "=" into a formula (`data_type` "f"); we set it back
    to a string. The quote prefix (Excel's leading apostrophe) keeps Excel from re-evaluating
    "=", "+", "-", "@" text when someone presses F2 and Enter.
    """
    if cell.data_type == "f":
        cell.data_type = "s"
    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_PREFIXES):
        cell.quotePrefix = True


def cell_value(value: Any) -> Any:
    """A pandas/numpy value as something openpyxl writes faithfully (None for no data)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, datetime):  # includes pandas.Timestamp
        return naive(value)
    if isinstance(value, date):
        return value
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else naive(pd.Timestamp(value))
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return clean_text(str(value))
    if isinstance(value, int | float) or hasattr(value, "dtype"):
        number = float(value)
        if not math.isfinite(number):
            return None
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    return clean_text(str(value))


def clean_text(value: Any) -> str | None:
    """Drop control characters XML cannot hold and cut text Excel would refuse."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if len(text) > MAX_CELL_TEXT:
        text = text[: MAX_CELL_TEXT - 1] + "…"
    return text


def chart_text(text: str, *, size: int, bold: bool = False) -> Title:
    """A chart or axis title in Times New Roman; the default (18 pt Calibri) dwarfs the chart."""
    props = CharacterProperties(sz=size * 100, b=bold, latin=DrawingFont(typeface=FONT))
    paragraph = Paragraph(
        pPr=ParagraphProperties(defRPr=props), r=[RegularTextRun(rPr=props, t=text)]
    )
    return Title(tx=Text(rich=RichText(p=[paragraph])), overlay=False)


def xlsx_bytes(wb: Workbook, when: datetime) -> bytes:
    """The saved workbook with fixed zip metadata and core dates `when`: same data, same bytes.

    openpyxl's package is written uncompressed (`ZIP_STORED`): `deterministic_zip` rewrites
    every entry and compresses it once, so the bytes are those of a compressed save, without
    deflating a national summary's 50 MB of sheet XML twice.
    """
    if wb.write_only and not wb.worksheets:
        wb.create_sheet()
    wb.properties.modified = naive(when, UTC)  # as `Workbook.save` does; pinned below anyway
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).write_data()  # `Workbook.save` but for the compression
    return deterministic_zip(buffer.getvalue(), core_dates=when)
