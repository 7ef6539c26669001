"""`pcmbn run` over an inbox an attacker or a careless unit filled (issue 19), end to end."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook

from pcmbn import layout
from pcmbn.settings import PROJECT_ROOT, store_path
from pcmbn.store.history import HistoryStore

PLAN = "ST-KH-30-7-2024"


def _far_cell_workbook() -> bytes:
    wb = Workbook()
    wb.active.title = "ChiTieu"
    wb.active["XFD1048576"] = "boom"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_run_survives_a_hostile_inbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(PROJECT_ROOT / "sample_reports" / PLAN / "2024-07", inbox)
    (inbox / "BaoCao_SO_TP_X.xlsx").symlink_to("/etc/passwd")
    (inbox / "BaoCao_VKS_X.xlsx").symlink_to("/etc")
    (inbox / "BaoCao_TA_X.xlsx").symlink_to(inbox / "khong-co.xlsx")
    (inbox / "BaoCao_ZERO.xlsx").symlink_to("/dev/zero")
    os.mkfifo(inbox / "BaoCao_X.xlsx")
    (inbox / "BaoCao_SO_TC.xlsx").mkdir()
    (inbox / "BaoCao_XA.xlsx").write_bytes(_far_cell_workbook())
    (inbox / "BaoCao_RONG.xlsx").write_bytes(b"")
    home = tmp_path / "home"
    result = subprocess.run(
        [sys.executable, "-m", "pcmbn", "run", "--plan", PLAN, "--period", "2024-07"]
        + ["--inbox", str(inbox), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=850,
        env={**os.environ, "PCMBN_HOME": str(home), "COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    document = json.loads(result.stdout)
    assert document["files"]["rejected"] >= 8
    assert document["files"]["accepted"] > 10
    leaked = [p for p in home.rglob("*") if p.is_file() and b"root:x:0:0" in p.read_bytes()]
    assert leaked == []
    notes = {p.name for p in Path(document["outputs"]["feedback_dir"]).iterdir()}
    # feedback is named after the submission (issue 19.5): unit, sha256, then the file's name
    monkeypatch.setenv("PCMBN_HOME", str(home))
    store = HistoryStore(store_path())
    named = {
        row.original_name: layout.feedback_name(
            row.unit_code, row.sha256, row.original_name, ".txt"
        )
        for row in store.query(
            "SELECT original_name, unit_code, sha256 FROM submissions"
        ).itertuples()
    }
    assert {named["BaoCao_SO_TP_X.xlsx"], named["BaoCao_XA.xlsx"]} <= notes, notes
    note = (Path(document["outputs"]["feedback_dir"]) / named["BaoCao_X.xlsx"]).read_text("utf-8")
    assert "không phải là tệp thông thường" in note
