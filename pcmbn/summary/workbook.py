"""Write the provincial summary workbook that the standing office prints and files.

The workbook is read by people who were not in the room: a deputy head signing the monthly
report, an inspector two years later. So every sheet carries its own title block (plan, period,
data window, when it was made), prints on A4 with its header repeated, shows blanks rather than
zeros where nobody reported, names the units whose reports are missing next to the totals, and
the `Nguon` sheet traces every aggregate back to the files and cells it sums.

Text typed by units (file names, task results, narratives) ends up in cells here. A cell that
starts with "=" would become a live formula in the office's Excel, so every such text is written
as a string with Excel's quote prefix; nothing in this workbook is a formula.

Same `SummaryData` (including `generated_at`) gives the same bytes: zip entries and core
properties are stamped from fixed values / `generated_at`, never from the clock.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from copy import copy
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.text import (
    CharacterProperties,
    Paragraph,
    ParagraphProperties,
    RegularTextRun,
)
from openpyxl.drawing.text import Font as DrawingFont
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from pcmbn.clock import OFFICE_TZ
from pcmbn.domain import Indicator, ValueType
from pcmbn.office.atomic import atomic_write
from pcmbn.office.zips import deterministic_zip
from pcmbn.periods import data_window, format_date_vi
from pcmbn.summary.model import STATUS_VI, SummaryData
from pcmbn.text import roman

__all__ = ["SHEETS", "build_summary_workbook", "write_summary"]

#: Sheet names, in the order the office reads them.
SHEETS = ("TongHop", "TheoNhom", "MaTran", "DayDu", "NhiemVu", "KienNghi", "BieuDo", "Nguon")

#: Rows 1-5 hold the title block, row 6 a note (missing units, legend), row 7 the column header.
NOTE_ROW = 6
HEADER_ROW = 7
FIRST_DATA_ROW = HEADER_ROW + 1

INTEGER_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.0#"
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"

#: Excel refuses longer cell text; a pasted report longer than this is cut with a mark.
MAX_CELL_TEXT = 32_767
#: Text Excel would evaluate (or offer to evaluate) when a user edits the cell.
FORMULA_PREFIXES = ("=", "+", "-", "@")
#: Above this many units the matrix is not squeezed onto one page width (it would be unreadable);
#: it prints across pages instead, with the indicator columns repeated on each.
MATRIX_FIT_UNITS = 20
#: Above this many source values the `Nguon` sheet points to the exports instead.
NGUON_MAX_ROWS = 20_000
#: Sheets other than TongHop name at most this many missing units, then only count them.
MISSING_NAMED = 5

FONT = "Times New Roman"
TITLE = Font(name=FONT, size=13, bold=True)
BOLD = Font(name=FONT, size=12, bold=True)
NORMAL = Font(name=FONT, size=12)
ITALIC = Font(name=FONT, size=12, italic=True)
SMALL = Font(name=FONT, size=10)
NOTE = Font(name=FONT, size=12, italic=True, bold=True, color="C00000")
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
GROUP_FILL = PatternFill("solid", fgColor="F2F2F2")
NOT_STARTED_FILL = PatternFill("solid", fgColor="FCE4D6")
STATUS_FILLS = {
    "on_time": PatternFill("solid", fgColor="C6EFCE"),  # green
    "late": PatternFill("solid", fgColor="FFEB9C"),  # amber
    "missing": PatternFill("solid", fgColor="FFC7CE"),  # red
    "rejected": PatternFill("solid", fgColor="FFC7CE"),  # red
}
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
TOP = Alignment(horizontal="left", vertical="top", wrap_text=True)
ROTATED = Alignment(horizontal="center", vertical="bottom", text_rotation=90, wrap_text=True)

COLUMN_VI = {"period": "Kỳ này", "cumulative": "Lũy kế"}
NARRATIVE_VI = {"difficulties": "Khó khăn, vướng mắc", "proposals": "Đề xuất, kiến nghị"}
#: Reach figures read as a curve; counts of cases and victims as bars.
LINE_CHART_CODES = frozenset({"TT01", "TT02"})
#: Rows between chart anchors (a 9 cm chart plus a gap) and charts per printed page after the
#: first (portrait A4 holds two; page 1 holds the month table and one chart).
CHART_ROWS = 20
CHARTS_PER_PAGE = 2


@dataclass(frozen=True)
class Style:
    """A cell's look; instances are reused so their openpyxl style arrays can be cached."""

    font: Font = NORMAL
    fill: PatternFill | None = None
    border: Border | None = BOX
    alignment: Alignment | None = None
    number_format: str = "General"


