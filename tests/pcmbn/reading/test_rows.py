"""Zero-height rows are hidden rows: the spec's "hidden rows" are what the clerk cannot see."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile_files import rewrite, sheets, xlsx

from pcmbn.catalog import load_catalog
from pcmbn.reading.guard import inspect_file
from pcmbn.reading.rows import row_is_hidden
from pcmbn.reading.workbook import read_workbook


@pytest.mark.parametrize(
    ("attrs", "hidden"),
    [
        ({"r": "1"}, False),
        ({"r": "1", "hidden": "1"}, True),
        ({"r": "1", "hidden": "true"}, True),
        ({"r": "1", "hidden": "0"}, False),
        ({"r": "1", "ht": "0", "customHeight": "1"}, True),
        ({"r": "1", "ht": "0.0", "customHeight": "true"}, True),
        ({"r": "1", "ht": "0"}, True),
        ({"r": "1", "ht": "15", "customHeight": "1"}, False),
        ({"r": "1", "ht": "0.75", "customHeight": "1"}, False),
        ({"r": "1", "ht": "abc", "customHeight": "1"}, False),
        ({"r": "1", "ht": "nan"}, False),
    ],
)
def test_row_is_hidden(attrs: dict[str, str], hidden: bool) -> None:
    assert row_is_hidden(attrs) is hidden


def _zero_height_first_row(data: bytes) -> bytes:
    """ThongTin (the first sheet) with its first row shut to height zero, as Excel writes it."""
    return rewrite(
        data,
        "xl/worksheets/sheet1.xml",
        lambda body: body.replace(b'<row r="1"', b'<row r="1" ht="0" customHeight="1"', 1),
    )


def test_zero_height_row_with_another_units_code_does_not_decide_the_unit(tmp_path: Path) -> None:
    info = [["Mã đơn vị", "BP_TINH"], ["Mã đơn vị", "CA_TINH"], ["Kỳ báo cáo", "07/2024"]]
    data = _zero_height_first_row(xlsx(sheets(ThongTin=info)))
    path = tmp_path / "an.xlsx"
    path.write_bytes(data)
    verdict = inspect_file(path)
    assert verdict.layout is not None
    assert verdict.layout.hidden_rows == {"ThongTin": frozenset({1})}
    records = read_workbook(data, load_catalog().template, verdict.layout)
    assert records.info["unit_code"].raw == "CA_TINH"
    found = [(p.rule, p.sheet, p.cell) for p in records.problems]
    assert ("info.hidden_row", "ThongTin", "B1") in found
