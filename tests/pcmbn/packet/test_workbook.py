"""`PhuLucSoLieu.xlsx` (`pcmbn.packet.workbook`) from the hand-made packet of `conftest.py`.

Every assertion reads the saved file back with openpyxl, as the data officer's Excel would.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from pcmbn.office.styles import NOT_STARTED_FILL
from pcmbn.packet.charts import write_charts
from pcmbn.packet.model import SERIES_COLUMNS, PacketData
from pcmbn.packet.workbook import HEADER_ROW, SHEETS, write_workbook
from pcmbn.periods import Period

from .conftest import build_packet

MakePacket = Callable[..., PacketData]
FIRST_ROW = HEADER_ROW + 1
JUL, AUG, SEP = (Period.month(2024, m) for m in (7, 8, 9))

#: Units of the TheoDonVi sheet, deliberately not in registry order; some names look like formulas.
BY_UNIT = [
    ("UBND_H_TRAN_DE", "UBND huyện Trần Đề", "DT01", 1.0),
    ("SO_GDDT", '=HYPERLINK("http://evil.example","Sở GDĐT")', "DT01", 2.0),
    ("CA_TINH", "Công an tỉnh", "DT01", 3.0),
    ("CA_TINH", "Công an tỉnh", "NN01", 4.0),
    ("BP_TINH", "@SUM(1+1)", "TT01", 5.0),
    ("SO_TTTT", "-1+2 Sở Thông tin và Truyền thông", "NN02", 6.0),
]
REGISTRY_ORDER = ["CA_TINH", "BP_TINH", "SO_TTTT", "SO_GDDT", "UBND_H_TRAN_DE"]


def sample() -> PacketData:
    return build_packet(by_unit=pd.DataFrame(BY_UNIT, columns=SERIES_COLUMNS))


def _save(data: PacketData, path: Path, charts: list[Path] | None = None) -> dict[str, str]:
    return write_workbook(data, charts or [], path)


def _open(path: Path) -> Workbook:
    return openpyxl.load_workbook(path)


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[PacketData, Workbook, dict[str, str]]:
    """The sample packet's workbook, written once for the read-only tests below."""
    data = sample()
    path = tmp_path_factory.mktemp("workbook") / "PhuLucSoLieu.xlsx"
    numbers = _save(data, path)
    return data, _open(path), numbers


def _column(ws: Worksheet, col: int, start: int = FIRST_ROW) -> list[Any]:
    """Column values from `start` down to the last non-empty cell of column `col`."""
    values = [ws.cell(row=r, column=col).value for r in range(start, ws.max_row + 1)]
    while values and values[-1] is None:
        values.pop()
    return values


def _row_of(ws: Worksheet, col: int, value: Any) -> int:
    rows = [r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=col).value == value]
    assert len(rows) == 1, (ws.title, value, rows)
    return rows[0]


def _cover_value(ws: Worksheet, label: str) -> Any:
    return ws.cell(row=_row_of(ws, 1, label), column=2).value


def _expected_number(value: float) -> float | None:
    return None if math.isnan(value) else value


# --- sheets -------------------------------------------------------------------------------------


def test_every_sheet_is_present_in_order(saved) -> None:
    _, wb, _ = saved
    assert wb.sheetnames == list(SHEETS)
    assert SHEETS[0] == "BiaPhuLuc" and SHEETS[-1] == "BieuDo"


def test_the_cover_lists_every_other_sheet_in_order(saved) -> None:
    _, wb, _ = saved
    cover = wb["BiaPhuLuc"]
    start = _row_of(cover, 1, "Các trang của phụ lục") + 1
    assert cover.cell(row=start - 1, column=2).value is None
    listed = [cover.cell(row=r, column=1).value for r in range(start, start + len(SHEETS) - 1)]
    assert listed == list(SHEETS[1:])


@pytest.mark.parametrize("sheet", SHEETS)
def test_every_sheet_has_the_packet_title_block(saved, sheet: str) -> None:
    data, wb, _ = saved
    ws = wb[sheet]
    assert ws["A2"].value == data.plan.title
    assert ws["A3"].value == f"{data.milestone.name} — số liệu {data.span_label}"
    assert ws["A4"].value == "Số liệu mọi tháng trong kỳ đã được nhận và phê duyệt."