@dataclass
class _Painter:
    """Applies `Style`s by copying a cached openpyxl style array.

    Setting font, border and fill attribute by attribute hashes each style object on every
    cell, which makes a 170-unit summary (~100k cells) take seconds; copying the array is ~5x
    faster and gives identical XML.
    """

    _arrays: dict[int, tuple[Style, Any]] = field(default_factory=dict)

    def paint(self, cell: Cell, style: Style) -> None:
        hit = self._arrays.get(id(style))
        if hit is not None:
            cell._style = copy(hit[1])
            return
        cell.font = style.font
        cell.border = style.border or Border()
        cell.fill = style.fill or PatternFill()
        cell.alignment = style.alignment or Alignment()
        cell.number_format = style.number_format
        self._arrays[id(style)] = (style, copy(cell._style))  # keep `style` alive: id stays valid


# Styles shared by the sheets (one cache entry each).
HEAD = Style(font=BOLD, fill=HEADER_FILL, alignment=CENTER)
HEAD_ROTATED = Style(font=Font(name=FONT, size=10, bold=True), fill=HEADER_FILL, alignment=ROTATED)
HEAD_SMALL_ROTATED = Style(
    font=Font(name=FONT, size=8),
    fill=HEADER_FILL,
    alignment=Alignment(horizontal="center", vertical="bottom", text_rotation=90),
)
GROUP = Style(font=BOLD, fill=GROUP_FILL, alignment=LEFT)
GROUP_NO = Style(font=BOLD, fill=GROUP_FILL, alignment=CENTER)
TEXT = Style(alignment=LEFT)
TEXT_TOP = Style(alignment=TOP)
TEXT_SMALL = Style(font=SMALL, alignment=LEFT)
CODE = Style(font=SMALL, alignment=Alignment(horizontal="left", vertical="center"))
HASH = Style(font=Font(name=FONT, size=8), alignment=Alignment(vertical="center"))
TEXT_CHILD = Style(font=ITALIC, alignment=LEFT)
CENTERED = Style(alignment=CENTER)
NUMBER = Alignment(vertical="center")
INTEGER = Style(alignment=NUMBER, number_format=INTEGER_FORMAT)
DECIMAL = Style(alignment=NUMBER, number_format=DECIMAL_FORMAT)
PERCENT = Style(alignment=NUMBER, number_format=PERCENT_FORMAT)
WHEN = Style(alignment=CENTER, number_format=DATETIME_FORMAT)
DAY = Style(alignment=CENTER, number_format=DATE_FORMAT)
PLAIN = Style(border=None)
FOOTNOTE = Style(font=ITALIC, border=None, alignment=LEFT)
TOTAL_LABEL = Style(font=BOLD, alignment=LEFT)
TOTAL_COUNT = Style(font=BOLD, number_format=INTEGER_FORMAT)
STATUS_STYLES = {key: Style(fill=fill, alignment=CENTER) for key, fill in STATUS_FILLS.items()}
NOT_STARTED = {
    "text": Style(fill=NOT_STARTED_FILL, alignment=LEFT),
    "top": Style(fill=NOT_STARTED_FILL, alignment=TOP),
    "center": Style(fill=NOT_STARTED_FILL, alignment=CENTER),
    "code": Style(font=SMALL, fill=NOT_STARTED_FILL, alignment=LEFT),
}


@dataclass
class _Context:
    """What every sheet needs: the data, derived labels and the shared style cache."""

    data: SummaryData
    painter: _Painter
    unit_names: dict[str, str]
    window_label: str
    generated_label: str

    def indicator(self, code: str) -> Indicator | None:
        return self.data.catalog.indicators.get(str(code))

    def number_style(self, code: str) -> Style:
        """`#,##0` for counts; decimals (money) also for codes the catalog no longer knows."""
        ind = self.indicator(code)
        return INTEGER if ind is not None and ind.value_type is ValueType.INTEGER else DECIMAL


def write_summary(data: SummaryData, path: Path) -> Path:
    """Write the summary workbook to `path` atomically and deterministically; return `path`.

    The file appears complete or not at all (temp name beside the target, then `replace`), so a
    Prefect retry or a user opening the folder never sees half a workbook.
    """
    wb = build_summary_workbook(data)
    buffer = io.BytesIO()
    wb.save(buffer)
    payload = deterministic_zip(buffer.getvalue(), core_dates=data.generated_at)
    return atomic_write(path, payload, crash_point="summary")


