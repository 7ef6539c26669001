"""Render the report workbook of `report-template.md` for one unit, plan and period.

Everything the workbook shows comes from the catalog (indicators, tasks, template labels), so a
new indicator appears in every template by editing `schemas/indicators.csv`. The workbook guides
the clerk: cells that do not apply are grey and locked, value cells only accept numbers of the
right kind, the task status is a dropdown, and the sheets print on A4 with headers repeated.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from pcmbn.catalog import Catalog
from pcmbn.domain import Indicator, Plan, Unit, ValueType
from pcmbn.office.atomic import atomic_write
from pcmbn.office.zips import deterministic_zip
from pcmbn.periods import Period, data_window, deadline_vi, due_date, format_date_vi
from pcmbn.report_content import Formula, ReportContent
from pcmbn.text import roman

FONT = "Times New Roman"
TITLE = Font(name=FONT, size=13, bold=True)
BOLD = Font(name=FONT, size=12, bold=True)
NORMAL = Font(name=FONT, size=12)
ITALIC = Font(name=FONT, size=11, italic=True)
GREY = PatternFill("solid", fgColor="D9D9D9")
INPUT = PatternFill("solid", fgColor="FFF2CC")
HEADER = PatternFill("solid", fgColor="DDEBF7")
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
UNLOCKED = Protection(locked=False)

#: Row of the column headers in ChiTieu and NhiemVu; the reader does not depend on it.
INDICATOR_HEADER_ROW = 4
TASK_HEADER_ROW = 3
#: Fixed timestamp written into every workbook so the same inputs give the same bytes.
FIXED_TIMESTAMP = datetime(2020, 1, 1)

INTEGER_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.0##"
DATE_FORMAT = "dd/mm/yyyy"


def template_file_name(plan: Plan, unit: Unit, period: Period, extension: str = ".xlsx") -> str:
    """A name a clerk recognises and a machine can sort: `BaoCao_CA_TINH_2024-07.xlsx`."""
    return f"BaoCao_{unit.code}_{period.code}{extension}"


def build_workbook(
    catalog: Catalog,
    plan: Plan,
    unit: Unit,
    period: Period,
    content: ReportContent | None = None,
) -> Workbook:
    """The unit's workbook for `period`: blank when `content` is None, else filled with it."""
    content = content or ReportContent()
    spec = catalog.template
    wb = Workbook()
    wb.remove(wb.active)
    _info_sheet(wb.create_sheet(spec.sheets.info), catalog, plan, unit, period, content)
    _indicator_sheet(wb.create_sheet(spec.sheets.indicators), catalog, unit, period, plan, content)
    _task_sheet(wb.create_sheet(spec.sheets.tasks), catalog, plan, unit, content)
    _narrative_sheet(wb.create_sheet(spec.sheets.narrative), catalog, content)
    _instructions_sheet(wb.create_sheet(spec.sheets.instructions), catalog, plan, period)
    wb.properties.creator = "PCMBN"
    wb.properties.title = f"Báo cáo PCMBN {unit.code} {period.label_vi}"
    wb.properties.created = FIXED_TIMESTAMP
    wb.properties.modified = FIXED_TIMESTAMP
    return wb


def save_workbook(wb: Workbook, path: Path) -> Path:
    """Save with fixed zip timestamps so identical content gives identical bytes (and sha256)."""
    buffer = io.BytesIO()
    wb.save(buffer)
    return atomic_write(path, normalise_zip(buffer.getvalue()))


def normalise_zip(data: bytes) -> bytes:
    """Rewrite a zip package with fixed entry times and core-property dates.

    openpyxl stamps the save time into `docProps/core.xml` and every zip entry; regenerating the
    samples would then change every checksum, and the archive would see "new" files.
    """
    return deterministic_zip(data, core_dates=FIXED_TIMESTAMP.replace(tzinfo=UTC))


# --- sheets -------------------------------------------------------------------------------------


