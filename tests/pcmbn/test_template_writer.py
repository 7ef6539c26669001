"""The blank template: catalog content, guidance for the clerk, and a faithful read-back."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from pcmbn.catalog import load_catalog
from pcmbn.periods import parse_period
from pcmbn.report_content import ReportContent
from pcmbn.template_writer import build_workbook, save_workbook, write_templates

NA = "NA-276-KH-UBND-2021"
ST = "ST-KH-30-7-2024"


def _template(
    tmp_path: Path, plan_id: str = ST, unit_code: str = "CA_TINH", period: str = "2024-07"
) -> Path:
    catalog = load_catalog()
    plan = catalog.plan(plan_id)
    unit = catalog.registry(plan).units[unit_code]
    [path] = write_templates(catalog, plan, parse_period(period), [unit], tmp_path / "out")
    return path


def _rows(path: Path, sheet: str) -> list[list[Any]]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def _indicator_rows(path: Path) -> dict[str, list[Any]]:
    """Code -> row values, found by the header text as any reader would."""
    rows = _rows(path, "ChiTieu")
    header = next(i for i, row in enumerate(rows) if "Mã chỉ tiêu" in row)
    col = rows[header].index("Mã chỉ tiêu")
    return {row[col]: row for row in rows[header + 1 :] if row[col]}


def test_prefilled_identification(tmp_path: Path) -> None:
    rows = _rows(_template(tmp_path), "ThongTin")
    info = {row[0]: row[1] for row in rows if row and row[0]}
    assert info["Mã đơn vị"] == "CA_TINH"
    assert info["Kế hoạch"] == ST
    assert info["Kỳ báo cáo"] == "Tháng 7/2024"
    assert info["Phiên bản biểu mẫu"] == 1
    assert info["Tên đơn vị"] == "Công an tỉnh"


def test_every_indicator_listed_and_non_applicable_ones_locked(tmp_path: Path) -> None:
    path = _template(tmp_path, unit_code="SO_TP")
    catalog = load_catalog()
    rows = _indicator_rows(path)
    in_force = catalog.indicators_in_force(parse_period("2024-07"))
    assert list(rows) == [ind.code for ind in in_force]
    ws = load_workbook(path)["ChiTieu"]
    assert ws.protection.sheet
    by_code = {ws.cell(row=r, column=2).value: r for r in range(1, ws.max_row + 1)}
    for indicator in in_force:
        code = indicator.code
        cell = ws.cell(row=by_code[code], column=5)
        applies = indicator.applies("TP")
        assert cell.protection.locked is (not applies), code
        assert (cell.fill.fgColor.rgb == "00D9D9D9") is (not applies), code
    # DT01 (police/border guard only) is greyed for the justice department
    assert not catalog.indicators["DT01"].applies("TP")


def test_value_cells_carry_number_validation(tmp_path: Path) -> None:
    ws = load_workbook(_template(tmp_path, unit_code="CA_TINH"))["ChiTieu"]
    rules = {
        (dv.type, dv.operator, dv.formula1): str(dv.sqref)
        for dv in ws.data_validations.dataValidation
    }
    whole = rules[("whole", "greaterThanOrEqual", "0")]
    decimal = rules[("decimal", "greaterThanOrEqual", "0")]
    by_code = {ws.cell(row=r, column=2).value: r for r in range(1, ws.max_row + 1)}
    assert f"E{by_code['DT01']}:F{by_code['DT01']}" in whole
    assert f"E{by_code['KP01']}:F{by_code['KP01']}" in decimal
    assert ws.cell(row=by_code["KP01"], column=5).number_format == "#,##0.0##"
    assert ws.cell(row=by_code["TT01"], column=5).number_format == "#,##0"


def test_tasks_of_the_unit_with_status_dropdown(tmp_path: Path) -> None:
    path = _template(tmp_path, unit_code="UBND_H_KE_SACH")
    rows = _rows(path, "NhiemVu")
    header = next(i for i, row in enumerate(rows) if "Mã nhiệm vụ" in row)
    codes = [str(row[0]) for row in rows[header + 1 :] if row[0] != ""]
    assert codes == ["1", "15"]
    ws = load_workbook(path)["NhiemVu"]
    [dv] = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert dv.formula1 == '"Chưa triển khai,Đang triển khai,Hoàn thành"'
    assert "C4" in str(dv.sqref) and "C5" in str(dv.sqref)


def test_print_ready_and_instructions(tmp_path: Path) -> None:
    wb = load_workbook(_template(tmp_path))
    assert wb.sheetnames == ["ThongTin", "ChiTieu", "NhiemVu", "KienNghi", "HuongDan"]
    ws = wb["ChiTieu"]
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$4:$4"  # the header row repeats on every page
    guide = " ".join(str(c.value) for c in wb["HuongDan"]["A"] if c.value)
    assert "15/06/2024" in guide and "14/07/2024" in guide  # the data window, dd/mm/yyyy
    assert "17/07/2024" in guide  # the due date
    assert "Hạn gửi báo cáo: chậm nhất ngày 17/07/2024." in guide  # issue 12.16
    assert "trước hết" not in guide


def test_same_inputs_give_identical_bytes(tmp_path: Path) -> None:
    first = _template(tmp_path / "a")
    second = _template(tmp_path / "b")
    assert (
        hashlib.sha256(first.read_bytes()).digest() == hashlib.sha256(second.read_bytes()).digest()
    )


def test_all_units_with_zip(tmp_path: Path) -> None:
    catalog = load_catalog()
    plan = catalog.plan(NA)
    period = parse_period("2021-11")
    units = catalog.expected_units(plan, period)
    paths = write_templates(catalog, plan, period, units, tmp_path)
    bundle = paths[-1]
    assert bundle.suffix == ".zip"
    with zipfile.ZipFile(bundle) as zf:
        assert sorted(zf.namelist()) == sorted(p.name for p in paths[:-1])
    assert len(paths) - 1 == len(units) == 31


def test_text_from_units_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    catalog = load_catalog()
    plan = catalog.plan(ST)
    unit = catalog.registry(plan).units["CA_TINH"]
    content = ReportContent(difficulties='=HYPERLINK("http://x")', proposals="+84 đề xuất")
    path = save_workbook(
        build_workbook(catalog, plan, unit, parse_period("2024-07"), content), tmp_path / "f.xlsx"
    )
    with zipfile.ZipFile(path) as zf:
        sheet_xml = zf.read("xl/worksheets/sheet4.xml").decode()
    assert "<f>" not in sheet_xml
    texts = [row[0] for row in _rows(path, "KienNghi") if row and row[0]]
    assert '=HYPERLINK("http://x")' in texts and "+84 đề xuất" in texts


def _fill(path: Path, out: Path) -> dict[str, tuple[Any, Any]]:
    """Fill every applicable value cell as a clerk would, return what was written."""
    wb = load_workbook(path)
    ws = wb["ChiTieu"]
    written: dict[str, tuple[Any, Any]] = {}
    for r in range(1, ws.max_row + 1):
        code = ws.cell(row=r, column=2).value
        if not code or code == "Mã chỉ tiêu" or ws.cell(row=r, column=5).protection.locked:
            continue
        decimal = ws.cell(row=r, column=5).number_format != "#,##0"
        value = (r * 1.25) if decimal else r * 3
        cumulative = value * 4
        ws.cell(row=r, column=5, value=value)
        ws.cell(row=r, column=6, value=cumulative)
        written[code] = (value, cumulative)
    wb["ThongTin"]["B8"] = date(2024, 7, 16)
    wb["ThongTin"]["B9"] = "Nguyễn Thị Hương"
    wb["NhiemVu"]["C4"] = "Hoàn thành"
    wb["NhiemVu"]["D4"] = "Đã tổ chức 5 buổi tuyên truyền với 420 lượt người."
    wb["KienNghi"]["A4"] = "Kinh phí còn hạn chế."
    wb.save(out)
    return written


def _assert_reads_back(path: Path, written: dict[str, tuple[Any, Any]]) -> None:
    rows = _indicator_rows(path)
    for code, (value, cumulative) in written.items():
        assert rows[code][4] == pytest.approx(value), code
        assert rows[code][5] == pytest.approx(cumulative), code
    info = {row[0]: row[1] for row in _rows(path, "ThongTin") if row and row[0]}
    assert info["Ngày lập báo cáo"] == date(2024, 7, 16)
    assert info["Người lập"] == "Nguyễn Thị Hương"
    tasks = _rows(path, "NhiemVu")
    assert tasks[3][2] == "Hoàn thành"
    assert tasks[3][3] == "Đã tổ chức 5 buổi tuyên truyền với 420 lượt người."
    assert _rows(path, "KienNghi")[3][0] == "Kinh phí còn hạn chế."


def test_filled_template_reads_back_exactly_with_calamine(tmp_path: Path) -> None:
    filled = tmp_path / "filled.xlsx"
    written = _fill(_template(tmp_path), filled)
    assert len(written) == len(load_catalog().indicators_for("CA", parse_period("2024-07")))
    _assert_reads_back(filled, written)


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.slow
@pytest.mark.skipif(
    _soffice() is None,
    reason="LibreOffice (soffice) is not installed; CI installs libreoffice-calc-nogui",
)
def test_template_saved_by_libreoffice_reads_back_the_same(tmp_path: Path) -> None:
    filled = tmp_path / "filled.xlsx"
    written = _fill(_template(tmp_path), filled)
    out_dir = tmp_path / "lo"
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(
        [
            _soffice() or "soffice",
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(out_dir),
            str(filled),
        ],
        check=True,
        capture_output=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    resaved = out_dir / "filled.xlsx"
    assert resaved.read_bytes() != filled.read_bytes()  # really rewritten by LibreOffice
    _assert_reads_back(resaved, written)
    assert load_workbook(resaved)["ChiTieu"].protection.sheet


def test_task_code_d_with_stroke_is_written_as_the_letter(tmp_path: Path) -> None:
    """Issue 12.16: the plan's task "đ" reads "đ" on the unit's sheet, never "dd"."""
    path = _template(tmp_path, NA, "VKS_TINH", "2021-07")
    codes = [row[0] for row in _rows(path, "NhiemVu") if row and isinstance(row[0], str)]
    assert "đ" in codes and "dd" not in codes
