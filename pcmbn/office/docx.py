"""Low-level python-docx writers for the office's Word documents: A4, Times New Roman 13.

Plain text runs only (never fields: a run of text in a DOCX is never evaluated; the one field
is the PAGE number the generator itself puts in a header, `add_page_number`), bordered tables
whose header repeats on every page, and a deterministic save (`docx_bytes`): core-property dates
from the data and fixed zip entry times, so the same document gives the same bytes.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from pcmbn.office.times import UTC, naive
from pcmbn.office.zips import deterministic_zip
from pcmbn.text import clean

__all__ = [
    "BLACK",
    "FONT",
    "FONT_SIZE",
    "RED",
    "TABLE_FONT_SIZE",
    "add_bullet",
    "add_heading",
    "add_page_number",
    "add_paragraph",
    "add_run",
    "cell_text",
    "column_widths",
    "docx_bytes",
    "grid",
    "keep_together",
    "plain_fonts",
    "repeat_header",
    "safe_text",
    "setup_styles",
]

FONT = "Times New Roman"
FONT_SIZE = Pt(13)
TABLE_FONT_SIZE = Pt(11)
RED = RGBColor(0xC0, 0x00, 0x00)
BLACK = RGBColor(0, 0, 0)
_TAB_LIKE = re.compile(r"[\t\r\n]+")


def safe_text(value: Any) -> str:
    """Unit-written text as one clean line: no XML-illegal control characters, NFC, one space.

    python-docx refuses control characters; `=`/`+`/`-`/`@` lead-ins stay as typed, since a
    run of text in a DOCX is never evaluated as a formula or field.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return clean(_TAB_LIKE.sub(" ", text))


def add_paragraph(
    container: Any,
    text: str = "",
    *,
    bold: bool = False,
    italic: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = WD_ALIGN_PARAGRAPH.JUSTIFY,
    indent: float | None = 1.0,
    size: Pt | None = None,
    colour: RGBColor | None = None,
    style: str | None = None,
) -> Paragraph:
    """One paragraph of plain text runs (never fields); `indent` is the first-line indent, cm."""
    paragraph = container.add_paragraph(style=style)
    if align is not None:
        paragraph.alignment = align
    if indent:
        paragraph.paragraph_format.first_line_indent = Cm(indent)
    if text:
        add_run(paragraph, text, bold=bold, italic=italic, size=size, colour=colour)
    return paragraph


def add_run(
    paragraph: Paragraph,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    underline: bool = False,
    size: Pt | None = None,
    colour: RGBColor | None = None,
) -> None:
    """Append one plain text run; unset flags stay unset (inherit the style)."""
    run = paragraph.add_run(text)
    run.bold = bold or None
    run.italic = italic or None
    run.underline = underline or None
    if size is not None:
        run.font.size = size
    if colour is not None:
        run.font.color.rgb = colour


def add_bullet(container: Any, text: str, level: int = 0) -> Paragraph:
    """A "- " list line as the administrative style writes it (no Word numbering)."""
    paragraph = add_paragraph(container, f"- {text}")
    if level:
        paragraph.paragraph_format.left_indent = Cm(1.0 * level)
    return paragraph


def add_page_number(paragraph: Paragraph, *, size: Pt | None = None) -> None:
    """A PAGE field (Nghị định 30/2020 numbers pages in the header): the only field written.

    A complex field (begin / instruction / separate / cached "1" / end): Word and LibreOffice
    both update it when they lay the document out.
    """
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1")):
        run = paragraph.add_run()
        if size is not None:
            run.font.size = size
        if kind is not None:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text == " PAGE ":
            instruction = OxmlElement("w:instrText")
            instruction.set(qn("xml:space"), "preserve")
            instruction.text = text
            run._r.append(instruction)
        else:
            run.text = text
    end = paragraph.add_run()
    char = OxmlElement("w:fldChar")
    char.set(qn("w:fldCharType"), "end")
    end._r.append(char)


