"""The guard's C-speed census of a worksheet part gives exactly what expat's callbacks give.

`_fast_census` takes a regular worksheet's counts (elements, content cells, hidden rows) with
regex and byte counts; anything it cannot be sure of goes through the callbacks. Each case is
run both ways: same counts, same hidden rows, same refusal.
"""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from pcmbn.reading.guard import (
    Admitted,
    Limits,
    Refused,
    _Census,
    _fast_census,
    _PartScan,
    _Stop,
    inspect_file,
)
from pcmbn.vocabulary import RuleId

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SMALL = Limits(max_rows=50, max_columns=10, max_cells=40)


def sheet(body: str, *, decl: bool = True, root: str = f'<worksheet xmlns="{NS}">') -> bytes:
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' if decl else ""
    close = "</" + root[1:].split()[0].rstrip(">") + ">"
    return (head + root + "<sheetData>" + body + "</sheetData>" + close).encode()


def callbacks(xml: bytes, limits: Limits) -> tuple[object, ...]:
    """The census as expat's callbacks take it (the part streamed, never buffered)."""
    census = _Census(limits)
    scan = _PartScan(census)
    scan.decided = True  # no buffering: every byte through the callbacks
    try:
        for at in range(0, len(xml), 7):  # small chunks: as a part streams from the zip
            scan.feed(xml[at : at + 7])
        scan.close()
    except _Stop as stop:
        return ("refused", stop.refused.rule, stop.refused.params)
    return census.elements, census.cells, frozenset(scan.hidden)


def buffered(xml: bytes, limits: Limits) -> tuple[object, ...]:
    """The census as the guard now takes it (fast when the part is regular)."""
    census = _Census(limits)
    scan = _PartScan(census)
    try:
        scan.feed(xml)
        scan.close()
    except _Stop as stop:
        return ("refused", stop.refused.rule, stop.refused.params)
    return census.elements, census.cells, frozenset(scan.hidden)


def cells(n: int, row: int = 1) -> str:
    return "".join(f'<c r="{chr(65 + i)}{row}" t="n"><v>{i}</v></c>' for i in range(n))


REGULAR = {
    "numbers": sheet(f'<row r="1">{cells(5)}</row><row r="2">{cells(3, 2)}</row>'),
    "no declaration": sheet(f'<row r="1">{cells(2)}</row>', decl=False),
    "empty cells do not count": sheet('<row r="3"><c r="A3" s="1"/><c r="B3" s="2"></c></row>'),
    "inline string, formula, shared string": sheet(
        '<row r="4" spans="1:3"><c r="A4" t="inlineStr"><is><t>x &amp; y</t></is></c>'
        '<c r="B4"><f>1+1</f><v>2</v></c><c r="C4" t="s"><v>0</v></c></row>'
    ),
    "hidden and zero-height rows": sheet(
        '<row r="5" hidden="1"><c r="A5"><v>1</v></c></row>'
        '<row r="6" ht=\'0\' customHeight="1"><c r="A6"><v>1</v></c></row>'
        '<row r="7" ht="15" hidden="0"><c r="A7"><v>1</v></c></row>'
        '<row r="8" x14ac:dyDescent="0.25" xmlns:x14ac="urn:x"/>'
    ),
    "content cell at the limits": sheet(f'<row r="50"><c r="J50"><v>1</v></c>{cells(3, 50)}</row>'),
}


@pytest.mark.parametrize("name", sorted(REGULAR))
def test_regular_parts_take_the_fast_census_with_the_same_result(name):
    xml = REGULAR[name]
    assert _fast_census(xml, _PartScan(_Census(SMALL))), "a regular part is counted fast"
    assert buffered(xml, SMALL) == callbacks(xml, SMALL)


IRREGULAR = {
    "attributes over lines": sheet('<row\n r="2"\n hidden="true"><c\tr="A2"\n><v>1</v></c></row>'),
    "prefixed elements": sheet(
        '<x:row r="2"><x:c r="B2"><x:v>7</x:v></x:c></x:row>',
        root=f'<x:worksheet xmlns:x="{NS}">',
    ),
    "cell without r": sheet('<row r="1"><c r="A1"><v>1</v></c><c><v>2</v></c></row>'),
    "row without r": sheet('<row r="1"><c r="A1"><v>1</v></c></row><row><c><v>2</v></c></row>'),
    "r not first": sheet('<row r="1"><c s="1" r="A1"><v>1</v></c></row>'),
    "single-quoted r": sheet("<row r='1'><c r='A1'><v>1</v></c></row>"),
    "comment hiding a cell": sheet('<row r="1"><!-- <c r="A1"><v>1</v></c> --></row>'),
    "cdata": sheet(
        '<row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[<c r="Z9">]]></t></is></c></row>'
    ),
    "processing instruction": sheet('<?pi x?><row r="1"><c r="A1"><v>1</v></c></row>'),
    "malformed after content": sheet(f'<row r="1">{cells(3)}</row><row r="2"><c r="A2"><v>1</c>'),
    "duplicate attribute": sheet('<row r="1"><c r="A1" r="J50"><v>1</v></c></row>'),
    "entity in hidden": sheet('<row r="2" hidden="&#49;"><c r="A2"><v>1</v></c></row>'),
    "empty cell far away": sheet('<row r="1"><c r="A1"><v>1</v></c><c r="XFD1048576"/></row>'),
    "content cell beyond the rows": sheet('<row r="51"><c r="A51"><v>1</v></c></row>'),
    "content cell beyond the columns": sheet('<row r="1"><c r="K1"><v>1</v></c></row>'),
    "content at XFD1048576": sheet('<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'),
    "too many cells": sheet("".join(f'<row r="{r}">{cells(10, r)}</row>' for r in range(1, 6))),
    "too many elements": sheet('<row r="1">' + '<c r="A1"/>' * 401 + "</row>"),
    "not a worksheet root": sheet('<row r="1"><c r="A1"><v>1</v></c></row>', root="<chartsheet>"),
}


