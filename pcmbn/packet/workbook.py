"""`PhuLucSoLieu.xlsx`: the packet's appendix of figures, every number traceable.

Each number cell written here is recorded with its reference key (`Sheet!A1` → `tong/DT01`), so
`manifest.json` can map every figure a leader quotes to the submissions and cells it sums. The
cover sheet says plainly when months are missing or not yet approved. Styles, formula-safe text
and deterministic saving come from the office toolkit (`pcmbn.office`), as for the summary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.drawing.image import Image
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from pcmbn.office.atomic import atomic_write
from pcmbn.office.layout import columns, finish, fit_row, footnote
from pcmbn.office.marks import add_note, marked_style
from pcmbn.office.styles import (
    BOLD,
    CENTERED,
    DECIMAL,
    GROUP,
    GROUP_NO,
    HEAD,
    INTEGER,
    ITALIC,
    NOT_STARTED,
    NOTE,
    TEXT,
    TEXT_CHILD,
    TEXT_TOP,
    TITLE,
    Painter,
    Style,
)
from pcmbn.office.times import datetime_label
from pcmbn.office.xlsx import cell_value, change_cell, keep_text, put, xlsx_bytes
from pcmbn.packet.model import COMPLETENESS_COUNTS, PacketData, ref_series, ref_total
from pcmbn.packet.reconciliation import write_sheet as write_reconciliation_sheet
from pcmbn.packet.targets import write_sheet as write_target_sheet
from pcmbn.periods import Period
from pcmbn.text import roman
from pcmbn.vocabulary import Completeness

SHEETS = (
    "BiaPhuLuc",
    "TongHop",
    "ChiTieuPhanDau",
    "DoiChieuLienNganh",
    "TheoThang",
    "TheoQuy",
    "TheoDonVi",
    "TheoNhom",
    "CaoDiem",
    "DayDu",
    "NhiemVu",
    "KhoKhanKienNghi",
    "CanhBao",
    "BieuDo",
)
#: The sheet listing the figures that carry an unresolved warning (`pcmbn.warned`).
WARNED_SHEET = "CanhBao"
HEADER_ROW = 6
EXPECTED_LABEL = "Số báo cáo phải gửi"


@dataclass
class _Sheet:
    """Writes cells through the shared painter and remembers which number is which."""

    ws: Worksheet
    data: PacketData
    painter: Painter
    numbers: dict[str, str] = field(default_factory=dict)

    def put(self, row: int, col: int, value: Any, style: Style, ref: str | None = None) -> None:
        warned = ref is not None and value is not None and self.data.is_warned(ref)
        if warned:
            style = marked_style(style, self.data.catalog.labels.warned.marker)
        cell = put(self.ws, self.painter, row, col, value, style)
        if ref is not None and cell.value is not None:
            self.numbers[f"{self.ws.title}!{cell.coordinate}"] = ref
            if warned:
                labels = self.data.catalog.labels.warned
                add_note(cell, [labels.comment, *self.data.warned_lines(ref)])

    def row(self, row: int, values: Sequence[Any], styles: Sequence[Style]) -> None:
        for col, (value, style) in enumerate(zip(values, styles, strict=True), start=1):
            self.put(row, col, value, style)

    def number_style(self, code: str) -> Style:
        ind = self.data.catalog.indicators.get(code)
        return INTEGER if ind is not None and ind.value_type.value == "integer" else DECIMAL

    def title(self, heading: str, width: int) -> None:
        """Rows 1-4: heading, plan, span and milestone, data notice."""
        d = self.data
        lines = [
            (heading, TITLE),
            (d.plan.title, ITALIC),
            (f"{d.milestone.name} — số liệu {d.span_label}", BOLD),
            (_notice(d), NOTE if d.missing_periods or d.unapproved_periods else ITALIC),
        ]
        for row, (text, font) in enumerate(lines, start=1):
            cell = self.ws.cell(row=row, column=1, value=cell_value(text))
            keep_text(cell)
            cell.font = font
            cell.alignment = CENTERED.alignment
            self.ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
            self.ws.row_dimensions[row].height = 33 if len(text) > 110 else 18

    def header(self, labels: Sequence[str], row: int = HEADER_ROW) -> None:
        for col, label in enumerate(labels, start=1):
            self.put(row, col, label, HEAD)
        self.ws.row_dimensions[row].height = 36


def write_workbook(data: PacketData, charts: Sequence[Path], path: Path) -> dict[str, str]:
    """Write the appendix workbook atomically; return `{"Sheet!A1": ref key}` of its numbers."""
    wb, numbers = build_workbook(data, charts)
    atomic_write(path, xlsx_bytes(wb, data.generated_at))
    return numbers


def build_workbook(data: PacketData, charts: Sequence[Path]) -> tuple[Workbook, dict[str, str]]:
    wb = Workbook()
    wb.remove(wb.active)
    painter = Painter()
    numbers: dict[str, str] = {}
    builders = {
        "BiaPhuLuc": _cover,
        "TongHop": _totals,
        "ChiTieuPhanDau": write_target_sheet,
        "DoiChieuLienNganh": write_reconciliation_sheet,
        "TheoThang": lambda s: _series_sheet(s, data.by_month, "thang", "THEO THÁNG", "Tháng"),
        "TheoQuy": lambda s: _series_sheet(s, data.by_quarter, "quy", "THEO QUÝ", "Quý"),
        "TheoDonVi": _by_unit,
        "TheoNhom": lambda s: _series_sheet(
            s, data.by_group, "nhom", "THEO NHÓM ĐƠN VỊ", "Nhóm đơn vị"
        ),
        "CaoDiem": _campaign,
        "DayDu": _completeness,
        "NhiemVu": _tasks,
        "KhoKhanKienNghi": _narratives,
        "BieuDo": lambda s: _charts(s, charts),
        "CanhBao": _warned,
    }
    for name in SHEETS:
        sheet = _Sheet(wb.create_sheet(name), data, painter)
        builders[name](sheet)
        numbers.update(sheet.numbers)
    wb.properties.creator = "PCMBN"
    wb.properties.title = f"Phụ lục số liệu {data.milestone.name} {data.plan.id}"
    return wb, numbers


def _notice(d: PacketData) -> str:
    parts = []
    if d.missing_periods:
        parts.append(
            "CHƯA ĐỦ SỐ LIỆU: không có báo cáo nào được nhận của "
            + ", ".join(p.in_sentence for p in d.missing_periods)
            + " — tổng số chỉ gồm các tháng có số liệu"
        )
    if d.unapproved_periods:
        parts.append(
            "CHƯA PHÊ DUYỆT: số liệu "
            + ", ".join(p.in_sentence for p in d.unapproved_periods)
            + " chưa được phê duyệt, có thể còn thay đổi"
        )
    warned = _warned_note(d)
    if not parts:
        text = "Số liệu mọi tháng trong kỳ đã được nhận và phê duyệt."
        return f"{text} {warned}" if warned else text
    return "; ".join(parts) + "." + (f" {warned}" if warned else "")


def _warned_note(d: PacketData) -> str | None:
    """The marker's legend, when a figure of the packet carries it."""
    if not d.warned_refs:
        return None
    labels = d.catalog.labels.warned
    return labels.note.format(marker=labels.marker, where=f"trang {WARNED_SHEET}")