def build_summary_workbook(data: SummaryData) -> Workbook:
    """The styled workbook, not yet saved (tests and callers that embed it use this)."""
    window = data_window(data.period, data.plan.reporting.cutoff)
    ctx = _Context(
        data=data,
        painter=_Painter(),
        unit_names=data.unit_names(),
        window_label=(
            f"Số liệu tính từ ngày {format_date_vi(window.start)} "
            f"đến ngày {format_date_vi(window.end)}"
        ),
        generated_label=f"Ngày lập: {_format_datetime(data.generated_at)}",
    )
    wb = Workbook()
    wb.remove(wb.active)
    builders = (
        _tong_hop,
        _theo_nhom,
        _ma_tran,
        _day_du,
        _nhiem_vu,
        _kien_nghi,
        _bieu_do,
        _nguon,
    )
    for name, builder in zip(SHEETS, builders, strict=True):
        builder(wb.create_sheet(name), ctx)
    wb.properties.creator = "PCMBN"
    wb.properties.title = f"Tổng hợp PCMBN {data.plan.id} {data.period.label_vi}"
    wb.properties.created = _utc_naive(data.generated_at)
    return wb


# --- sheets -------------------------------------------------------------------------------------


def _tong_hop(ws: Worksheet, ctx: _Context) -> None:
    """Province totals per indicator, grouped as in the template, with comparisons."""
    labels = [
        "STT",
        "Mã",
        "Chỉ tiêu",
        "Đơn vị tính",
        "Kỳ này",
        "Lũy kế từ đầu năm",
        "Kỳ trước",
        "Cùng kỳ năm trước",
        "So kỳ trước (%)",
        "So cùng kỳ (%)",
    ]
    width = _columns(ws, (6, 8, 52, 12, 12, 14, 12, 14, 12, 12))
    _title_block(
        ws,
        ctx,
        "TỔNG HỢP KẾT QUẢ THỰC HIỆN CÔNG TÁC PHÒNG, CHỐNG MUA BÁN NGƯỜI",
        width,
        _missing_note(ctx),
    )
    _header(ws, ctx, HEADER_ROW, labels)
    frame = ctx.data.by_indicator
    row = FIRST_DATA_ROW
    for group_no, (group, rows) in enumerate(_grouped(frame, "group"), start=1):
        _group_row(ws, ctx, row, roman(group_no), group, len(labels))
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
                values.append(rec.get(key))
                styles.append(PERCENT)
            _row(ws, ctx, row, values, styles)
            _fit_row(ws, row, {3: name})
            row += 1
    _footnote(
        ws,
        ctx,
        row + 1,
        "Ghi chú: ô để trống là chưa có đơn vị nào báo cáo số liệu; So kỳ trước (%), So cùng kỳ "
        "(%) = (Kỳ này − Kỳ so sánh) / Kỳ so sánh, để trống khi kỳ so sánh không có số liệu "
        "hoặc bằng 0.",
        len(labels),
    )
    _finish(ws, header_rows=(HEADER_ROW, HEADER_ROW), freeze="E8")


def _theo_nhom(ws: Worksheet, ctx: _Context) -> None:
    """Per indicator, this period and year-to-date for provincial departments vs local
    governments, because the Steering Committee reviews the two groups separately."""
    frame = ctx.data.by_group
    groups = _ordered_groups(frame)
    width = _columns(ws, (6, 8, 52, 12, *([13, 14] * len(groups))))
    note = _missing_note(ctx, full=False)
    _title_block(ws, ctx, "TỔNG HỢP SỐ LIỆU THEO NHÓM ĐƠN VỊ", width, note)
    top, sub = HEADER_ROW, HEADER_ROW + 1
    for col, label in enumerate(["STT", "Mã", "Chỉ tiêu", "Đơn vị tính"], start=1):
        _put(ws, ctx, top, col, label, HEAD)
        _put(ws, ctx, sub, col, None, HEAD)
        ws.merge_cells(start_row=top, start_column=col, end_row=sub, end_column=col)
    for index, (_key, label) in enumerate(groups):
        col = 5 + 2 * index
        _put(ws, ctx, top, col, label, HEAD)
        _put(ws, ctx, top, col + 1, None, HEAD)
        ws.merge_cells(start_row=top, start_column=col, end_row=top, end_column=col + 1)
        _put(ws, ctx, sub, col, "Kỳ này", HEAD)
        _put(ws, ctx, sub, col + 1, "Lũy kế từ đầu năm", HEAD)
    ws.row_dimensions[top].height = 24
    ws.row_dimensions[sub].height = 32
    values: dict[tuple[str, str], tuple[Any, Any]] = {
        (str(rec["code"]), str(rec["group_key"])): (rec.get("period"), rec.get("cumulative"))
        for rec in _records(frame)
    }
    names = {str(rec["code"]): rec.get("name") for rec in _records(frame)}
    row = sub + 1
    for group_no, (group, codes) in enumerate(_indicator_groups(ctx, list(names)), start=1):
        _group_row(ws, ctx, row, roman(group_no), group, width)
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
            _row(ws, ctx, row, cells, styles)
            _fit_row(ws, row, {3: shown})
            row += 1
    _finish(ws, header_rows=(top, sub), freeze=f"E{sub + 1}")