# --- the cover: missing and unapproved months ---------------------------------------------------

COVER_CASES = [
    # missing, unapproved, "Tháng chưa có số liệu", "Tháng chưa phê duyệt", notice contains
    ([], [], "Không có", "Không có", []),
    ([AUG], [], "tháng 8/2024", "Không có", ["CHƯA ĐỦ SỐ LIỆU", "tháng 8/2024"]),
    ([], [AUG, SEP], "Không có", "tháng 8/2024, tháng 9/2024", ["CHƯA PHÊ DUYỆT"]),
    ([JUL], [SEP], "tháng 7/2024", "tháng 9/2024", ["CHƯA ĐỦ SỐ LIỆU", "CHƯA PHÊ DUYỆT"]),
]


@pytest.mark.parametrize(
    ("missing", "unapproved", "missing_text", "unapproved_text", "flags"),
    COVER_CASES,
    ids=["complete", "a-month-missing", "two-unapproved", "both"],
)
def test_the_cover_flags_missing_and_unapproved_months(
    tmp_path: Path,
    missing: list[Period],
    unapproved: list[Period],
    missing_text: str,
    unapproved_text: str,
    flags: list[str],
) -> None:
    data = build_packet(missing_periods=missing, unapproved_periods=unapproved)
    _save(data, tmp_path / "wb.xlsx")
    wb = _open(tmp_path / "wb.xlsx")
    cover = wb["BiaPhuLuc"]

    assert _cover_value(cover, "Tháng chưa có số liệu") == missing_text
    assert _cover_value(cover, "Tháng chưa phê duyệt") == unapproved_text
    for sheet in SHEETS:  # the notice heads every sheet, not only the cover
        notice = wb[sheet]["A4"].value
        for flag in flags:
            assert flag in notice, (sheet, flag)
        assert ("CHƯA ĐỦ SỐ LIỆU" in notice) == bool(missing)
        assert ("CHƯA PHÊ DUYỆT" in notice) == bool(unapproved)
    red = cover["A4"].font.color is not None and cover["A4"].font.color.rgb.endswith("C00000")
    assert red == bool(missing or unapproved)  # a warning looks like one
    monthly_note = [v for v in _column(wb["TheoThang"], 1) if str(v).startswith("Tháng chưa")]
    assert monthly_note == ([f"Tháng chưa có số liệu: {missing[0].code}"] if missing else [])


# --- totals -------------------------------------------------------------------------------------

TOTAL_CODES = ["DT01", "DT02", "NN01", "NN02", "TT01", "TT02", "KP01", "TT03", "MH01"]


@pytest.mark.parametrize("code", TOTAL_CODES)
def test_the_totals_row_shows_the_span_value_and_both_comparisons(saved, code: str) -> None:
    data, wb, numbers = saved
    ws = wb["TongHop"]
    row = _row_of(ws, 2, code)
    record = data.totals[data.totals["code"] == code].iloc[0]
    values = [ws.cell(row=row, column=c).value for c in (5, 6, 7)]
    assert values == [
        _expected_number(data.total(code)),
        _expected_number(record["previous"]),
        _expected_number(record["last_year"]),
    ]
    traced = {numbers.get(f"TongHop!{col}{row}") for col in "EFG"} - {None}
    expected = {
        key
        for key, value in ((f"tong/{code}", values[0]), (f"truoc/{code}", values[1]),
                           (f"cung_ky/{code}", values[2]))
        if value is not None
    }  # fmt: skip
    assert traced == expected  # every figure shown is traced, a blank is not


@pytest.mark.parametrize("code", TOTAL_CODES)
def test_the_monthly_sheet_ends_each_row_with_the_span_total(saved, code: str) -> None:
    data, wb, _ = saved
    ws = wb["TheoThang"]
    assert code in data.indicators
    row = _row_of(ws, 1, code)
    assert ws.cell(row=HEADER_ROW, column=6).value == "Cả kỳ"
    assert ws.cell(row=row, column=6).value == _expected_number(data.total(code))


