"""The `ChiTieuPhanDau` sheet: the plan's targets measured on the year so far.

Each target with its requirement, the two numbers it is computed from, the value reached and
the verdict (`schemas/review.yaml` `targets`), so a leader reads "Đạt" next to the figures that
justify it. A plan without targets says so in one line.
"""

from __future__ import annotations

from openpyxl.worksheet.worksheet import Worksheet

from pcmbn.office.layout import columns, finish, fit_row, footnote, header
from pcmbn.office.styles import CENTERED, NOT_STARTED, PERCENT, PLAIN, TEXT
from pcmbn.office.xlsx import put, put_row
from pcmbn.summary.review import target_months
from pcmbn.summary.sheets.common import (
    FIRST_DATA_ROW,
    HEADER_ROW,
    SheetContext,
    SummarySheet,
    missing_note,
    records,
    title_block,
)


def build(ws: Worksheet, ctx: SheetContext) -> None:
    """One row per target: requirement, numerator, denominator, value, verdict."""
    labels = [
        "STT",
        "Chỉ tiêu phấn đấu",
        "Yêu cầu",
        "Tử số (chỉ tiêu)",
        "Tử số",
        "Mẫu số (chỉ tiêu)",
        "Mẫu số",
        "Kết quả đạt được",
        "Đánh giá",
        "Đơn vị có số liệu",
    ]
    width = columns(ws, (6, 44, 14, 34, 9, 34, 9, 12, 14, 22))
    title_block(
        ws, ctx, "KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU PHẤN ĐẤU CỦA KẾ HOẠCH", width, missing_note(ctx)
    )
    header(ws, ctx.painter, HEADER_ROW, labels)
    row = FIRST_DATA_ROW
    frame = ctx.data.targets
    for number, rec in enumerate(records(frame), start=1):
        ratio = rec["kind"] == "ratio"
        num = ctx.number_style(str(rec["numerator_code"]))
        missed = rec["verdict"] == ctx.data.catalog.review.targets.not_met
        verdict_style = NOT_STARTED["center"] if missed else CENTERED
        values = [
            number,
            rec["label"],
            rec["threshold_text"],
            f"{rec['numerator_name']} ({rec['numerator_code']})",
            rec["numerator"],
            f"{rec['denominator_name']} ({rec['denominator_code']})" if ratio else None,
            rec["denominator"] if ratio else None,
            rec["value"],
            rec["verdict"],
            rec["units"] or None,
        ]
        styles = [CENTERED, TEXT, CENTERED, TEXT, num, TEXT, num, PERCENT if ratio else num]
        put_row(ws, ctx.painter, row, values, [*styles, verdict_style, TEXT])
        fit_row(ws, row, {2: rec["label"], 4: values[3], 6: values[5]})
        row += 1
    if frame.empty:
        put(ws, ctx.painter, row, 2, "Kế hoạch không đặt chỉ tiêu phấn đấu.", PLAIN)
        row += 1
    months = target_months(ctx.data.plan, ctx.data.period)
    span = f"{months[0].short_label} – {months[-1].short_label}" if months else "—"
    footnote(
        ws,
        ctx.painter,
        row + 1,
        f"Ghi chú: số liệu cộng dồn các tháng {span} của các đơn vị được tính; tỷ lệ = Tử số / "
        'Mẫu số. "Chưa có số liệu": chưa đơn vị nào báo cáo chỉ tiêu; "Không phát sinh": mẫu '
        "số bằng 0.",
        len(labels),
    )
    finish(ws, header_rows=(HEADER_ROW, HEADER_ROW), freeze="C8")


SHEET = SummarySheet(
    name="ChiTieuPhanDau",
    build=build,
    export="chi_tieu_phan_dau",
    table=lambda data: data.targets,
)