def _ma_tran(ws: Worksheet, ctx: _Context) -> None:
    """Every unit's figure for this period, so the office can see who reported what."""
    matrix = ctx.data.matrix
    units = [str(code) for code in matrix.columns]
    width = _columns(ws, (6, 8, 44, *([8] * len(units))))
    note = _missing_note(ctx, full=False)
    _title_block(ws, ctx, "SỐ LIỆU KỲ NÀY CỦA TỪNG ĐƠN VỊ", min(width, 13), note)
    names_row, codes_row = HEADER_ROW, HEADER_ROW + 1
    for col, label in enumerate(["STT", "Mã", "Chỉ tiêu"], start=1):
        _put(ws, ctx, names_row, col, label, HEAD)
        _put(ws, ctx, codes_row, col, None, HEAD)
        ws.merge_cells(start_row=names_row, start_column=col, end_row=codes_row, end_column=col)
    for offset, code in enumerate(units):
        _put(ws, ctx, names_row, 4 + offset, ctx.unit_names.get(code, code), HEAD_ROTATED)
        _put(ws, ctx, codes_row, 4 + offset, code, HEAD_SMALL_ROTATED)
    # Rotated names (10 pt, ~6 pt a character) may wrap onto two lines of the 8-wide column;
    # codes (8 pt, ~5 pt a character) must not wrap.
    longest = max((len(ctx.unit_names.get(code, code)) for code in units), default=10)
    ws.row_dimensions[names_row].height = min(170, max(60, 3.3 * longest + 20))
    longest_code = max((len(code) for code in units), default=8)
    ws.row_dimensions[codes_row].height = min(130, max(30, 5.5 * longest_code + 14))
    row = codes_row + 1
    for number, (key, cells) in enumerate(
        zip(matrix.index, matrix.to_numpy().tolist(), strict=True), start=1
    ):
        code = str(key)
        ind = ctx.indicator(code)
        child = ind is not None and ind.parent is not None
        name = ind.name if ind else code
        name = f"    {name}" if child else name
        num = ctx.number_style(code)
        values = [number, code, name, *cells]
        styles = [CENTERED, CENTERED, TEXT_CHILD if child else TEXT, *([num] * len(units))]
        _row(ws, ctx, row, values, styles)
        _fit_row(ws, row, {3: name})
        row += 1
    wide = len(units) > MATRIX_FIT_UNITS
    _finish(
        ws,
        header_rows=(names_row, codes_row),
        freeze=f"D{codes_row + 1}",
        fit=(0, 1) if wide else (1, 0),
    )
    if wide:
        # Many units: one page tall, as many pages across as needed, indicator columns repeated
        # on each. The merged title block would be cut at column C on every page after the
        # first, so it is left out of the print area and printed as the page header instead.
        ws.print_title_cols = "A:C"
        ws.print_area = f"A{names_row}:{get_column_letter(width)}{row - 1}"
        ws.oddHeader.center.text = (
            f"SỐ LIỆU KỲ NÀY CỦA TỪNG ĐƠN VỊ — {ctx.data.period.label_vi} "
            f"({ctx.window_label.lower()})"
        )
        ws.oddHeader.center.font = f"{FONT},Bold"
        ws.oddHeader.center.size = 11
        ws.page_margins.top, ws.page_margins.header = 0.9, 0.35  # room for the page header


