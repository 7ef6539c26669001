"""The python-docx writers: clean text runs, repeated table headers, deterministic bytes."""

from __future__ import annotations

import io
import math
import zipfile
from datetime import UTC, datetime

import docx
import pytest
from docx.oxml.ns import qn

from pcmbn.office.docx import add_bullet, add_paragraph, docx_bytes, grid, safe_text, setup_styles

WHEN = datetime(2024, 9, 17, 2, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (math.nan, ""),
        ("a\x07b", "ab"),  # control characters python-docx refuses
        ("một\tdòng\r\nhai", "một dòng hai"),
        ("=1+1", "=1+1"),  # a DOCX run is never evaluated
        (12, "12"),
    ],
)
def test_safe_text(value: object, expected: str) -> None:
    assert safe_text(value) == expected


def _document() -> docx.document.Document:
    doc = docx.Document()
    setup_styles(doc)
    add_paragraph(doc, "Báo cáo", bold=True)
    add_bullet(doc, "một ý", level=1)
    grid(doc, ["STT", "Đơn vị", "Số"], [["1", "Công an tỉnh", "12"]], [1.0, 8.0, 2.0], 2)
    return doc


def test_grid_repeats_its_header_and_right_aligns_numbers() -> None:
    table = _document().tables[0]
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    first, _name, number = table.rows[1].cells
    assert first.paragraphs[0].alignment == number.paragraphs[0].alignment == 2  # RIGHT
    assert [c.text for c in table.rows[0].cells] == ["STT", "Đơn vị", "Số"]


def test_docx_bytes_are_deterministic_and_dated_from_the_data() -> None:
    payload = docx_bytes(_document(), WHEN)
    assert docx_bytes(_document(), WHEN) == payload
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert b"2024-09-17T02:30:00Z" in archive.read("docProps/core.xml")


def test_stable_pdf_fixes_the_clock_and_ids_keeping_offsets() -> None:
    """LibreOffice stamps time and a random id: the packet's PDF must follow the data only."""
    from datetime import datetime

    from pcmbn.office.pdf import stable_pdf

    def pdf(stamp: bytes, ident: bytes) -> bytes:
        return (
            b"%PDF-1.6\n1 0 obj<</CreationDate(D:"
            + stamp
            + b"Z')>>endobj\ntrailer\n<</ID [ <"
            + ident
            + b">\n<"
            + ident
            + b"> ]\n/DocChecksum /"
            + ident
            + b"\n>>\n%%EOF\n"
        )

    when = datetime(2024, 9, 17, 9, 30)
    first = stable_pdf(pdf(b"20261201133212", b"A" * 32), when)
    second = stable_pdf(pdf(b"20261201140000", b"B" * 32), when)
    assert first == second and len(first) == len(pdf(b"20261201133212", b"A" * 32))
    assert b"(D:20240917093000Z')" in first
