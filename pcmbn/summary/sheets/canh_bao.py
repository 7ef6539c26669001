"""The `CanhBao` sheet of the summary workbook.

Every figure of the workbook that carries a warning nobody has resolved yet (`pcmbn.warned`):
unit, period, indicator, cell and the message the unit was sent, so a figure marked "(*)" in
TongHop, TheoNhom or MaTran can be checked before anyone quotes it.
"""

from __future__ import annotations

import pandas as pd
from openpyxl.worksheet.worksheet import Worksheet

from pcmbn.office.layout import columns, finish, fit_row, header
from pcmbn.office.styles import CENTERED, PLAIN, TEXT, TEXT_TOP
from pcmbn.office.xlsx import put, put_row
from pcmbn.summary.model import SummaryData
from pcmbn.summary.sheets.common import (
    FIRST_DATA_ROW,
    HEADER_ROW,
    WARNED_SHEET,
    SheetContext,
    SummarySheet,
    title_block,
    warned_note,
)


def warned_table(data: SummaryData) -> pd.DataFrame:
    """The warned figures as one row per warning (`pcmbn.warned.WARNED_COLUMNS`)."""
    names = data.unit_names()
    indicators = {code: ind.name for code, ind in data.catalog.indicators.items()}
    return data.warned.table(names, indicators)


def build(ws: Worksheet, ctx: SheetContext) -> None:
    """One row per unresolved warning behind a marked figure."""
    labels = ctx.data.catalog.labels.warned
    headings = ["STT", "Đơn vị", "Kỳ", "Mã", "Chỉ tiêu", "Cột", "Ô", "Nội dung cảnh báo", "Tệp"]
    width = columns(ws, (6, 26, 10, 8, 36, 12, 12, 70, 28))
    title_block(ws, ctx, labels.title.upper(), width, warned_note(ctx))
    header(ws, ctx.painter, HEADER_ROW, headings)
    row = FIRST_DATA_ROW
    for number, rec in enumerate(warned_table(ctx.data).itertuples(index=False), start=1):
        where = f"{rec.sheet}!{rec.cell}" if rec.sheet else rec.cell
        values = [
            number,
            rec.unit_name,
            rec.period,
            rec.code,
            rec.name,
            ctx.column_label(rec.column),
            where,
            rec.message,
            rec.file_name,
        ]
        styles = [CENTERED, TEXT, CENTERED, CENTERED, TEXT, TEXT, CENTERED, TEXT_TOP, TEXT]
        put_row(ws, ctx.painter, row, values, styles)
        fit_row(ws, row, {2: rec.unit_name, 5: rec.name, 8: rec.message})
        row += 1
    if row == FIRST_DATA_ROW:
        put(ws, ctx.painter, row, 2, labels.none, PLAIN)
    finish(ws, header_rows=(HEADER_ROW, HEADER_ROW), freeze="C8")


SHEET = SummarySheet(name=WARNED_SHEET, build=build, export="canh_bao", table=warned_table)