def _day_du(ws: Worksheet, ctx: _Context) -> None:
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
    width = _columns(ws, (6, 22, 34, 20, 13, 17, 13, 32, 28))
    _title_block(ws, ctx, "TÌNH HÌNH GỬI BÁO CÁO CỦA CÁC ĐƠN VỊ", width)
    _header(ws, ctx, HEADER_ROW, labels)
    frame = ctx.data.completeness
    row = FIRST_DATA_ROW
    counts = dict.fromkeys(STATUS_VI, 0)
    for number, rec in enumerate(_records(frame), start=1):
        status = str(rec.get("status"))
        counts[status] = counts.get(status, 0) + 1
        values = [
            number,
            rec.get("unit_code"),
            rec.get("unit_name"),
            rec.get("group_label"),
            STATUS_VI.get(status, status),
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
        _row(ws, ctx, row, values, styles)
        _fit_row(ws, row, {3: rec.get("unit_name"), 8: rec.get("file_name")})
        row += 1
    row += 1
    _put(ws, ctx, row, 3, "Tổng số đơn vị phải báo cáo", TOTAL_LABEL)
    _put(ws, ctx, row, 4, len(frame), TOTAL_COUNT)
    for status, count in counts.items():
        row += 1
        _put(ws, ctx, row, 3, STATUS_VI.get(status, status), STATUS_STYLES.get(status, TEXT))
        _put(ws, ctx, row, 4, count, INTEGER)
    _finish(ws, header_rows=(HEADER_ROW, HEADER_ROW), freeze="D8")
    if len(frame):
        ws.auto_filter.ref = f"A{HEADER_ROW}:I{HEADER_ROW + len(frame)}"


def _nhiem_vu(ws: Worksheet, ctx: _Context) -> None:
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
        NARRATIVE_VI["difficulties"],
    ]
    width = _columns(ws, (6, 22, 30, 18, 55, 45))
    frame = ctx.data.tasks
    flagged = sum(_flag(rec.get("not_started")) for rec in _records(frame))
    note = (
        "Dòng tô màu: nhiệm vụ chưa triển khai hoặc đơn vị chưa báo cáo tình trạng "
        f"({flagged}/{len(frame)} lượt)."
    )
    _title_block(ws, ctx, "TIẾN ĐỘ THỰC HIỆN NHIỆM VỤ THEO KẾ HOẠCH", width, note, note_font=ITALIC)
    _header(ws, ctx, HEADER_ROW, labels)
    row = FIRST_DATA_ROW
    for task_code, rows in _grouped(frame, "task_code"):
        text = f"Nhiệm vụ {task_code}: {_clean_text(rows[0].get('task_text')) or ''}"
        _group_row(ws, ctx, row, task_code, text, len(labels), label_col=2)
        _fit_row(ws, row, {2: text}, width=sum((22, 30, 18, 55, 45)))
        row += 1
        for number, rec in enumerate(rows, start=1):
            late = _flag(rec.get("not_started"))
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
            _row(ws, ctx, row, values, styles)
            _fit_row(
                ws, row, {3: rec.get("unit_name"), 5: rec.get("result"), 6: rec.get("difficulty")}
            )
            row += 1
    _finish(ws, header_rows=(HEADER_ROW, HEADER_ROW), freeze="D8")


def _kien_nghi(ws: Worksheet, ctx: _Context) -> None:
    """Difficulties and proposals side by side per unit, in the order units appear."""
    labels = ["STT", "Đơn vị", NARRATIVE_VI["difficulties"], NARRATIVE_VI["proposals"]]
    width = _columns(ws, (6, 28, 62, 62))
    _title_block(ws, ctx, "KHÓ KHĂN, VƯỚNG MẮC VÀ ĐỀ XUẤT, KIẾN NGHỊ CỦA CÁC ĐƠN VỊ", width)
    _header(ws, ctx, HEADER_ROW, labels)
    texts: dict[str, dict[str, list[str]]] = {}
    names: dict[str, str] = {}
    for rec in _records(ctx.data.narratives):
        text = _clean_text(rec.get("text"))
        if not text or not text.strip():
            continue
        code = str(rec.get("unit_code"))
        names.setdefault(code, _clean_text(rec.get("unit_name")) or ctx.unit_names.get(code, code))
        texts.setdefault(code, {}).setdefault(str(rec.get("kind")), []).append(text.strip())
    row = FIRST_DATA_ROW
    for number, (code, kinds) in enumerate(texts.items(), start=1):
        difficulties = "\n\n".join(kinds.get("difficulties", [])) or None
        proposals = "\n\n".join(kinds.get("proposals", [])) or None
        values = [number, names[code], difficulties, proposals]
        _row(ws, ctx, row, values, [CENTERED, TEXT_TOP, TEXT_TOP, TEXT_TOP])
        _fit_row(ws, row, {2: names[code], 3: difficulties, 4: proposals})
        row += 1
    if not texts:
        _put(ws, ctx, row, 2, "Không có đơn vị nào nêu khó khăn hoặc kiến nghị.", PLAIN)
    _finish(ws, header_rows=(HEADER_ROW, HEADER_ROW), freeze="C8")