def _in_sentence(periods: list[Period]) -> str:
    return ", ".join(p.in_sentence for p in periods)


def _appendix_title(d: PacketData) -> str:
    """ "PHỤ LỤC SỐ LIỆU HỘI NGHỊ SƠ KẾT …", saying "HỘI NGHỊ" once when the name has it."""
    name = d.milestone.name.upper()
    return (
        f"PHỤ LỤC SỐ LIỆU {name}"
        if name.startswith("HỘI NGHỊ")
        else (f"PHỤ LỤC SỐ LIỆU HỘI NGHỊ {name}")
    )


def _cover(s: _Sheet) -> None:
    d = s.data
    width = columns(s.ws, (30, 90))
    s.title(_appendix_title(d), width)
    rows = [
        ("Kế hoạch", f"{d.plan.number or d.plan.id} — {d.plan.title}"),
        ("Hội nghị", d.milestone.name),
        ("Thời gian số liệu", d.span_label),
        ("Ngày lập (theo lượt tổng hợp cuối)", datetime_label(d.generated_at)),
        (
            "Tháng chưa có số liệu",
            _in_sentence(d.missing_periods) or "Không có",
        ),
        (
            "Tháng chưa phê duyệt",
            _in_sentence(d.unapproved_periods) or "Không có",
        ),
        (
            "So sánh với kỳ trước",
            f"{d.previous.label} ({d.previous.months_with_data} tháng có số liệu)",
        ),
        (
            "So sánh với cùng kỳ năm trước",
            f"{d.last_year.label} ({d.last_year.months_with_data} tháng có số liệu)",
        ),
    ]
    if d.campaign_name:
        rows.append(
            (
                "Đợt cao điểm",
                f"{d.campaign_name}: "
                + ", ".join(f"T{m.index}/{m.year}" for m in d.campaign_months),
            )
        )
    row = HEADER_ROW
    for label, value in rows:
        s.row(row, [label, value], [GROUP, TEXT])
        fit_row(s.ws, row, {1: label, 2: value})  # a long plan title wraps: room for it
        row += 1
    row += 1
    s.put(row, 1, "Các trang của phụ lục", GROUP)
    s.put(row, 2, None, GROUP)
    descriptions = {
        "TongHop": "Tổng số từng chỉ tiêu cả kỳ, so với kỳ trước và cùng kỳ năm trước",
        "ChiTieuPhanDau": "Chỉ tiêu phấn đấu của kế hoạch: kết quả, đạt hay chưa đạt",
        "DoiChieuLienNganh": "Đối chiếu số liệu liên ngành giữa cơ quan điều tra, Viện Kiểm sát "
        "và Tòa án: khớp hay chênh lệch",
        "TheoThang": "Từng chỉ tiêu theo tháng",
        "TheoQuy": "Từng chỉ tiêu theo quý",
        "TheoDonVi": "Từng chỉ tiêu theo đơn vị báo cáo",
        "TheoNhom": " và ".join(d.catalog.groups.values()),
        "CaoDiem": "Kết quả riêng đợt cao điểm (nếu kế hoạch có)",
        "DayDu": "Tình hình gửi báo cáo của từng đơn vị cả kỳ",
        "NhiemVu": "Tiến độ thực hiện nhiệm vụ của kế hoạch theo đơn vị",
        "KhoKhanKienNghi": "Khó khăn, vướng mắc và đề xuất, kiến nghị của các đơn vị",
        "CanhBao": d.catalog.labels.warned.title,
        "BieuDo": "Biểu đồ diễn biến theo tháng",
    }
    for name, text in descriptions.items():
        row += 1
        s.row(row, [name, text], [TEXT, TEXT])
    s.put(
        row + 2,
        1,
        "Mọi con số đều truy được về tệp báo cáo và ô nguồn: xem manifest.json và "
        "NguonSoLieu.csv trong gói tài liệu.",
        ITALIC_PLAIN,
    )
    finish(s.ws, header_rows=None, landscape=False)


