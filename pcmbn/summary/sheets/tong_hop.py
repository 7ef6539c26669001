"""The `TongHop` sheet of the summary workbook.

Province totals per indicator, grouped as in the template, with comparisons.
"""

from __future__ import annotations

from openpyxl.worksheet.worksheet import Worksheet

from pcmbn.office.layout import (
    columns,
    finish,
    fit_row,
    footnote,
    group_row,
    header,
)
from pcmbn.office.styles import CENTERED, TEXT, TEXT_CHILD
from pcmbn.office.xlsx import change_cell, put_row
from pcmbn.summary.sheets.common import (
    FIRST_DATA_ROW,
    HEADER_ROW,
    SheetContext,
    SummarySheet,
    grouped,
    missing_note,
    notes,
    title_block,
    warned_note,
)
from pcmbn.text import roman


def build(ws: Worksheet, ctx: SheetContext) -> None:
    """Province totals per indicator, grouped as in the template, with comparisons."""
    labels = [
        "STT",
        "Mã",
        "Chỉ tiêu",
        "Đơn vị tính",
        ctx.column_label("period"),
        ctx.column_label("cumulative"),
        "Kỳ trước",
        "Cùng kỳ năm trước",
        "So kỳ trước (%)",
        "So cùng kỳ (%)",
    ]
    width = columns(ws, (6, 8, 52, 12, 12, 14, 12, 14, 12, 12))
    title_block(
        ws,
        ctx,
        "TỔNG HỢP KẾT QUẢ THỰC HIỆN CÔNG TÁC PHÒNG, CHỐNG MUA BÁN NGƯỜI",
        width,
        notes(missing_note(ctx), warned_note(ctx)),
    )
    period = ctx.data.period
    # The periods each number column sums, for marking a total that includes a warned figure.
    marked_columns = (
        (5, period.code),
        (6, period.code),
        (7, period.previous().code),
        (8, period.same_period_last_year().code),
    )
    header(ws, ctx.painter, HEADER_ROW, labels)
    frame = ctx.data.by_indicator
    row = FIRST_DATA_ROW
    for group_no, (group, rows) in enumerate(grouped(frame, "group"), start=1):
        group_row(ws, ctx.painter, row, roman(group_no), group, len(labels))
        row += 1
        for number, rec in enumerate(rows, start=1):
            code = str(rec["code"])
            ind = ctx.indicator(code)
            child = ind is not None and ind.parent is not None
            name = f"    {rec['name']}" if child else rec["name"]
            values = [number, code, name, rec.get("unit_of_measure")]
            styles = [CENTERED, CENTERED, TEXT_CHILD if child else TEXT, CENTERED]
            num = ctx.number_style(code)
            for key in ("period", "cumulative", "previous", "last_year"):
                values.append(rec.get(key))
                styles.append(num)
            for key in ("change_prev_pct", "change_year_pct"):
                value, style = change_cell(rec.get(key))
                values.append(value)
                styles.append(style)
            put_row(ws, ctx.painter, row, values, styles)
            for col, code_of_period in marked_columns:
                ctx.mark(ws, row, col, num, code, [code_of_period])
            fit_row(ws, row, {3: name})
            row += 1
    footnote(
        ws,
        ctx.painter,
        row + 1,
        "Ghi chú: ô để trống là chưa có đơn vị nào báo cáo số liệu; So kỳ trước (%), So cùng kỳ "
        "(%) = (Kỳ này − Kỳ so sánh) / Kỳ so sánh, để trống khi kỳ so sánh không có số liệu "
        "hoặc bằng 0; thay đổi quá 999% ghi bằng số lần (“tăng 27,7 lần”: kỳ này gấp 27,7 lần "
        "kỳ so sánh).",
        len(labels),
    )
    finish(ws, header_rows=(HEADER_ROW, HEADER_ROW), freeze="E8")


SHEET = SummarySheet(
    name="TongHop", build=build, export="tong_hop", table=lambda data: data.by_indicator
)
