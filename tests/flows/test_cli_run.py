"""`pcmbn run --format json` and `pcmbn status` as a script and a data officer use them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pcmbn.settings import PROJECT_ROOT

PLAN = "ST-KH-30-7-2024"


def _pcmbn(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pcmbn", *args],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "PCMBN_HOME": str(home), "COLUMNS": "200"},
    )


@pytest.mark.slow
def test_run_json_contract_on_sample_reports_then_status(tmp_path: Path) -> None:
    inbox = PROJECT_ROOT / "sample_reports" / PLAN
    result = _pcmbn(
        tmp_path,
        "run",
        "--plan",
        PLAN,
        "--period",
        "2024-07",
        "--inbox",
        str(inbox),
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    document = json.loads(result.stdout)  # stdout is exactly one JSON document
    assert set(document) == {
        "run_id",
        "plan_id",
        "period",
        "files",
        "totals",
        "completeness",
        "outputs",
    }
    assert document["plan_id"] == PLAN and document["period"] == "2024-07"
    assert set(document["files"]) == {"accepted", "rejected", "superseded", "other_period"}
    manifest = (inbox / "manifest.csv").read_text(encoding="utf-8")
    july = [line for line in manifest.splitlines() if ",2024-07," in line]
    assert sum(document["files"].values()) == sum(1 for line in july if line.split(",")[0])
    assert set(document["completeness"].values()) <= {"on_time", "late", "missing", "rejected"}
    assert "missing" in document["completeness"].values()
    assert set(document["totals"]) >= {"DT01", "NN01", "TT02"}
    for path in document["outputs"].values():
        assert Path(path).exists(), path
    assert "Traceback" not in result.stderr

    status = _pcmbn(tmp_path, "status", "--plan", PLAN, "--period", "2024-07")
    assert status.returncode == 0, status.stderr
    assert "Chưa gửi" in status.stdout and "Đúng hạn" in status.stdout


@pytest.mark.slow
def test_unknown_plan_is_one_line(tmp_path: Path) -> None:
    result = _pcmbn(tmp_path, "run", "--plan", "KH-KHONG-CO", "--period", "2024-07")
    assert result.returncode == 1
    assert "KH-KHONG-CO" in result.stderr and "Traceback" not in result.stderr + result.stdout
