"""The `TheoNhom` sheet of the summary workbook.

Per indicator, this period and year-to-date for provincial departments vs local
"""

from __future__ import annotations

from typing import Any

from openpyxl.worksheet.worksheet import Worksheet

from pcmbn.office.layout import (
    columns,
    finish,
    fit_row,
    group_row,
)
from pcmbn.office.styles import CENTERED, HEAD, TEXT, TEXT_CHILD
from pcmbn.office.xlsx import put, put_row
from pcmbn.summary.sheets.common import (
    HEADER_ROW,
    SheetContext,
    SummarySheet,
    indicator_groups,
    missing_note,
    notes,
    ordered_groups,
    records,
    title_block,
    warned_note,
)
from pcmbn.text import roman


def build(ws: Worksheet, ctx: SheetContext) -> None:
    """Per indicator, this period and year-to-date for provincial departments vs local
    governments, because the Steering Committee reviews the two groups separately."""
    frame = ctx.data.by_group
    groups = ordered_groups(frame, ctx.data.catalog.groups)
    width = columns(ws, (6, 8, 52, 12, *([13, 14] * len(groups))))
    note = notes(missing_note(ctx, full=False), warned_note(ctx))
    title_block(ws, ctx, "TỔNG HỢP SỐ LIỆU THEO NHÓM ĐƠN VỊ", width, note)
    units = ctx.data.units
    members = {
        label: [
            str(u)
            for u, g in zip(units["unit_code"], units["group_label"], strict=True)
            if g == label
        ]
        for _key, label in groups
    }
    top, sub = HEADER_ROW, HEADER_ROW + 1
    for col, label in enumerate(["STT", "Mã", "Chỉ tiêu", "Đơn vị tính"], start=1):
        put(ws, ctx.painter, top, col, label, HEAD)
        put(ws, ctx.painter, sub, col, None, HEAD)
        ws.merge_cells(start_row=top, start_column=col, end_row=sub, end_column=col)
    for index, (_key, label) in enumerate(groups):
        col = 5 + 2 * index
        put(ws, ctx.painter, top, col, label, HEAD)
        put(ws, ctx.painter, top, col + 1, None, HEAD)
        ws.merge_cells(start_row=top, start_column=col, end_row=top, end_column=col + 1)
        put(ws, ctx.painter, sub, col, ctx.column_label("period"), HEAD)
        put(ws, ctx.painter, sub, col + 1, ctx.column_label("cumulative"), HEAD)
    ws.row_dimensions[top].height = 24
    ws.row_dimensions[sub].height = 32
    values: dict[tuple[str, str], tuple[Any, Any]] = {
        (str(rec["code"]), str(rec["group_key"])): (rec.get("period"), rec.get("cumulative"))
        for rec in records(frame)
    }
    names = {str(rec["code"]): rec.get("name") for rec in records(frame)}
    row = sub + 1
    for group_no, (group, codes) in enumerate(indicator_groups(ctx, list(names)), start=1):
        group_row(ws, ctx.painter, row, roman(group_no), group, width)
        row += 1
        for number, code in enumerate(codes, start=1):
            ind = ctx.indicator(code)
            child = ind is not None and ind.parent is not None
            name = names.get(code) or (ind.name if ind else code)
            shown = f"    {name}" if child else name
            cells: list[Any] = [number, code, shown, ind.unit_of_measure if ind else None]
            styles = [CENTERED, CENTERED, TEXT_CHILD if child else TEXT, CENTERED]
            num = ctx.number_style(code)
            for key, _label in groups:
                cells.extend(values.get((code, key), (None, None)))
                styles.extend([num, num])
            put_row(ws, ctx.painter, row, cells, styles)
            for index, (_key, label) in enumerate(groups):
                for col in (5 + 2 * index, 6 + 2 * index):
                    ctx.mark(ws, row, col, num, code, [ctx.data.period.code], members[label])
            fit_row(ws, row, {3: shown})
            row += 1
    finish(ws, header_rows=(top, sub), freeze=f"E{sub + 1}")


SHEET = SummarySheet(
    name="TheoNhom", build=build, export="theo_nhom", table=lambda data: data.by_group
)
