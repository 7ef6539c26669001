"""`pcmbn.reading.workbook` on small workbooks built in memory, one quirk per case.

The quirk batch of `tests/pcmbn/validation/test_checker.py` reaches the reader through the whole
checker and one Great Expectations run; these tests call `read_workbook` directly on grids
written with openpyxl, so a reading regression names the reader, the sheet and the cell.
Grid rows are 1-based in the file: the row at index 0 of a sheet's list is row 1.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from openpyxl import Workbook

from pcmbn.catalog import load_catalog
from pcmbn.domain import TemplateSpec
from pcmbn.reading.workbook import (
    HEADER_SEARCH_ROWS,
    CellValue,
    WorkbookRecords,
    cell_address,
    read_workbook,
    uncached_formulas,
)

Rows = list[list[Any]]

#: The template's own header row for the indicator table (schemas/template.yaml).
HEADER = ["STT", "Mã chỉ tiêu", "Chỉ tiêu", "Đơn vị tính", "Kỳ này", "Lũy kế từ đầu năm"]
TASK_HEADER = ["Mã nhiệm vụ", "Nội dung nhiệm vụ", "Tình trạng", "Kết quả cụ thể"]


@pytest.fixture(scope="module")
def spec() -> TemplateSpec:
    return load_catalog().template


def xlsx(sheets: dict[str, Rows]) -> bytes:
    """An .xlsx with these sheets, in this order; `None` leaves a cell empty."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(row=r, column=c, value=value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def book(**overrides: Rows) -> dict[str, Rows]:
    """All four sheets of a minimal report; keyword arguments replace a sheet's rows."""
    sheets: dict[str, Rows] = {
        "ThongTin": [["Mã đơn vị", "CA_TINH"], ["Kỳ báo cáo", "07/2024"]],
        "ChiTieu": [HEADER, [1, "TT01", "Số buổi", "buổi", 3, 10]],
        "NhiemVu": [TASK_HEADER, ["NV01", "Tuyên truyền", "Hoàn thành", "Đã xong"]],
        "KienNghi": [["Khó khăn, vướng mắc"], ["Thiếu kinh phí."]],
    }
    sheets.update(overrides)
    return sheets


def read(spec: TemplateSpec, **overrides: Rows) -> WorkbookRecords:
    return read_workbook(xlsx(book(**overrides)), spec)


def indicator_cells(records: WorkbookRecords) -> dict[str, tuple[Any, str | None, Any, str | None]]:
    """code -> (Kỳ này raw, its cell, Lũy kế raw, its cell)."""
    return {
        row.code: (row.period.raw, row.period.cell, row.cumulative.raw, row.cumulative.cell)
        for row in records.indicators
    }


@pytest.mark.parametrize(
    ("row", "col", "expected"),
    [
        (1, 1, "A1"),
        (7, 26, "Z7"),
        (1, 27, "AA1"),
        (10, 52, "AZ10"),
        (3, 53, "BA3"),
        (1, 702, "ZZ1"),
        (1, 703, "AAA1"),
    ],
)
def test_cell_address_is_bijective_base_26(row: int, col: int, expected: str) -> None:
    assert cell_address(row, col) == expected


# --- the indicator table: header found, columns mapped ------------------------------------


@pytest.mark.parametrize(
    ("case", "rows", "expected"),
    [
        pytest.param(
            "template header in row 1",
            [HEADER, [1, "TT01", "x", "buổi", 3, 10]],
            {"TT01": (3.0, "E2", 10.0, "F2")},
            id="template-header",
        ),
        pytest.param(
            "title rows above the header move every cell down",
            [["BIỂU SỐ LIỆU"], ["(kèm công văn)"], [], HEADER, [1, "TT01", "x", "buổi", 3, 10]],
            {"TT01": (3.0, "E5", 10.0, "F5")},
            id="title-rows",
        ),
        pytest.param(
            "labels without diacritics, other case, stray spaces",
            [["stt", "  MA CHI TIEU ", "chi tieu", "dvt", "KY NAY", "luy ke tu dau nam"]]
            + [[1, "TT01", "x", "buổi", 3, 10]],
            {"TT01": (3.0, "E2", 10.0, "F2")},
            id="folded-labels",
        ),
        pytest.param(
            "aliases from template.yaml, value columns swapped, extra column",
            [["Luỹ kế", "Cột thêm", "Trong kỳ", "Mã CT"], [10, "?", 3, "TT01"]],
            {"TT01": (3.0, "C2", 10.0, "A2")},
            id="aliases-reordered",
        ),
        pytest.param(
            "the header starts further right: addresses follow the real columns",
            [[None, None, *HEADER], [None, None, 1, "TT01", "x", "buổi", 3, 10]],
            {"TT01": (3.0, "G2", 10.0, "H2")},
            id="shifted-right",
        ),
    ],
)
def test_indicator_header_is_found_wherever_and_however_written(
    spec: TemplateSpec, case: str, rows: Rows, expected: dict[str, tuple[Any, ...]]
) -> None:
    records = read(spec, ChiTieu=rows)
    assert records.problems == [], case
    assert indicator_cells(records) == expected, case
    assert records.indicator_sheet == "ChiTieu"
    assert all(r.period.sheet == r.cumulative.sheet == "ChiTieu" for r in records.indicators)


