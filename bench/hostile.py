"""The worst workbooks we know how to build, for the `hostile` rows of `make bench`.

Each must be answered by `pcmbn check` within a few seconds and a few hundred MB: refused by
the guard's layout limits before any native reader runs, or contained by the sandbox.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

ODS_MIME = "application/vnd.oasis.opendocument.spreadsheet"
_ODS_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    "<office:body><office:spreadsheet>"
)
_ODS_CLOSE = "</office:spreadsheet></office:body></office:document-content>"


def _xlsx(sheets: int = 1, far: str | None = None, rows: int = 0, columns: int = 0) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "ChiTieu"
    for index in range(1, sheets):
        wb.create_sheet(f"Trang{index}")
    for r in range(1, rows + 1):
        for c in range(1, columns + 1):
            ws.cell(row=r, column=c, value=r * c)
    if far:
        ws[far] = "boom"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _shared_part(sheets: int, part_kb: int) -> bytes:
    """`sheets` hidden sheets in workbook.xml, every one pointing at one `part_kb` KB part."""
    base = _xlsx(rows=part_kb * 1024 // 600, columns=40)
    src = zipfile.ZipFile(io.BytesIO(base))
    entries = "".join(
        f'<sheet name="T{i}" sheetId="{i + 2}" state="hidden" r:id="rId1"/>' for i in range(sheets)
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/workbook.xml":
                data = data.replace(b"</sheets>", entries.encode() + b"</sheets>")
            zf.writestr(info.filename, data)
    return out.getvalue()


def _ods(body: str) -> bytes:
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
        zf.writestr("content.xml", _ODS_OPEN + body + _ODS_CLOSE, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _ods_repeated(rows: int, columns: int) -> bytes:
    return _ods(
        f'<table:table table:name="ChiTieu"><table:table-row table:number-rows-repeated="{rows}">'
        '<table:table-cell office:value-type="float" office:value="1" '
        f'table:number-columns-repeated="{columns}"/></table:table-row></table:table>'
    )


def _xls_far() -> bytes:
    import xlwt

    book = xlwt.Workbook()
    ws = book.add_sheet("ChiTieu")
    ws.write(0, 0, "x")
    ws.write(65535, 255, "boom")  # the last cell of BIFF8
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


#: name -> (what the row says, file name, builder)
CASES: dict[str, tuple[str, str, Callable[[], bytes]]] = {
    "far-cell": ("text cell at XFD1048576 (.xlsx)", "xa.xlsx", lambda: _xlsx(far="XFD1048576")),
    "far-cell-xls": ("text cell at IV65536 (.xls)", "xa.xls", _xls_far),
    "shared-part": (
        "1,000 hidden sheets → one 250 KB part",
        "chung.xlsx",
        lambda: _shared_part(1000, 250),
    ),
    "ods-repeat": (
        "ODS 1,500 × 1,500 repeated cells",
        "lap.ods",
        lambda: _ods_repeated(1500, 1500),
    ),
    "ods-cells": ("ODS 4,000 × 150 valued cells", "nhieu.ods", lambda: _ods_repeated(4000, 150)),
    "widest-allowed": (
        "5,000 × 40 numbers (at the cell cap)",
        "rong.xlsx",
        lambda: _xlsx(rows=5000, columns=40),
    ),
}


#: An ordinary small workbook checked first, so the rows time the hostile file, not imports.
WARM_UP = "thuong.xlsx"


def write_cases(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    (out / WARM_UP).write_bytes(_xlsx(rows=3, columns=3))
    for _, name, build in CASES.values():
        (out / name).write_bytes(build())
    return len(CASES)