def _bieu_do(ws: Worksheet, ctx: _Context) -> None:
    """Monthly totals of the key indicators, as a table and as charts drawn from that table.

    A "Trong đó" indicator (NN02 children under 16) is drawn in its parent's chart, so the
    share is visible; each chart references the table, so the figures printed and plotted agree.
    """
    trend = ctx.data.trend
    codes = list(dict.fromkeys(str(c) for c in trend["code"])) if len(trend) else []
    months = (
        trend.drop_duplicates("month").sort_values("month")[["month", "month_label"]]
        if len(trend)
        else trend
    )
    width = _columns(ws, (12, *([18] * len(codes))))
    _title_block(ws, ctx, "DIỄN BIẾN MỘT SỐ CHỈ TIÊU CHỦ YẾU THEO THÁNG", max(width, 5))
    if not codes:
        _put(ws, ctx, HEADER_ROW, 1, "Chưa có số liệu theo tháng để vẽ biểu đồ.", PLAIN)
        _finish(ws, header_rows=None, landscape=False)
        return
    headers = ["Tháng"]
    for code in codes:
        ind = ctx.indicator(code)
        headers.append(f"{code} – {ind.name}" if ind else code)
    _header(ws, ctx, HEADER_ROW, headers)
    ws.row_dimensions[HEADER_ROW].height = 96
    totals = {(str(r["month"]), str(r["code"])): r.get("total") for r in _records(trend)}
    row = FIRST_DATA_ROW
    for rec in _records(months):
        values = [rec["month_label"], *(totals.get((rec["month"], code)) for code in codes)]
        styles = [CENTERED, *(ctx.number_style(code) for code in codes)]
        _row(ws, ctx, row, values, styles)
        row += 1
    last_row = row - 1
    anchor_row = row + 2
    for index, chart_codes in enumerate(_chart_groups(ctx, codes)):
        if index % CHARTS_PER_PAGE == 1 or CHARTS_PER_PAGE == 1:
            # The table and the first chart fill page 1; then two charts a page, never cut.
            ws.row_breaks.append(Break(id=anchor_row - 2))
        cols = [codes.index(code) + 2 for code in chart_codes]
        chart = _chart(ctx, ws, chart_codes, cols, last_row)
        ws.add_chart(chart, f"A{anchor_row}")
        anchor_row += CHART_ROWS
    # No repeated header here: the month table never spans a page, the pages after it hold
    # only charts, and a lone repeated header above them would read as an empty table.
    _finish(ws, header_rows=None, landscape=False)


def _nguon(ws: Worksheet, ctx: _Context) -> None:
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
    width = _columns(ws, (10, 10, 22, 12, 34, 48, 12, 8, 40))
    _title_block(
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
        _put(
            ws,
            ctx,
            HEADER_ROW,
            1,
            f"{len(frame):,} số liệu nguồn — quá nhiều cho một trang Excel; xem tệp "
            "exports/nguon.csv hoặc exports/nguon.parquet bên cạnh báo cáo này.".replace(",", "."),
            FOOTNOTE,
        )
        ws.merge_cells(start_row=HEADER_ROW, start_column=1, end_row=HEADER_ROW, end_column=width)
        _finish(ws, header_rows=None)
        return
    _header(ws, ctx, HEADER_ROW, labels)
    row = FIRST_DATA_ROW
    for rec in _records(frame):
        code = str(rec.get("code"))
        column = str(rec.get("column"))
        values = [
            code,
            COLUMN_VI.get(column, column),
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
        _row(ws, ctx, row, values, styles)
        _fit_row(ws, row, {5: values[4], 9: values[8]}, factor=1.3)  # 10 pt text
        row += 1
    _finish(ws, header_rows=(HEADER_ROW, HEADER_ROW), freeze="A8")
    if len(frame):
        ws.auto_filter.ref = f"A{HEADER_ROW}:I{HEADER_ROW + len(frame)}"


# --- charts -------------------------------------------------------------------------------------


def _chart_groups(ctx: _Context, codes: Sequence[str]) -> list[list[str]]:
    """One chart per indicator, with its "Trong đó" children (if plotted) in the same chart."""
    groups: dict[str, list[str]] = {}
    for code in codes:
        ind = ctx.indicator(code)
        parent = ind.parent if ind is not None and ind.parent in codes else None
        groups.setdefault(parent or code, [])
        groups[parent or code].append(code)
    return [groups[key] for key in groups]


def _chart(
    ctx: _Context, ws: Worksheet, codes: list[str], cols: list[int], last_row: int
) -> BarChart | LineChart:
    first = ctx.indicator(codes[0])
    chart: BarChart | LineChart
    if codes[0] in LINE_CHART_CODES and len(codes) == 1:
        chart = LineChart()
    else:
        chart = BarChart()
        chart.type = "col"
        chart.grouping = "clustered"
    name = first.name if first else codes[0]
    chart.title = _chart_text(f"{name} theo tháng", size=12, bold=True)
    if first is not None:
        chart.y_axis.title = _chart_text(first.unit_of_measure, size=10)
    chart.x_axis.title = _chart_text("Tháng", size=10)
    # openpyxl 3.1 marks axes deleted unless told otherwise; Excel would then hide the labels.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend.position = "b"
    chart.height, chart.width = 9, 18
    for col in cols:
        data = Reference(ws, min_col=col, min_row=HEADER_ROW, max_row=last_row)
        chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=FIRST_DATA_ROW, max_row=last_row))
    for series in chart.series:
        series.smooth = False  # a smoothed curve dips below zero between months: not data
    return chart