def test_body_rows_blank_headings_and_notes_are_skipped(spec: TemplateSpec) -> None:
    rows: Rows = [
        HEADER,
        ["I", "Tuyên truyền", None, None, None, None],  # group heading in the code column
        [1, "TT01", "x", "buổi", 3, 10],
        [],  # a blank row inside the table
        [None, None, None, None, None, None],
        [2, " tt 02 ", "x", "lượt", 5, 7],  # lower case with spaces is still a code
        ["", "Tổng cộng", None, None, 8, 17],  # a totals row: text, not a code
        [3, "TT003", "x", "x", 1, 1],  # not two letters + two digits: ignored
        ["Ghi chú: số liệu tạm tính"],
    ]
    records = read(spec, ChiTieu=rows)
    assert [(r.code, r.row, r.code_cell) for r in records.indicators] == [
        ("TT01", 3, "B3"),
        ("TT02", 6, "B6"),
    ]
    assert indicator_cells(records)["TT02"] == (5.0, "E6", 7.0, "F6")


def test_blank_and_short_rows_give_blank_cells_with_their_address(spec: TemplateSpec) -> None:
    rows: Rows = [HEADER, [1, "TT01", "x", "buổi", None, "  "], [2, "TT02"]]
    records = read(spec, ChiTieu=rows)
    by_code = {r.code: r for r in records.indicators}
    assert by_code["TT01"].period.blank and by_code["TT01"].cumulative.blank
    assert (by_code["TT01"].period.cell, by_code["TT01"].cumulative.cell) == ("E2", "F2")
    # A row that stops after its code still points at the cells the clerk left empty.
    assert by_code["TT02"].period.blank and by_code["TT02"].cumulative.blank
    assert (by_code["TT02"].period.cell, by_code["TT02"].cumulative.cell) == ("E3", "F3")


def test_duplicate_codes_are_all_kept_in_sheet_order(spec: TemplateSpec) -> None:
    """The reader keeps both; validation decides which counts (the first) and flags the other."""
    rows: Rows = [HEADER, [1, "TT01", "", "", 1, 1], [2, "TT01", "", "", 2, 2]]
    records = read(spec, ChiTieu=rows)
    assert [(r.code, r.code_cell, r.period.raw) for r in records.indicators] == [
        ("TT01", "B2", 1.0),
        ("TT01", "B3", 2.0),
    ]


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        (["STT", "Mã chỉ tiêu", "Chỉ tiêu", "Lũy kế từ đầu năm"], ["Kỳ này"]),
        (["STT", "Chỉ tiêu", "Kỳ này"], ["Mã chỉ tiêu", "Lũy kế từ đầu năm"]),
        (["Tên", "Số"], ["Mã chỉ tiêu", "Kỳ này", "Lũy kế từ đầu năm"]),
    ],
)
def test_missing_required_columns_are_named_and_nothing_is_read(
    spec: TemplateSpec, header: list[str], missing: list[str]
) -> None:
    records = read(spec, ChiTieu=[header, [1, "TT01", "x", 3, 10]])
    assert records.indicators == []
    assert [(p.rule, p.sheet, p.params["column"]) for p in records.problems] == [
        ("column.missing", "ChiTieu", column) for column in missing
    ]


def test_header_below_the_search_window_is_not_found(spec: TemplateSpec) -> None:
    rows: Rows = [[None]] * HEADER_SEARCH_ROWS + [HEADER, [1, "TT01", "x", "buổi", 3, 10]]
    records = read(spec, ChiTieu=rows)
    assert records.indicators == []
    assert {p.params["column"] for p in records.problems} == {
        "Mã chỉ tiêu",
        "Kỳ này",
        "Lũy kế từ đầu năm",
    }


