"""A figure only warned about, as the clerk, the data officer and the leader see it (issue 12,
items 7 and 8).

The police's July report repeats June's cumulative for DT01 (12 instead of 12 + 4): a warning,
not an error. Before June is in the store, `pcmbn check` passes it and says which history rules
it could not apply; once June is recorded, `check` warns exactly as the July run does. The
July summary and the packet then mark DT01 "(*)" wherever it or a total including it is shown,
and list the warning with its unit and message.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from report_fixtures import Fixture, write_fixture

from pcmbn.catalog import load_catalog
from pcmbn.report_content import ReportContent

PLAN = "ST-KH-30-7-2024"
SKIPPED = "Chưa kiểm tra so với kỳ trước (chưa có dữ liệu lịch sử): "
HISTORY_RULES = ["value.cumulative_discontinuity", "value.outlier"]
MARKED = '" (*)"'


def _pcmbn(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pcmbn", *args],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "PCMBN_HOME": str(home), "COLUMNS": "250"},
    )


def _july(content: ReportContent) -> None:
    """Every cumulative continues June's (period + 3 × period), except DT01's (left at 12)."""
    for code, (period, _cumulative) in list(content.values.items()):
        content.values[code] = (period, period * 4)
    content.values["DT01"] = (4, 12)


def _row_of(ws: object, column: int, value: str) -> int:
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, column).value == value)  # type: ignore[attr-defined]


@pytest.mark.slow
def test_check_applies_the_runs_history_rules_and_warned_figures_are_marked(
    tmp_path: Path,
) -> None:
    catalog = load_catalog()
    home = tmp_path / "home"
    june = write_fixture(Fixture("BaoCao_CA_TINH_T6", period="2024-06"), tmp_path / "jun", catalog)
    july = write_fixture(
        Fixture("BaoCao_CA_TINH_T7", period="2024-07", edit=_july), tmp_path / "jul", catalog
    )

    # No history store yet: the file passes, and the clerk is told what was not compared.
    text = _pcmbn(home, "check", str(july), "--no-feedback")
    assert text.returncode == 0, text.stderr[-2000:]
    out = " ".join(text.stdout.split())
    assert SKIPPED + "lũy kế liên tục với lũy kế kỳ trước; số liệu cao bất thường" in out, out
    assert not (home / "history.duckdb").exists()  # the self-check creates no store
    doc = json.loads(_pcmbn(home, "check", str(july), "--no-feedback", "--format", "json").stdout)
    assert doc["files"][0]["history_rules_skipped"] == HISTORY_RULES

    run = _pcmbn(home, "run", "--plan", PLAN, "--period", "2024-06", "--inbox", str(june.parent))
    assert run.returncode == 0, run.stderr[-2000:]

    # With June recorded, check applies the run's history rules: DT01's cumulative is warned.
    checked = _pcmbn(home, "check", str(july), "--no-feedback", "--format", "json")
    assert checked.returncode == 0, checked.stderr[-2000:]
    (report,) = json.loads(checked.stdout)["files"]
    assert report["status"] == "accepted"
    assert report["history_rules_skipped"] == []
    warned = [(p["rule"], p["cell"], p["severity"]) for p in report["problems"]]
    assert warned == [("value.cumulative_discontinuity", "F19", "warning")]
    text = _pcmbn(home, "check", str(july), "--no-feedback")
    out = " ".join(text.stdout.split())
    assert "Cảnh báo" in out and "ChiTieu!F19" in out and SKIPPED not in out, out

    run = _pcmbn(home, "run", "--plan", PLAN, "--period", "2024-07", "--inbox", str(july.parent))
    assert run.returncode == 0, run.stderr[-2000:]
    summary = next((home / "outputs").rglob(f"TongHop_{PLAN}_2024-07.xlsx"))
    book = load_workbook(summary)
    totals = book["TongHop"]
    row = _row_of(totals, 2, "DT01")
    for col in (5, 6):  # Kỳ này, Lũy kế of the province: both include the warned figure
        cell = totals.cell(row, col)
        assert cell.number_format.endswith(MARKED), cell.number_format
        assert "Công an tỉnh" in cell.comment.text and "lũy kế kỳ trước 12" in cell.comment.text
    other = totals.cell(_row_of(totals, 2, "DT02"), 5)
    assert not other.number_format.endswith(MARKED) and other.comment is None
    assert "Số liệu có dấu (*)" in str(totals.cell(6, 1).value)
    matrix = book["MaTran"]
    police = next(
        c for c in range(4, matrix.max_column + 1) if matrix.cell(8, c).value == "CA_TINH"
    )
    assert matrix.cell(_row_of(matrix, 2, "DT01"), police).number_format.endswith(MARKED)
    notes = book["CanhBao"]
    listed = [[notes.cell(8, c).value for c in range(1, 10)]]
    assert listed[0][1] == "Công an tỉnh" and listed[0][2] == "T7/2024" and listed[0][3] == "DT01"
    assert "lũy kế kỳ trước 12 + kỳ này 4 = 16" in listed[0][7]
    assert notes.cell(9, 2).value is None  # one warning, one row

    packet = _pcmbn(home, "packet", "--plan", PLAN, "--milestone", "so_ket", "--period", "2024-07")
    assert packet.returncode == 0, packet.stderr[-2000:]
    out = " ".join(packet.stdout.split())
    assert "Số liệu còn cảnh báo chưa xử lý (đánh dấu (*) trong gói): DT01." in out, out
    as_json = _pcmbn(
        home, "packet", "--plan", PLAN, "--milestone", "so_ket", "--period", "2024-07", "-f", "json"
    )
    document = json.loads(as_json.stdout)
    assert document["warned_totals"] == ["DT01"]
    with zipfile.ZipFile(document["packet"]) as bundle:
        names = bundle.namelist()
        workbook = bundle.read(next(n for n in names if n.endswith("PhuLucSoLieu.xlsx")))
        report_docx = bundle.read(next(n for n in names if n.endswith(".docx")))
    appendix = load_workbook(io.BytesIO(workbook))
    sheet = appendix["TongHop"]
    span_total = sheet.cell(_row_of(sheet, 2, "DT01"), 5)
    assert span_total.number_format.endswith(MARKED)
    assert "Công an tỉnh (T7/2024)" in span_total.comment.text
    assert not sheet.cell(_row_of(sheet, 2, "DT02"), 5).number_format.endswith(MARKED)
    assert appendix["CanhBao"].cell(7, 4).value == "DT01"
    draft = Document(io.BytesIO(report_docx))
    paragraphs = [p.text for p in draft.paragraphs]
    assert any("Số liệu có dấu (*)" in p and "Biểu 4 của Phụ lục" in p for p in paragraphs)
    assert any(p.startswith("Biểu 4.") for p in paragraphs)
    cells = [cell.text for table in draft.tables for row in table.rows for cell in row.cells]
    assert any("lũy kế kỳ trước 12 + kỳ này 4 = 16" in c for c in cells)
    assert any(c.endswith("(*)") for c in cells)  # the appendix table's DT01 total