def _info_sheet(
    ws: Worksheet, catalog: Catalog, plan: Plan, unit: Unit, period: Period, c: ReportContent
) -> None:
    spec = catalog.template
    ws["A1"] = "BÁO CÁO KẾT QUẢ THỰC HIỆN CÔNG TÁC PHÒNG, CHỐNG MUA BÁN NGƯỜI"
    ws["A1"].font = TITLE
    ws.merge_cells("A1:B1")
    ws["A2"] = plan.title
    ws["A2"].font = ITALIC
    ws["A2"].alignment = WRAP
    ws.merge_cells("A2:B2")
    ws.row_dimensions[2].height = 48
    prefilled: dict[str, Any] = {
        "unit_code": unit.code,
        "unit_name": unit.name,
        "plan_id": plan.id,
        "period": period.label_vi,
        "prepared_on": c.prepared_on,
        "preparer": c.preparer,
        "phone": c.phone,
        "head": c.head,
        "template_version": spec.version,
    }
    prefilled.update(c.info_overrides)
    locked = {"unit_code", "unit_name", "plan_id", "period", "template_version"}
    for row, info in enumerate(spec.info_fields, start=4):
        label = ws.cell(row=row, column=1, value=info.label)
        label.font = BOLD
        label.border = BOX
        value = _put(ws, row, 2, prefilled.get(info.key))
        value.font = NORMAL
        value.border = BOX
        value.alignment = Alignment(horizontal="left", vertical="center")
        if info.key == "prepared_on":
            value.number_format = DATE_FORMAT
            _validate(
                ws,
                value.coordinate,
                DataValidation(
                    type="date",
                    operator="greaterThan",
                    formula1="36526",
                    allow_blank=True,
                    errorTitle="Ngày không hợp lệ",
                    error="Nhập ngày theo dạng dd/mm/yyyy.",
                ),
            )
        if info.key not in locked:
            value.protection = UNLOCKED
            value.fill = INPUT
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 60
    ws.protection.sheet = True
    _print_setup(ws, landscape=False)