ITALIC_PLAIN = Style(font=ITALIC, border=None)


def _totals(s: _Sheet) -> None:
    d = s.data
    labels = [
        "STT",
        "Mã",
        "Chỉ tiêu",
        "Đơn vị tính",
        "Cả kỳ",
        f"Kỳ trước ({d.previous.label})",
        f"Cùng kỳ năm trước ({d.last_year.label})",
        "So kỳ trước (%)",
        "So cùng kỳ (%)",
    ]
    width = columns(s.ws, (6, 8, 50, 12, 13, 16, 16, 11, 11))
    s.title("TỔNG HỢP KẾT QUẢ CẢ KỲ", width)
    s.header(labels)
    row = HEADER_ROW + 1
    groups = list(dict.fromkeys(d.totals["group"]))
    for number, group in enumerate(groups, start=1):
        s.put(row, 1, roman(number), GROUP_NO)
        for col in range(2, width + 1):
            s.put(row, col, group if col == 3 else None, GROUP)
        s.ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=width)
        row += 1
        for index, rec in enumerate(d.totals[d.totals["group"] == group].itertuples(), start=1):
            code = str(rec.code)
            ind = d.catalog.indicators.get(code)
            child = ind is not None and ind.parent is not None
            name = (f"    {rec.name}" if child else str(rec.name)) + (
                " (số cuối kỳ)" if rec.aggregation == "last" else ""
            )
            num = s.number_style(code)
            s.row(
                row,
                [index, code, name, rec.unit_of_measure],
                [CENTERED, CENTERED, TEXT_CHILD if child else TEXT, CENTERED],
            )
            s.put(row, 5, rec.value, num, ref_total(code))
            s.put(row, 6, rec.previous, num, f"truoc/{code}")
            s.put(row, 7, rec.last_year, num, f"cung_ky/{code}")
            s.put(row, 8, *change_cell(rec.change_prev_pct))
            s.put(row, 9, *change_cell(rec.change_year_pct))
            row += 1
    s.put(
        row + 1,
        1,
        "Ô để trống: chưa có đơn vị nào báo cáo. Chỉ tiêu “số cuối kỳ” lấy số liệu tháng gần "
        "nhất của mỗi đơn vị; các chỉ tiêu khác cộng các tháng.",
        ITALIC_PLAIN,
    )
    finish(s.ws, header_rows=(HEADER_ROW, HEADER_ROW), freeze="E7")


