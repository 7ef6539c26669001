"""The `DoiChieuLienNganh` sheet: interagency reconciliation of police, procuracy and court.

For each rule of `schemas/review.yaml` in force: this month and the year so far, the two
figures, the difference, the units on each side and what to do. A difference is shaded and
explained — a warning for the data officer before the agencies co-sign, never a rejection.
"""

from __future__ import annotations

from openpyxl.worksheet.worksheet import Worksheet

from pcmbn.office.layout import columns, finish, fit_row, footnote, group_row, header
from pcmbn.office.styles import CENTERED, INTEGER, NOT_STARTED, PLAIN, TEXT, TEXT_SMALL
from pcmbn.office.xlsx import put, put_row
from pcmbn.summary.sheets.common import (
    FIRST_DATA_ROW,
    HEADER_ROW,
    SheetContext,
    SummarySheet,
    grouped,
    missing_note,
    title_block,
)
from pcmbn.text import roman


def build(ws: Worksheet, ctx: SheetContext) -> None:
    """Rules as groups; one row per scope (this month, cumulative)."""
    words = ctx.data.catalog.labels.reconciliation
    labels = words.columns.table("scope")
    width = columns(ws, (6, 14, 30, 9, 24, 30, 9, 14, 24, 10, 16, 40))
    title_block(ws, ctx, words.title, width, missing_note(ctx, full=False))
    header(ws, ctx.painter, HEADER_ROW, labels)
    row = FIRST_DATA_ROW
    frame = ctx.data.reconciliation
    for number, (_rule, rows) in enumerate(grouped(frame, "rule_id"), start=1):
        group_row(ws, ctx.painter, row, roman(number), str(rows[0]["label"]), len(labels), 2)
        row += 1
        for rec in rows:
            differs = rec["status"] == "differs"
            verdict = NOT_STARTED["center"] if differs else CENTERED
            note = NOT_STARTED["text"] if differs else TEXT
            left = f"{rec['left_name']} ({rec['left_code']})"
            right = f"{rec['right_name']} ({rec['right_code']})"
            values = [
                None,
                rec["scope_label"],
                left,
                rec["left_value"],
                rec["left_units"],
                right,
                rec["right_value"],
                rec["right_months"],
                rec["right_units"],
                rec["difference"],
                rec["verdict"],
                rec["note"],
            ]
            styles = [CENTERED, CENTERED, TEXT, INTEGER, TEXT_SMALL, TEXT, INTEGER, CENTERED]
            put_row(ws, ctx.painter, row, values, [*styles, TEXT_SMALL, INTEGER, verdict, note])
            fit_row(ws, row, {3: left, 5: rec["left_units"], 6: right, 12: rec["note"]})
            row += 1
    if frame.empty:
        put(ws, ctx.painter, row, 2, words.none, PLAIN)
        row += 1
    footnote(ws, ctx.painter, row + 1, words.footnote, len(labels))
    finish(ws, header_rows=(HEADER_ROW, HEADER_ROW), freeze="C8")


SHEET = SummarySheet(
    name="DoiChieuLienNganh",
    build=build,
    export="doi_chieu_lien_nganh",
    table=lambda data: data.reconciliation,
)
