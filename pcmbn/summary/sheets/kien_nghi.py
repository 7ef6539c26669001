"""The `KienNghi` sheet of the summary workbook.

Difficulties and proposals side by side per unit, in the order units appear.
"""

from __future__ import annotations

from openpyxl.worksheet.worksheet import Worksheet

from pcmbn.office.layout import (
    columns,
    finish,
    fit_row,
    header,
)
from pcmbn.office.styles import CENTERED, PLAIN, TEXT_TOP
from pcmbn.office.xlsx import clean_text, put, put_row
from pcmbn.summary.sheets.common import (
    FIRST_DATA_ROW,
    HEADER_ROW,
    SheetContext,
    SummarySheet,
    records,
    title_block,
)


def build(ws: Worksheet, ctx: SheetContext) -> None:
    """Difficulties and proposals side by side per unit, in the order units appear."""
    labels = [
        "STT",
        "Đơn vị",
        ctx.narrative_label("difficulties"),
        ctx.narrative_label("proposals"),
    ]
    width = columns(ws, (6, 28, 62, 62))
    title_block(ws, ctx, "KHÓ KHĂN, VƯỚNG MẮC VÀ ĐỀ XUẤT, KIẾN NGHỊ CỦA CÁC ĐƠN VỊ", width)
    header(ws, ctx.painter, HEADER_ROW, labels)
    texts: dict[str, dict[str, list[str]]] = {}
    names: dict[str, str] = {}
    for rec in records(ctx.data.narratives):
        text = clean_text(rec.get("text"))
        if not text or not text.strip():
            continue
        code = str(rec.get("unit_code"))
        names.setdefault(code, clean_text(rec.get("unit_name")) or ctx.unit_names.get(code, code))
        texts.setdefault(code, {}).setdefault(str(rec.get("kind")), []).append(text.strip())
    row = FIRST_DATA_ROW
    for number, (code, kinds) in enumerate(texts.items(), start=1):
        difficulties = "\n\n".join(kinds.get("difficulties", [])) or None
        proposals = "\n\n".join(kinds.get("proposals", [])) or None
        values = [number, names[code], difficulties, proposals]
        put_row(ws, ctx.painter, row, values, [CENTERED, TEXT_TOP, TEXT_TOP, TEXT_TOP])
        fit_row(ws, row, {2: names[code], 3: difficulties, 4: proposals})
        row += 1
    if not texts:
        put(ws, ctx.painter, row, 2, "Không có đơn vị nào nêu khó khăn hoặc kiến nghị.", PLAIN)
    finish(ws, header_rows=(HEADER_ROW, HEADER_ROW), freeze="C8")


SHEET = SummarySheet(
    name="KienNghi", build=build, export="kien_nghi", table=lambda data: data.narratives
)
