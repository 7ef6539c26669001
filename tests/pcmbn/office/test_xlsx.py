"""The xlsx toolkit: cell values, formula-safe text, styles, layout and the naive-time rule."""

from __future__ import annotations

import io
import math
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from pcmbn.office.layout import columns, finish, fit_row, header, line_count, span_chars
from pcmbn.office.styles import HEAD, INTEGER, Painter
from pcmbn.office.times import datetime_label, naive
from pcmbn.office.xlsx import MAX_CELL_TEXT, cell_value, clean_text, put, put_row, xlsx_bytes

WHEN = datetime(2024, 7, 18, 0, 5, 30, 123, tzinfo=UTC)  # 07:05:30 in Hà Nội


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (pd.NaT, None),
        (math.nan, None),
        (np.float64("inf"), None),
        (np.int64(12), 12),
        (12.0, 12),
        (2.5, 2.5),
        (True, True),
        (date(2024, 7, 15), date(2024, 7, 15)),
        (WHEN, datetime(2024, 7, 18, 7, 5, 30)),  # office wall clock, whole seconds
        (pd.Timestamp(WHEN), datetime(2024, 7, 18, 7, 5, 30)),
        (np.datetime64("NaT"), None),
        ("a\x01b", "ab"),  # control characters XML cannot hold
    ],
)
def test_cell_value(value: object, expected: object) -> None:
    assert cell_value(value) == expected


def test_clean_text_cuts_what_excel_refuses() -> None:
    text = clean_text("x" * (MAX_CELL_TEXT + 5))
    assert text is not None and len(text) == MAX_CELL_TEXT and text.endswith("…")


@pytest.mark.parametrize(
    ("text", "quoted"),
    [('=HYPERLINK("x")', True), ("+1", True), ("-5", True), ("@SUM", True), ("Kỳ này", False)],
)
def test_put_never_writes_a_formula(text: str, quoted: bool) -> None:
    wb = Workbook()
    cell = put(wb.active, Painter(), 1, 1, text, HEAD)
    buffer = io.BytesIO()
    wb.save(buffer)
    back = load_workbook(buffer).active["A1"]
    assert (back.value, back.data_type) == (text, "s")
    assert cell.quotePrefix is quoted
    assert back.font.bold and back.fill.fgColor.rgb.endswith("DDEBF7")


def test_painter_gives_the_same_look_from_the_cache() -> None:
    wb = Workbook()
    painter = Painter()
    put_row(wb.active, painter, 1, [1, 2], [INTEGER, INTEGER])
    first, second = wb.active["A1"], wb.active["B1"]
    assert first.number_format == second.number_format == "#,##0"
    assert list(first._style) == list(second._style)  # one cached style array


@pytest.mark.parametrize(
    ("text", "chars", "lines"), [("", 10, 1), ("abc", 10, 1), ("a" * 21, 10, 3), ("a\nb", 10, 2)]
)
def test_line_count(text: str, chars: int, lines: int) -> None:
    assert line_count(text, chars) == lines


def test_layout_widths_heights_and_page_setup() -> None:
    ws = Workbook().active
    assert columns(ws, (10, 20)) == 2
    assert span_chars(ws, 2) == 33
    fit_row(ws, 5, {1: "x" * 30})  # 11 characters a line → 3 lines
    assert ws.row_dimensions[5].height == 16.5 * 3
    fit_row(ws, 6, {1: "short", 2: 12})
    assert ws.row_dimensions[6].height is None
    header(ws, Painter(), 7, ["STT", "Mã"])
    assert ws.row_dimensions[7].height == 36 and ws["B7"].value == "Mã"
    finish(ws, header_rows=(7, 7), freeze="C8")
    assert ws.print_title_rows == "$7:$7" and ws.freeze_panes == "C8"
    # Issue 17: orientation follows the width (a 30-character table prints portrait).
    assert ws.page_setup.orientation == "portrait" and ws.oddFooter.center.text == "Trang &P/&N"
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    # The print area is the table, always explicit (LibreOffice need not measure overflow).
    assert ws.print_area == "'Sheet'!$A$1:$B$7"


def test_the_print_area_reaches_the_last_sized_or_written_column_and_row() -> None:
    ws = Workbook().active
    columns(ws, (6, 30, 12))
    ws["B9"] = "ô cuối"
    finish(ws, header_rows=None)
    assert ws.print_area == "'Sheet'!$A$1:$C$9"
    ws["E2"] = 1
    finish(ws, header_rows=None)
    assert ws.print_area == "'Sheet'!$A$1:$E$9"
    finish(ws, header_rows=None, print_area="A1:A40")  # beyond the cells (charts)
    assert ws.print_area == "'Sheet'!$A$1:$A$40"


def test_print_policy_landscape_where_wide_and_pages_across_with_names_repeated() -> None:
    """Issue 17: one page wide when readable; wider tables go across with their names."""
    wide = Workbook().active
    columns(wide, (6, 10, 12, 8, 22, 70))
    finish(wide, header_rows=(3, 3))
    assert wide.page_setup.orientation == "landscape"
    assert (wide.page_setup.fitToWidth, wide.page_setup.fitToHeight) == (1, 0)
    assert wide.sheet_properties.pageSetUpPr.fitToPage and int(wide.page_setup.paperSize) == 9
    matrix = Workbook().active
    columns(matrix, (6, 34, *([9] * 40)))
    matrix["AP1"] = 1
    finish(matrix, header_rows=(6, 6), repeat_cols="A:B", print_area="A1:AP30")
    assert matrix.page_setup.fitToWidth == 2 and matrix.page_setup.fitToHeight == 0
    assert matrix.print_title_cols == "$A:$B" and matrix.print_title_rows == "$6:$6"


def test_xlsx_bytes_are_deterministic() -> None:
    def book() -> Workbook:
        wb = Workbook()
        wb.active["A1"] = "Tổng hợp"
        return wb

    assert xlsx_bytes(book(), WHEN) == xlsx_bytes(book(), WHEN)
    assert xlsx_bytes(book(), WHEN) != xlsx_bytes(book(), datetime(2025, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("moment", "zone", "expected"),
    [
        (WHEN, None, datetime(2024, 7, 18, 7, 5, 30)),
        (WHEN, UTC, datetime(2024, 7, 18, 0, 5, 30)),
        (datetime(2024, 7, 18, 7, 5), None, datetime(2024, 7, 18, 7, 5)),  # naive = office time
        (datetime(2024, 7, 18, 7, 5), UTC, datetime(2024, 7, 18, 0, 5)),
    ],
)
def test_naive_rule(moment: datetime, zone: object, expected: datetime) -> None:
    assert (naive(moment) if zone is None else naive(moment, UTC)) == expected


def test_datetime_label_is_office_time() -> None:
    assert datetime_label(WHEN) == "18/07/2024 07:05"