def test_the_totals_sheet_lists_the_totals_in_their_order(saved) -> None:
    data, wb, _ = saved
    codes = [v for v in _column(wb["TongHop"], 2) if v is not None]
    assert codes == list(data.totals["code"])


# --- the series sheets and the unit × indicator table -------------------------------------------


@pytest.mark.parametrize("sheet", ["TheoThang", "TheoQuy", "TheoNhom", "CaoDiem"])
def test_series_sheets_show_only_indicators_in_force(saved, sheet: str) -> None:
    data, wb, _ = saved
    codes = _column(wb[sheet], 1)
    assert codes == list(data.indicators)
    assert "TG01" not in codes  # introduced by the 2026–2030 programme
    assert len(data.indicators) < len(data.catalog.indicators)  # the filter did something


@pytest.mark.parametrize(("month", "column"), [("2024-07", 3), ("2024-08", 4), ("2024-09", 5)])
def test_the_monthly_sheet_puts_each_month_in_its_column(saved, month: str, column: int) -> None:
    data, wb, numbers = saved
    ws = wb["TheoThang"]
    assert ws.cell(row=HEADER_ROW, column=column).value == Period.from_code(month).short_label
    for code in data.indicators:
        row = _row_of(ws, 1, code)
        shown = ws.cell(row=row, column=column).value
        rows = data.by_month[(data.by_month["key"] == month) & (data.by_month["code"] == code)]
        assert shown == (rows["value"].iloc[0] if len(rows) else None), code
        ref = numbers.get(f"TheoThang!{ws.cell(row=row, column=column).coordinate}")
        assert ref == (f"thang/{month}/{code}" if len(rows) else None)


def test_units_come_down_in_registry_order_indicators_across(saved) -> None:
    data, wb, _ = saved
    ws = wb["TheoDonVi"]
    header = [ws.cell(row=HEADER_ROW, column=c).value for c in range(1, ws.max_column + 1)]
    assert header == ["STT", "Đơn vị", *data.indicators]
    names = {key: label for key, label, _, _ in BY_UNIT}
    assert _column(ws, 2)[: len(REGISTRY_ORDER)] == [names[u] for u in REGISTRY_ORDER]
    assert _column(ws, 1)[: len(REGISTRY_ORDER)] == list(range(1, len(REGISTRY_ORDER) + 1))
    registry = list(data.catalog.registry(data.plan).units)
    assert sorted(REGISTRY_ORDER, key=registry.index) == REGISTRY_ORDER


@pytest.mark.parametrize(("unit", "name", "code", "value"), BY_UNIT)
def test_each_unit_figure_sits_under_its_indicator_and_is_traced(
    saved, unit: str, name: str, code: str, value: float
) -> None:
    data, wb, numbers = saved
    ws = wb["TheoDonVi"]
    row = FIRST_ROW + REGISTRY_ORDER.index(unit)
    col = 3 + list(data.indicators).index(code)
    assert ws.cell(row=row, column=2).value == name
    assert ws.cell(row=row, column=col).value == value
    assert numbers[f"TheoDonVi!{ws.cell(row=row, column=col).coordinate}"] == (
        f"don_vi/{unit}/{code}"
    )
    filled = [c.value for c in ws[row][2:] if c.value is not None]
    assert filled == [v for u, _, _, v in BY_UNIT if u == unit]  # nothing else in the row


def test_every_traced_cell_holds_a_number(saved) -> None:
    _, wb, numbers = saved
    assert numbers  # the check below must have something to check
    for where in numbers:
        sheet, coordinate = where.split("!")
        value = wb[sheet][coordinate].value
        assert isinstance(value, int | float) and not isinstance(value, bool), where


@pytest.mark.parametrize(
    ("sheet", "first_col", "last_col"),
    [("TongHop", 5, 7), ("TheoThang", 3, 6), ("TheoDonVi", 3, None), ("CaoDiem", 4, 4)],
)
def test_every_figure_on_the_traced_sheets_is_traced(
    saved, sheet: str, first_col: int, last_col: int | None
) -> None:
    _, wb, numbers = saved
    ws = wb[sheet]
    figures = [
        f"{sheet}!{cell.coordinate}"
        for row in ws.iter_rows(
            min_row=FIRST_ROW, min_col=first_col, max_col=last_col or ws.max_column
        )
        for cell in row
        if isinstance(cell.value, int | float)
    ]
    assert figures
    assert [f for f in figures if f not in numbers] == []


