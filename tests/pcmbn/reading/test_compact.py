"""Compact read records (issue 15.1/15.2): the indicator table as flat arrays, the layout once,
numbers parsed once per distinct text, and the same cells and numbers as one object per cell.
"""

from __future__ import annotations

import io
import math
import pickle
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from pcmbn.catalog import Catalog, load_catalog
from pcmbn.reading import numbers
from pcmbn.reading.compact import IndicatorTable
from pcmbn.reading.guard import Limits
from pcmbn.reading.sandbox import read_inline
from pcmbn.reading.workbook import CellValue, read_workbook, uncached_formulas
from pcmbn.validation import submission
from pcmbn.validation.submission import ParsedCell, Submission, load_submission, parse_cell

HEADER = ["STT", "Mã chỉ tiêu", "Chỉ tiêu", "Đơn vị tính", "Kỳ này", "Lũy kế từ đầu năm"]
INFO = [
    ["Mã đơn vị", "CA_TINH"],
    ["Mã kế hoạch", "NA-276"],
    ["Kỳ báo cáo", "07/2024"],
    ["Phiên bản biểu mẫu", "1"],
]
#: (code, Kỳ này, Lũy kế): counts and money, clean numbers and every kind of text a clerk types.
ROWS: list[tuple[str, Any, Any]] = [
    ("TT01", 3, 10),  # count, clean
    ("TT02", "1.234", " 12 vụ "),  # count, grouped thousands; a unit word
    ("DT01", 2.5, "-"),  # count with a fraction: refused; a dash for zero
    ("DT02", None, ""),  # blanks
    ("KP01", 1500.25, "1.500"),  # money, clean; ambiguous text (a warning)
    ("KP02", "1,5", "abc"),  # money, decimal comma; not a number
    ("TT03", "1" + "0" * 30, True),  # a count beyond float precision; a boolean
    ("KT03", datetime(2024, 5, 12), -0.0),  # a date typed for a figure; minus zero
    ("TT01", 7, 8),  # a duplicate: read, but the first counts
    ("ZZ99", 4, "4"),  # an unknown code: read as money
]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def workbook(rows: list[tuple[str, Any, Any]] = ROWS) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    sheets = {
        "ThongTin": INFO,
        "ChiTieu": [["Tiêu đề"], [], HEADER]
        + [
            [n, code, "x", "y", period, cumulative]
            for n, (code, period, cumulative) in enumerate(rows)
        ],
        "NhiemVu": [["Mã nhiệm vụ", "Nội dung nhiệm vụ", "Tình trạng"]],
        "KienNghi": [["Khó khăn, vướng mắc"], ["Không."]],
    }
    for name, grid in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(grid, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(row=r, column=c, value=value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("compact") / "BaoCao_CA_TINH.xlsx"
    target.write_bytes(workbook())
    return target


def test_the_table_is_flat_arrays_with_the_layout_once(catalog: Catalog) -> None:
    records = read_workbook(workbook(), catalog.template)
    table = records.table
    assert isinstance(table, IndicatorTable)
    assert (table.sheet, table.code_column, table.period_column, table.cumulative_column) == (
        "ChiTieu",
        2,
        5,
        6,
    )
    assert table.codes == tuple(code for code, _, _ in ROWS)
    assert list(table.rows) == list(range(4, 4 + len(ROWS)))
    assert table.numbers.typecode == "d" and len(table.numbers) == 2 * len(ROWS)
    # Clean numbers live in the float array only; everything else keeps its raw value.
    assert table.numbers[0] == 3 and 0 not in table.raw
    assert table.raw[2] == "1.234" and math.isnan(table.numbers[2])
    assert table.raw[7] == "" and table.raw[12] == "1" + "0" * 30 and table.raw[13] is True
    assert (table.cell(0), table.cell(1), table.code_cell(0)) == ("E4", "F4", "B4")


def test_rows_as_objects_are_derived_from_the_table_and_never_pickled(catalog: Catalog) -> None:
    records = read_workbook(workbook(), catalog.template)
    first = records.indicators[0]
    assert (first.code, first.row, first.code_cell) == ("TT01", 4, "B4")
    assert first.period == CellValue(3, "ChiTieu", "E4")
    assert first.cumulative == CellValue(10, "ChiTieu", "F4")
    assert records.indicators[3].period.blank and records.indicators[3].cumulative.blank
    shipped = pickle.dumps(records, protocol=pickle.HIGHEST_PROTOCOL)
    assert b"IndicatorRow" not in shipped  # only the compact table crosses a pipe
    again = pickle.loads(shipped)
    assert [(r.code, r.period, r.cumulative, r.code_cell) for r in again.indicators] == [
        (r.code, r.period, r.cumulative, r.code_cell) for r in records.indicators
    ]


def test_records_and_figures_pickle_as_plain_tuples(catalog: Catalog, path: Path) -> None:
    """Every file's records cross the sandbox's pipe and its figures the process pool: each
    object is rebuilt from a tuple of its fields (no state dict applied afterwards, pickle's
    BUILD), which costs about half as much both ways."""
    import pickletools

    sub = load_submission(0, path, catalog, Limits(), reader=read_inline)
    for value in (sub.records, sub.records.table if sub.records else None, sub.figures):
        assert value is not None
        shipped = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        assert "BUILD" not in {op.name for op, _, _ in pickletools.genops(shipped)}
        again = pickle.loads(shipped)
        assert pickle.dumps(again, protocol=pickle.HIGHEST_PROTOCOL) == shipped


def test_figures_are_what_parse_cell_gives_for_every_cell(catalog: Catalog, path: Path) -> None:
    """The compact path and the per-cell parser agree on every cell (value, blank, error,
    warning, reading), duplicates and unknown codes included."""
    sub = load_submission(0, path, catalog, Limits(), reader=read_inline)
    assert sub.records is not None and sub.records.table is not None and sub.figures is not None
    for i, row in enumerate(sub.records.indicators):
        indicator = catalog.indicators.get(row.code)
        value_type = indicator.value_type if indicator else "decimal"
        for pos, cell in ((2 * i, row.period), (2 * i + 1, row.cumulative)):
            expected = parse_cell(cell.raw, value_type)
            got = sub.figures.number(pos)
            assert got == expected, (row.code, cell.cell, cell.raw)
            assert type(got.value) is type(expected.value), (row.code, cell.cell)
    assert sub.values["TT01"][0] == ParsedCell(
        CellValue(3, "ChiTieu", "E4"), numbers.ParsedNumber(3)
    )
    assert sub.values["TT03"][0].number.value == 10**30  # exact, not a float
    assert sub.values["KP01"][1].number.warning == "value.ambiguous_decimal"


def test_a_clean_number_never_goes_through_the_text_parser(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts: list[str] = []
    real = numbers._from_text

    def counting(raw: str, value_type: Any) -> Any:
        texts.append(raw)
        return real(raw, value_type)

    monkeypatch.setattr(numbers, "_from_text", counting)
    submission._parse_text.cache_clear()
    rows = [("TT01", 3, 10), ("TT02", 4.0, 12), ("KP01", 1.5, 2.25)]
    target = tmp_path / "BaoCao_CA_TINH.xlsx"
    target.write_bytes(workbook(rows))
    sub = load_submission(0, target, catalog, Limits(), reader=read_inline)
    assert sub.values["KP01"][1].number.value == 2.25
    assert texts == []


def test_a_text_is_parsed_once_per_distinct_text_across_files(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts: list[str] = []
    real = numbers._from_text
    monkeypatch.setattr(numbers, "_from_text", lambda raw, vt: texts.append(raw) or real(raw, vt))
    submission._parse_text.cache_clear()
    rows = [("TT01", "-", "12 vụ"), ("TT02", "-", "12 vụ"), ("DT01", "", "")]
    for n in range(3):
        target = tmp_path / f"BaoCao_{n}.xlsx"
        target.write_bytes(workbook(rows))
        sub = load_submission(n, target, catalog, Limits(), reader=read_inline)
        assert sub.values["TT02"][1].number.value == 12
    assert sorted(texts) == ["", "-", "12 vụ"]  # 3 files × 6 cells: each distinct text once


def test_a_submission_pickles_its_figures_not_the_cells_built_from_them(
    catalog: Catalog, path: Path
) -> None:
    sub = load_submission(0, path, catalog, Limits(), reader=read_inline)
    cells = dict(sub.values)  # built on first use
    shipped = pickle.dumps(sub, protocol=pickle.HIGHEST_PROTOCOL)
    assert b"ParsedCell" not in shipped
    assert pickle.loads(shipped).values == cells


def test_values_set_by_hand_survive_without_figures() -> None:
    sub = Submission(0, Path("x.xlsx"), "0" * 64)
    sub.values["DT01"] = (
        ParsedCell(CellValue(3, "ChiTieu", "E19"), numbers.ParsedNumber(3)),
        ParsedCell(CellValue(9, "ChiTieu", "F19"), numbers.ParsedNumber(9)),
    )
    assert pickle.loads(pickle.dumps(sub)).values["DT01"][1].number.value == 9


def test_uncached_formulas_look_at_cells_not_at_data_validations(catalog: Catalog) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "ChiTieu"
    ws["E2"] = "=1+1"
    from openpyxl.worksheet.datavalidation import DataValidation

    check = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0")
    ws.add_data_validation(check)
    check.add("E3")
    wb.create_sheet("Khac")["A1"] = "=2+2"
    out = io.BytesIO()
    wb.save(out)
    data = out.getvalue()
    assert uncached_formulas(data) == {("ChiTieu", "E2"), ("Khac", "A1")}
    assert uncached_formulas(data, sheets={"ChiTieu"}) == {("ChiTieu", "E2")}
