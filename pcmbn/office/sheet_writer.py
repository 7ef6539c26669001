"""Saving a workbook with the cells of each sheet serialised in one pass, same bytes as openpyxl.

openpyxl writes a sheet's cells one lxml element at a time (about 10 µs a cell: a national
summary's 540,000 cells took 5 s of the outputs phase). `save_workbook` writes every other part
with openpyxl and only the `<sheetData>` differently: the rows are put together as one XML
string, parsed by lxml in C and written as one element, so the file is byte for byte what
`Workbook.save` writes (`tests/pcmbn/office/test_sheet_writer.py` compares them).

A sheet holding anything this writer does not reproduce exactly (formulas, rich text, ISO
dates, a number that is not finite) is written by openpyxl's own code, whole.
"""

from __future__ import annotations

import datetime
from typing import IO, Any
from zipfile import ZIP_DEFLATED, ZipFile

from lxml import etree
from openpyxl import Workbook
from openpyxl.comments.comment_sheet import CommentRecord
from openpyxl.compat import safe_string
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter

__all__ = ["save_workbook"]

#: Cell data types written here (openpyxl's "s" is an inline string); others fall back.
_PLAIN_TYPES = {"n": "n", "s": "inlineStr", "b": "b", "e": "e", "d": "n"}


def save_workbook(wb: Workbook, target: str | IO[bytes]) -> None:
    """`wb.save(target)` with the fast cell serialiser (normal, not write-only, workbooks)."""
    if wb.read_only or wb.write_only:
        wb.save(target)
        return
    archive = ZipFile(target, "w", ZIP_DEFLATED, allowZip64=True)
    wb.properties.modified = datetime.datetime.now(tz=datetime.UTC).replace(tzinfo=None)
    _ExcelWriter(wb, archive).save()


class _ExcelWriter(ExcelWriter):
    """openpyxl's writer with `_SheetWriter` for each worksheet (its `write_worksheet`, copied
    but for the class it instantiates)."""

    def write_worksheet(self, ws: Any) -> None:
        from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing

        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        writer = _SheetWriter(ws)
        writer.write()
        ws._rels = writer._rels
        self._archive.write(writer.out, ws.path[1:])
        self.manifest.append(ws)
        writer.cleanup()


class _SheetWriter(WorksheetWriter):
    def write_rows(self) -> None:
        xml = sheet_data_xml(self.ws)
        if xml is None:
            super().write_rows()
            return
        try:
            element = etree.fromstring(xml)
        except etree.XMLSyntaxError:
            super().write_rows()
            return
        for empty in element.xpath("row/c[not(node())]"):
            empty.text = ""  # openpyxl writes an empty cell as <c ...></c>, not <c .../>
        xf = self.xf.send(True)
        xf.write(element)
        self.xf.send(None)  # return control to openpyxl's generator


def sheet_data_xml(ws: Any) -> bytes | None:
    """The `<sheetData>` element openpyxl would write for `ws`, or None when it holds a cell
    this writer does not reproduce (then nothing of the sheet has been changed).

    Styles, comment and hyperlink records are registered as openpyxl's `write_row` registers
    them, in cell order, and only when the whole sheet is written here.
    """
    wb = ws.parent
    if wb.iso_dates:
        return None
    rows: dict[int, list[Any]] = {}
    for (row, _col), cell in sorted(ws._cells.items()):
        rows.setdefault(row, []).append(cell)
    for row in ws.row_dimensions.keys() - rows.keys():
        rows[row] = []
    styles = wb._cell_styles  # registered at the end, in openpyxl's order: a bail-out adds none
    style_ids: dict[tuple[int, ...], int] = {}
    new_styles: list[Any] = []
    epoch = wb.epoch
    parts: list[str] = ["<sheetData>"]
    comments: list[Any] = []
    hyperlinks: list[Any] = []
    dims = ws.row_dimensions
    for row_idx in sorted(rows):
        attrs = {"r": f"{row_idx}"}
        attrs.update(dims.get(row_idx, {}))
        parts.append("<row" + "".join(f' {k}="{_attr(v)}"' for k, v in attrs.items()) + ">")
        for cell in rows[row_idx]:
            if cell._comment is not None:
                comments.append(cell)
            style = cell._style
            styled = style is not None and any(style)
            if cell._value is None and not styled and not cell._comment:
                continue
            kind = _PLAIN_TYPES.get(cell.data_type)
            if kind is None:
                return None
            head = f'<c r="{cell.coordinate}"'
            if styled:
                key = tuple(style)
                found = style_ids.get(key)
                if found is None:
                    if style in styles:
                        found = styles.index(style)
                    else:
                        found = len(styles) + len(new_styles)
                        new_styles.append(style)
                    style_ids[key] = found
                head += f' s="{found}"'
            head += f' t="{kind}"'
            if cell.hyperlink:
                hyperlinks.append(cell.hyperlink)
            value = cell._value
            if cell.data_type == "d":
                if getattr(value, "tzinfo", None) is not None:
                    return None  # openpyxl raises; let it
                value = to_excel(value, epoch)
            if value is None or value == "":
                parts.append(head + "/>")
            elif cell.data_type == "s":
                if not isinstance(value, str):
                    return None  # rich text
                space = ' xml:space="preserve"' if value != value.strip() else ""
                parts.append(f"{head}><is><t{space}>{_text(value)}</t></is></c>")
            else:
                text = safe_string(value)
                if text == "":
                    return None  # openpyxl writes <v></v>; parsed, that would be <v/>
                parts.append(f"{head}><v>{_text(text)}</v></c>")
        parts.append("</row>")
    parts.append("</sheetData>")
    for style in new_styles:
        styles.add(style)
    ws._comments.extend(CommentRecord.from_cell(cell) for cell in comments)
    ws._hyperlinks.extend(hyperlinks)
    return "".join(parts).encode("utf-8")


def _text(value: str) -> str:
    """Escaped for the parser so that it gives back `value` (a lone CR stays a CR)."""
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    if "\r" in value:
        value = value.replace("\r", "&#13;")
    return value


def _attr(value: Any) -> str:
    return _text(str(value)).replace('"', "&quot;")