# --- text that looks like a formula -------------------------------------------------------------

FORMULA_TEXT = [
    ("TheoDonVi", BY_UNIT[1][1]),
    ("TheoDonVi", BY_UNIT[4][1]),
    ("TheoDonVi", BY_UNIT[5][1]),
    ("NhiemVu", "=SUM(A1)"),
    ("KhoKhanKienNghi", "+84 đầu số tổng đài 111 cần được quảng bá rộng hơn"),
]


@pytest.mark.parametrize(("sheet", "text"), FORMULA_TEXT)
def test_unit_text_that_looks_like_a_formula_stays_text(saved, sheet: str, text: str) -> None:
    _, wb, _ = saved
    ws = wb[sheet]
    cells = [c for row in ws.iter_rows() for c in row if c.value == text]
    assert len(cells) == 1, (sheet, text)
    assert cells[0].data_type == "s"
    assert cells[0].quotePrefix is True


def test_control_characters_are_dropped_from_unit_text(saved) -> None:
    _, wb, _ = saved
    texts = _column(wb["KhoKhanKienNghi"], 4)
    assert "Địa bàn rộng, lực lượng mỏng" in texts


# --- tasks --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "shaded", "status"),
    [("2", False, "Đang thực hiện"), ("3", True, "Chưa báo cáo"), ("8", False, "Hoàn thành")],
)
def test_tasks_not_started_are_shaded(saved, task: str, shaded: bool, status: str) -> None:
    _, wb, _ = saved
    ws = wb["NhiemVu"]
    row = _row_of(ws, 1, task)
    assert ws.cell(row=row, column=4).value == status
    fills = [ws.cell(row=row, column=c).fill.fgColor.rgb for c in range(1, 5)]
    shade = NOT_STARTED_FILL.fgColor.rgb
    if shaded:
        assert fills == [shade] * 4
    else:
        assert shade not in fills


# --- charts and bytes ---------------------------------------------------------------------------


def test_the_chart_sheet_holds_one_picture_per_chart(
    make_packet: MakePacket, tmp_path: Path
) -> None:
    data = make_packet()
    charts = write_charts(data, tmp_path / "charts")
    assert charts
    _save(data, tmp_path / "wb.xlsx", charts)
    assert len(_open(tmp_path / "wb.xlsx")["BieuDo"]._images) == len(charts)


def test_without_charts_the_chart_sheet_says_so(saved) -> None:
    _, wb, _ = saved
    assert wb["BieuDo"]._images == []
    assert _column(wb["BieuDo"], 1, start=HEADER_ROW)[0].startswith("Chưa có biểu đồ")


def test_same_data_same_bytes_and_a_new_date_changes_them(tmp_path: Path) -> None:
    first = _save(sample(), tmp_path / "a.xlsx")
    second = _save(sample(), tmp_path / "b.xlsx")
    later = sample()
    later.generated_at = later.generated_at.replace(day=18)
    _save(later, tmp_path / "c.xlsx")

    assert first == second
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    assert (tmp_path / "a.xlsx").read_bytes() != (tmp_path / "c.xlsx").read_bytes()
    assert not list(tmp_path.glob(".*"))  # no temporary file left beside them


def test_a_change_beyond_999_percent_is_a_multiple_and_money_has_two_decimals(
    tmp_path: Path,
) -> None:
    """Issue 12.17 in the packet's TongHop: "tăng 27,7 lần", not "2666.7%"; money `#,##0.00`."""
    data = sample()
    totals = data.totals
    totals.loc[totals["code"] == "DT01", "change_prev_pct"] = 80 / 3
    totals.loc[totals["code"] == "DT01", "change_year_pct"] = -0.25
    _save(data, tmp_path / "x.xlsx")
    ws = _open(tmp_path / "x.xlsx")["TongHop"]
    row = _row_of(ws, 2, "DT01")
    assert ws.cell(row=row, column=8).value == "tăng 27,7 lần"
    assert ws.cell(row=row, column=9).value == pytest.approx(-0.25)
    assert ws.cell(row=row, column=9).number_format == "0.0%"
    money = _row_of(ws, 2, "KP01")
    assert ws.cell(row=money, column=5).number_format == "#,##0.00"


