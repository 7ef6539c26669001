"""The `NhiemVu` sheet of the summary workbook.

Task progress, one heading per task and one row per assigned unit.
"""

from __future__ import annotations

from openpyxl.worksheet.worksheet import Worksheet

from pcmbn.office.layout import (
    columns,
    finish,
    fit_row,
    group_row,
    header,
)
from pcmbn.office.styles import CENTERED, CODE, ITALIC, NOT_STARTED, TEXT, TEXT_TOP
from pcmbn.office.xlsx import clean_text, put_row
from pcmbn.summary.sheets.common import (
    FIRST_DATA_ROW,
    HEADER_ROW,
    SheetContext,
    SummarySheet,
    flag,
    grouped,
    records,
    title_block,
)


def build(ws: Worksheet, ctx: SheetContext) -> None:
    """Task progress, one heading per task and one row per assigned unit.

    Rows of tasks not started (or whose status the unit did not report) are shaded, so the
    sơ kết conference sees at a glance what is lagging.
    """
    labels = [
        "STT",
        "Mã đơn vị",
        "Đơn vị",
        "Tình trạng",
        "Kết quả thực hiện",
        ctx.narrative_label("difficulties"),
    ]
    width = columns(ws, (6, 22, 30, 18, 55, 45))
    frame = ctx.data.tasks
    flagged = sum(flag(rec.get("not_started")) for rec in records(frame))
    note = (
        "Dòng tô màu: nhiệm vụ chưa triển khai hoặc đơn vị chưa báo cáo tình trạng "
        f"({flagged}/{len(frame)} lượt)."
    )
    title_block(ws, ctx, "TIẾN ĐỘ THỰC HIỆN NHIỆM VỤ THEO KẾ HOẠCH", width, note, note_font=ITALIC)
    header(ws, ctx.painter, HEADER_ROW, labels)
    row = FIRST_DATA_ROW
    for task_code, rows in grouped(frame, "task_code"):
        text = f"Nhiệm vụ {task_code}: {clean_text(rows[0].get('task_text')) or ''}"
        group_row(ws, ctx.painter, row, task_code, text, len(labels), label_col=2)
        fit_row(ws, row, {2: text}, width=sum((22, 30, 18, 55, 45)))
        row += 1
        for number, rec in enumerate(rows, start=1):
            late = flag(rec.get("not_started"))
            text_style = NOT_STARTED["text"] if late else TEXT
            top_style = NOT_STARTED["top"] if late else TEXT_TOP
            center = NOT_STARTED["center"] if late else CENTERED
            values = [
                number,
                rec.get("unit_code"),
                rec.get("unit_name"),
                rec.get("status"),
                rec.get("result"),
                rec.get("difficulty"),
            ]
            code_style = NOT_STARTED["code"] if late else CODE
            styles = [center, code_style, text_style, center, top_style, top_style]
            put_row(ws, ctx.painter, row, values, styles)
            fit_row(
                ws, row, {3: rec.get("unit_name"), 5: rec.get("result"), 6: rec.get("difficulty")}
            )
            row += 1
    finish(ws, header_rows=(HEADER_ROW, HEADER_ROW), freeze="D8")


SHEET = SummarySheet(
    name="NhiemVu",
    build=build,
    export="nhiem_vu",
    table=lambda data: data.tasks,
)