def _chart_text(text: str, *, size: int, bold: bool = False) -> Title:
    """A chart or axis title in Times New Roman; the default (18 pt Calibri) dwarfs the chart."""
    props = CharacterProperties(sz=size * 100, b=bold, latin=DrawingFont(typeface=FONT))
    paragraph = Paragraph(
        pPr=ParagraphProperties(defRPr=props), r=[RegularTextRun(rPr=props, t=text)]
    )
    return Title(tx=Text(rich=RichText(p=[paragraph])), overlay=False)


# --- layout helpers -----------------------------------------------------------------------------


def _title_block(
    ws: Worksheet,
    ctx: _Context,
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
    chars = int(_span_chars(ws, width) * 0.8)  # bold and italic lines run wider
    for row, (text, font) in enumerate(lines, start=1):
        cell = ws.cell(row=row, column=1, value=_clean_text(text))
        _keep_text(cell)
        cell.font = font
        cell.alignment = LEFT if row == NOTE_ROW else CENTER
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        lines_needed = _lines(text, chars)
        if lines_needed > 1:
            ws.row_dimensions[row].height = min(409, 17 * lines_needed)


def _missing_note(ctx: _Context, *, full: bool = True) -> str | None:
    """Names of the units without an accepted report, so nobody reads a total as complete.

    TongHop always lists them all; other sheets name up to `MISSING_NAMED` and otherwise count
    them and point to the full list, so forty missing communes do not push the table off the
    first page.
    """
    missing = ctx.data.missing_units
    expected = len(ctx.data.completeness)
    if missing and not full and len(missing) > MISSING_NAMED:
        of = f"{len(missing)}/{expected}" if expected else str(len(missing))
        return (
            f"Chưa có báo cáo của {of} đơn vị (danh sách ở trang TongHop và DayDu) — số liệu "
            "tổng hợp chưa đầy đủ."
        )
    if missing:
        shown = ", ".join(f"{ctx.unit_names.get(code, code)} ({code})" for code in missing)
        return f"Chưa có báo cáo của: {shown} — số liệu tổng hợp chưa đầy đủ."
    if expected:
        return f"Đã nhận đủ báo cáo của {expected}/{expected} đơn vị."
    return None


def _header(ws: Worksheet, ctx: _Context, row: int, labels: Sequence[str]) -> None:
    for col, label in enumerate(labels, start=1):
        _put(ws, ctx, row, col, label, HEAD)
    ws.row_dimensions[row].height = 36


def _group_row(
    ws: Worksheet, ctx: _Context, row: int, number: str, text: str, width: int, label_col: int = 3
) -> None:
    """A heading row (indicator group, task): number in A, text merged to the table's edge."""
    _put(ws, ctx, row, 1, number, GROUP_NO)
    for col in range(2, width + 1):
        _put(ws, ctx, row, col, text if col == label_col else None, GROUP)
    ws.merge_cells(start_row=row, start_column=label_col, end_row=row, end_column=width)


def _footnote(ws: Worksheet, ctx: _Context, row: int, text: str, width: int) -> None:
    _put(ws, ctx, row, 1, text, FOOTNOTE)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    ws.row_dimensions[row].height = 17 * _lines(text, _span_chars(ws, width))


def _row(
    ws: Worksheet, ctx: _Context, row: int, values: Sequence[Any], styles: Sequence[Style]
) -> None:
    for col, (value, style) in enumerate(zip(values, styles, strict=True), start=1):
        _put(ws, ctx, row, col, value, style)


def _put(ws: Worksheet, ctx: _Context, row: int, col: int, value: Any, style: Style) -> Cell:
    """Write one value: NaN/NaT blank, datetimes in office time, text never a formula."""
    cell = ws.cell(row=row, column=col, value=_cell_value(value))
    ctx.painter.paint(cell, style)
    _keep_text(cell)
    return cell


def _keep_text(cell: Cell) -> None:
    """Text that looks like a formula stays text, in the file and when a user edits the cell.

    openpyxl turns any string starting with "=" into a formula (`data_type` "f"); we set it back
    to a string. The quote prefix (Excel's leading apostrophe) keeps Excel from re-evaluating
    "=", "+", "-", "@" text when someone presses F2 and Enter.
    """
    if cell.data_type == "f":
        cell.data_type = "s"
    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_PREFIXES):
        cell.quotePrefix = True


