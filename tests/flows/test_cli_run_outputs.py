"""`pcmbn run` twice, then with the summary locked (issues 12.23 and 12.10), as a data officer
sees it: the rerun is one audit line saying it changed nothing; a summary that cannot be
replaced is one Vietnamese line naming the file to close (exit 1) and an audit line saying the
run did not publish."""

from __future__ import annotations

import pickle
import subprocess
from pathlib import Path

import pytest
from cli import run_pcmbn

from pcmbn.errors import OutputLocked
from pcmbn.office.atomic import atomic_write
from pcmbn.settings import PROJECT_ROOT

PLAN, PERIOD = "ST-KH-30-7-2024", "2024-07"
SUMMARY = f"TongHop_{PLAN}_{PERIOD}.xlsx"


def _run(home: Path) -> subprocess.CompletedProcess[str]:
    inbox = str(PROJECT_ROOT / "sample_reports" / PLAN)
    return run_pcmbn(home, "run", "--plan", PLAN, "--period", PERIOD, "--inbox", inbox, columns=250)


def _run_rows(home: Path) -> list[str]:
    log = run_pcmbn(home, "log", "--plan", PLAN, "--period", PERIOD, columns=250)
    assert log.returncode == 0, log.stderr
    return [line for line in log.stdout.splitlines() if "Tổng hợp" in line]


def test_a_target_that_cannot_be_replaced_is_output_locked(tmp_path: Path) -> None:
    target = tmp_path / SUMMARY
    (target / "inside").mkdir(parents=True)  # a folder in the way: like a file Excel holds
    with pytest.raises(OutputLocked) as caught:
        atomic_write(target, b"new")
    assert f"Hãy đóng tệp {SUMMARY} rồi chạy lại." in str(caught.value)
    assert not any(p.name.endswith(".part") for p in tmp_path.iterdir())
    copy = pickle.loads(pickle.dumps(caught.value))  # Prefect pickles task failures
    assert copy.path == target and str(copy) == str(caught.value)


@pytest.mark.slow
def test_rerun_is_one_unchanged_line_and_a_locked_summary_is_not_published(
    tmp_path: Path,
) -> None:
    first = _run(tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    second = _run(tmp_path)
    assert second.returncode == 0, second.stderr[-2000:]
    rows = _run_rows(tmp_path)
    assert len(rows) == 2, rows
    assert "chạy lại, không có thay đổi" not in rows[0]
    assert "chạy lại, không có thay đổi" in rows[1]

    summary = next((tmp_path / "outputs").rglob(SUMMARY))
    summary.unlink()
    (summary / "giu-cho").mkdir(parents=True)  # the summary cannot be replaced
    locked = _run(tmp_path)
    assert locked.returncode == 1, locked.stderr[-2000:]
    error = " ".join(locked.stderr.split())
    assert f"Hãy đóng tệp {SUMMARY} rồi chạy lại." in error, error
    assert "Lỗi không mong đợi" not in error and "Traceback" not in error
    rows = _run_rows(tmp_path)
    # the run's own line is written with the run (one transaction); the next says it did not
    # publish
    assert len(rows) == 4 and "KHÔNG xuất bản" in rows[3], rows