def keep_together(table: Table) -> None:
    """Rows that never split across pages, each kept with the next (a signature block)."""
    for row in table.rows:
        tr_pr = row._tr.get_or_add_trPr()
        cant_split = OxmlElement("w:cantSplit")
        cant_split.set(qn("w:val"), "true")
        tr_pr.append(cant_split)


def setup_styles(doc: DocxDocument) -> None:
    """Times New Roman 13 for every script (Word picks `w:eastAsia` for some Vietnamese text)."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    plain_fonts(defaults)
    language = defaults.find(".//" + qn("w:lang")) if defaults is not None else None
    if language is not None:
        language.set(qn("w:val"), "vi-VN")  # Word's spelling checker reads this
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = FONT_SIZE
    plain_fonts(normal.element)
    normal.paragraph_format.line_spacing = 1.15
    normal.paragraph_format.space_after = Pt(6)
    for level in (1, 2):
        style = doc.styles[f"Heading {level}"]
        style.font.name = FONT
        style.font.size = FONT_SIZE
        style.font.bold = True
        style.font.color.rgb = BLACK
        plain_fonts(style.element)
        style.paragraph_format.space_before = Pt(12 if level == 1 else 6)
        style.paragraph_format.space_after = Pt(6)


def plain_fonts(element: Any) -> None:
    """Pin every script's font to Times New Roman and drop theme fonts (they take precedence)."""
    if element is None:
        return
    fonts = element.find(".//" + qn("w:rFonts"))
    if fonts is None:
        r_pr = element.find(".//" + qn("w:rPr"))
        if r_pr is None:
            return
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    for attribute in list(fonts.attrib):
        if attribute.lower().endswith("theme"):
            del fonts.attrib[attribute]
    for script in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(script), FONT)


def cell_text(cell: Any, text: str, *, bold: bool = False, align: WD_ALIGN_PARAGRAPH) -> None:
    """A table cell's single paragraph: 11 pt, tight spacing."""
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.line_spacing = 1.0
    add_run(paragraph, text, bold=bold, size=TABLE_FONT_SIZE)


def repeat_header(row: Any) -> None:
    """Mark a table row as the header Word repeats at the top of every page."""
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def column_widths(table: Table, widths: Sequence[Any]) -> None:
    """Word reads each cell's width, not the column's: set both."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
        for cell in column.cells:
            cell.width = width


def docx_bytes(doc: DocxDocument, generated_at: datetime) -> bytes:
    """Save with core-property dates from the data and fixed zip entry times."""
    stamp = naive(generated_at, UTC)
    props = doc.core_properties
    props.author = "PCMBN"
    props.last_modified_by = "PCMBN"
    props.comments = ""
    props.created = stamp
    props.modified = stamp
    props.last_printed = stamp
    props.revision = 1
    buffer = io.BytesIO()
    doc.save(buffer)
    return deterministic_zip(buffer.getvalue())


def add_heading(doc: DocxDocument, text: str, level: int) -> Paragraph:
    """A `Heading n` paragraph, justified; sub-headings indented like body text."""
    paragraph = doc.add_paragraph(text, style=f"Heading {level}")
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    if level > 1:
        paragraph.paragraph_format.first_line_indent = Cm(1.0)
    return paragraph


def grid(
    doc: DocxDocument,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths_cm: Sequence[float],
    numeric_from: int,
) -> Table:
    """A bordered table: bold header repeated on every page, numbers right-aligned."""
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    repeat_header(table.rows[0])
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell_text(cell, text, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    for values in rows:
        cells = table.add_row().cells
        for i, (cell, text) in enumerate(zip(cells, values, strict=True)):
            numeric = i >= numeric_from or (i == 0 and headers[0] == "STT")
            align = WD_ALIGN_PARAGRAPH.RIGHT if numeric else WD_ALIGN_PARAGRAPH.LEFT
            cell_text(cell, text, align=align)
    column_widths(table, tuple(Cm(w) for w in widths_cm))
    return table
