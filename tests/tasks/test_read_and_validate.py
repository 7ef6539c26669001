"""Task bodies called through `.fn()`: the middle of the test pyramid.

What belongs in `tests/tasks/`
    One Prefect task's own logic, called as a plain function (`some_task.fn(...)`): no Prefect
    API, no flow run, no task runner, so a test costs what the work costs. The pure core below
    a task is tested in `tests/pcmbn/`; whole flows on a temporary Prefect API in
    `tests/flows/` (marked `slow`).

How to add one
    Build the inputs the flow would hand the task (inbox files from `report_fixtures`,
    `Received` items, submissions) under `tmp_path`, call `.fn()`, and assert on what the next
    task of the flow reads from the result. Keep anything that starts a server, a subprocess
    or LibreOffice out of here, or mark it `slow`.

Tasks whose signature takes a settings object get it from the test; until then they load the
catalog from `PCMBN_SCHEMAS` (unset in tests: the project's own `schemas/`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from report_fixtures import PLAN, Fixture, set_value, write_fixture

from pcmbn.catalog import load_catalog
from pcmbn.clock import OFFICE_TZ
from pcmbn.intake import InboxFile, Received
from pcmbn.settings import Settings
from pcmbn.validation.checker import CheckResult
from pcmbn.validation.history import HistoryContext
from pcmbn.validation.submission import Submission
from tasks.intake import archive_chunk, read_chunk
from tasks.validation import validate_all

RECEIVED_AT = datetime(2024, 7, 16, 9, 30, tzinfo=OFFICE_TZ)


@pytest.fixture(scope="module")
def received(tmp_path_factory: pytest.TempPathFactory) -> list[Received]:
    """Three inbox files, archived by the archive task: a good report, a bad one, a PDF."""
    root = tmp_path_factory.mktemp("tasks")
    inbox = root / "inbox"
    inbox.mkdir()
    catalog = load_catalog()
    paths = [
        write_fixture(Fixture("BaoCao_CA_TINH"), inbox, catalog),
        write_fixture(
            Fixture("BaoCao_BP_TINH", unit="BP_TINH", edit=set_value("DT01", -2)), inbox, catalog
        ),
        write_fixture(Fixture("BaoCao_SO_TP", raw=b"%PDF-1.4\n"), inbox, catalog),
    ]
    items = [
        InboxFile(str(p), p.name, RECEIVED_AT, sender=p.stem.removeprefix("BaoCao_")) for p in paths
    ]
    settings = Settings(home=root / "home", archive=str(root / "archive"))
    return archive_chunk.fn(settings, items)


@pytest.fixture(scope="module")
def submissions(received: list[Received]) -> list[Submission]:
    # The flow numbers files across chunks; a chunk need not start at 0.
    return read_chunk.fn(Settings(), [(10 + i, r) for i, r in enumerate(received)])


def test_archive_chunk_names_copies_by_content(received: list[Received]) -> None:
    assert [r.name for r in received] == [
        "BaoCao_CA_TINH.xlsx",
        "BaoCao_BP_TINH.xlsx",
        "BaoCao_SO_TP.xlsx",
    ]
    for r in received:
        assert r.local_path.name == f"{r.sha256}.xlsx"
        assert r.local_path.parent.name == r.sha256[:2]
        assert r.size == r.local_path.stat().st_size
        assert (r.received_at, r.sender) == (RECEIVED_AT, r.name[len("BaoCao_") : -len(".xlsx")])


def test_read_chunk_keeps_indexes_and_original_names_and_never_raises(
    received: list[Received], submissions: list[Submission]
) -> None:
    assert [s.index for s in submissions] == [10, 11, 12]
    assert [s.name for s in submissions] == [r.name for r in received]
    assert [s.sha256 for s in submissions] == [r.sha256 for r in received]
    good, bad, pdf = submissions
    assert (good.plan and good.plan.id, good.unit_code, good.period and good.period.code) == (
        PLAN,
        "CA_TINH",
        "2024-07",
    )
    assert bad.values["DT01"][0].number.value == -2
    assert pdf.refusal is not None and pdf.records is None


@pytest.fixture(scope="module")
def checked(
    submissions: list[Submission], tmp_path_factory: pytest.TempPathFactory
) -> tuple[CheckResult, Path]:
    """One validation run (GE costs seconds) shared by the assertions below.

    The history says CA_TINH's June cumulative of DT01 was 10: July's 4 should make 14, the
    file says 12.
    """
    docs = tmp_path_factory.mktemp("docs")
    history = HistoryContext(previous_cumulative={("CA_TINH", "DT01"): 10.0})
    return validate_all.fn(Settings(), submissions, history), docs


def test_validate_all_checks_every_submission_in_one_run(
    checked: tuple[CheckResult, Path],
) -> None:
    result, docs = checked
    by_name = {r.submission.name: r for r in result.reports}
    assert {name: r.status for name, r in by_name.items()} == {
        "BaoCao_CA_TINH.xlsx": "accepted",
        "BaoCao_BP_TINH.xlsx": "rejected",
        "BaoCao_SO_TP.xlsx": "rejected",
    }
    assert [(p.rule, p.sheet, p.cell) for p in by_name["BaoCao_BP_TINH.xlsx"].problems] == [
        ("value.negative", "ChiTieu", "E19")
    ]
    # A file that is not a workbook has no cell to point at.
    assert [(p.sheet, p.cell) for p in by_name["BaoCao_SO_TP.xlsx"].problems] == [(None, None)]
    # GE's Data Docs are no longer built (English, outside scripts): nothing lands in a folder.
    assert list(docs.iterdir()) == []


def test_validate_all_applies_the_history_it_is_given(checked: tuple[CheckResult, Path]) -> None:
    result, _ = checked
    good = next(r for r in result.reports if r.submission.unit_code == "CA_TINH")
    assert good.status == "accepted"  # continuity is a warning
    assert [(p.rule, p.severity, p.cell) for p in good.problems] == [
        ("value.cumulative_discontinuity", "warning", "F19")
    ]
    # BP_TINH has no history: its only problem is its own negative count.
    bad = next(r for r in result.reports if r.submission.unit_code == "BP_TINH")
    assert {p.rule for p in bad.problems} == {"value.negative"}