def _series_sheet(s: _Sheet, frame: pd.DataFrame, table: str, heading: str, what: str) -> None:
    """Indicators down, months / quarters / groups across, each cell traced."""
    d = s.data
    keys = list(dict.fromkeys(frame["key"])) if not frame.empty else []
    if table == "thang":
        keys = [m.code for m in d.months]
        labels = {m.code: m.short_label for m in d.months}
    else:
        labels = dict(zip(frame["key"], frame["label"], strict=False))
    values = {(r.key, r.code): r.value for r in frame.itertuples()}
    width = columns(s.ws, (8, 46, *([12] * len(keys)), 13))
    s.title(f"KẾT QUẢ {heading}", max(width, 4))
    s.header(["Mã", "Chỉ tiêu", *(labels.get(k, k) for k in keys), "Cả kỳ"])
    row = HEADER_ROW + 1
    for code, ind in d.indicators.items():
        s.row(row, [code, ind.name], [CENTERED, TEXT])
        num = s.number_style(code)
        for col, key in enumerate(keys, start=3):
            value = values.get((key, code))
            s.put(row, col, value, num, ref_series(table, key, code) if value is not None else None)
        s.put(row, len(keys) + 3, d.total(code), num, ref_total(code))
        row += 1
    if table == "thang" and d.missing_periods:
        codes = ", ".join(p.code for p in d.missing_periods)
        footnote(s.ws, s.painter, row + 1, "Tháng chưa có số liệu: " + codes, len(keys) + 3)
    finish(s.ws, header_rows=(HEADER_ROW, HEADER_ROW), freeze="C7")


def _by_unit(s: _Sheet) -> None:
    """Units down (registry order), indicators across: the widest table of the packet."""
    d = s.data
    frame = d.by_unit
    codes = list(d.indicators)
    units = list(dict.fromkeys(frame["key"])) if not frame.empty else []
    order = list(d.catalog.registry(d.plan).units)
    units.sort(key=order.index)
    names = dict(zip(frame["key"], frame["label"], strict=False))
    values = {(r.key, r.code): r.value for r in frame.itertuples()}
    width = columns(s.ws, (6, 34, *([9] * len(codes))))
    s.title("KẾT QUẢ THEO ĐƠN VỊ BÁO CÁO (CẢ KỲ)", min(width, 14))
    s.header(["STT", "Đơn vị", *codes])
    row = HEADER_ROW + 1
    for index, unit in enumerate(units, start=1):
        s.row(row, [index, names.get(unit, unit)], [CENTERED, TEXT])
        for col, code in enumerate(codes, start=3):
            value = values.get((unit, code))
            if value is not None:
                s.put(row, col, value, s.number_style(code), ref_series("don_vi", unit, code))
            else:
                s.put(row, col, None, CENTERED)
        row += 1
    # The legend is a block under the table, one code a line in the repeated name columns, so
    # it prints whole on the first page across instead of as one line cut on every page.
    s.put(row + 1, 2, "Mã chỉ tiêu:", ITALIC_PLAIN)
    for line, (code, ind) in enumerate(d.indicators.items(), start=row + 2):
        s.put(line, 1, code, ITALIC_PLAIN)
        s.put(line, 2, ind.name, ITALIC_PLAIN)
    # Too wide for one page: pages across, the STT and unit-name columns on every one.
    finish(s.ws, header_rows=(HEADER_ROW, HEADER_ROW), freeze="C7", repeat_cols="A:B")