def _indicator_sheet(
    ws: Worksheet, catalog: Catalog, unit: Unit, period: Period, plan: Plan, c: ReportContent
) -> None:
    spec = catalog.template
    window = data_window(period, plan.reporting.cutoff)
    ws["A1"] = "SỐ LIỆU KẾT QUẢ THỰC HIỆN CÔNG TÁC PHÒNG, CHỐNG MUA BÁN NGƯỜI"
    ws["A1"].font = TITLE
    ws["A1"].alignment = CENTER
    ws.merge_cells("A1:G1")
    ws["A2"] = (
        f"{unit.name} — {period.label_vi} (số liệu từ {format_date_vi(window.start)} "
        f"đến {format_date_vi(window.end)})"
    )
    ws["A2"].font = ITALIC
    ws["A2"].alignment = CENTER
    ws.merge_cells("A2:G2")
    _header(ws, INDICATOR_HEADER_ROW, [col.label for col in spec.indicator_columns])
    integer_dv = DataValidation(
        type="whole",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        errorTitle="Số liệu không hợp lệ",
        error="Nhập số nguyên không âm (0 nếu không phát sinh).",
    )
    decimal_dv = DataValidation(
        type="decimal",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        errorTitle="Số liệu không hợp lệ",
        error="Nhập số không âm (triệu đồng).",
    )
    ws.add_data_validation(integer_dv)
    ws.add_data_validation(decimal_dv)
    row = INDICATOR_HEADER_ROW + 1
    rule = plan.reporting.cutoff
    in_force = catalog.indicators_in_force(period, rule)
    for group_no, (group, indicators) in enumerate(_groups(in_force), start=1):
        ws.cell(row=row, column=1, value=roman(group_no)).font = BOLD
        ws.cell(row=row, column=3, value=group).font = BOLD
        for col in range(1, 8):
            ws.cell(row=row, column=col).border = BOX
        row += 1
        for number, ind in enumerate(indicators, start=1):
            applies = ind.applies(unit.kind, period, rule)
            _indicator_row(ws, row, number, ind, applies, c, integer_dv, decimal_dv)
            row += 1
    for letter, width in zip("ABCDEFG", (6, 10, 58, 12, 13, 15, 22), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = ws.cell(row=INDICATOR_HEADER_ROW + 1, column=5)
    ws.protection.sheet = True
    ws.print_title_rows = f"{INDICATOR_HEADER_ROW}:{INDICATOR_HEADER_ROW}"
    _print_setup(ws, landscape=False)


def _indicator_row(
    ws: Worksheet,
    row: int,
    number: int,
    ind: Indicator,
    applies: bool,
    c: ReportContent,
    integer_dv: DataValidation,
    decimal_dv: DataValidation,
) -> None:
    period_value, cumulative = c.values.get(ind.code, (None, None))
    name = f"    {ind.name}" if ind.parent else ind.name
    cells = [
        number,
        ind.code,
        name,
        ind.unit_of_measure,
        period_value,
        cumulative,
        c.notes.get(ind.code),
    ]
    fmt = INTEGER_FORMAT if ind.value_type is ValueType.INTEGER else DECIMAL_FORMAT
    for col, value in enumerate(cells, start=1):
        cell = _put(ws, row, col, value)
        cell.font = ITALIC if (ind.parent and col == 3) else NORMAL
        cell.border = BOX
        if col == 3:
            cell.alignment = WRAP
        if col in (5, 6):
            cell.number_format = fmt
        if not applies:
            cell.fill = GREY
        elif col in (5, 6, 7):
            cell.protection = UNLOCKED
            if col != 7:
                cell.fill = INPUT
    lines = max(1, -(-len(name) // 62))
    ws.row_dimensions[row].height = 16.5 * lines
    if applies:
        dv = integer_dv if ind.value_type is ValueType.INTEGER else decimal_dv
        dv.add(f"E{row}:F{row}")


def _task_sheet(ws: Worksheet, catalog: Catalog, plan: Plan, unit: Unit, c: ReportContent) -> None:
    spec = catalog.template
    ws["A1"] = "TIẾN ĐỘ THỰC HIỆN NHIỆM VỤ ĐƯỢC GIAO THEO KẾ HOẠCH"
    ws["A1"].font = TITLE
    ws.merge_cells("A1:E1")
    _header(ws, TASK_HEADER_ROW, [col.label for col in spec.task_columns])
    statuses = ",".join(status.label for status in spec.task_statuses)
    status_dv = DataValidation(
        type="list",
        formula1=f'"{statuses}"',
        allow_blank=True,
        errorTitle="Tình trạng không hợp lệ",
        error=f"Chọn một trong: {statuses}.",
    )
    ws.add_data_validation(status_dv)
    row = TASK_HEADER_ROW
    for row, task in enumerate(plan.tasks_for(unit.kind), start=TASK_HEADER_ROW + 1):  # noqa: B007
        entry = c.tasks.get(task.code)
        values = [
            task.code,
            task.text,
            entry and entry.status,
            entry and entry.result,
            entry and entry.difficulty,
        ]
        for col, value in enumerate(values, start=1):
            cell = _put(ws, row, col, value)
            cell.font = NORMAL
            cell.border = BOX
            cell.alignment = WRAP
            if col >= 3:
                cell.protection = UNLOCKED
                cell.fill = INPUT
        status_dv.add(f"C{row}")
        ws.row_dimensions[row].height = 64
    for letter, width in zip("ABCDE", (10, 60, 18, 45, 35), strict=True):
        ws.column_dimensions[letter].width = width
    ws.protection.sheet = True
    ws.print_title_rows = f"{TASK_HEADER_ROW}:{TASK_HEADER_ROW}"
    _print_setup(ws, landscape=True)


#: Rows of the narrative blocks: label row, then a merged text area of this many rows.
NARRATIVE_BLOCK_ROWS = 10


def _narrative_sheet(ws: Worksheet, catalog: Catalog, c: ReportContent) -> None:
    ws["A1"] = "KHÓ KHĂN, VƯỚNG MẮC VÀ ĐỀ XUẤT, KIẾN NGHỊ"
    ws["A1"].font = TITLE
    texts = {"difficulties": c.difficulties, "proposals": c.proposals}
    row = 3
    for block in catalog.template.narrative_blocks:
        ws.cell(row=row, column=1, value=block.label).font = BOLD
        text = _put(ws, row + 1, 1, texts.get(block.key))
        text.font = NORMAL
        text.alignment = WRAP
        text.protection = UNLOCKED
        text.fill = INPUT
        ws.merge_cells(
            start_row=row + 1, start_column=1, end_row=row + NARRATIVE_BLOCK_ROWS, end_column=6
        )
        row += NARRATIVE_BLOCK_ROWS + 2
    for letter in "ABCDEF":
        ws.column_dimensions[letter].width = 20
    _print_setup(ws, landscape=False)


def _instructions_sheet(ws: Worksheet, catalog: Catalog, plan: Plan, period: Period) -> None:
    spec = catalog.template
    window = data_window(period, plan.reporting.cutoff)
    due = due_date(period, plan.reporting.cutoff, plan.reporting.due_days_after_cutoff)
    lines = [
        ("HƯỚNG DẪN ĐIỀN BIỂU MẪU BÁO CÁO", TITLE),
        (f"Kế hoạch: {plan.title}", NORMAL),
        (
            f"Kỳ báo cáo: {period.label_vi}; số liệu tính từ ngày {format_date_vi(window.start)} "
            f"đến ngày {format_date_vi(window.end)}.",
            NORMAL,
        ),
        (f"Hạn gửi báo cáo: {deadline_vi(due)}.", BOLD),
        ("", NORMAL),
        (
            f"1. Trang {spec.sheets.info}: kiểm tra mã đơn vị, kế hoạch, kỳ báo cáo (đã ghi sẵn, "
            "không sửa); điền ngày lập, người lập, số điện thoại, thủ trưởng đơn vị.",
            NORMAL,
        ),
        (
            f'2. Trang {spec.sheets.indicators}: điền cột "{spec.value_label("period")}" (số liệu '
            f'phát sinh trong kỳ) và "{spec.value_label("cumulative")}" (cộng dồn từ đầu năm đến '
            "hết kỳ này).",
            NORMAL,
        ),
        ("   - Ô màu vàng là ô cần điền; ô màu xám là chỉ tiêu không áp dụng cho đơn vị.", NORMAL),
        (
            "   - Không phát sinh thì ghi 0; không để trống. Để trống được hiểu là thiếu số liệu.",
            NORMAL,
        ),
        (
            '   - Chỉ ghi số (không ghi chữ như "vụ", "người"); kinh phí ghi theo triệu đồng, '
            "phần thập phân dùng dấu phẩy.",
            NORMAL,
        ),
        (
            '   - Dòng "Trong đó" không được lớn hơn chỉ tiêu cha; lũy kế không nhỏ hơn kỳ này.',
            NORMAL,
        ),
        ('   - Chỉ tiêu "đang duy trì" (mô hình) ghi số hiện có ở cả hai cột.', NORMAL),
        (
            f"3. Trang {spec.sheets.tasks}: chọn tình trạng từng nhiệm vụ trong danh sách; ghi kết "
            "quả cụ thể và khó khăn, vướng mắc (nếu có).",
            NORMAL,
        ),
        (
            f"4. Trang {spec.sheets.narrative}: ghi khó khăn, vướng mắc và đề xuất, kiến nghị.",
            NORMAL,
        ),
        (
            "5. Không đổi tên trang tính, không xóa cột; lưu tệp dạng .xlsx và gửi về Cơ quan "
            "Thường trực Ban Chỉ đạo 138 đúng hạn. Gửi lại bản sửa thì bản gửi sau được dùng.",
            NORMAL,
        ),
    ]
    for row, (text, font) in enumerate(lines, start=1):
        cell = ws.cell(row=row, column=1, value=text)
        cell.font = font
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 110
    _print_setup(ws, landscape=False)


# --- helpers ------------------------------------------------------------------------------------


def _header(ws: Worksheet, row: int, labels: list[str]) -> None:
    for col, label in enumerate(labels, start=1):
        cell = ws.cell(row=row, column=col, value=label)
        cell.font = BOLD
        cell.fill = HEADER
        cell.border = BOX
        cell.alignment = CENTER
    ws.row_dimensions[row].height = 32


def _groups(indicators: Iterable[Indicator]) -> list[tuple[str, list[Indicator]]]:
    """Indicators grouped in catalog order (a group's first appearance fixes its place)."""
    groups: dict[str, list[Indicator]] = {}
    for ind in indicators:
        groups.setdefault(ind.group, []).append(ind)
    return list(groups.items())


def _put(ws: Worksheet, row: int, col: int, value: Any) -> Cell:
    """Write a value; text from data that starts with "=" stays text, never a formula.

    Only a `Formula` (used by samples to imitate a clerk's formula) is written as a formula.
    """
    if value is not None and not isinstance(value, date | datetime | int | float):
        value = str(value) if not isinstance(value, Formula) else value
    cell = ws.cell(row=row, column=col, value=value)
    if cell.data_type == "f" and not isinstance(value, Formula):
        cell.data_type = "s"
    return cell


def _validate(ws: Worksheet, ref: str, dv: DataValidation) -> None:
    ws.add_data_validation(dv)
    dv.add(ref)


def _print_setup(ws: Worksheet, *, landscape: bool) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.oddFooter.center.text = "Trang &P/&N"


def write_templates(
    catalog: Catalog, plan: Plan, period: Period, units: list[Unit], out: Path
) -> list[Path]:
    """One blank workbook per unit under `out`; with several units, also a zip to send out."""
    paths = [
        save_workbook(
            build_workbook(catalog, plan, unit, period),
            out / template_file_name(plan, unit, period),
        )
        for unit in units
    ]
    if len(paths) > 1:
        bundle = out / f"BieuMau_{plan.id}_{period.code}.zip"
        entries = [(path.name, path.read_bytes()) for path in paths]
        atomic_write(bundle, deterministic_zip(entries, mode=None))
        paths.append(bundle)
    return paths
