"""The `DayDu` sheet of the summary workbook.

Who sent what and when: the list the office phones down before the meeting.
"""

from __future__ import annotations

from openpyxl.worksheet.worksheet import Worksheet

from pcmbn.office.layout import (
    columns,
    finish,
    fit_row,
    header,
)
from pcmbn.office.styles import (
    CENTERED,
    CODE,
    DAY,
    INTEGER,
    STATUS_STYLES,
    TEXT,
    TEXT_SMALL,
    TOTAL_COUNT,
    TOTAL_LABEL,
    WHEN,
)
from pcmbn.office.xlsx import put, put_row
from pcmbn.summary.sheets.common import (
    FIRST_DATA_ROW,
    HEADER_ROW,
    SheetContext,
    SummarySheet,
    records,
    title_block,
)


def build(ws: Worksheet, ctx: SheetContext) -> None:
    """Who sent what and when: the list the office phones down before the meeting."""
    labels = [
        "STT",
        "Mã đơn vị",
        "Tên đơn vị",
        "Nhóm",
        "Tình trạng",
        "Thời điểm nhận",
        "Hạn gửi",
        "Tệp",
        "Email",
    ]
    width = columns(ws, (6, 22, 34, 20, 13, 17, 13, 32, 28))
    title_block(ws, ctx, "TÌNH HÌNH GỬI BÁO CÁO CỦA CÁC ĐƠN VỊ", width)
    header(ws, ctx.painter, HEADER_ROW, labels)
    frame = ctx.data.completeness
    row = FIRST_DATA_ROW
    status_labels = ctx.data.catalog.labels.completeness
    counts = dict.fromkeys(status_labels, 0)
    for number, rec in enumerate(records(frame), start=1):
        status = str(rec.get("status"))
        counts[status] = counts.get(status, 0) + 1
        values = [
            number,
            rec.get("unit_code"),
            rec.get("unit_name"),
            rec.get("group_label"),
            status_labels.get(status, status),  # type: ignore[call-overload]
            rec.get("received_at"),
            rec.get("due_date"),
            rec.get("file_name"),
            rec.get("email"),
        ]
        styles = [
            CENTERED,
            CODE,
            TEXT,
            TEXT,
            STATUS_STYLES.get(status, CENTERED),
            WHEN,
            DAY,
            TEXT_SMALL,
            TEXT_SMALL,
        ]
        put_row(ws, ctx.painter, row, values, styles)
        fit_row(ws, row, {3: rec.get("unit_name"), 8: rec.get("file_name")})
        row += 1
    row += 1
    put(ws, ctx.painter, row, 3, "Tổng số đơn vị phải báo cáo", TOTAL_LABEL)
    put(ws, ctx.painter, row, 4, len(frame), TOTAL_COUNT)
    for status, count in counts.items():
        row += 1
        label = status_labels.get(status, status)  # type: ignore[call-overload]
        put(ws, ctx.painter, row, 3, label, STATUS_STYLES.get(status, TEXT))
        put(ws, ctx.painter, row, 4, count, INTEGER)
    finish(ws, header_rows=(HEADER_ROW, HEADER_ROW), freeze="D8")
    if len(frame):
        ws.auto_filter.ref = f"A{HEADER_ROW}:I{HEADER_ROW + len(frame)}"


SHEET = SummarySheet(
    name="DayDu", build=build, export="day_du", table=lambda data: data.completeness
)
