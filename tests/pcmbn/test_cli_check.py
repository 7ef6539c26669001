"""`pcmbn check` as a clerk or a script runs it: clean JSON, exit codes, readable text."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from report_fixtures import Fixture, set_value, write_fixture

from pcmbn.catalog import load_catalog


def _check(*args: str, columns: int = 200) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pcmbn", "check", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": str(columns)},
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli")
    catalog = load_catalog()
    return {
        fx.name: write_fixture(fx, folder, catalog)
        for fx in (
            Fixture("good"),
            Fixture("bad", edit=set_value("DT01", -2)),
            Fixture("hostile", raw=b"%PDF-1.4\n"),
            Fixture("huge", edit=set_value("DT01", 99_999_999)),
        )
    }


@pytest.mark.slow
def test_json_is_the_contract_and_clean(files: dict[str, Path], tmp_path: Path) -> None:
    result = _check(
        str(files["good"]),
        str(files["bad"]),
        str(files["hostile"]),
        "--format",
        "json",
        "--feedback",
        str(tmp_path / "fb"),
    )
    assert result.returncode == 1
    document = json.loads(result.stdout)  # the whole of stdout is one JSON document
    by_name = {Path(f["path"]).name: f for f in document["files"]}
    assert by_name["good.xlsx"]["status"] == "accepted"
    assert by_name["good.xlsx"]["values"]["DT01"] == {"period": 4, "cumulative": 12}
    assert by_name["good.xlsx"]["period"] == "2024-07"
    bad = by_name["bad.xlsx"]
    assert bad["status"] == "rejected"
    assert [(p["rule"], p["sheet"], p["cell"], p["severity"]) for p in bad["problems"]] == [
        ("value.negative", "ChiTieu", "E19", "error")
    ]
    assert Path(bad["feedback"]).is_file()
    hostile = by_name["hostile.xlsx"]
    assert hostile["problems"][0]["sheet"] is None and hostile["problems"][0]["cell"] is None
    assert "Calculating Metrics" not in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_exit_zero_when_all_accepted_and_an_html_report(
    files: dict[str, Path], tmp_path: Path
) -> None:
    """Issue 12, item 20: the HTML report is Vietnamese and names no outside address."""
    from offline import assert_no_outside_address

    report = tmp_path / "out" / "KetQua.html"
    result = _check(str(files["good"]), str(files["bad"]), "--no-feedback", "--report", str(report))
    assert result.returncode == 1, result.stderr
    assert "ĐẠT" in result.stdout
    assert f"Kết quả kiểm tra (HTML): {report}" in result.stdout
    assert [p.name for p in report.parent.iterdir()] == ["KetQua.html"]  # one file, no site
    text = report.read_text(encoding="utf-8")
    assert "Kết quả kiểm tra báo cáo" in text and "Đã kiểm tra <b>2</b> tệp" in text
    assert "ChiTieu" in text and "E19" in text and "bị từ chối" in text
    assert "value.negative" not in text  # rule ids stay in the JSON
    assert_no_outside_address(report)


@pytest.mark.slow
def test_text_names_the_cell_and_the_feedback(files: dict[str, Path], tmp_path: Path) -> None:
    result = _check(str(files["bad"]), "--feedback", str(tmp_path))
    assert result.returncode == 1
    assert "ChiTieu!E19" in result.stdout and "không được âm" in result.stdout
    assert "value.negative" not in result.stdout  # issue 12.15: the id stays in the JSON
    sha = hashlib.sha256(files["bad"].read_bytes()).hexdigest()
    name = f"CA_TINH_{sha[:12]}_bad_KiemTra.xlsx"
    assert name in result.stdout
    assert (tmp_path / name).is_file()


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = _check(str(tmp_path / "khong-co.xlsx"))
    assert result.returncode == 2
    assert "khong-co.xlsx" in result.stderr and "Traceback" not in result.stderr


def _last_column(stdout: str) -> str:
    """The table's last column (the message), its wrapped lines joined again."""
    parts = [line.split("│")[-2] for line in stdout.splitlines() if line.count("│") >= 3]
    return " ".join(" ".join(p.split()) for p in parts if p.strip())


@pytest.mark.slow
def test_long_message_wraps_whole_at_80_columns(files: dict[str, Path], tmp_path: Path) -> None:
    """Issue 12.15: at a narrow terminal the message is wrapped, never cut, and no rule id."""
    result = _check(str(files["huge"]), "--format", "json", "--no-feedback")
    problems = json.loads(result.stdout)["files"][0]["problems"]
    problem = next(p for p in problems if p["rule"] == "value.implausible")
    assert len(problem["message"]) > 120
    text = _check(str(files["huge"]), "--no-feedback", columns=80)
    assert text.returncode == 1, text.stderr
    assert max(len(line) for line in text.stdout.splitlines()) <= 80
    assert "…" not in text.stdout and "value.implausible" not in text.stdout
    assert " ".join(problem["message"].split()) in _last_column(text.stdout)
