"""A workbook as plain grids of values, and writers to .xlsx, .xls and .ods.

Samples with layout damage (title rows, shuffled rows, renamed headers, NFD text) and samples in
legacy formats are produced by editing these grids rather than a styled openpyxl workbook, whose
merged ranges and validations do not follow inserted rows. Values only, as a clerk's copy-paste
into an old Excel would leave them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape

from openpyxl import Workbook

from pcmbn.office.zips import deterministic_zip
from pcmbn.report_content import Formula


@dataclass
class SheetGrid:
    rows: list[list[Any]]
    merged: list[str] = field(default_factory=list)
    hidden_rows: set[int] = field(default_factory=set)  # 1-based row numbers


Grid = dict[str, SheetGrid]


def grid_from_workbook(wb: Workbook) -> Grid:
    """Values of every sheet (formulas kept as `Formula`), with merged ranges."""
    grid: Grid = {}
    for ws in wb.worksheets:
        rows = []
        for row in ws.iter_rows():
            values = []
            for cell in row:
                value = cell.value
                if cell.data_type == "f" and isinstance(value, str):
                    value = Formula(value)
                values.append(value)
            rows.append(values)
        grid[ws.title] = SheetGrid(rows, [str(rng) for rng in ws.merged_cells.ranges])
    return grid


def xlsx_bytes(grid: Grid) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for title, sheet in grid.items():
        ws = wb.create_sheet(title)
        for r, row in enumerate(sheet.rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is None:
                    continue
                cell = ws.cell(row=r, column=c, value=value)
                if isinstance(value, str) and not isinstance(value, Formula):
                    cell.data_type = "s"
                elif isinstance(value, date | datetime):
                    cell.number_format = "dd/mm/yyyy"
        for rng in sheet.merged:
            ws.merge_cells(rng)
        for r in sheet.hidden_rows:
            ws.row_dimensions[r].hidden = True
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def xls_bytes(grid: Grid) -> bytes:
    """A legacy Excel 97-2003 workbook (BIFF8), as old Office installations still save."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="dd/mm/yyyy")
    for title, sheet in grid.items():
        ws = book.add_sheet(title)
        for r, row in enumerate(sheet.rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, datetime | date):
                    ws.write(r, c, value, date_style)
                else:
                    ws.write(r, c, value)
        for r in sheet.hidden_rows:
            ws.row(r - 1).hidden = True
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


_ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'office:version="1.2"'
)
_ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
    'manifest:version="1.2">'
    f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{_ODS_MIMETYPE}"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def ods_bytes(grid: Grid) -> bytes:
    """An OpenDocument spreadsheet, as LibreOffice users send by default.

    Written directly (a few lines of XML) rather than with odfpy, whose namespace order follows
    Python's string hashing and so changes the bytes from one run to the next.
    """
    body = []
    for title, sheet in grid.items():
        body.append(f'<table:table table:name="{escape(title, _QUOTE)}">')
        for row in sheet.rows:
            body.append("<table:table-row>")
            body.extend(_ods_cell(value) for value in row)
            body.append("</table:table-row>")
        body.append("</table:table>")
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS}>'
        f"<office:body><office:spreadsheet>{''.join(body)}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    entries = [
        ("mimetype", _ODS_MIMETYPE.encode("ascii")),
        ("META-INF/manifest.xml", _ODS_MANIFEST.encode("utf-8")),
        ("content.xml", content.encode("utf-8")),
    ]
    return deterministic_zip(entries, mode=None, stored={"mimetype"})


_QUOTE = {'"': "&quot;"}


def _ods_cell(value: Any) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    if isinstance(value, datetime | date):
        return (
            f'<table:table-cell office:value-type="date" '
            f'office:date-value="{value:%Y-%m-%d}"><text:p>{value:%d/%m/%Y}</text:p>'
            "</table:table-cell>"
        )
    return (
        f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}'
        "</text:p></table:table-cell>"
    )
