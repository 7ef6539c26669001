"""The command line as a data officer meets it: Vietnamese help, one-line errors, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

NA = "NA-276-KH-UBND-2021"


def _pcmbn(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pcmbn", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "120", **(env or {})},
    )


def _assert_one_line_error(
    result: subprocess.CompletedProcess[str], code: int, *words: str
) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    text = " ".join(result.stderr.split())
    for word in words:
        assert word in text, text


@pytest.mark.parametrize("command", ["template", "samples", "catalog", "check"])
def test_every_command_has_vietnamese_help(command: str) -> None:
    result = _pcmbn(command, "--help")
    assert result.returncode == 0
    assert any(word in result.stdout for word in ("Tạo", "Kiểm tra"))
    assert "Usage" in result.stdout or "Cách dùng" in result.stdout


def test_template_needs_exactly_one_of_unit_or_all_units(tmp_path: Path) -> None:
    result = _pcmbn("template", "--plan", NA, "--period", "2021-07", "--out", str(tmp_path))
    _assert_one_line_error(result, 2, "--unit", "--all-units")


def test_bad_period_is_one_clear_line(tmp_path: Path) -> None:
    result = _pcmbn(
        "template",
        "--plan",
        NA,
        "--period",
        "Tháng 13/2021",
        "--unit",
        "CA_TINH",
        "--out",
        str(tmp_path),
    )
    _assert_one_line_error(result, 1, "Tháng 13/2021", "1 đến 12")


def test_period_outside_plan_and_unknown_unit(tmp_path: Path) -> None:
    outside = _pcmbn(
        "template", "--plan", NA, "--period", "2024-07", "--unit", "CA_TINH", "--out", str(tmp_path)
    )
    _assert_one_line_error(outside, 1, "Tháng 7/2024", "nằm ngoài")
    unknown = _pcmbn(
        "template",
        "--plan",
        NA,
        "--period",
        "2021-07",
        "--unit",
        "CA_HUYEN",
        "--out",
        str(tmp_path),
    )
    _assert_one_line_error(unknown, 1, "CA_HUYEN")


def test_broken_catalog_named_in_one_line(schemas_copy: Path) -> None:
    (schemas_copy / "indicators.csv").write_text(
        "code,group,name,unit_of_measure,value_type,applies_to,aggregation,parent,note\n"
        "TT01,Tuyên truyền,Số buổi,buổi,integer,all,average,,\n",
        encoding="utf-8",
    )
    result = _pcmbn("catalog", env={"PCMBN_SCHEMAS": str(schemas_copy)})
    _assert_one_line_error(result, 1, "indicators.csv", "TT01", "aggregation")


def test_catalog_shows_a_milestone_with_its_own_span() -> None:
    """Issue 12, item 19: the campaign's sơ kết reviews 07–09/2024, and the catalog says so."""
    result = _pcmbn("catalog", env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if "Sơ kết đợt cao điểm" in x)
    assert "7/2024 – " in line and "9/2024" in line


def test_template_for_one_unit(tmp_path: Path) -> None:
    result = _pcmbn(
        "template",
        "--plan",
        NA,
        "--period",
        "Tháng 7/2021",
        "--unit",
        "ca_tinh",
        "--out",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "BaoCao_CA_TINH_2021-07.xlsx").is_file()


def test_unexpected_error_goes_to_the_log_not_the_screen(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x", encoding="utf-8")
    result = _pcmbn(
        "template",
        "--plan",
        NA,
        "--period",
        "2021-07",
        "--unit",
        "CA_TINH",
        "--out",
        str(blocker / "sub"),
    )
    assert result.returncode == 3
    assert "Traceback" not in result.stderr + result.stdout
    log = Path(os.environ["PCMBN_HOME"]) / "logs" / "pcmbn.log"
    assert "Traceback" in log.read_text(encoding="utf-8")


def test_reopen_without_reason_is_refused_with_one_line() -> None:
    result = _pcmbn("reopen", "--plan", NA, "--period", "2021-07")
    _assert_one_line_error(result, 2, "lý do", "--reason")


def test_reopen_a_period_without_data_says_it_has_no_data() -> None:
    """Issue 12, item 19: a month never aggregated is "chưa có số liệu", not "chưa phê duyệt"."""
    result = _pcmbn("reopen", "--plan", NA, "--period", "2021-07", "--reason", "sửa số")
    _assert_one_line_error(result, 1, "chưa có số liệu", "không có gì để mở lại")
    assert "phê duyệt" not in result.stdout + result.stderr


def test_approving_a_period_never_aggregated_is_refused() -> None:
    result = _pcmbn("approve", "--plan", NA, "--period", "2021-07")
    _assert_one_line_error(result, 1, "chưa được tổng hợp", "pcmbn run")
