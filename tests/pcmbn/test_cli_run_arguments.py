"""`pcmbn run` refuses wrong arguments at once, before Prefect starts, and writes nothing.

Issue 12: a missing `--inbox` used to be read as empty (everyone "Chưa gửi", exit 0); a typo
in `--plan` or `--period` was reported after ~45 s of Prefect start-up and left a FAILED flow
run; a period outside the plan ran anyway.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ST = "ST-KH-30-7-2024"  # 01/2024 – 12/2024


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "pcmbn", "run", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "PCMBN_HOME": str(home),
            "PREFECT_HOME": str(home.parent / "prefect-home"),
            "COLUMNS": "200",
        },
    )
    return result


def _assert_refused_before_anything(
    result: subprocess.CompletedProcess[str], home: Path, *words: str
) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    text = " ".join(result.stderr.split())
    for word in words:
        assert word in text, text
    # No Prefect start-up (it creates its home before anything else), no flow run. How long
    # the refusal takes is measured by `make bench`, never asserted here (a loaded machine).
    assert not (home.parent / "prefect-home").exists()
    written = [p for p in home.rglob("*") if p.is_file()] if home.exists() else []
    assert not [p for p in written if p.suffix in (".xlsx", ".duckdb", ".csv", ".parquet")], written


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--plan", "ST-KH-30-7-2O24", "--period", "2024-07"), ("ST-KH-30-7-2O24", ST)),
        (("--plan", ST, "--period", "2024-13"), ("2024-13",)),
        (("--plan", ST, "--period", "2024-07", "--period", "Tháng 13/2024"), ("Tháng 13/2024",)),
        (
            ("--plan", ST, "--period", "2026-11"),
            ("Tháng 11/2026", "nằm ngoài", "Tháng 1/2024", "Tháng 12/2024"),
        ),
        (("--plan", ST, "--period", "2024-07", "--units", "CA_TINHH"), ("CA_TINHH",)),
    ],
)
def test_wrong_plan_or_period_is_refused_before_prefect_starts(
    tmp_path: Path, args: tuple[str, ...], words: tuple[str, ...]
) -> None:
    home = tmp_path / "home"
    result = _run(home, *args)
    _assert_refused_before_anything(result, home, *words)


def test_a_missing_inbox_is_an_error_naming_it_and_nothing_is_written(tmp_path: Path) -> None:
    home = tmp_path / "home"
    missing = tmp_path / "a" / "missing" / "folder"
    result = _run(home, "--plan", ST, "--period", "2024-07", "--inbox", str(missing))
    _assert_refused_before_anything(result, home, str(missing), "Không tìm thấy")
    assert "Chưa gửi" not in result.stdout


def test_json_format_refuses_a_missing_inbox_too(tmp_path: Path) -> None:
    home = tmp_path / "home"
    missing = tmp_path / "nowhere"
    result = _run(
        home, "--plan", ST, "--period", "2024-07", "--inbox", str(missing), "--format", "json"
    )
    _assert_refused_before_anything(result, home, str(missing))
    assert result.stdout == ""