def _campaign(s: _Sheet) -> None:
    d = s.data
    width = columns(s.ws, (8, 50, 12, 14))
    s.title("KẾT QUẢ ĐỢT CAO ĐIỂM", width)
    if not d.campaign_name:
        s.put(HEADER_ROW, 1, "Kế hoạch không có đợt cao điểm trong thời gian này.", ITALIC_PLAIN)
        finish(s.ws, header_rows=None, landscape=False)
        return
    months = ", ".join(m.short_label for m in d.campaign_months)
    footnote(s.ws, s.painter, HEADER_ROW - 1, f"{d.campaign_name} ({months})", width)
    s.header(["Mã", "Chỉ tiêu", "Đơn vị tính", "Kết quả"])
    values = {r.code: r.value for r in d.by_campaign.itertuples()}
    row = HEADER_ROW + 1
    for code, ind in d.indicators.items():
        s.row(row, [code, ind.name, ind.unit_of_measure], [CENTERED, TEXT, CENTERED])
        value = values.get(code)
        s.put(
            row,
            4,
            value,
            s.number_style(code),
            ref_series("cao_diem", "cao_diem", code) if value is not None else None,
        )
        row += 1
    finish(s.ws, header_rows=(HEADER_ROW, HEADER_ROW), landscape=False)


def _completeness(s: _Sheet) -> None:
    d = s.data
    width = columns(s.ws, (6, 40, 24, 14, 11, 11, 11, 11))
    s.title("TÌNH HÌNH GỬI BÁO CÁO CẢ KỲ", width)
    status_labels = d.catalog.labels.completeness
    keys = ("expected", *COMPLETENESS_COUNTS)
    labels = [EXPECTED_LABEL, *(status_labels[Completeness(k)] for k in COMPLETENESS_COUNTS)]
    s.header(["STT", "Đơn vị", "Nhóm", *labels])
    row = HEADER_ROW + 1
    for index, rec in enumerate(d.completeness.itertuples(), start=1):
        s.row(row, [index, rec.unit_name, rec.group_label], [CENTERED, TEXT, TEXT])
        for col, key in enumerate(keys, start=4):
            s.put(row, col, getattr(rec, key), INTEGER)
        row += 1
    if len(d.completeness):
        s.row(
            row,
            ["", "Cộng", ""],
            [CENTERED, Style(font=BOLD), CENTERED],
        )
        for col, key in enumerate(keys, start=4):
            s.put(row, col, int(d.completeness[key].sum()), Style(font=BOLD, number_format="#,##0"))
    finish(s.ws, header_rows=(HEADER_ROW, HEADER_ROW), freeze="C7")


def _tasks(s: _Sheet) -> None:
    d = s.data
    width = columns(s.ws, (7, 36, 28, 16, 46, 34, 11))
    s.title("TIẾN ĐỘ THỰC HIỆN NHIỆM VỤ CỦA KẾ HOẠCH", width)
    s.header(["Nhiệm vụ", "Nội dung", "Đơn vị", "Tình trạng", "Kết quả", "Khó khăn", "Tháng"])
    row = HEADER_ROW + 1
    for rec in d.tasks.itertuples():
        late = bool(rec.not_started)
        status = rec.status if isinstance(rec.status, str) else "Chưa báo cáo"
        period = rec.period if isinstance(rec.period, str) else None
        styles = (
            [NOT_STARTED["center"], NOT_STARTED["top"], NOT_STARTED["text"], NOT_STARTED["center"]]
            if late
            else [CENTERED, TEXT_TOP, TEXT, CENTERED]
        )
        s.row(row, [rec.task_code, rec.task_text, rec.unit_name, status], styles)
        s.put(row, 5, rec.result, TEXT_TOP)
        s.put(row, 6, rec.difficulty, TEXT_TOP)
        s.put(row, 7, Period.from_code(period).in_sentence if period else None, CENTERED)
        row += 1
    s.put(
        row + 1,
        1,
        "Tô màu: nhiệm vụ chưa triển khai hoặc đơn vị chưa báo cáo tình trạng.",
        ITALIC_PLAIN,
    )
    finish(s.ws, header_rows=(HEADER_ROW, HEADER_ROW), freeze="D7")