def test_header_on_the_last_searched_row_is_found(spec: TemplateSpec) -> None:
    rows: Rows = [[None]] * (HEADER_SEARCH_ROWS - 1) + [HEADER, [1, "TT01", "x", "buổi", 3, 10]]
    records = read(spec, ChiTieu=rows)
    assert records.problems == []
    assert indicator_cells(records) == {
        "TT01": (3.0, f"E{HEADER_SEARCH_ROWS + 1}", 10.0, f"F{HEADER_SEARCH_ROWS + 1}")
    }


# --- sheets -------------------------------------------------------------------------------


def test_sheets_are_found_by_folded_name_and_provenance_keeps_the_real_name(
    spec: TemplateSpec,
) -> None:
    sheets = book()
    renamed = {
        "Thông tin": sheets["ThongTin"],
        "chi tieu": sheets["ChiTieu"],
        "NHIEMVU": sheets["NhiemVu"],
        "Kiến nghị": sheets["KienNghi"],
    }
    records = read_workbook(xlsx(renamed), spec)
    assert records.problems == []
    assert records.indicator_sheet == "chi tieu"
    assert records.indicators[0].period == CellValue(3.0, "chi tieu", "E2")
    assert records.info["unit_code"].sheet == "Thông tin"
    assert records.tasks[0].status.sheet == "NHIEMVU"
    assert records.narratives["difficulties"].sheet == "Kiến nghị"


def test_a_missing_sheet_is_one_problem_and_the_others_are_still_read(spec: TemplateSpec) -> None:
    sheets = book()
    del sheets["NhiemVu"]
    records = read_workbook(xlsx(sheets), spec)
    assert [(p.rule, p.sheet, p.cell, p.params) for p in records.problems] == [
        ("sheet.missing", None, None, {"sheet": "NhiemVu", "version": str(spec.version)})
    ]
    assert records.tasks == []
    assert [r.code for r in records.indicators] == ["TT01"]
    assert records.info["unit_code"].raw == "CA_TINH"


# --- ThongTin -----------------------------------------------------------------------------


def test_info_value_is_the_next_non_empty_cell_to_the_right(spec: TemplateSpec) -> None:
    rows: Rows = [
        ["THÔNG TIN CHUNG"],
        [None, " mã  đơn vị ", None, None, "CA_TINH"],  # folded label, gap before the value
        [None, "Ky bao cao", "07/2024"],
        [None, "Kế hoạch"],  # label with nothing beside it
        [None, "Phiên bản biểu mẫu", 1],
    ]
    records = read(spec, ThongTin=rows)
    info = records.info
    assert info["unit_code"] == CellValue("CA_TINH", "ThongTin", "E2")
    assert info["period"] == CellValue("07/2024", "ThongTin", "C3")
    # An empty value still points at the cell beside its label, where the clerk should type.
    assert info["plan_id"].blank and info["plan_id"].cell == "C4"
    assert info["template_version"] == CellValue(1.0, "ThongTin", "C5")
    assert "preparer" not in info  # no label, no entry: the checker decides if it was required


def test_info_label_found_twice_keeps_the_first(spec: TemplateSpec) -> None:
    rows: Rows = [["Mã đơn vị", "CA_TINH"], ["Mã đơn vị", "SO_YTE"]]
    records = read(spec, ThongTin=rows)
    assert records.info["unit_code"] == CellValue("CA_TINH", "ThongTin", "B1")


# --- NhiemVu and KienNghi -----------------------------------------------------------------


def test_task_rows_with_optional_columns_present_or_absent(spec: TemplateSpec) -> None:
    rows: Rows = [
        ["Danh sách nhiệm vụ"],
        ["Tình trạng", "Mã nhiệm vụ", "Kết quả cụ thể"],  # no difficulty column at all
        ["Hoàn thành", "NV01", "  Đã   xong "],
        [None, "NV02"],  # status left empty, row stops early
    ]
    records = read(spec, NhiemVu=rows)
    assert [(t.code, t.status, t.result, t.difficulty) for t in records.tasks] == [
        ("NV01", CellValue("Hoàn thành", "NhiemVu", "A3"), "Đã xong", None),
        ("NV02", CellValue("", "NhiemVu", "A4"), None, None),
    ]
    assert records.tasks[1].status.blank