def test_every_sheet_prints_on_a4_fitted_to_the_width(saved) -> None:
    """Issue 17: A4, fitted across, headers repeated; TheoDonVi repeats its unit names."""
    _data, wb, _numbers = saved
    for ws in wb.worksheets:
        assert int(ws.page_setup.paperSize) == 9, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.page_setup.fitToHeight == 0, ws.title
        assert ws.page_setup.fitToWidth >= 1, ws.title
        # An explicit print area over the whole table: fitting the width without one made
        # LibreOffice measure every cell's overflow at each zoom it tried (~3 s a packet).
        assert ws.print_area, ws.title
        if ws.title != "BieuDo":
            last = ws.print_area.rsplit(":", 1)[1].split("$")
            assert int(last[2]) == ws.max_row, ws.title
            assert column_index_from_string(last[1]) >= ws.max_column, ws.title
        if ws.max_row > HEADER_ROW and ws.cell(HEADER_ROW, 1).value == "STT":
            assert ws.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}", ws.title
    by_unit = wb["TheoDonVi"]
    assert by_unit.print_title_cols == "$A:$B"
    legend = [by_unit.cell(r, 1).value for r in range(by_unit.max_row - 3, by_unit.max_row + 1)]
    assert all(isinstance(code, str) and code[:2].isalpha() for code in legend)


def test_no_text_runs_past_the_print_area(saved) -> None:
    """With explicit print areas (`layout.finish`), a text wider than the columns left to the
    table's edge would be cut on paper: such notes are merged across the table and wrapped.
    Widths at `fit_row`'s 1.1 characters a unit (12 pt), scaled by the cell's font size."""
    _data, wb, _numbers = saved
    for ws in wb.worksheets:
        edge = column_index_from_string(ws.print_area.rsplit(":", 1)[1].split("$")[1])
        merged = {
            (row, col)
            for r in ws.merged_cells.ranges
            for row in range(r.min_row, r.max_row + 1)
            for col in range(r.min_col, r.max_col + 1)
        }
        for row in ws.iter_rows():
            for cell in row:
                if not isinstance(cell.value, str) or (cell.row, cell.column) in merged:
                    continue
                if cell.alignment is not None and cell.alignment.wrap_text:
                    continue
                room = 1.1 * sum(
                    ws.column_dimensions[get_column_letter(col)].width or 9
                    for col in range(cell.column, edge + 1)
                )
                size = (cell.font.sz or 11) / 12
                assert len(cell.value) * size <= room, (ws.title, cell.coordinate, cell.value)


def test_charts_lie_inside_the_print_area(tmp_path: Path, make_packet: MakePacket) -> None:
    from pcmbn.packet.charts import write_charts

    data = make_packet()
    charts = write_charts(data, tmp_path / "charts")
    path = tmp_path / "PhuLucSoLieu.xlsx"
    _save(data, path, charts)
    ws = _open(path)["BieuDo"]
    assert ws.print_area and ws.print_area.endswith(f"$A${HEADER_ROW + 18 * len(charts)}")
    assert [b.id for b in ws.row_breaks.brk] == [HEADER_ROW + 35]


def test_the_title_says_hoi_nghi_once(tmp_path: Path, make_packet: MakePacket) -> None:
    """Issue 17: "Hội nghị sơ kết …" was titled "PHỤ LỤC SỐ LIỆU HỘI NGHỊ HỘI NGHỊ …"."""
    data = make_packet()
    data.milestone = data.milestone.model_copy(update={"name": "Hội nghị sơ kết 6 tháng"})
    path = tmp_path / "PhuLucSoLieu.xlsx"
    _save(data, path)
    texts = [c.value for row in _open(path)["BiaPhuLuc"].iter_rows() for c in row if c.value]
    assert "PHỤ LỤC SỐ LIỆU HỘI NGHỊ SƠ KẾT 6 THÁNG" in texts
    assert not any("HỘI NGHỊ HỘI NGHỊ" in str(t) for t in texts)