def _narratives(s: _Sheet) -> None:
    d = s.data
    width = columns(s.ws, (6, 30, 16, 90))
    s.title("KHÓ KHĂN, VƯỚNG MẮC VÀ ĐỀ XUẤT, KIẾN NGHỊ CỦA CÁC ĐƠN VỊ", width)
    s.header(["STT", "Đơn vị", "Tháng", "Nội dung"])
    row = HEADER_ROW + 1
    for block in d.catalog.template.narrative_blocks:
        kind, label = block.key, block.label
        part = d.narratives[d.narratives["kind"] == kind]
        s.put(row, 1, None, GROUP)
        for col in range(2, width + 1):
            s.put(row, col, label if col == 2 else None, GROUP)
        s.ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=width)
        row += 1
        for index, rec in enumerate(part.itertuples(), start=1):
            s.row(
                row,
                [index, rec.unit_name, rec.periods, rec.text],
                [CENTERED, TEXT_TOP, CENTERED, TEXT_TOP],
            )
            s.ws.row_dimensions[row].height = min(409, 16.5 * max(1, len(str(rec.text)) // 95 + 1))
            row += 1
        if part.empty:
            s.put(row, 2, "Không có đơn vị nào nêu.", ITALIC_PLAIN)
            row += 1
    finish(s.ws, header_rows=(HEADER_ROW, HEADER_ROW), landscape=False)


def _warned(s: _Sheet) -> None:
    """Every unit figure behind a marked number: unit, month, indicator, cell, message."""
    d = s.data
    labels = d.catalog.labels.warned
    width = columns(s.ws, (6, 26, 10, 8, 36, 12, 70, 28))
    s.title(labels.title.upper(), width)
    s.header(["STT", "Đơn vị", "Tháng", "Mã", "Chỉ tiêu", "Ô", "Nội dung cảnh báo", "Tệp"])
    names = {code: unit.name for code, unit in d.catalog.registry(d.plan).units.items()}
    indicators = {code: ind.name for code, ind in d.catalog.indicators.items()}
    row = HEADER_ROW + 1
    for index, rec in enumerate(d.warned.table(names, indicators).itertuples(), start=1):
        where = f"{rec.sheet}!{rec.cell}" if rec.sheet else rec.cell
        values = [index, rec.unit_name, rec.period, rec.code, rec.name, where, rec.message]
        s.row(
            row,
            [*values, rec.file_name],
            [CENTERED, TEXT, CENTERED, CENTERED, TEXT, CENTERED, TEXT_TOP, TEXT],
        )
        s.ws.row_dimensions[row].height = min(409, 16.5 * max(1, len(str(rec.message)) // 75 + 1))
        row += 1
    if row == HEADER_ROW + 1:
        s.put(row, 2, labels.none, ITALIC_PLAIN)
    finish(s.ws, header_rows=(HEADER_ROW, HEADER_ROW), freeze="C7")


def _charts(s: _Sheet, charts: Sequence[Path]) -> None:
    width = columns(s.ws, (100,))
    s.title("BIỂU ĐỒ DIỄN BIẾN THEO THÁNG", width)
    row = HEADER_ROW
    for number, path in enumerate(charts):
        image = Image(str(path))
        image.width, image.height = 640, 320
        s.ws.add_image(image, f"A{row}")
        row += 18
        if number % 2 == 1 and number < len(charts) - 1:
            s.ws.row_breaks.append(Break(id=row - 1))  # two charts a page, none cut in two
    if not charts:
        s.put(
            row, 1, "Chưa có biểu đồ (danh mục packet.yaml không khai báo biểu đồ).", ITALIC_PLAIN
        )
    # The images lie beyond the last filled cell: the print area must reach past them.
    finish(s.ws, header_rows=None, landscape=False, print_area=f"A1:A{row}")


__all__ = ["SHEETS", "build_workbook", "write_workbook"]
