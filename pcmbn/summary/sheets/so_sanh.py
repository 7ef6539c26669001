"""The `SoSanhDonVi` sheet of the summary workbook (issue 18).

Each unit's key figures (schemas/summary.yaml) beside its previous period and the same period
last year. A unit that did not exist then is compared with its predecessors' figures
(`pcmbn.lineage`), and the last column says so ("số liệu cùng kỳ của các đơn vị tiền thân: …",
with "ước tính" when a share apportioned them), so a commune of 2026 is read against the
districts it came from, never against an empty cell taken for zero.
"""

from __future__ import annotations

from openpyxl.worksheet.worksheet import Worksheet

from pcmbn.office.layout import columns, finish, fit_row, footnote, group_row, header
from pcmbn.office.styles import CENTERED, PERCENT, TEXT
from pcmbn.office.xlsx import put_row
from pcmbn.summary.sheets.common import (
    FIRST_DATA_ROW,
    HEADER_ROW,
    SheetContext,
    SummarySheet,
    grouped,
    title_block,
)


def build(ws: Worksheet, ctx: SheetContext) -> None:
    """Unit × key indicator: this period, previous period, same period last year, the note."""
    labels = [
        "STT",
        "Mã",
        "Chỉ tiêu",
        ctx.column_label("period"),
        "Kỳ trước",
        "Cùng kỳ năm trước",
        "So kỳ trước (%)",
        "So cùng kỳ (%)",
        "Ghi chú",
    ]
    width = columns(ws, (6, 8, 44, 12, 12, 14, 12, 12, 48))
    title_block(ws, ctx, "SO SÁNH SỐ LIỆU CỦA TỪNG ĐƠN VỊ", width)
    header(ws, ctx.painter, HEADER_ROW, labels)
    row = FIRST_DATA_ROW
    for unit_no, (code, rows) in enumerate(grouped(ctx.data.by_unit, "unit_code"), start=1):
        name = ctx.unit_names.get(code, str(rows[0].get("unit_name")))
        group_row(ws, ctx.painter, row, str(unit_no), f"{name} ({code})", len(labels))
        row += 1
        for number, rec in enumerate(rows, start=1):
            indicator = str(rec["code"])
            num = ctx.number_style(indicator)
            values = [
                number,
                indicator,
                rec["name"],
                rec.get("period"),
                rec.get("previous"),
                rec.get("last_year"),
                rec.get("change_prev_pct"),
                rec.get("change_year_pct"),
                rec.get("note") or None,
            ]
            styles = [CENTERED, CENTERED, TEXT, num, num, num, PERCENT, PERCENT, TEXT]
            put_row(ws, ctx.painter, row, values, styles)
            fit_row(ws, row, {3: str(rec["name"]), 9: str(rec.get("note") or "")})
            row += 1
    footnote(
        ws,
        ctx.painter,
        row + 1,
        "Ghi chú: đơn vị chưa tồn tại ở kỳ so sánh được so với số liệu của các đơn vị tiền thân "
        "(danh mục successors.csv); chia theo tỷ lệ là số ước tính. Số tổng hợp toàn tỉnh ở "
        "trang TongHop là số thực của các đơn vị từng kỳ, không qua phép chia này.",
        len(labels),
    )
    finish(ws, header_rows=(HEADER_ROW, HEADER_ROW), freeze="D8")


SHEET = SummarySheet(
    name="SoSanhDonVi", build=build, export="so_sanh_don_vi", table=lambda data: data.by_unit
)
