"""The `MaTran` sheet of the summary workbook.

Every unit's figure for this period, so the office can see who reported what.
"""

from __future__ import annotations

import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from pcmbn.office.layout import (
    columns,
    finish,
    fit_row,
)
from pcmbn.office.styles import (
    CENTERED,
    FONT,
    HEAD,
    HEAD_ROTATED,
    HEAD_SMALL_ROTATED,
    TEXT,
    TEXT_CHILD,
)
from pcmbn.office.xlsx import put, put_row
from pcmbn.summary.model import SummaryData
from pcmbn.summary.sheets.common import (
    HEADER_ROW,
    SheetContext,
    SummarySheet,
    missing_note,
    notes,
    title_block,
    warned_note,
)

#: Above this many units the matrix is not squeezed onto one page width (it would be unreadable);
#: it prints across pages instead, with the indicator columns repeated on each.
MATRIX_FIT_UNITS = 20


def build(ws: Worksheet, ctx: SheetContext) -> None:
    """Every unit's figure for this period, so the office can see who reported what."""
    matrix = ctx.data.matrix
    units = [str(code) for code in matrix.columns]
    width = columns(ws, (6, 8, 44, *([8] * len(units))))
    note = notes(missing_note(ctx, full=False), warned_note(ctx))
    title_block(ws, ctx, "SỐ LIỆU KỲ NÀY CỦA TỪNG ĐƠN VỊ", min(width, 13), note)
    names_row, codes_row = HEADER_ROW, HEADER_ROW + 1
    for col, label in enumerate(["STT", "Mã", "Chỉ tiêu"], start=1):
        put(ws, ctx.painter, names_row, col, label, HEAD)
        put(ws, ctx.painter, codes_row, col, None, HEAD)
        ws.merge_cells(start_row=names_row, start_column=col, end_row=codes_row, end_column=col)
    for offset, code in enumerate(units):
        put(ws, ctx.painter, names_row, 4 + offset, ctx.unit_names.get(code, code), HEAD_ROTATED)
        put(ws, ctx.painter, codes_row, 4 + offset, code, HEAD_SMALL_ROTATED)
    # Rotated names (10 pt, ~6 pt a character) may wrap onto two lines of the 8-wide column;
    # codes (8 pt, ~5 pt a character) must not wrap.
    longest = max((len(ctx.unit_names.get(code, code)) for code in units), default=10)
    ws.row_dimensions[names_row].height = min(170, max(60, 3.3 * longest + 20))
    longest_code = max((len(code) for code in units), default=8)
    ws.row_dimensions[codes_row].height = min(130, max(30, 5.5 * longest_code + 14))
    row = codes_row + 1
    for number, (key, cells) in enumerate(
        zip(matrix.index, matrix.to_numpy().tolist(), strict=True), start=1
    ):
        code = str(key)
        ind = ctx.indicator(code)
        child = ind is not None and ind.parent is not None
        name = ind.name if ind else code
        name = f"    {name}" if child else name
        num = ctx.number_style(code)
        values = [number, code, name, *cells]
        styles = [CENTERED, CENTERED, TEXT_CHILD if child else TEXT, *([num] * len(units))]
        put_row(ws, ctx.painter, row, values, styles)
        for offset, unit in enumerate(units):
            ctx.mark(ws, row, 4 + offset, num, code, [ctx.data.period.code], [unit])
        fit_row(ws, row, {3: name})
        row += 1
    wide = len(units) > MATRIX_FIT_UNITS
    finish(
        ws,
        header_rows=(names_row, codes_row),
        freeze=f"D{codes_row + 1}",
        fit=(0, 1) if wide else (1, 0),
    )
    if wide:
        # Many units: one page tall, as many pages across as needed, indicator columns repeated
        # on each. The merged title block would be cut at column C on every page after the
        # first, so it is left out of the print area and printed as the page header instead.
        ws.print_title_cols = "A:C"
        ws.print_area = f"A{names_row}:{get_column_letter(width)}{row - 1}"
        ws.oddHeader.center.text = (
            f"SỐ LIỆU KỲ NÀY CỦA TỪNG ĐƠN VỊ — {ctx.data.period.label_vi} "
            f"({ctx.window_label.lower()})"
        )
        ws.oddHeader.center.font = f"{FONT},Bold"
        ws.oddHeader.center.size = 11
        ws.page_margins.top, ws.page_margins.header = 0.9, 0.35  # room for the page header


def export_table(data: SummaryData) -> pd.DataFrame:
    """Indicator × unit matrix as a flat table: `code` then one column per unit code."""
    table = data.matrix.copy()
    table.columns = [str(column) for column in table.columns]
    table.index = [str(code) for code in table.index]
    return table.rename_axis("code").reset_index()


SHEET = SummarySheet(
    name="MaTran",
    build=build,
    export="ma_tran",
    table=export_table,
)
