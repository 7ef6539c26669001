"""A figure only warned about, as the clerk, the data officer and the leader see it (issue 12,
items 7 and 8).

8: the police's July report repeats June's cumulative for DT01 (12 instead of 12 + 4): a
warning, not an error. Before June is in the store, `pcmbn check` passes it and says which
history rules it could not apply; once June is recorded, `check` warns as the July run does.

7: money typed "1.500" is read as 1 500 with a warning; the July summary and the packet mark
KP01 "(*)" wherever it or a total including it is shown, and list the warning with its unit.
"""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from cli import run_pcmbn
from docx import Document
from openpyxl import load_workbook
from report_fixtures import Fixture, set_value, write_fixture

from pcmbn.catalog import load_catalog
from pcmbn.report_content import ReportContent

PLAN = "ST-KH-30-7-2024"
SKIPPED = "Chưa kiểm tra so với kỳ trước (chưa có dữ liệu lịch sử): "
HISTORY_RULES = ["value.cumulative_discontinuity", "value.outlier"]
MARKED = '" (*)"'
MONEY = 'Kỳ này) = "1.500" được hiểu theo cách viết Việt Nam là 1.500'


def _pcmbn(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_pcmbn(home, *args, columns=250)


def _july(content: ReportContent) -> None:
    """Every cumulative continues June's (period + 3 × period), except DT01's (left at 12)."""
    for code, (period, _cumulative) in list(content.values.items()):
        content.values[code] = (period, period * 4)
    content.values["DT01"] = (4, 12)


def _row_of(ws: object, column: int, value: str) -> int:
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, column).value == value)  # type: ignore[attr-defined]


@pytest.mark.slow
@pytest.mark.timeout(1200)  # five commands in a row, each paying the start-up of GE or Prefect
def test_check_applies_the_runs_history_rules_or_names_those_it_could_not(
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


@pytest.mark.slow
@pytest.mark.timeout(1200)  # five commands in a row, each paying the start-up of GE or Prefect
def test_a_warned_figure_is_marked_in_the_summary_and_the_packet(tmp_path: Path) -> None:
    catalog = load_catalog()
    home = tmp_path / "home"
    july = write_fixture(
        Fixture("BaoCao_CA_TINH_T7", period="2024-07", edit=set_value("KP01", "1.500", 2000)),
        tmp_path / "jul",
        catalog,
    )
    run = _pcmbn(home, "run", "--plan", PLAN, "--period", "2024-07", "--inbox", str(july.parent))
    assert run.returncode == 0, run.stderr[-2000:]
    summary = next((home / "outputs").rglob(f"TongHop_{PLAN}_2024-07.xlsx"))
    book = load_workbook(summary)
    totals = book["TongHop"]
    row = _row_of(totals, 2, "KP01")
    for col in (5, 6):  # Kỳ này, Lũy kế of the province: both include the warned figure
        cell = totals.cell(row, col)
        assert cell.value == (1500 if col == 5 else 2000)
        assert cell.number_format.endswith(MARKED), cell.number_format
        assert "Công an tỉnh (T7/2024)" in cell.comment.text and MONEY in cell.comment.text
    other = totals.cell(_row_of(totals, 2, "KP02"), 5)
    assert not other.number_format.endswith(MARKED) and other.comment is None
    assert "Số liệu có dấu (*)" in str(totals.cell(6, 1).value)
    matrix = book["MaTran"]
    police = next(
        c for c in range(4, matrix.max_column + 1) if matrix.cell(8, c).value == "CA_TINH"
    )
    assert matrix.cell(_row_of(matrix, 2, "KP01"), police).number_format.endswith(MARKED)
    notes = book["CanhBao"]
    listed = [notes.cell(8, c).value for c in range(1, 10)]
    assert listed[1:5] == ["Công an tỉnh", "T7/2024", "KP01", "Kinh phí được cấp trong kỳ"]
    assert MONEY in listed[7]
    assert notes.cell(9, 2).value is None  # one warning, one row

    packet = _pcmbn(home, "packet", "--plan", PLAN, "--milestone", "so_ket", "--period", "2024-07")
    assert packet.returncode == 0, packet.stderr[-2000:]
    out = " ".join(packet.stdout.split())
    assert "Số liệu còn cảnh báo chưa xử lý (đánh dấu (*) trong gói): KP01." in out, out
    zipped = next((home / "outputs").rglob("*.zip"))
    with zipfile.ZipFile(zipped) as bundle:
        names = bundle.namelist()
        workbook = bundle.read(next(n for n in names if n.endswith("PhuLucSoLieu.xlsx")))
        report_docx = bundle.read(next(n for n in names if n.endswith(".docx")))
    appendix = load_workbook(io.BytesIO(workbook))
    sheet = appendix["TongHop"]
    span_total = sheet.cell(_row_of(sheet, 2, "KP01"), 5)
    assert span_total.number_format.endswith(MARKED)
    assert "Công an tỉnh (T7/2024)" in span_total.comment.text
    assert not sheet.cell(_row_of(sheet, 2, "KP02"), 5).number_format.endswith(MARKED)
    assert appendix["CanhBao"].cell(7, 4).value == "KP01"
    draft = Document(io.BytesIO(report_docx))
    paragraphs = [p.text for p in draft.paragraphs]
    assert any("Số liệu có dấu (*)" in p and "Biểu 5 của Phụ lục" in p for p in paragraphs)
    assert any(p.startswith("Biểu 5.") for p in paragraphs)
    assert any("Kinh phí được cấp trong kỳ: 1.500,00 (*) triệu đồng" in p for p in paragraphs)
    cells = [cell.text for table in draft.tables for row in table.rows for cell in row.cells]
    assert any(MONEY in c for c in cells)
    assert "1.500,00 (*)" in cells  # the appendix table's KP01 total
