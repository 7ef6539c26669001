"""Hostile and ambiguous workbooks (issue 19): fixtures built here, one quirk each.

The guard refuses layouts that crash or explode the native reader before it runs; the sandbox
keeps a reader crash to its own file; the reader counts what the clerk sees (one sheet per
folded name, no hidden sheet or identification row deciding anything).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hostile_files import (
    HEADER,
    ODS_TEXT,
    ods,
    ods_repeated,
    rewrite,
    sheets,
    xls,
    xls_far,
    xls_many_records,
    xlsx,
)

from pcmbn.catalog import load_catalog
from pcmbn.reading.guard import Admitted, Limits, Refused, inspect_file
from pcmbn.reading.sandbox import ReaderCrashed, ReaderLimits, ReaderPool
from pcmbn.reading.workbook import read_workbook
from pcmbn.settings import Settings
from pcmbn.validation.submission import load_submissions


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def too_complex(result: Admitted | Refused) -> str:
    assert isinstance(result, Refused), result
    assert result.rule == "file.too_complex", result
    return result.params["detail"]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


# --- guard: layouts that crash or explode the native reader ---------------------------------------


def test_text_cell_at_xfd1048576_is_refused_before_reading(tmp_path) -> None:
    path = write(tmp_path, "xa.xlsx", xlsx(sheets(), far={"ChiTieu": "XFD1048576"}))
    assert "XFD1048576" in too_complex(inspect_file(path))


def test_cells_without_addresses_are_placed_like_the_reader_places_them(tmp_path) -> None:
    cells = b'<c t="inlineStr"><is><t>x</t></is></c>' * 300  # 300 columns, no `r`
    data = rewrite(
        xlsx(sheets()),
        "xl/worksheets/sheet2.xml",
        lambda xml: xml.replace(b"</sheetData>", b"<row>" + cells + b"</row></sheetData>"),
    )
    assert "ngoài vùng" in too_complex(inspect_file(write(tmp_path, "r.xlsx", data)))


def test_styled_empty_cells_and_a_huge_dimension_are_not_refused(tmp_path) -> None:
    # calamine allocates by cells with content only (checked): Excel's formatted ranges pass.
    def edit(xml: bytes) -> bytes:
        xml = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', xml)
        return xml.replace(
            b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" s="0"/></row></sheetData>'
        )

    data = rewrite(xlsx(sheets()), "xl/worksheets/sheet2.xml", edit)
    assert isinstance(inspect_file(write(tmp_path, "dinh-dang.xlsx", data)), Admitted)


def test_xls_cell_at_the_last_biff8_cell_is_refused(tmp_path) -> None:
    assert "IV65536" in too_complex(inspect_file(write(tmp_path, "xa.xls", xls_far())))


@pytest.mark.timeout(60)
def test_check_of_a_fifo_does_not_block(tmp_path, catalog) -> None:
    fifo = tmp_path / "BaoCao_X.xlsx"
    os.mkfifo(fifo)
    [sub] = load_submissions([(0, fifo, None)], catalog, Limits())
    assert sub.refusal is not None and sub.refusal.rule == "file.not_regular"


def test_too_many_sheets_are_refused(tmp_path) -> None:
    book = {f"Trang{i}": [["x"]] for i in range(60)}
    assert "60 trang tính" in too_complex(inspect_file(write(tmp_path, "60.xlsx", xlsx(book))))


def test_sheets_sharing_one_part_are_refused(tmp_path) -> None:
    def edit(rels: bytes) -> bytes:
        return rels.replace(b"worksheets/sheet2.xml", b"worksheets/sheet1.xml")

    data = rewrite(xlsx(sheets()), "xl/_rels/workbook.xml.rels", edit)
    detail = too_complex(inspect_file(write(tmp_path, "chung.xlsx", data)))
    assert '"ThongTin"' in detail and '"ChiTieu"' in detail


def test_ods_repeated_row_of_repeated_cells_is_refused(tmp_path) -> None:
    data = ods_repeated(1500, 1500)
    assert "cột" in too_complex(inspect_file(write(tmp_path, "lap.ods", data)))


def test_ods_many_valued_cells_within_bounds_are_refused(tmp_path) -> None:
    data = ods_repeated(4000, 150)
    assert "ô có dữ liệu" in too_complex(inspect_file(write(tmp_path, "nhieu.ods", data)))


def test_ods_content_after_a_million_empty_rows_is_refused(tmp_path) -> None:
    body = (
        '<table:table table:name="ChiTieu"><table:table-row table:number-rows-repeated="1048575">'
        '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
        "<table:table-row>" + ODS_TEXT.format("x") + "</table:table-row></table:table>"
    )
    too_complex(inspect_file(write(tmp_path, "xa.ods", ods(body))))


def test_ods_trailing_empty_repeats_as_libreoffice_writes_them_pass(tmp_path) -> None:
    body = (
        '<table:table table:name="ChiTieu"><table:table-row>' + ODS_TEXT.format("x") + ""
        '<table:table-cell table:number-columns-repeated="1023"/></table:table-row>'
        '<table:table-row table:number-rows-repeated="1048575">'
        '<table:table-cell table:number-columns-repeated="1024"/></table:table-row></table:table>'
    )
    assert isinstance(inspect_file(write(tmp_path, "thuong.ods", ods(body))), Admitted)


def test_hidden_rows_are_reported_for_xlsx_and_ods(tmp_path) -> None:
    data = xlsx(sheets(), hidden_rows={"ThongTin": {1}})
    layout = inspect_file(write(tmp_path, "an.xlsx", data)).layout
    assert layout is not None and layout.hidden_rows == {"ThongTin": frozenset({1})}
    body = (
        '<table:table table:name="ThongTin"><table:table-row>' + ODS_TEXT.format("a") + ""
        '</table:table-row><table:table-row table:visibility="collapse" '
        'table:number-rows-repeated="2">'
        + ODS_TEXT.format("b")
        + "</table:table-row></table:table>"
    )
    layout = inspect_file(write(tmp_path, "an.ods", ods(body))).layout
    assert layout is not None and layout.hidden_rows == {"ThongTin": frozenset({2, 3})}


def test_bounds_are_limits(tmp_path) -> None:
    path = write(tmp_path, "ok.xlsx", xlsx(sheets()))
    assert isinstance(inspect_file(path), Admitted)
    assert "ngoài vùng" in too_complex(inspect_file(path, Limits(max_rows=1)))


# --- sandbox: a reader crash costs only its own file ----------------------------------------------


@pytest.mark.timeout(120)
def test_batch_survives_a_file_that_crashes_the_native_reader(tmp_path, catalog) -> None:
    good = write(tmp_path, "BaoCao_CA_TINH.xlsx", xlsx(sheets()))
    bad = write(tmp_path, "BaoCao_XA.xlsx", xlsx(sheets(), far={"ChiTieu": "XFD1048576"}))
    also_good = write(tmp_path, "BaoCao_BP_TINH.xlsx", xlsx(sheets()))
    # Limits wide enough to let the bad file past the guard: the sandbox alone must hold.
    wide = Limits(max_rows=2_000_000, max_columns=20_000)
    items = [(0, good, None), (1, bad, None), (2, also_good, None)]
    subs = load_submissions(items, catalog, wide)
    assert [s.refusal is None for s in subs] == [True, False, True]
    crashed = subs[1].refusal
    assert crashed.rule == "file.reader_crashed" and crashed.params["name"] == "BaoCao_XA.xlsx"
    message = catalog.rule("file.reader_crashed").render(**crashed.params)
    assert "BaoCao_XA.xlsx" in message and "{" not in message
    assert subs[0].unit_code == subs[2].unit_code == "CA_TINH"
    assert subs[0].values["DT01"][0].number.value == 3


@pytest.mark.timeout(120)
def test_pool_replaces_a_dead_worker_and_reports_why(tmp_path, catalog) -> None:
    pool = ReaderPool(workers=1)
    try:
        bad = write(tmp_path, "xa.xlsx", xlsx(sheets(), far={"ChiTieu": "XFD1048576"}))
        with pytest.raises(ReaderCrashed) as crash:
            pool.read(bad, catalog.template, None)
        assert crash.value.detail and crash.value.log
        good = write(tmp_path, "ok.xlsx", xlsx(sheets()))
        records = pool.read(good, catalog.template, None)
        assert [row.code for row in records.indicators] == ["DT01"]
    finally:
        pool.close()


@pytest.mark.timeout(120)
def test_a_worker_over_its_wall_time_is_stopped(tmp_path, catalog) -> None:
    pool = ReaderPool(workers=1, limits=ReaderLimits(wall_seconds=0.0001))
    try:
        with pytest.raises(ReaderCrashed) as crash:
            pool.read(write(tmp_path, "ok.xlsx", xlsx(sheets())), catalog.template, None)
        assert "giây" in crash.value.detail
    finally:
        pool.close()


def test_inline_reading_can_be_chosen(tmp_path, catalog, monkeypatch) -> None:
    monkeypatch.setenv("PCMBN_READER", "inline")
    path = write(tmp_path, "ok.xlsx", xlsx(sheets()))
    settings = Settings.from_env()  # the entry point reads PCMBN_READER and passes it down
    [sub] = load_submissions([(0, path, None)], catalog, Limits(), settings=settings)
    assert sub.unit_code == "CA_TINH"


# --- one sheet, one row, one unit -----------------------------------------------------------------


def rules(records) -> list[tuple[str, str | None, str | None]]:
    return [(p.rule, p.sheet, p.cell) for p in records.problems]


def test_two_sheets_folding_alike_are_an_error_naming_both(catalog) -> None:
    book = sheets()
    book["Chỉ Tiêu"] = [HEADER, [1, "DT01", "Số vụ", "vụ", 40, 50]]
    records = read_workbook(xlsx(book), catalog.template)
    [problem] = [p for p in records.problems if p.rule == "sheet.duplicate"]
    assert problem.params == {"sheet": "ChiTieu", "other": "Chỉ Tiêu"}
    assert records.indicators[0].period.raw == 3  # the first visible one is read


def test_very_hidden_sheet_is_never_read_instead_of_the_visible_one(catalog) -> None:
    book = {"CHI TIEU": [HEADER, [1, "DT01", "Số vụ", "vụ", 99, 99]], **sheets()}
    records = read_workbook(xlsx(book, states={"CHI TIEU": "veryHidden"}), catalog.template)
    assert records.indicator_sheet == "ChiTieu"
    assert records.indicators[0].period.raw == 3
    [problem] = [p for p in records.problems if p.rule == "sheet.duplicate"]
    assert problem.params == {"sheet": "ChiTieu", "other": "CHI TIEU"}


def test_a_hidden_required_sheet_is_an_error(catalog) -> None:
    records = read_workbook(xlsx(sheets(), states={"ChiTieu": "hidden"}), catalog.template)
    assert ("sheet.hidden", "ChiTieu", None) in rules(records)


def test_hidden_row_with_another_units_code_does_not_decide_the_unit(tmp_path, catalog) -> None:
    info = [["Mã đơn vị", "BP_TINH"], ["Mã đơn vị", "CA_TINH"], ["Kỳ báo cáo", "07/2024"]]
    path = write(tmp_path, "an.xlsx", xlsx(sheets(ThongTin=info), hidden_rows={"ThongTin": {1}}))
    verdict = inspect_file(path)
    records = read_workbook(path.read_bytes(), catalog.template, verdict.layout)
    assert records.info["unit_code"].raw == "CA_TINH"
    assert ("info.hidden_row", "ThongTin", "B1") in rules(records)
    assert ("info.duplicate", "ThongTin", "B2") in rules(records)


def test_duplicated_identification_label_is_an_error(catalog) -> None:
    info = [["Mã đơn vị", "CA_TINH"], ["Kỳ báo cáo", "07/2024"], ["Kỳ báo cáo", "08/2024"]]
    records = read_workbook(xlsx(sheets(ThongTin=info)), catalog.template)
    [problem] = [p for p in records.problems if p.rule == "info.duplicate"]
    assert problem.params == {"cell": "B3", "label": "Kỳ báo cáo", "other": "B2"}


@pytest.mark.timeout(300)
@pytest.mark.slow
def test_checker_rejects_each_ambiguity_with_its_rule(tmp_path, catalog) -> None:
    from pcmbn.validation.checker import check_files

    twin = sheets()
    twin["Chỉ Tiêu"] = [HEADER, [1, "DT01", "Số vụ", "vụ", 40, 50]]
    info = [["Mã đơn vị", "BP_TINH"], ["Mã đơn vị", "CA_TINH"], ["Kỳ báo cáo", "07/2024"]]
    files = {
        "twin.xlsx": (xlsx(twin), "sheet.duplicate"),
        "hidden.xlsx": (xlsx(sheets(), states={"ChiTieu": "hidden"}), "sheet.hidden"),
        "row.xlsx": (xlsx(sheets(ThongTin=info), hidden_rows={"ThongTin": {1}}), "info.hidden_row"),
        "far.xlsx": (xlsx(sheets(), far={"ChiTieu": "XFD1048576"}), "file.too_complex"),
    }
    paths = [write(tmp_path, name, data) for name, (data, _) in files.items()]
    result = check_files(paths, catalog)
    for report, (name, (_, rule)) in zip(result.reports, files.items(), strict=True):
        found = {p.rule for p in report.problems}
        assert report.status == "rejected", name
        assert rule in found, (name, found)
        assert all("{" not in p.message for p in report.problems)
    assert os.environ.get("PCMBN_READER", "isolated") != "inline"


def test_ods_hidden_identification_row_does_not_decide_the_unit(tmp_path, catalog) -> None:
    def row(*values: str, hidden: bool = False) -> str:
        opening = '<table:table-row table:visibility="collapse">' if hidden else "<table:table-row>"
        return opening + "".join(ODS_TEXT.format(v) for v in values) + "</table:table-row>"

    body = (
        '<table:table table:name="ThongTin">'
        + row("Mã đơn vị", "BP_TINH", hidden=True)
        + row("Mã đơn vị", "CA_TINH")
        + row("Kỳ báo cáo", "07/2024")
        + "</table:table>"
    )
    path = write(tmp_path, "an.ods", ods(body))
    records = read_workbook(path.read_bytes(), catalog.template, inspect_file(path).layout)
    assert records.info["unit_code"].raw == "CA_TINH"
    assert ("info.hidden_row", "ThongTin", "B1") in rules(records)


# --- .xls: hidden rows read from the BIFF ROW records (calamine does not say) --------------------


def test_xls_hidden_rows_are_reported(tmp_path) -> None:
    data = xls(
        sheets(**{"Chỉ Tiêu": [["x"], ["y"]]}), hidden_rows={"ThongTin": {2}, "Chỉ Tiêu": {1}}
    )
    layout = inspect_file(write(tmp_path, "an.xls", data)).layout
    assert layout is not None
    assert layout.hidden_rows == {"ThongTin": frozenset({2}), "Chỉ Tiêu": frozenset({1})}
    plain = inspect_file(write(tmp_path, "thuong.xls", xls(sheets()))).layout
    assert plain is not None and plain.hidden_rows == {}


def test_xls_hidden_row_with_another_units_code_does_not_decide_the_unit(tmp_path, catalog) -> None:
    info = [["Mã đơn vị", "BP_TINH"], ["Mã đơn vị", "CA_TINH"], ["Kỳ báo cáo", "07/2024"]]
    path = write(tmp_path, "an.xls", xls(sheets(ThongTin=info), hidden_rows={"ThongTin": {1}}))
    records = read_workbook(path.read_bytes(), catalog.template, inspect_file(path).layout)
    assert records.info["unit_code"].raw == "CA_TINH"
    assert ("info.hidden_row", "ThongTin", "B1") in rules(records)


def _biff(kind: int, body: bytes) -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def _biff_book(sheet_bodies: list[bytes], names: list[str], offsets: list[int] | None = None):
    """A bare BIFF8 workbook stream: globals (BOF, BOUNDSHEETs, EOF), then each sheet's
    substream (BOF, records, EOF); `offsets` overrides where the BOUNDSHEETs point."""
    bof = _biff(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0))
    sheet_bof = _biff(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0, 0, 0, 0))
    eof = _biff(0x000A, b"")

    def boundsheet(offset: int, name: str) -> bytes:
        return _biff(0x0085, struct.pack("<IBBBB", offset, 0, 0, len(name), 0) + name.encode())

    globals_size = len(bof) + sum(len(boundsheet(0, n)) for n in names) + len(eof)
    starts, position = [], globals_size
    for body in sheet_bodies:
        starts.append(position)
        position += len(sheet_bof) + len(body) + len(eof)
    head = bof + b"".join(boundsheet(o, n) for o, n in zip(offsets or starts, names, strict=True))
    return head + eof + b"".join(sheet_bof + body + eof for body in sheet_bodies)


def _number(row: int, column: int) -> bytes:
    return _biff(0x0203, struct.pack("<HHHd", row, column, 15, 1.0))


def test_xls_rows_hidden_by_default_count_when_they_have_no_row_record() -> None:
    from pcmbn.reading.guard import _biff_census, _Census

    hidden_by_default = _biff(0x0225, struct.pack("<HH", 0x0002, 0))
    visible_row = _biff(0x0208, struct.pack("<HHHHHHHH", 2, 0, 2, 255, 0, 0, 0x0100, 15))
    body = hidden_by_default + visible_row + _number(1, 0) + _number(2, 0)
    layout = _biff_census(_biff_book([body], ["ThongTin"]), _Census(Limits()))
    assert layout.hidden_rows == {"ThongTin": frozenset({2})}  # row 3 has a visible ROW record


def test_xls_sheet_pointing_off_the_record_chain_or_at_another_sheet_is_refused(tmp_path) -> None:
    from pcmbn.reading.guard import _biff_census, _Census, _Stop

    bodies = [_number(0, 0), _number(0, 0)]
    good = _biff_book(bodies, ["ThongTin", "ChiTieu"])
    assert _biff_census(good, _Census(Limits())).hidden_rows == {}
    first = struct.unpack_from("<I", good, 4 + 16 + 4)[0]
    for offsets, rule in (
        ([first, first + 3], "file.corrupt"),
        ([first, first], "file.too_complex"),
    ):
        with pytest.raises(_Stop) as stop:
            _biff_census(_biff_book(bodies, ["ThongTin", "ChiTieu"], offsets), _Census(Limits()))
        assert stop.value.refused.rule == rule


def test_xls_with_more_records_than_any_report_needs_is_refused(tmp_path) -> None:
    path = write(tmp_path, "nhieu.xls", xls_many_records(megabytes=1))  # 262,144 empty records
    assert "quá nhiều bản ghi" in too_complex(inspect_file(path, Limits(max_cells=100_000)))
    assert isinstance(inspect_file(path, Limits(max_cells=200_000)), Admitted)


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_xls_saved_by_libreoffice_reports_its_hidden_rows(tmp_path, catalog) -> None:
    """The BIFF parser agrees with a real office suite's .xls (not only with xlwt's)."""
    if _soffice() is None:
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail("LibreOffice (soffice) is missing; CI installs libreoffice-calc-nogui")
        pytest.skip("LibreOffice (soffice) is not installed; CI installs libreoffice-calc-nogui")
    info = [["Mã đơn vị", "BP_TINH"], ["Mã đơn vị", "CA_TINH"], ["Kỳ báo cáo", "07/2024"]]
    source = write(tmp_path, "an.xlsx", xlsx(sheets(ThongTin=info), hidden_rows={"ThongTin": {1}}))
    subprocess.run(
        [
            _soffice() or "soffice",
            f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
            "--headless",
            "--convert-to",
            "xls:MS Excel 97",
            "--outdir",
            str(tmp_path / "lo"),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    converted = tmp_path / "lo" / "an.xls"
    verdict = inspect_file(converted)
    assert isinstance(verdict, Admitted) and verdict.format == "xls"
    assert verdict.layout is not None and verdict.layout.hidden_rows == {"ThongTin": frozenset({1})}
    records = read_workbook(converted.read_bytes(), catalog.template, verdict.layout)
    assert records.info["unit_code"].raw == "CA_TINH"
    assert ("info.hidden_row", "ThongTin", "B1") in rules(records)


@pytest.mark.timeout(120)
def test_the_bench_builds_its_hostile_files_with_these_builders(tmp_path) -> None:
    """`make bench` (run from the repository root) imports the builders above and times the
    files they give: each worst file is refused by the guard, the widest allowed one admitted."""
    from pcmbn.settings import PROJECT_ROOT

    out = tmp_path / "bench"
    subprocess.run(
        [sys.executable, "-m", "bench.phases", "hostile-data", str(out), "0"],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
        timeout=100,
    )
    verdicts = {path.name: inspect_file(path) for path in out.iterdir()}
    assert {name: getattr(v, "rule", "admitted") for name, v in verdicts.items()} == {
        "thuong.xlsx": "admitted",
        "xa.xlsx": "file.too_complex",
        "xa.xls": "file.too_complex",
        "nhieu-ban-ghi.xls": "file.too_complex",
        "chung.xlsx": "file.too_complex",
        "lap.ods": "file.too_complex",
        "nhieu.ods": "file.too_complex",
        "rong.xlsx": "admitted",
    }
    assert (out / "xa.xls").read_bytes() == xls_far()
    content = zipfile.ZipFile(io.BytesIO(ods_repeated(1500, 1500))).read("content.xml")
    assert zipfile.ZipFile(out / "lap.ods").read("content.xml") == content
