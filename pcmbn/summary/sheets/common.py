"""What every summary sheet shares: the context, the title block, the registry entry type.

A sheet is one module under `pcmbn.summary.sheets` with a `build(ws, ctx)` function and a
`SHEET = SummarySheet(...)` entry; `pcmbn.summary.registry` lists the entries in the order the
office reads them. The entry also names the sheet's CSV/Parquet export and how to get its table,
so a new sheet is one module plus one line in the registry.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from pcmbn.domain import Indicator, ValueType
from pcmbn.office.layout import line_count, span_chars
from pcmbn.office.marks import add_note, marked_style
from pcmbn.office.styles import (
    BOLD,
    CENTER,
    DECIMAL,
    INTEGER,
    ITALIC,
    LEFT,
    NORMAL,
    NOTE,
    TITLE,
    Painter,
    Style,
)
from pcmbn.office.xlsx import clean_text, keep_text
from pcmbn.periods import Period
from pcmbn.summary.model import SummaryData
from pcmbn.vocabulary import Completeness

#: Rows 1-5 hold the title block, row 6 a note (missing units, legend), row 7 the column header.
NOTE_ROW = 6
HEADER_ROW = 7
FIRST_DATA_ROW = HEADER_ROW + 1
#: Sheets other than TongHop name at most this many missing units, then only count them.
MISSING_NAMED = 5


@dataclass(frozen=True)
class SummarySheet:
    """One sheet of the summary: its name, how to draw it, and the table it exports."""

    #: The sheet's name in the workbook.
    name: str
    #: Fills the (empty) worksheet from the context.
    build: Callable[[Worksheet, SheetContext], None]
    #: The export's file stem (`exports/<export>.csv` and `.parquet`).
    export: str
    #: The exported table.
    table: Callable[[SummaryData], pd.DataFrame]


@dataclass
class SheetContext:
    """What every sheet needs: the data, derived labels and the shared style cache."""

    data: SummaryData
    painter: Painter
    unit_names: dict[str, str]
    window_label: str
    generated_label: str

    def indicator(self, code: str) -> Indicator | None:
        """The catalog's indicator for `code`, or None for a code it no longer knows."""
        return self.data.catalog.indicators.get(str(code))

    def column_label(self, column: str) -> str:
        """A value column's header, as the unit's template names it ("Lũy kế từ đầu năm")."""
        return self.data.catalog.template.value_label(column)

    def narrative_label(self, kind: str) -> str:
        """A narrative block's heading, from the template ("Đề xuất, kiến nghị")."""
        return self.data.catalog.template.narrative_label(kind)

    def mark(
        self,
        ws: Worksheet,
        row: int,
        col: int,
        style: Style,
        code: str,
        periods: Sequence[str],
        units: Sequence[str] | None = None,
    ) -> None:
        """Mark the figure at (row, col), drawn with `style`, when it includes a unit figure
        of `code` in `periods` (and among `units`, all when None) that carries an unresolved
        warning: the marker after the number, a comment naming each unit and warning."""
        data = self.data
        if not data.warned:
            return
        cell = ws.cell(row=row, column=col)
        warned = data.warned.units_warned(code, periods, units)
        if not warned or cell.value is None:
            return
        labels = data.catalog.labels.warned
        self.painter.paint(cell, marked_style(style, labels.marker))
        add_note(cell, [labels.comment, *warning_lines(self, code, periods, warned)])

    def number_style(self, code: str) -> Style:
        """`#,##0` for counts; decimals (money) also for codes the catalog no longer knows."""
        ind = self.indicator(code)
        return INTEGER if ind is not None and ind.value_type is ValueType.INTEGER else DECIMAL


def title_block(
    ws: Worksheet,
    ctx: SheetContext,
    heading: str,
    width: int,
    note: str | None = None,
    *,
    note_font: Font = NOTE,
) -> None:
    """Rows 1-5: sheet heading, plan title, period, data window, when made; row 6: a note.

    Merged over `width` columns (the table's, capped for very wide tables) so it prints centred
    above the table.
    """
    period = ctx.data.period.label_vi
    lines = [
        (heading, TITLE),
        (ctx.data.plan.title, ITALIC),
        (f"Kỳ báo cáo: {period}", BOLD),
        (ctx.window_label, NORMAL),
        (ctx.generated_label, NORMAL),
    ]
    if note:
        lines.append((note, note_font))
    chars = int(span_chars(ws, width) * 0.8)  # bold and italic lines run wider
    for row, (text, font) in enumerate(lines, start=1):
        cell = ws.cell(row=row, column=1, value=clean_text(text))
        keep_text(cell)
        cell.font = font
        cell.alignment = LEFT if row == NOTE_ROW else CENTER
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        lines_needed = line_count(text, chars)
        if lines_needed > 1:
            ws.row_dimensions[row].height = min(409, 17 * lines_needed)


