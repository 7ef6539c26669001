"""The fast paths of the workbook toolkit write exactly what openpyxl's own paths write.

`put` binds plain cells itself, `Painter.merge` copies the borders of the first merge of each
kind, `xlsx_bytes` compresses once: each is compared byte for byte with the general openpyxl
path over a sheet holding every kind of cell the summary writes.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.worksheet import Worksheet

from pcmbn.office.layout import group_row
from pcmbn.office.styles import CENTERED, DECIMAL, GROUP, INTEGER, TEXT, Painter, Style
from pcmbn.office.xlsx import cell_value, keep_text, put, xlsx_bytes
from pcmbn.office.zips import deterministic_zip

WHEN = datetime(2026, 7, 17, 9, 30, tzinfo=UTC)

#: Every kind of value the summary's sheets put in a cell.
VALUES: list[object] = [
    1,
    2.5,
    -3,
    float("nan"),
    None,
    True,
    "Thành phố Hà Nội",
    "  leading and trailing spaces  ",
    "a & b < c > d",
    "line one\r\nline two\rthree",
    '=HYPERLINK("http://x")',
    "+84 912",
    "-5",
    "@home",
    "#N/A",
    "=",
    date(2026, 7, 1),
    datetime(2026, 7, 17, 9, 30),
    "x" * 40_000,
    "tab\there",
]


def _general_put(
    ws: Worksheet, painter: Painter, row: int, col: int, value: object, style: Style
) -> Cell:
    """`put` as it was: openpyxl's `ws.cell`, then paint, then the formula guard."""
    cell = ws.cell(row=row, column=col, value=cell_value(value))
    painter.paint(cell, style)
    keep_text(cell)
    return cell


def _sheet(put_cell: Callable[..., Cell], merge: Callable[..., None]) -> Workbook:
    wb = Workbook()
    ws = wb.active
    painter = Painter()
    styles = [TEXT, INTEGER, DECIMAL, CENTERED]
    for row in range(1, 40):
        for col, value in enumerate(VALUES, start=1):
            put_cell(ws, painter, row, col, value, styles[(row + col) % len(styles)])
    put_cell(ws, painter, 3, 3, "written twice", TEXT)  # a cell written again
    ws["B5"].comment = Comment("Cảnh báo: số liệu tăng bất thường", "PCMBN")
    ws.row_dimensions[7].height = 33
    ws.row_dimensions[60].height = 20  # a row with no cell, only a height
    for row in range(41, 80):
        put_cell(ws, painter, row, 1, str(row), GROUP)
        for col in range(2, 10):
            put_cell(ws, painter, row, col, "Nhóm" if col == 3 else None, GROUP)
        merge(ws, painter, row, 3, row, 9)
    return wb


def _openpyxl_merge(ws: Worksheet, _painter: Painter, r1: int, c1: int, r2: int, c2: int) -> None:
    ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)


def _painter_merge(ws: Worksheet, painter: Painter, r1: int, c1: int, r2: int, c2: int) -> None:
    painter.merge(ws, r1, c1, r2, c2)


def _openpyxl_bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return deterministic_zip(buffer.getvalue(), core_dates=WHEN)


def test_fast_put_merge_and_save_give_openpyxl_s_bytes() -> None:
    reference = _openpyxl_bytes(_sheet(_general_put, _openpyxl_merge))
    assert _openpyxl_bytes(_sheet(put, _painter_merge)) == reference
    assert xlsx_bytes(_sheet(_general_put, _openpyxl_merge), WHEN) == reference
    assert xlsx_bytes(_sheet(put, _painter_merge), WHEN) == reference


def test_thousands_of_group_rows_merge_in_linear_time(monkeypatch) -> None:  # noqa: ANN001
    """openpyxl checks every new merge against all earlier ones (5,000 units' headings: 12.5
    million comparisons, over a minute); `group_row` must not."""
    calls = 0
    original = CellRange.issubset

    def counted(self: CellRange, other: CellRange) -> bool:
        nonlocal calls
        calls += 1
        return original(self, other)

    monkeypatch.setattr(CellRange, "issubset", counted)
    monkeypatch.setattr(CellRange, "__le__", counted)  # what `range in merged_cells` calls
    wb = Workbook()
    ws = wb.active
    painter = Painter()
    rows = 2_000
    for row in range(1, rows + 1):
        group_row(ws, painter, row, str(row), f"Đơn vị {row}", 9)
    assert len(ws.merged_cells.ranges) == rows
    assert calls < 10 * rows
