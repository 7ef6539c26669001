"""Feedback files: the unit's own workbook, problem cells marked, plus the LoiKiemTra sheet."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from report_fixtures import Batch, Fixture, run_batch, set_value, write_fixture

from pcmbn import layout
from pcmbn.catalog import load_catalog
from pcmbn.validation.checker import FileReport, check_files
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
    sha = batch.report("negative_xlsx").submission.sha256
    assert path is not None and path.name == f"CA_TINH_{sha[:12]}_negative_xlsx_KiemTra.xlsx"
    wb = load_workbook(path)
    assert wb.sheetnames[0] == PROBLEM_SHEET
    cell = wb["ChiTieu"]["E19"]
    assert cell.value == -2
    assert cell.fill.fgColor.rgb.endswith("FF9999")
    assert cell.comment is not None and "âm" in cell.comment.text
    assert "value.negative" not in cell.comment.text  # issue 12.15: rule ids stay in JSON
    header = next(wb[PROBLEM_SHEET].iter_rows(min_row=3, max_row=3, values_only=True))
    assert header == ("STT", "Mức độ", "Trang", "Ô", "Nội dung cần sửa")
    listed = [row for row in wb[PROBLEM_SHEET].iter_rows(min_row=4, values_only=True)]
    assert [(r[1], r[2], r[3]) for r in listed] == [("Lỗi", "ChiTieu", "E19")]
    assert "âm" in listed[0][4]
    assert not any("value." in str(v) for r in listed for v in r)
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
    assert "bị từ chối" in text
    assert "file.not_workbook" not in text and "[" not in text  # issue 12.15: no rule ids


@pytest.fixture(scope="module")
def same_names(tmp_path_factory: pytest.TempPathFactory) -> dict[str, FileReport]:
    """Issue 19.5: two units' files named alike, and a 250-byte name, checked in one batch."""
    root = tmp_path_factory.mktemp("names")
    catalog = load_catalog()
    long_stem = "Bao_cáo_" + "ă" * 118  # 9 + 236 bytes: with ".xlsx", 250 bytes of UTF-8
    assert len(f"{long_stem}.xlsx".encode()) == 250
    paths = {}
    for key, folder, fixture in (
        ("CA_TINH", "CongAn", Fixture("BaoCao", unit="CA_TINH", edit=set_value("DT01", -2))),
        ("BP_TINH", "BienPhong", Fixture("BaoCao", unit="BP_TINH", edit=set_value("DT01", -7))),
        ("long", "Dai", Fixture("short", edit=set_value("DT01", -2))),
    ):
        (root / folder).mkdir()
        paths[key] = write_fixture(fixture, root / folder, catalog)
    # the fixture writer's temporary name would be too long: write short, then rename
    paths["long"] = paths["long"].rename(paths["long"].with_name(f"{long_stem}.xlsx"))
    result = check_files(list(paths.values()), catalog)
    return {
        key: next(r for r in result.reports if r.submission.path == p) for key, p in paths.items()
    }


def test_two_units_sending_the_same_name_get_their_own_feedback(
    same_names: dict[str, FileReport], tmp_path: Path
) -> None:
    police = write_feedback(same_names["CA_TINH"], tmp_path, LABELS)
    border = write_feedback(same_names["BP_TINH"], tmp_path, LABELS)
    assert police is not None and border is not None and police != border
    assert police.name.startswith("CA_TINH_") and border.name.startswith("BP_TINH_")
    assert police.name.endswith("_BaoCao_KiemTra.xlsx")
    assert load_workbook(police)["ChiTieu"]["E19"].value == -2
    assert load_workbook(border)["ChiTieu"]["E19"].value == -7
    assert len(list(tmp_path.iterdir())) == 2


def test_a_250_byte_name_gets_a_feedback_file_with_a_safe_name(
    same_names: dict[str, FileReport], tmp_path: Path
) -> None:
    report = same_names["long"]
    path = write_feedback(report, tmp_path, LABELS)
    assert path is not None and path.is_file()
    assert len(path.name.encode("utf-8")) <= layout.FEEDBACK_NAME_MAX_BYTES
    prefix = f"CA_TINH_{report.submission.sha256[:12]}_"
    assert path.name.startswith(prefix) and path.name.endswith("_KiemTra.xlsx")
    kept = path.name[len(prefix) : -len("_KiemTra.xlsx")]
    assert kept and Path(report.submission.name).stem.startswith(kept)  # cut between characters


def test_feedback_names_are_safe_whatever_the_unit_sent() -> None:
    sha = "0123456789abcdef" * 4
    assert layout.feedback_name(None, sha, "x.pdf", ".txt") == "0123456789ab_x_KiemTra.txt"
    hostile = layout.feedback_name("CA/../TINH", sha, '\t=HYPERLINK("a:\\b")\n.xlsx', ".xlsx")
    assert "/" not in hostile and "\\" not in hostile and "\t" not in hostile
    assert "\n" not in hostile and hostile.startswith("CA_.._TINH_0123456789ab_")
    assert (
        layout.feedback_name("A" * 500, sha, "B" * 500 + ".xlsx", ".xlsx").encode().__len__() <= 200
    )
    nfd = layout.feedback_name("CA_TINH", sha, "Ba\u0301o ca\u0301o.xlsx", ".xlsx")
    assert "Báo cáo" in nfd  # NFC, as the intake compares names
    assert (
        layout.feedback_name("CA_TINH", sha, "?*.xlsx", ".xlsx")
        == "CA_TINH_0123456789ab_KiemTra.xlsx"
    )


def test_problem_sheet_prints_on_one_page_width(batch: Batch, tmp_path: Path) -> None:
    """Issue 17: LoiKiemTra's message column printed on a second page and was cut."""
    path = write_feedback(batch.report("negative_xlsx"), tmp_path, LABELS)
    assert path is not None
    ws = load_workbook(path)[PROBLEM_SHEET]
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$3:$3"


def _zip_parts(path: Path) -> dict[str, bytes]:
    """A workbook's parts but its core properties (openpyxl stamps the save time there)."""
    import zipfile

    with zipfile.ZipFile(path) as packed:
        return {n: packed.read(n) for n in packed.namelist() if n != "docProps/core.xml"}


def test_many_files_are_annotated_in_processes_batch_by_batch(batch: Batch, tmp_path: Path) -> None:
    """A national month's rejected files are spread over worker processes; a flow may call
    once per batch into the same folder. Same files, same content as one by one."""
    from dataclasses import replace

    from pcmbn.validation.feedback import PARALLEL_FROM, write_feedback_many

    base = batch.report("negative_xlsx")
    copies = [
        replace(base, submission=replace(base.submission, sha256=f"{i:04d}" + "0" * 60))
        for i in range(PARALLEL_FROM + 6)
    ]
    clean = batch.report("ordinary")
    first, second = copies[:PARALLEL_FROM], copies[PARALLEL_FROM:]
    parallel = tmp_path / "parallel"
    written = write_feedback_many([clean, *first], parallel, LABELS, workers=2)
    written += write_feedback_many(second, parallel, LABELS, workers=2)
    serial = tmp_path / "serial"
    expected = [write_feedback(report, serial, LABELS) for report in copies]
    assert [p.name for p in written] == [p.name for p in expected if p is not None]
    assert sorted(p.name for p in parallel.iterdir()) == sorted(p.name for p in serial.iterdir())
    for path in written:
        assert _zip_parts(path) == _zip_parts(serial / path.name)