#: The sheet that lists the warned figures (`pcmbn.summary.sheets.canh_bao`).
WARNED_SHEET = "CanhBao"


def warning_lines(
    ctx: SheetContext, code: str, periods: Sequence[str], units: Sequence[str]
) -> list[str]:
    """One line per warning behind a marked figure: unit, period, the unit's message."""
    lines = []
    for unit in units:
        for period in periods:
            for warning in ctx.data.warned.warnings(unit, code, period):
                name = ctx.unit_names.get(unit, unit)
                label = Period.from_code(period).short_label
                lines.append(f"- {name} ({label}): {warning.message}")
    return lines


def warned_note(ctx: SheetContext) -> str | None:
    """The legend of the marker, when some figure of the workbook carries it."""
    if not ctx.data.warned:
        return None
    labels = ctx.data.catalog.labels.warned
    return labels.note.format(marker=labels.marker, where=f"trang {WARNED_SHEET}")


def notes(*parts: str | None) -> str | None:
    """Several notes as the one line of row 6 (None when there is none)."""
    found = [part for part in parts if part]
    return " ".join(found) or None


def missing_note(ctx: SheetContext, *, full: bool = True) -> str | None:
    """Names of the units without an accepted report, so nobody reads a total as complete.

    Units that never sent and units whose report was rejected are told apart (issue 12.16):
    the office phones the first and points the second to their feedback file. TongHop always
    lists them all; other sheets name up to `MISSING_NAMED` and otherwise count them and point
    to the full list, so forty missing communes do not push the table off the first page.
    """
    missing = ctx.data.missing_units
    expected = len(ctx.data.completeness)
    if not missing:
        return f"Đã nhận đủ báo cáo của {expected}/{expected} đơn vị." if expected else None
    table = ctx.data.completeness
    status = dict(zip(table["unit_code"], table["status"], strict=True)) if expected else {}
    rejected = [c for c in missing if status.get(c) == Completeness.REJECTED]
    returned = [c for c in missing if status.get(c) == Completeness.RETURNED]
    never = [c for c in missing if c not in rejected and c not in returned]
    words = ctx.data.catalog.labels.completeness
    parts = [
        (words[kind][:1].lower() + words[kind][1:], codes)
        for kind, codes in (
            (Completeness.MISSING, never),
            (Completeness.REJECTED, rejected),
            (Completeness.RETURNED, returned),
        )
        if codes
    ]
    of = f"{len(missing)}/{expected}" if expected else str(len(missing))
    if not full and len(missing) > MISSING_NAMED:
        counts = ", ".join(f"{word}: {len(codes)}" for word, codes in parts)
        return (
            f"Chưa có báo cáo hợp lệ của {of} đơn vị ({counts}; danh sách ở trang TongHop và "
            "DayDu) — số liệu tổng hợp chưa đầy đủ."
        )
    named = "; ".join(
        f"{word}: " + ", ".join(f"{ctx.unit_names.get(c, c)} ({c})" for c in codes)
        for word, codes in parts
    )
    return f"Chưa có báo cáo hợp lệ của {of} đơn vị — {named}. Số liệu tổng hợp chưa đầy đủ."


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dict("records") if len(frame) else []


def grouped(frame: pd.DataFrame, key: str) -> list[tuple[str, list[dict[str, Any]]]]:
    """Rows grouped by `key` in first-appearance order (catalog order for indicators)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for rec in records(frame):
        groups.setdefault(str(rec.get(key)), []).append(rec)
    return list(groups.items())


def indicator_groups(ctx: SheetContext, codes: Sequence[str]) -> list[tuple[str, list[str]]]:
    groups: dict[str, list[str]] = {}
    for code in codes:
        ind = ctx.indicator(code)
        groups.setdefault(ind.group if ind else "Khác", []).append(code)
    return list(groups.items())


def ordered_groups(frame: pd.DataFrame, groups: dict[str, str]) -> list[tuple[str, str]]:
    """(group_key, label) in the catalog's group order (unit_kinds.yaml `groups`), the groups
    the table holds; all the catalog's groups when it holds none."""
    found: dict[str, str] = {}
    for rec in records(frame):
        found.setdefault(str(rec.get("group_key")), str(rec.get("group_label")))
    if not found:
        found = dict(groups)
    order = list(groups)
    ranked = sorted(found, key=lambda k: order.index(k) if k in order else len(order))
    return [(key, found[key]) for key in ranked]


def flag(value: Any) -> bool:
    """A boolean column cell, where NaN/None (no answer) counts as not set."""
    return (
        value is not None and not (isinstance(value, float) and math.isnan(value)) and bool(value)
    )
