"""The `Nguon` sheet of the summary workbook.

One row per summed value: indicator, column, unit, value and where it was read.
"""

from __future__ import annotations

from openpyxl.worksheet.worksheet import Worksheet

from pcmbn.office.layout import (
    columns,
    finish,
    fit_row,
    header,
)
from pcmbn.office.styles import CENTERED, CODE, FOOTNOTE, HASH, ITALIC, TEXT_SMALL
from pcmbn.office.xlsx import put, put_row
from pcmbn.summary.sheets.common import (
    FIRST_DATA_ROW,
    HEADER_ROW,
    SheetContext,
    SummarySheet,
    records,
    title_block,
)

#: Above this many source values the `Nguon` sheet points to the exports instead.
NGUON_MAX_ROWS = 20_000


def build(ws: Worksheet, ctx: SheetContext) -> None:
    """One row per summed value: indicator, column, unit, value and where it was read."""
    labels = [
        "Mã chỉ tiêu",
        "Cột",
        "Mã đơn vị",
        "Giá trị",
        "Tệp",
        "SHA-256",
        "Trang",
        "Ô",
        "Lưu trữ",
    ]
    width = columns(ws, (10, 10, 22, 12, 34, 48, 12, 8, 40))
    title_block(
        ws,
        ctx,
        "NGUỒN SỐ LIỆU TỔNG HỢP",
        width,
        "Mỗi dòng là một số liệu của một đơn vị đã được cộng vào bảng TongHop: tệp gốc (SHA-256, "
        "đường dẫn lưu trữ), trang và ô đã đọc.",
        note_font=ITALIC,
    )
    frame = ctx.data.sources
    if len(frame) > NGUON_MAX_ROWS:
        # A national month has ~300,000 source values: styled here they would cost minutes and
        # a workbook nobody opens; the exports carry every one of them.
        put(
            ws,
            ctx.painter,
            HEADER_ROW,
            1,
            f"{len(frame):,} số liệu nguồn — quá nhiều cho một trang Excel; xem tệp "
            "exports/nguon.csv hoặc exports/nguon.parquet bên cạnh báo cáo này.".replace(",", "."),
            FOOTNOTE,
        )
        ws.merge_cells(start_row=HEADER_ROW, start_column=1, end_row=HEADER_ROW, end_column=width)
        finish(ws, header_rows=None)
        return
    header(ws, ctx.painter, HEADER_ROW, labels)
    row = FIRST_DATA_ROW
    for rec in records(frame):
        code = str(rec.get("code"))
        column = str(rec.get("column"))
        values = [
            code,
            ctx.column_label(column),
            rec.get("unit_code"),
            rec.get("value"),
            rec.get("file_name"),
            rec.get("sha256"),
            rec.get("sheet"),
            rec.get("cell"),
            rec.get("archive_path"),
        ]
        styles = [
            CENTERED,
            CENTERED,
            CODE,
            ctx.number_style(code),
            TEXT_SMALL,
            HASH,
            TEXT_SMALL,
            CENTERED,
            TEXT_SMALL,
        ]
        put_row(ws, ctx.painter, row, values, styles)
        fit_row(ws, row, {5: values[4], 9: values[8]}, factor=1.3)  # 10 pt text
        row += 1
    finish(ws, header_rows=(HEADER_ROW, HEADER_ROW), freeze="A8")
    if len(frame):
        ws.auto_filter.ref = f"A{HEADER_ROW}:I{HEADER_ROW + len(frame)}"


SHEET = SummarySheet(
    name="Nguon",
    build=build,
    export="nguon",
    table=lambda data: data.sources,
)
