"""Every quirk of "What people actually send", every hostile kind and every rule, in one batch.

All fixtures are checked in a single `check_files` call (one Great Expectations run); each test
asserts on its own file: status, values read, and the (rule, sheet, cell) of each problem.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from report_fixtures import (
    Batch,
    Fixture,
    add_formula_cache,
    header_row,
    nfd_everything,
    row_of,
    run_batch,
    set_info,
    set_value,
)

from pcmbn.catalog import load_catalog
from pcmbn.report_content import Formula
from pcmbn.template_writer import normalise_zip
from pcmbn.validation.checker import CheckResult, check_files
from pcmbn.validation.frame import Contexts, RowContext, build_frame


def _title_rows(grid):
    g = grid["ChiTieu"]
    g.rows[0:0] = [["BIỂU SỐ LIỆU"] + [None] * 6, ["(kèm công văn)"] + [None] * 6, [None] * 7]
    g.merged = ["A1:G1", "A2:G2"]


def _shuffle_hide_extra_column(grid):
    g = grid["ChiTieu"]
    h = header_row(grid)
    body = g.rows[h + 1 :]
    body.reverse()
    g.rows[h + 1 :] = body
    for row in g.rows[h:]:
        row.insert(2, "Cột thêm")
    g.merged = []
    g.hidden_rows = {h + 4}


def _plain_headers(grid):
    g = grid["ChiTieu"]
    h = header_row(grid)
    g.rows[h] = ["stt", "  MA CHI TIEU ", "chi tieu", "dvt", "KY NAY", "luy ke tu dau nam", "x"]


def _rename_header(label: str, new: str, sheet: str = "ChiTieu"):
    def edit(grid):
        h = header_row(grid, sheet, "Mã chỉ tiêu" if sheet == "ChiTieu" else "Mã nhiệm vụ")
        grid[sheet].rows[h] = [new if v == label else v for v in grid[sheet].rows[h]]

    return edit


def _drop_sheet(name: str):
    def edit(grid):
        del grid[name]

    return edit


def _drop_row(code: str):
    def edit(grid):
        del grid["ChiTieu"].rows[row_of(grid, code)]

    return edit


def _duplicate_row(code: str):
    def edit(grid):
        rows = grid["ChiTieu"].rows
        rows.append(list(rows[row_of(grid, code)]))

    return edit


def _extra_row(code: str):
    def edit(grid):
        grid["ChiTieu"].rows.append([99, code, "Chỉ tiêu lạ", "cái", 1, 1, None])

    return edit


def _extra_task(code: str, status: str = "Hoàn thành"):
    def edit(grid):
        grid["NhiemVu"].rows.append([code, "Nhiệm vụ lạ", status, None, None])

    return edit


def _task_status(status: str):
    def edit(grid):
        grid["NhiemVu"].rows[header_row(grid, "NhiemVu", "Mã nhiệm vụ") + 1][2] = status

    return edit


def _xlsx_bytes_plain() -> bytes:
    buffer = io.BytesIO()
    wb = Workbook()
    wb.active.title = "Sheet1"
    wb.save(buffer)
    return normalise_zip(buffer.getvalue())


def _encrypted() -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(_xlsx_bytes_plain())).encrypt("matkhau", out)
    return out.getvalue()


def _bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("xl/worksheets/sheet1.xml", "w") as handle:
            chunk = b"0" * (1 << 20)
            for _ in range(150):
                handle.write(chunk)
    return out.getvalue()


FIXTURES = [
    # readable quirks
    Fixture("ordinary"),
    Fixture(
        "text_numbers",
        edit=lambda c: c.values.update(
            TT01=("1.234", "1.240"),
            TT02=(" 12 ", " 30 "),
            TT03=("12 vụ", "20 vụ"),
            TT04=("-", "không"),
            TH01=("O", "0"),
        ),
    ),
    Fixture("english_thousands", edit=set_value("TT02", "1,250", "3,750")),
    Fixture("money_ambiguous", edit=set_value("KP01", "1.500", "2.000,5")),
    Fixture("money_decimal_comma", edit=set_value("KP01", "1,5", "4,5")),
    Fixture("title_rows", grid_edit=_title_rows),
    Fixture("title_rows_with_error", edit=set_value("TT01", -3), grid_edit=_title_rows),
    Fixture("shuffled_hidden_extra_column", grid_edit=_shuffle_hide_extra_column),
    Fixture(
        "shuffled_with_error", edit=set_value("DT01", "abc"), grid_edit=_shuffle_hide_extra_column
    ),
    Fixture("header_no_diacritics", grid_edit=_plain_headers),
    Fixture("nfd_unicode", grid_edit=nfd_everything),
    Fixture(
        "formula_cached",
        edit=set_value("TT01", Formula("=2+2")),
        bytes_edit=add_formula_cache("E6", "4"),
    ),
    Fixture("legacy_xls", fmt="xls"),
    Fixture("ods", fmt="ods"),
    Fixture("xlsm", fmt="xlsm"),
    Fixture("period_long_form", edit=set_info(period="Tháng 07 năm 2024")),
    Fixture("period_numeric_form", edit=set_info(period="07/2024")),
    Fixture("period_iso_form", edit=set_info(period="2024-07")),
    # hostile files
    Fixture("pdf_renamed", raw=b"%PDF-1.4\n%%EOF\n"),
    Fixture("text_renamed", raw="Kính gửi Ban Chỉ đạo".encode()),
    Fixture("truncated_zip", raw=_xlsx_bytes_plain()[:900]),
    Fixture("encrypted", raw=_encrypted()),
    Fixture("zip_bomb", raw=_bomb()),
    Fixture("empty_file", raw=b""),
    Fixture("binary_workbook", raw=b"PK\x03\x04", extension=".xlsb"),
    Fixture("csv_file", raw=b"a,b\n1,2\n", extension=".csv"),
    Fixture("empty_workbook", raw=_xlsx_bytes_plain()),
    # one failing case per rule (each passing case is "ordinary" or a quirk above)
    Fixture("sheet_missing", grid_edit=_drop_sheet("KienNghi")),
    Fixture("column_missing", grid_edit=_rename_header("Kỳ này", "Số liệu")),
    Fixture("info_missing", edit=set_info(unit_code=None)),
    Fixture("plan_unknown", edit=set_info(plan_id="KH-KHONG-CO")),
    Fixture("unit_unknown", edit=set_info(unit_code="CA_TINHX")),
    Fixture("period_invalid", edit=set_info(period="Tháng 13/2024")),
    Fixture("period_outside_plan", edit=set_info(period="Tháng 7/2025")),
    Fixture("template_version", edit=set_info(template_version=2)),
    Fixture("indicator_unknown", grid_edit=_extra_row("XX99")),
    Fixture("indicator_duplicate", grid_edit=_duplicate_row("TT01")),
    Fixture("value_missing", edit=set_value("DT01", None)),
    Fixture("value_row_missing", grid_edit=_drop_row("DT02")),
    Fixture("not_applicable_filled", unit="SO_TP", edit=set_value("DT01", 3, 3)),
    Fixture("not_applicable_zero", unit="SO_TP", edit=set_value("DT01", 0, 0)),
    Fixture("not_number", edit=set_value("DT01", "nhiều")),
    Fixture("not_integer", edit=set_value("DT01", "1,5")),
    Fixture("negative", edit=set_value("DT01", -2)),
    Fixture("implausible_count", edit=set_value("DT01", 1e20, 1e20)),
    Fixture("implausible_money", edit=set_value("KP01", 1e308, 1e308)),
    Fixture("implausible_count_400_digits", edit=set_value("DT01", "1" + "0" * 400, "2" * 400)),
    Fixture(
        "at_plausibility_bound",
        edit=lambda c: c.values.update(DT01=(10**7, 10**7), KP01=(1e9, 1e9)),
    ),
    Fixture(
        "child_exceeds_parent",
        edit=lambda c: c.values.update(NN01=(6, 6), NN02=(7, 7), NN03=(2, 2)),
    ),
    Fixture("cumulative_below_period", edit=set_value("DT01", 5, 4)),
    Fixture("formula_no_cache", edit=set_value("DT01", Formula("=1+1"))),
    Fixture("task_unknown", grid_edit=_extra_task("99")),
    Fixture("task_status_invalid", grid_edit=_task_status("Xong rồi")),
]


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Batch:
    folder = tmp_path_factory.mktemp("quirks")
    return run_batch(FIXTURES, folder, load_catalog())


READABLE = [
    "ordinary",
    "text_numbers",
    "english_thousands",
    "money_decimal_comma",
    "title_rows",
    "shuffled_hidden_extra_column",
    "header_no_diacritics",
    "nfd_unicode",
    "formula_cached",
    "legacy_xls",
    "ods",
    "xlsm",
    "period_long_form",
    "period_numeric_form",
    "period_iso_form",
    "not_applicable_zero",
    "at_plausibility_bound",
]


@pytest.mark.parametrize("name", READABLE)
def test_readable_quirks_are_accepted_without_problems(batch: Batch, name: str) -> None:
    report = batch.report(name)
    assert report.problems == [], [p.message for p in report.problems]
    doc = report.to_json()
    assert doc["status"] == "accepted"
    assert doc["unit_code"] in ("CA_TINH", "SO_TP")
    assert doc["plan_id"] == "ST-KH-30-7-2024"
    assert doc["period"] == "2024-07"


@pytest.mark.parametrize(
    "name",
    [
        "ordinary",
        "title_rows",
        "shuffled_hidden_extra_column",
        "header_no_diacritics",
        "nfd_unicode",
        "legacy_xls",
        "ods",
    ],
)
def test_layout_quirks_read_the_same_values(batch: Batch, name: str) -> None:
    assert batch.report(name).values() == batch.report("ordinary").values()
    assert batch.report("ordinary").values()["DT01"] == {"period": 4, "cumulative": 12}
    assert batch.report("ordinary").values()["KP01"] == {"period": 2.5, "cumulative": 7.5}


def test_numbers_typed_as_text(batch: Batch) -> None:
    values = batch.report("text_numbers").values()
    assert values["TT01"] == {"period": 1234, "cumulative": 1240}
    assert values["TT02"] == {"period": 12, "cumulative": 30}
    assert values["TT03"] == {"period": 12, "cumulative": 20}
    assert values["TT04"] == {"period": 0, "cumulative": 0}
    assert values["TH01"] == {"period": 0, "cumulative": 0}
    assert batch.report("english_thousands").values()["TT02"] == {
        "period": 1250,
        "cumulative": 3750,
    }
    assert batch.report("money_decimal_comma").values()["KP01"] == {
        "period": 1.5,
        "cumulative": 4.5,
    }
    assert batch.report("formula_cached").values()["TT01"]["period"] == 4


def test_ambiguous_money_is_read_the_vietnamese_way_with_a_warning(batch: Batch) -> None:
    report = batch.report("money_ambiguous")
    assert report.status == "accepted"
    assert report.values()["KP01"] == {"period": 1500.0, "cumulative": 2000.5}
    assert batch.problems("money_ambiguous") == {("value.ambiguous_decimal", "ChiTieu", "E41")}
    assert report.problems[0].severity == "warning"


def test_errors_map_to_shifted_cells(batch: Batch) -> None:
    """Title rows push the table down; an inserted column pushes values right."""
    assert batch.problems("title_rows_with_error") == {("value.negative", "ChiTieu", "E9")}
    shuffled = batch.problems("shuffled_with_error")
    assert len(shuffled) == 1
    rule, sheet, cell = next(iter(shuffled))
    assert (rule, sheet) == ("value.not_number", "ChiTieu")
    assert cell is not None and cell.startswith("F")  # one extra column before Kỳ này


HOSTILE = {
    "pdf_renamed": "file.not_workbook",
    "text_renamed": "file.not_workbook",
    "truncated_zip": "file.corrupt",
    "encrypted": "file.encrypted",
    "zip_bomb": "file.zip_bomb",
    "empty_file": "file.empty",
    "binary_workbook": "file.unsupported_format",
    "csv_file": "file.unsupported_format",
}


@pytest.mark.parametrize(("name", "rule"), sorted(HOSTILE.items()))
def test_hostile_files_are_rejected_file_level(batch: Batch, name: str, rule: str) -> None:
    report = batch.report(name)
    assert report.status == "rejected"
    assert batch.problems(name) == {(rule, None, None)}
    assert report.to_json()["values"] == {}
    assert report.problems[0].message and "{" not in report.problems[0].message


def test_unsupported_format_names_the_accepted_ones(batch: Batch) -> None:
    message = batch.report("binary_workbook").problems[0].message
    assert ".xlsb" in message and ".xlsx" in message and ".ods" in message


def test_encrypted_is_named_as_such(batch: Batch) -> None:
    assert "mật khẩu" in batch.report("encrypted").problems[0].message


def test_empty_workbook_lacks_every_sheet(batch: Batch) -> None:
    assert batch.problems("empty_workbook") == {("sheet.missing", None, None)}
    assert len(batch.report("empty_workbook").problems) == 4


RULE_CASES = {
    "sheet_missing": {("sheet.missing", None, None)},
    "column_missing": {("column.missing", "ChiTieu", None)},
    "info_missing": {("info.missing", "ThongTin", "B4")},
    "plan_unknown": {("plan.unknown", "ThongTin", "B6")},
    "unit_unknown": {("unit.unknown", "ThongTin", "B4")},
    "period_invalid": {("period.invalid", "ThongTin", "B7")},
    "period_outside_plan": {("period.outside_plan", "ThongTin", "B7")},
    "template_version": {("template.version", "ThongTin", "B12")},
    "indicator_unknown": {("indicator.unknown", "ChiTieu", "B43")},
    "indicator_duplicate": {
        ("indicator.duplicate", "ChiTieu", "B6"),
        ("indicator.duplicate", "ChiTieu", "B43"),
    },
    "value_missing": {("value.missing", "ChiTieu", "E19")},
    "value_row_missing": {("value.missing", "ChiTieu", None)},
    "not_applicable_filled": {
        ("value.not_applicable", "ChiTieu", "E19"),
        ("value.not_applicable", "ChiTieu", "F19"),
    },
    "not_number": {("value.not_number", "ChiTieu", "E19")},
    "not_integer": {("value.not_integer", "ChiTieu", "E19")},
    "negative": {("value.negative", "ChiTieu", "E19")},
    "implausible_count": {
        ("value.implausible", "ChiTieu", "E19"),
        ("value.implausible", "ChiTieu", "F19"),
    },
    "implausible_money": {
        ("value.implausible", "ChiTieu", "E41"),
        ("value.implausible", "ChiTieu", "F41"),
    },
    "implausible_count_400_digits": {
        ("value.implausible", "ChiTieu", "E19"),
        ("value.implausible", "ChiTieu", "F19"),
    },
    "child_exceeds_parent": {
        ("value.child_exceeds_parent", "ChiTieu", "E32"),
        ("value.child_exceeds_parent", "ChiTieu", "F32"),
    },
    "cumulative_below_period": {("value.cumulative_below_period", "ChiTieu", "F19")},
    "formula_no_cache": {("value.formula_no_cache", "ChiTieu", "E19")},
    "task_unknown": {("task.unknown", "NhiemVu", "C6")},
    "task_status_invalid": {("task.status_invalid", "NhiemVu", "C4")},
}
WARNINGS_ONLY = {"not_applicable_filled", "task_unknown"}


@pytest.mark.parametrize("name", sorted(RULE_CASES))
def test_each_rule_fails_at_its_cell(batch: Batch, name: str) -> None:
    assert batch.problems(name) == RULE_CASES[name]
    report = batch.report(name)
    expected = "accepted" if name in WARNINGS_ONLY else "rejected"
    assert report.status == expected
    for problem in report.problems:
        assert "{" not in problem.message, problem.message


def test_child_exceeds_parent_message_reads_as_specified(batch: Batch) -> None:
    message = batch.report("child_exceeds_parent").problems[0].message
    assert message == (
        "Ô ChiTieu!E32 (NN02 – Trong đó: trẻ em dưới 16 tuổi, Kỳ này) = 7 lớn "
        "hơn NN01 (Kỳ này) = 6."
    )


def test_implausible_message_names_the_value_and_the_bound(batch: Batch) -> None:
    messages = [p.message for p in batch.report("implausible_money").problems]
    assert messages[0] == (
        "Ô ChiTieu!E41 (KP01 – Kinh phí được cấp trong kỳ, Kỳ này) = 1 × 10^308 lớn bất thường, "
        "vượt giới hạn hợp lý 1.000.000.000 triệu đồng của chỉ tiêu này; có thể gõ nhầm hoặc "
        "thừa chữ số. Hãy kiểm tra và sửa lại số liệu rồi gửi lại."
    )
    count = batch.report("implausible_count").problems[0].message
    assert "= 1 × 10^20 " in count and "10.000.000 vụ" in count


def test_every_suite_rule_has_a_failing_case() -> None:
    from pcmbn.validation.suite import SUITE_RULES

    covered = {rule for cases in RULE_CASES.values() for rule, _, _ in cases}
    covered |= {"value.ambiguous_decimal"}
    own_tests = {"unit.inactive", "value.cumulative_discontinuity", "value.outlier"}
    assert covered == set(SUITE_RULES) - own_tests  # those have their own tests below


def test_history_rules_continuity_and_outlier(tmp_path: Path) -> None:
    from pcmbn.validation.history import HistoryContext

    history = HistoryContext(
        previous_cumulative={("CA_TINH", "DT01"): 10.0, ("CA_TINH", "TT01"): 8.0},
        bounds={("CA_TINH", "DT02"): (0.0, 3.0), ("CA_TINH", "DT03"): (0.0, 9.0)},
    )
    # valid_content gives every count 4 this month and 12 cumulative
    batch = run_batch([Fixture("with_history")], tmp_path, load_catalog(), history=history)
    problems = batch.problems("with_history")
    assert problems == {
        ("value.cumulative_discontinuity", "ChiTieu", "F19"),  # DT01: 10 + 4 = 14, not 12
        ("value.outlier", "ChiTieu", "E20"),  # DT02 = 4, above its usual 0–3
    }  # TT01: 8 + 4 = 12 as reported; DT03 = 4 within 0–9
    report = batch.report("with_history")
    assert report.status == "accepted"  # both are warnings
    message = next(p.message for p in report.problems if p.cell == "F19")
    assert "10" in message and "14" in message and "-2" in message


def test_unit_inactive_in_period(schemas_copy: Path, tmp_path: Path) -> None:
    path = schemas_copy / "units" / "units-soc-trang-2024.csv"
    text = path.read_text(encoding="utf-8").replace(
        "CA_TINH,Công an tỉnh,CA,province_department,2020-01-01,2025-06-30",
        "CA_TINH,Công an tỉnh,CA,province_department,2024-09-01,2025-06-30",
    )
    path.write_text(text, encoding="utf-8")
    catalog = load_catalog(schemas_copy)
    batch = run_batch([Fixture("unit_inactive")], tmp_path, catalog)
    assert batch.problems("unit_inactive") == {("unit.inactive", "ThongTin", "B4")}
    assert "01/09/2024" in batch.report("unit_inactive").problems[0].message


def test_corrected_workbook_passes(tmp_path: Path) -> None:
    """A rejected file, fixed as its message asks, is accepted."""
    catalog = load_catalog()
    bad = Fixture("bao_cao", edit=lambda c: c.values.update(NN01=(6, 6), NN02=(7, 7), NN03=(2, 2)))
    first = run_batch([bad], tmp_path / "v1", catalog)
    assert first.report("bao_cao").status == "rejected"
    [problem] = [p for p in first.report("bao_cao").problems if p.cell == "E32"]
    assert "lớn hơn NN01" in problem.message
    fixed = Fixture(
        "bao_cao", edit=lambda c: c.values.update(NN01=(6, 6), NN02=(6, 6), NN03=(2, 2))
    )
    second = run_batch([fixed], tmp_path / "v2", catalog)
    assert second.report("bao_cao").status == "accepted"
    assert second.report("bao_cao").problems == []


def test_one_run_reports_every_file(batch: Batch) -> None:
    assert len(batch.result.reports) == len(FIXTURES)


def test_json_contract_shape(batch: Batch) -> None:
    document = batch.result.to_json()
    assert set(document) == {"files"}
    for item in document["files"]:
        assert set(item) == {
            "path",
            "sha256",
            "status",
            "unit_code",
            "plan_id",
            "period",
            "values",
            "problems",
            "history_rules_skipped",
        }
        assert item["status"] in ("accepted", "rejected")
        assert len(item["sha256"]) == 64
        for problem in item["problems"]:
            assert set(problem) == {"severity", "sheet", "cell", "rule", "message"}
            assert problem["severity"] in ("error", "warning")
            assert problem["cell"] is None or "$" not in problem["cell"]


def _every_problem(result: CheckResult) -> list[list[tuple[str, str | None, str | None, str]]]:
    return [[(p.rule, p.sheet, p.cell, p.message) for p in r.problems] for r in result.reports]


def test_batch_sizes_1_and_1000_give_the_same_problems(batch: Batch) -> None:
    """Issue 15's acceptance: every fixture (every quirk, hostile kind and rule) checked one
    file per GE run and all in one run reports the same (rule, sheet, cell) and message, in
    the same order, with and without history."""
    from pcmbn.validation.history import HistoryContext

    catalog = load_catalog()
    paths = list(batch.paths.values())
    history = HistoryContext(
        previous_cumulative={("CA_TINH", "DT01"): 10.0},
        bounds={("CA_TINH", "DT02"): (0.0, 3.0)},
    )
    for context in (None, history):
        single = check_files(paths, catalog, history=context, batch_size=1)
        thousand = check_files(paths, catalog, history=context, batch_size=1000)
        assert _every_problem(single) == _every_problem(thousand)
        assert [r.status for r in single.reports] == [r.status for r in thousand.reports]
    assert _every_problem(thousand) != _every_problem(batch.result)  # the history counted
    plain = check_files(paths, catalog, batch_size=1000)
    assert _every_problem(plain) == _every_problem(batch.result)
    assert sum(len(r.problems) for r in batch.result.reports) > 40


def test_huge_figure_with_history_does_not_stop_the_batch(tmp_path: Path) -> None:
    """A 400-digit count beside a unit with a previous cumulative used to raise OverflowError
    while the continuity figures were computed, failing every file of the run; now the figure
    is value.implausible and continuity is not judged on a figure beyond float range."""
    from pcmbn.validation.history import HistoryContext

    history = HistoryContext(previous_cumulative={("CA_TINH", "DT01"): 10.0})
    huge = Fixture("huge_with_history", edit=set_value("DT01", "1" + "0" * 400, "2" * 400))
    batch = run_batch([huge, Fixture("ordinary")], tmp_path, load_catalog(), history=history)
    rules = {rule for rule, _, _ in batch.problems("huge_with_history")}
    assert "value.implausible" in rules
    assert "value.cumulative_discontinuity" not in rules
    assert batch.report("ordinary").status == "accepted"


def _one_by_one(sub):
    """The submission without its compact figures (its `values` kept): the frame then adds its
    value rows one `RowContext` at a time, as before it was built column-wise."""
    import copy

    clone = copy.copy(sub)
    clone.values = dict(sub.values)
    clone.figures = None
    return clone


def test_value_rows_built_column_wise_equal_the_rows_built_one_by_one(batch: Batch) -> None:
    """Issue 15 item 3: the frame's value rows come from each file's compact figures as column
    arrays; every column and every row's context (file, sheet, cell, order, message parameters)
    is what one row at a time gives, for every fixture, with and without history."""
    import pandas as pd

    from pcmbn.validation.history import HistoryContext

    catalog = load_catalog()
    subs = [r.submission for r in batch.result.reports if r.submission.readable]
    assert sum(s.figures is not None for s in subs) > 30
    history = HistoryContext(
        previous_cumulative={("CA_TINH", "DT01"): 10.0, ("CA_TINH", "DT02"): 1.5},
        bounds={("CA_TINH", "DT02"): (0.0, 3.0), ("CA_TINH", "NN01"): (1.0, 2.0)},
    )
    for context in (None, history):
        frame, contexts = build_frame(subs, catalog, context)
        plain, plain_contexts = build_frame([_one_by_one(s) for s in subs], catalog, context)
        pd.testing.assert_frame_equal(frame, plain)
        assert len(contexts) == len(plain_contexts) == len(frame)
        got = [(c.file_index, c.sheet, c.cell, c.order, c.params) for c in contexts]
        want = [(c.file_index, c.sheet, c.cell, c.order, c.params) for c in plain_contexts]
        assert got == want


def test_value_row_contexts_are_made_only_for_the_rows_asked_for(batch: Batch) -> None:
    """Message parameters (and the contexts that carry them) only for failing rows: building
    the frame makes no context for a value row; asking for one makes that one."""
    catalog = load_catalog()
    subs = [r.submission for r in batch.result.reports if r.submission.readable]
    frame, contexts = build_frame(subs, catalog)
    assert isinstance(contexts, Contexts)
    blocks = [item for item in contexts._items if not isinstance(item, RowContext)]
    assert len(blocks) > 30 and all(not block.made for block in blocks)
    value = int(frame.loc[frame["kind"] == "value", "row_id"].iloc[0])
    assert contexts[value] is contexts[value]
    assert sum(len(block.made) for block in blocks) == 1
