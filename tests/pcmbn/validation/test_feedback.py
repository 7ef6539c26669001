"""Feedback files: the unit's own workbook, problem cells marked, plus the LoiKiemTra sheet."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from report_fixtures import Batch, Fixture, run_batch, set_value

from pcmbn.catalog import load_catalog
from pcmbn.validation.feedback import PROBLEM_SHEET, write_feedback

LABELS = load_catalog().labels


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Batch:
    fixtures = [
        Fixture("ordinary"),
        Fixture("negative_xlsx", edit=set_value("DT01", -2)),
        Fixture("negative_xls", edit=set_value("DT01", -2), fmt="xls"),
        Fixture("warning_only", edit=set_value("KP01", "1.500")),
        Fixture("pdf_renamed", raw=b"%PDF-1.4\n%%EOF\n"),
    ]
    return run_batch(fixtures, tmp_path_factory.mktemp("fb"), load_catalog())


def test_no_feedback_for_a_clean_file(batch: Batch, tmp_path: Path) -> None:
    assert write_feedback(batch.report("ordinary"), tmp_path, LABELS) is None
    assert list(tmp_path.iterdir()) == []


def test_problem_cell_highlighted_with_comment_and_listed(batch: Batch, tmp_path: Path) -> None:
    path = write_feedback(batch.report("negative_xlsx"), tmp_path, LABELS)
    assert path is not None and path.name == "negative_xlsx_KiemTra.xlsx"
    wb = load_workbook(path)
    assert wb.sheetnames[0] == PROBLEM_SHEET
    cell = wb["ChiTieu"]["E19"]
    assert cell.value == -2
    assert cell.fill.fgColor.rgb.endswith("FF9999")
    assert cell.comment is not None and "value.negative" in cell.comment.text
    listed = [row for row in wb[PROBLEM_SHEET].iter_rows(min_row=4, values_only=True)]
    assert [(r[1], r[2], r[3], r[4]) for r in listed] == [
        ("Lỗi", "ChiTieu", "E19", "value.negative")
    ]
    assert not wb["ChiTieu"].protection.sheet  # the clerk can edit every flagged cell
    assert batch.report("negative_xlsx").submission.path.is_file()  # original untouched


def test_legacy_format_gets_an_xlsx_rendition(batch: Batch, tmp_path: Path) -> None:
    path = write_feedback(batch.report("negative_xls"), tmp_path, LABELS)
    assert path is not None and path.suffix == ".xlsx"
    wb = load_workbook(path)
    assert wb["ChiTieu"]["E19"].comment is not None


def test_warning_is_yellow(batch: Batch, tmp_path: Path) -> None:
    path = write_feedback(batch.report("warning_only"), tmp_path, LABELS)
    assert path is not None
    assert load_workbook(path)["ChiTieu"]["E41"].fill.fgColor.rgb.endswith("FFE699")


def test_hostile_file_gets_a_text_note(batch: Batch, tmp_path: Path) -> None:
    path = write_feedback(batch.report("pdf_renamed"), tmp_path, LABELS)
    assert path is not None and path.suffix == ".txt"
    text = path.read_text(encoding="utf-8")
    assert "file.not_workbook" in text and "bị từ chối" in text