def test_narrative_text_below_its_label_is_joined_and_points_at_its_first_cell(
    spec: TemplateSpec,
) -> None:
    rows: Rows = [
        ["KHÓ KHĂN, VƯỚNG MẮC"],
        [],
        ["Thiếu kinh phí."],
        ["Thiếu người."],
        ["Đề xuất, kiến nghị"],  # the next label ends the first block
        [],  # nothing written under it
    ]
    records = read(spec, KienNghi=rows)
    assert records.narratives["difficulties"] == CellValue(
        "Thiếu kinh phí.\nThiếu người.", "KienNghi", "A3"
    )
    # An empty block points below its label.
    assert records.narratives["proposals"] == CellValue(None, "KienNghi", "A6")
    assert records.narratives["proposals"].blank


def test_narrative_text_beside_its_label(spec: TemplateSpec) -> None:
    rows: Rows = [["Đề xuất, kiến nghị", None, "Tập huấn thêm."]]
    records = read(spec, KienNghi=rows)
    assert records.narratives["proposals"] == CellValue("Tập huấn thêm.", "KienNghi", "C1")
    assert "difficulties" not in records.narratives


# --- formulas saved without a computed value ----------------------------------------------


def test_formula_without_cached_value_is_recorded_with_sheet_and_cell(spec: TemplateSpec) -> None:
    """openpyxl, like any script, saves formulas without computing them: calamine sees blanks."""
    rows: Rows = [HEADER, [1, "TT01", "x", "buổi", "=1+2", 10], [2, "TT02", "x", "x", 1, "=E3*2"]]
    records = read(spec, ChiTieu=rows)
    by_code = {r.code: r for r in records.indicators}
    assert by_code["TT01"].period.blank
    assert by_code["TT01"].cumulative.raw == 10.0
    assert records.uncached_formulas == {("ChiTieu", "E2"), ("ChiTieu", "F3")}


def test_formulas_are_not_scanned_when_no_value_cell_is_blank(spec: TemplateSpec) -> None:
    """The scan runs only when a blank value could be a formula; a formula in a text column
    with every value filled in is therefore not reported."""
    rows: Rows = [HEADER, [1, "TT01", '="Số "&"buổi"', "buổi", 3, 10]]
    records = read(spec, ChiTieu=rows)
    assert records.uncached_formulas == set()
    # ... although the scan itself would have found it.
    assert uncached_formulas(xlsx(book(ChiTieu=rows))) == {("ChiTieu", "C2")}


def test_formula_scan_finds_the_sheet_by_its_name_not_its_position() -> None:
    data = xlsx({"Ghi chú & nguồn": [["=1"]], "ChiTieu": [[None, "=2"]]})
    assert uncached_formulas(data) == {("Ghi chú & nguồn", "A1"), ("ChiTieu", "B1")}


def test_formula_with_a_cached_value_is_not_reported() -> None:
    data = xlsx({"ChiTieu": [["=1+2", "=4"]]})
    cached = _cache_formula(data, b"<f>1+2</f>", b"3")
    assert uncached_formulas(data) == {("ChiTieu", "A1"), ("ChiTieu", "B1")}
    assert uncached_formulas(cached) == {("ChiTieu", "B1")}


@pytest.mark.parametrize(
    "data",
    [b"", b"not a zip", b"PK\x03\x04broken", b"\xd0\xcf\x11\xe0 an .xls header"],
    ids=["empty", "text", "truncated-zip", "ole2"],
)
def test_formula_scan_of_non_xlsx_bytes_is_empty_not_an_error(data: bytes) -> None:
    assert uncached_formulas(data) == set()


def _cache_formula(data: bytes, formula: bytes, value: bytes) -> bytes:
    """Give one formula a cached value, as Excel saves it (members rewritten, CRCs recomputed)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            payload = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                changed = payload.replace(formula + b"<v></v>", formula + b"<v>" + value + b"</v>")
                assert changed != payload, "openpyxl's formula XML changed; adjust the fixture"
                payload = changed
            dst.writestr(item, payload)
    return out.getvalue()


@pytest.mark.parametrize("written", ["đ", "dd", "DD", " Đ ", "Dd"])
def test_task_code_dd_is_the_letter_d_with_stroke(spec: TemplateSpec, written: str) -> None:
    """Issue 12.16: "đ" is a task code of its own; "dd" (Telex, older templates) means it too."""
    records = read(spec, NhiemVu=[TASK_HEADER, [written, "Đẩy nhanh", "Hoàn thành", None]])
    assert [t.code for t in records.tasks] == ["đ"]


def test_task_code_d_stays_d(spec: TemplateSpec) -> None:
    records = read(spec, NhiemVu=[TASK_HEADER, ["d", "Mở các đợt", "Hoàn thành", None]])
    assert [t.code for t in records.tasks] == ["d"]