@pytest.mark.parametrize("name", sorted(IRREGULAR))
def test_irregular_parts_go_through_the_callbacks(name):
    xml = IRREGULAR[name]
    assert not _fast_census(xml, _PartScan(_Census(SMALL)))
    assert buffered(xml, SMALL) == callbacks(xml, SMALL)


def test_refusals_are_the_same():
    assert buffered(IRREGULAR["content at XFD1048576"], SMALL)[:2] == (
        "refused",
        RuleId.FILE_TOO_COMPLEX,
    )
    assert buffered(IRREGULAR["too many cells"], SMALL)[:2] == ("refused", RuleId.FILE_TOO_COMPLEX)


def test_fast_census_adds_to_the_counts_of_earlier_parts():
    """The census spans the workbook: a second part that crosses the cell cap is refused."""
    census = _Census(SMALL)
    xml = sheet("".join(f'<row r="{r}">{cells(10, r)}</row>' for r in range(1, 4)))  # 30 cells
    first = _PartScan(census)
    first.feed(xml)
    first.close()
    assert census.cells == 30
    second = _PartScan(census)
    second.feed(xml)
    with pytest.raises(_Stop) as stop:
        second.close()
    assert stop.value.refused.rule == RuleId.FILE_TOO_COMPLEX


def _xlsx(sheet_xml: bytes) -> bytes:
    book = Workbook()
    book.active.title = "ChiTieu"
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = sheet_xml
            target.writestr(item.filename, data)
    return out.getvalue()


def test_a_census_refusal_still_comes_before_the_parts_bad_crc(tmp_path: Path):
    """Parsed while it streamed, a sheet with a cell far away was refused as too complex before
    its CRC was checked; buffering the part for the fast census keeps that order."""
    data = bytearray(_xlsx(sheet('<row r="1"><c r="XFD1048576"><v>1</v></c></row>')))
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    entry = archive.getinfo("xl/worksheets/sheet1.xml")
    # corrupt the CRC in the local header and in the central directory
    struct.pack_into("<I", data, entry.header_offset + 14, entry.CRC ^ 0xFFFF)
    name_at = bytes(data).find(b"xl/worksheets/sheet1.xml", bytes(data).find(b"PK\x01\x02"))
    struct.pack_into("<I", data, name_at - 46 + 16, entry.CRC ^ 0xFFFF)  # CRC field of its record
    path = tmp_path / "far.xlsx"
    path.write_bytes(bytes(data))
    verdict = inspect_file(path, Limits())
    assert isinstance(verdict, Refused)
    assert verdict.rule == RuleId.FILE_TOO_COMPLEX


def test_ordinary_workbook_keeps_its_hidden_rows(tmp_path: Path):
    book = Workbook()
    ws = book.active
    ws.title = "ThongTin"
    for r in range(1, 6):
        ws.cell(r, 1, f"row {r}")
    ws.row_dimensions[3].hidden = True
    ws.row_dimensions[4].hidden = True
    path = tmp_path / "hidden.xlsx"
    book.save(path)
    verdict = inspect_file(path, Limits())
    assert isinstance(verdict, Admitted)
    assert verdict.layout is not None
    assert verdict.layout.hidden_rows == {"ThongTin": frozenset({3, 4})}


def test_the_guard_says_whether_the_package_holds_any_formula(tmp_path: Path):
    """Without a `<f` in any part no cell can be a formula saved without its value: the reader
    then skips its second look at the sheet XML (`uncached_formulas`)."""
    book = Workbook()
    book.active["A1"] = 1
    plain = tmp_path / "plain.xlsx"
    book.save(plain)
    book.active["A2"] = "=A1+1"
    formula = tmp_path / "formula.xlsx"
    book.save(formula)
    verdicts = [inspect_file(path, Limits()) for path in (plain, formula)]
    assert [v.layout.formulas for v in verdicts if isinstance(v, Admitted)] == [False, True]
