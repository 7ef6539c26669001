"""Hostile and ambiguous workbooks (issue 19): fixtures built here, one quirk each.

The guard refuses layouts that crash or explode the native reader before it runs; the sandbox
keeps a reader crash to its own file; the reader counts what the clerk sees (one sheet per
folded name, no hidden sheet or identification row deciding anything).
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from pcmbn.catalog import load_catalog
from pcmbn.reading.guard import Admitted, Limits, Refused, inspect_file
from pcmbn.reading.sandbox import ReaderCrashed, ReaderLimits, ReaderPool
from pcmbn.reading.workbook import read_workbook
from pcmbn.settings import Settings
from pcmbn.validation.submission import load_submissions

HEADER = ["STT", "Mã chỉ tiêu", "Chỉ tiêu", "Đơn vị tính", "Kỳ này", "Lũy kế từ đầu năm"]
TASK_HEADER = ["Mã nhiệm vụ", "Nội dung nhiệm vụ", "Tình trạng", "Kết quả cụ thể"]
ODS_MIME = "application/vnd.oasis.opendocument.spreadsheet"
ODS_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    "<office:body><office:spreadsheet>"
)
ODS_CLOSE = "</office:spreadsheet></office:body></office:document-content>"
ODS_TEXT = '<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>'


def sheets(**overrides: list[list[Any]]) -> dict[str, list[list[Any]]]:
    book: dict[str, list[list[Any]]] = {
        "ThongTin": [["Mã đơn vị", "CA_TINH"], ["Kỳ báo cáo", "07/2024"]],
        "ChiTieu": [HEADER, [1, "DT01", "Số vụ", "vụ", 3, 10]],
        "NhiemVu": [TASK_HEADER, ["NV01", "Tuyên truyền", "Hoàn thành", "Đã xong"]],
        "KienNghi": [["Khó khăn, vướng mắc"], ["Thiếu kinh phí."]],
    }
    book.update(overrides)
    return book


def xlsx(
    book: dict[str, list[list[Any]]],
    states: dict[str, str] | None = None,
    hidden_rows: dict[str, set[int]] | None = None,
    far: dict[str, str] | None = None,
) -> bytes:
    """An .xlsx of these sheets; `states` hides sheets, `hidden_rows` rows, `far` puts one text
    cell at an address (e.g. XFD1048576)."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in book.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(row=r, column=c, value=value)
        ws.sheet_state = (states or {}).get(name, "visible")
        for r in (hidden_rows or {}).get(name, ()):
            ws.row_dimensions[r].hidden = True
        if far and name in far:
            ws[far[name]] = "boom"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def ods(body: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("mimetype", ODS_MIME, compress_type=zipfile.ZIP_STORED)
        zf.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
            '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
            f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODS_MIME}"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>",
        )
        zf.writestr("content.xml", ODS_OPEN + body + ODS_CLOSE, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def rewrite(data: bytes, part: str, edit: Any) -> bytes:
    """The same zip with one part's bytes passed through `edit`."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            body = src.read(info.filename)
            zf.writestr(info.filename, edit(body) if info.filename == part else body)
    return out.getvalue()


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
    import xlwt

    book = xlwt.Workbook()
    ws = book.add_sheet("ChiTieu")
    ws.write(0, 0, "x")
    ws.write(65535, 255, "boom")
    out = io.BytesIO()
    book.save(out)
    assert "IV65536" in too_complex(inspect_file(write(tmp_path, "xa.xls", out.getvalue())))


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
    body = (
        '<table:table table:name="ChiTieu"><table:table-row table:number-rows-repeated="1500">'
        '<table:table-cell office:value-type="float" office:value="1" '
        'table:number-columns-repeated="1500"/></table:table-row></table:table>'
    )
    assert "cột" in too_complex(inspect_file(write(tmp_path, "lap.ods", ods(body))))


def test_ods_many_valued_cells_within_bounds_are_refused(tmp_path) -> None:
    body = (
        '<table:table table:name="ChiTieu"><table:table-row table:number-rows-repeated="4000">'
        '<table:table-cell office:value-type="float" office:value="1" '
        'table:number-columns-repeated="150"/></table:table-row></table:table>'
    )
    assert "ô có dữ liệu" in too_complex(inspect_file(write(tmp_path, "nhieu.ods", ods(body))))


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