def _cell_value(value: Any) -> Any:
    """A pandas/numpy value as something openpyxl writes faithfully (None for no data)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, datetime):  # includes pandas.Timestamp
        return _office_naive(value)
    if isinstance(value, date):
        return value
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else _office_naive(pd.Timestamp(value))
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return _clean_text(str(value))
    if isinstance(value, int | float) or hasattr(value, "dtype"):
        number = float(value)
        if not math.isfinite(number):
            return None
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    return _clean_text(str(value))


def _clean_text(value: Any) -> str | None:
    """Drop control characters XML cannot hold and cut text Excel would refuse."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if len(text) > MAX_CELL_TEXT:
        text = text[: MAX_CELL_TEXT - 1] + "…"
    return text


def _columns(ws: Worksheet, widths: Sequence[float]) -> int:
    """Set column widths; return how many columns the table has."""
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    return len(widths)


def _span_chars(ws: Worksheet, width: int) -> int:
    total = sum(
        ws.column_dimensions[get_column_letter(col)].width or 9 for col in range(1, width + 1)
    )
    return max(10, int(total * 1.1))


def _fit_row(
    ws: Worksheet,
    row: int,
    texts: dict[int, Any],
    width: float | None = None,
    factor: float = 1.1,
) -> None:
    """Give wrapped text rows room: LibreOffice and some Excel builds do not grow them on open.

    `factor` is characters per unit of column width (about 1.1 for 12 pt Times New Roman).
    """
    needed = 1
    for col, text in texts.items():
        if not isinstance(text, str):
            continue
        col_width = width or ws.column_dimensions[get_column_letter(col)].width or 9
        needed = max(needed, _lines(text, max(8, int(col_width * factor))))
    if needed > 1:
        line = 16.5 if factor <= 1.1 else 13.5
        ws.row_dimensions[row].height = min(409, line * needed)


def _lines(text: str, chars_per_line: int) -> int:
    return sum(max(1, -(-len(part) // chars_per_line)) for part in text.split("\n"))


def _finish(
    ws: Worksheet,
    *,
    header_rows: tuple[int, int] | None,
    freeze: str | None = None,
    landscape: bool = True,
    fit: tuple[int, int] = (1, 0),
) -> None:
    """A4, header rows repeated on every printed page, page numbers in the footer.

    `fit` is (pages wide, pages tall), 0 meaning as many as needed: tables fit the page width
    and run down; only the many-unit matrix fits the height and runs across instead.
    """
    if header_rows is not None:
        ws.print_title_rows = f"{header_rows[0]}:{header_rows[1]}"
    if freeze:
        ws.freeze_panes = freeze
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = fit
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "Trang &P/&N"
    ws.oddFooter.center.font = FONT
    ws.oddFooter.center.size = 10


# --- data helpers -------------------------------------------------------------------------------


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dict("records") if len(frame) else []


def _grouped(frame: pd.DataFrame, key: str) -> list[tuple[str, list[dict[str, Any]]]]:
    """Rows grouped by `key` in first-appearance order (catalog order for indicators)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for rec in _records(frame):
        groups.setdefault(str(rec.get(key)), []).append(rec)
    return list(groups.items())


def _indicator_groups(ctx: _Context, codes: Sequence[str]) -> list[tuple[str, list[str]]]:
    groups: dict[str, list[str]] = {}
    for code in codes:
        ind = ctx.indicator(code)
        groups.setdefault(ind.group if ind else "Khác", []).append(code)
    return list(groups.items())


GROUP_ORDER = ("province_department", "local_government")


def _ordered_groups(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """(group_key, label) with the provincial departments first, then local governments."""
    found: dict[str, str] = {}
    for rec in _records(frame):
        found.setdefault(str(rec.get("group_key")), str(rec.get("group_label")))
    if not found:
        found = {
            "province_department": "Sở, ban, ngành tỉnh",
            "local_government": "UBND địa phương",
        }
    ranked = sorted(found, key=lambda k: GROUP_ORDER.index(k) if k in GROUP_ORDER else 99)
    return [(key, found[key]) for key in ranked]


def _flag(value: Any) -> bool:
    """A boolean column cell, where NaN/None (no answer) counts as not set."""
    return (
        value is not None and not (isinstance(value, float) and math.isnan(value)) and bool(value)
    )


def _office_naive(value: datetime) -> datetime:
    """Excel has no time zones: show the office's wall-clock time (naive means office time)."""
    if value.tzinfo is not None:
        value = value.astimezone(OFFICE_TZ).replace(tzinfo=None)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    return value.replace(microsecond=0)


def _utc_naive(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=OFFICE_TZ)
    return value.astimezone(UTC).replace(tzinfo=None, microsecond=0)


def _format_datetime(value: datetime) -> str:
    local = _office_naive(value)
    return f"{format_date_vi(local.date())} {local.hour:02d}:{local.minute:02d}"
