"""Issue 19.8: implausible figures are errors, totals never overflow, JSON output is strict.

Fixtures are built by code (one quirk each): counts of 1e20, money of 1e308 in two units, a money
cell whose XML says 1e400 (inf once read), and a count of 400 digits.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from report_fixtures import Fixture, set_value, write_fixture

from pcmbn.catalog import load_catalog
from pcmbn.errors import CatalogError
from pcmbn.monthly import json_number, provincial_totals
from pcmbn.office.jsonio import dumps_strict
from pcmbn.settings import PROJECT_ROOT


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"non-strict JSON constant {name}")


def _strict_loads(text: str) -> Any:
    """Parse as a strict parser (a browser, jq, jsonb) would: NaN/Infinity are errors."""
    return json.loads(text, parse_constant=_refuse_constant)


# --- the one JSON helper ------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_dumps_strict_refuses_non_finite_numbers(bad: float) -> None:
    with pytest.raises(ValueError):
        dumps_strict({"totals": {"KP01": bad}})


def test_dumps_strict_keeps_vietnamese_readable_and_round_trips() -> None:
    document = {"đơn vị": "Công an tỉnh", "số": [1, 2.5, None, 10**400]}
    text = dumps_strict(document, indent=2, sort_keys=True)
    assert "Công an tỉnh" in text
    assert _strict_loads(text) == document


def test_no_module_writes_json_except_through_the_strict_helper() -> None:
    """One helper for every JSON output: a new `json.dumps` would let NaN leak again."""
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)}:{number}"
        for folder in ("pcmbn", "flows")
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py"))
        if path.name != "jsonio.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"\bjson\.dumps?\(", line)
    ]
    assert offenders == []


# --- totals never overflow ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (math.inf, None),
        (-math.inf, None),
        (math.nan, None),
        (10**400, None),  # an int beyond float range
        (None, None),
        (12.0, 12),
        (2.5, 2.5),
        (1e9, 1_000_000_000),
    ],
)
def test_json_number_maps_non_finite_to_none(value: Any, expected: Any) -> None:
    assert json_number(value) == expected


def test_provincial_totals_never_become_infinite() -> None:
    catalog = load_catalog()
    values = pd.DataFrame(
        {
            "indicator": ["KP01", "KP01", "DT01"],
            "period_value": [1e308, 1e308, 3.0],
            "cumulative": [1e308, 1e308, 9.0],
        }
    )
    totals = provincial_totals(values, catalog)
    assert totals["KP01"] == {"period": None, "cumulative": None}
    assert totals["DT01"] == {"period": 3, "cumulative": 9}
    _strict_loads(dumps_strict(totals))


# --- the catalog's plausibility bounds ----------------------------------------------------------


def test_default_bounds_come_from_the_catalog() -> None:
    catalog = load_catalog()
    assert catalog.template.value_bounds == {"integer": 10**7, "decimal": 10**9}
    assert catalog.indicators["DT01"].max_value == 10**7
    assert catalog.indicators["KP01"].max_value == 10**9


def _set_column(path: Path, column: str, values: dict[str, str]) -> None:
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    fields = list(rows[0]) + ([column] if column not in rows[0] else [])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, column: values.get(row["code"], row.get(column) or "")})
    path.write_text(out.getvalue(), encoding="utf-8")


def test_an_indicator_may_set_its_own_bound(schemas_copy: Path) -> None:
    _set_column(schemas_copy / "indicators.csv", "max_value", {"DT01": "5000"})
    catalog = load_catalog(schemas_copy)
    assert catalog.indicators["DT01"].max_value == 5000
    assert catalog.indicators["DT02"].max_value == 10**7  # the default where the cell is blank


@pytest.mark.parametrize("bad", ["-5", "0", "nhiều", "inf", "nan", "1e400"])
def test_a_bad_max_value_names_file_line_and_value(schemas_copy: Path, bad: str) -> None:
    _set_column(schemas_copy / "indicators.csv", "max_value", {"DT01": bad})
    with pytest.raises(CatalogError) as caught:
        load_catalog(schemas_copy)
    message = str(caught.value)
    for part in ("indicators.csv", "dòng 12 (DT01)", "max_value", f'"{bad}"', "số dương"):
        assert part in message, message


@pytest.mark.parametrize("bad", ["-1", "không giới hạn", ".inf"])
def test_a_bad_default_bound_names_file_and_line(schemas_copy: Path, bad: str) -> None:
    path = schemas_copy / "template.yaml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^(  decimal: )\S+", lambda m: m.group(1) + bad, text)
    path.write_text(text, encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.startswith("  decimal:"))
    with pytest.raises(CatalogError) as caught:
        load_catalog(schemas_copy)
    message = str(caught.value)
    for part in ("template.yaml", f"dòng {line}", "value_bounds.decimal", "số dương"):
        assert part in message, message


# --- `pcmbn check --format json` on extreme numbers ---------------------------------------------


def _cell_xml(cell: str, value: str) -> Callable[[bytes], bytes]:
    """Write `value` as the stored number of `cell` in the indicator sheet (what Excel saved)."""

    def edit(data: bytes) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
            for item in src.infolist():
                payload = src.read(item.filename)
                if item.filename == "xl/worksheets/sheet2.xml":
                    payload, count = re.subn(
                        rb'(<c r="' + cell.encode() + rb'"[^>]*>)<v>[^<]*</v>',
                        lambda m: m.group(1) + b"<v>" + value.encode() + b"</v>",
                        payload,
                    )
                    assert count == 1
                dst.writestr(item, payload)
        return out.getvalue()

    return edit


EXTREME = [
    Fixture("money_1e308", edit=set_value("KP01", 1e308, 1e308)),
    Fixture("money_1e308_border_guard", unit="BP_TINH", edit=set_value("KP01", 1e308, 1e308)),
    Fixture("count_1e20", edit=set_value("DT01", 1e20, 1e20)),
    Fixture("money_cell_1e400", edit=set_value("KP01", 5, 5), bytes_edit=_cell_xml("E41", "1e400")),
]


@pytest.mark.slow
def test_check_json_is_strict_on_extreme_numbers(tmp_path: Path) -> None:
    catalog = load_catalog()
    paths = [write_fixture(fx, tmp_path, catalog) for fx in EXTREME]
    result = subprocess.run(
        [sys.executable, "-m", "pcmbn", "check", *map(str, paths), "--format", "json"]
        + ["--no-feedback"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 1, result.stderr[-2000:]
    document = _strict_loads(result.stdout)
    by_name = {Path(f["path"]).stem: f for f in document["files"]}
    assert all(item["status"] == "rejected" for item in by_name.values())
    rules = {name: {p["rule"] for p in item["problems"]} for name, item in by_name.items()}
    assert rules["money_1e308"] == {"value.implausible"}
    assert rules["money_1e308_border_guard"] == {"value.implausible"}
    assert rules["count_1e20"] == {"value.implausible"}
    assert rules["money_cell_1e400"] == {"value.not_number"}  # inf once read: not a figure
