"""Hostile and ambiguous workbooks built by code, one quirk each (issue 19).

One module for the reading tests (`tests/pcmbn/reading/test_hostile.py`, imported as
`hostile_files`: pytest puts `tests/helpers` on the path) and the `hostile` rows of `make bench`
(`bench/hostile.py`, imported as `tests.helpers.hostile_files` from the repository root), so
the files the bench times are the files the tests pin.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable
from typing import Any

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

_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

Book = dict[str, list[list[Any]]]


def sheets(**overrides: list[list[Any]]) -> Book:
    """The four sheets of a small valid report (CA_TINH, 07/2024, DT01 = 3); `overrides`
    replace or add sheets by name."""
    book: Book = {
        "ThongTin": [["Mã đơn vị", "CA_TINH"], ["Kỳ báo cáo", "07/2024"]],
        "ChiTieu": [HEADER, [1, "DT01", "Số vụ", "vụ", 3, 10]],
        "NhiemVu": [TASK_HEADER, ["NV01", "Tuyên truyền", "Hoàn thành", "Đã xong"]],
        "KienNghi": [["Khó khăn, vướng mắc"], ["Thiếu kinh phí."]],
    }
    book.update(overrides)
    return book


def xlsx(
    book: Book,
    states: dict[str, str] | None = None,
    hidden_rows: dict[str, set[int]] | None = None,
    far: dict[str, str] | None = None,
) -> bytes:
    """An .xlsx of these sheets; `states` hides sheets, `hidden_rows` rows (1-based), `far`
    puts one text cell at an address (e.g. XFD1048576)."""
    from openpyxl import Workbook

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


def numbers_xlsx(rows: int = 0, columns: int = 0, sheets: int = 1, far: str | None = None) -> bytes:
    """One `ChiTieu` sheet of `rows` × `columns` numbers (plus empty `Trang1`… sheets up to
    `sheets`), with an optional text cell at `far`: the bench's size and address cases."""
    grid = [[r * c for c in range(1, columns + 1)] for r in range(1, rows + 1)]
    book: Book = {"ChiTieu": grid, **{f"Trang{i}": [] for i in range(1, sheets)}}
    return xlsx(book, far={"ChiTieu": far} if far else None)


def rewrite(data: bytes, part: str, edit: Callable[[bytes], bytes]) -> bytes:
    """The same zip with one part's bytes passed through `edit`."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            body = src.read(info.filename)
            zf.writestr(info.filename, edit(body) if info.filename == part else body)
    return out.getvalue()


def shared_part(count: int, part_kb: int) -> bytes:
    """`count` hidden sheets in workbook.xml, every one pointing at one `part_kb` KB part
    (each declares the `r:` prefix, as openpyxl's own `<sheet>` does: without it workbook.xml is
    not well-formed and the file is refused as damaged before the sheet limits are reached)."""
    entries = "".join(
        f'<sheet xmlns:r="{_RELATIONSHIPS}" name="T{i}" sheetId="{i + 2}" state="hidden" '
        'r:id="rId1"/>'
        for i in range(count)
    ).encode()
    return rewrite(
        numbers_xlsx(rows=part_kb * 1024 // 600, columns=40),
        "xl/workbook.xml",
        lambda xml: xml.replace(b"</sheets>", entries + b"</sheets>"),
    )


def ods(body: str) -> bytes:
    """An .ods whose content.xml holds `body` (tables) inside the spreadsheet element."""
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


def ods_repeated(rows: int, columns: int) -> bytes:
    """One row of one valued cell, repeated `rows` × `columns` times (100 bytes of XML)."""
    return ods(
        f'<table:table table:name="ChiTieu"><table:table-row table:number-rows-repeated="{rows}">'
        '<table:table-cell office:value-type="float" office:value="1" '
        f'table:number-columns-repeated="{columns}"/></table:table-row></table:table>'
    )


def xls(book: Book, hidden_rows: dict[str, set[int]] | None = None) -> bytes:
    """An .xls (BIFF8, xlwt) of these sheets; `hidden_rows` (1-based) are written hidden."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    for name, rows in book.items():
        ws = wb.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    ws.write(r, c, value)
        for r in (hidden_rows or {}).get(name, ()):
            ws.row(r - 1).hidden = True
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xls_far() -> bytes:
    """An .xls with a text cell at IV65536, the last cell of BIFF8."""
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("ChiTieu")
    ws.write(0, 0, "x")
    ws.write(65535, 255, "boom")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _biff(kind: int, body: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def xls_many_records(megabytes: int = 19) -> bytes:
    """An .xls just under the 20 MB cap whose one sheet is millions of empty 4-byte records:
    the most records the guard's BIFF pass (cells, sheets, hidden rows) can be made to walk."""
    from xlwt.CompoundDoc import XlsDoc

    name = b"ThongTin"
    bof = _biff(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0))
    sheet_bof = _biff(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0, 0, 0, 0))
    eof = _biff(0x000A)
    start = len(bof) + 4 + 8 + len(name) + len(eof)  # where the sheet's BOF lands
    boundsheet = _biff(0x0085, struct.pack("<IBBBB", start, 0, 0, len(name), 0) + name)
    filler = _biff(0x00EF) * (megabytes * 1024 * 1024 // 4)
    stream = bof + boundsheet + eof + sheet_bof + filler + eof
    out = io.BytesIO()
    XlsDoc().save(out, stream)
    return out.getvalue()


def zip_bomb(megabytes: int = 200) -> bytes:
    """An .xlsx-looking zip whose one sheet inflates to `megabytes` MB of zeros (about 200 KB
    on disk per 200 MB): the guard must refuse it from the zip directory, never inflating it."""
    types = (
        b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        b'package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="'
        b'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'
    )
    buffer = io.BytesIO()
    chunk = bytes(1024 * 1024)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", types)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as entry:
            for _ in range(megabytes):
                entry.write(chunk)
    return buffer.getvalue()
