"""Ctrl-C during `pcmbn run` (issue 12.9): stops at once, one line, exit 130, nothing half-made."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pcmbn.settings import PROJECT_ROOT

PLAN = "ST-KH-30-7-2024"


def _wait_for(path: Path, text: str, process: subprocess.Popen[str], bound: float) -> None:
    """Until `text` appears in the log file (the run has started working)."""
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        if path.is_file() and text in path.read_text(encoding="utf-8", errors="replace"):
            return
        if process.poll() is not None:
            pytest.fail(f"the run ended before it was interrupted: {process.communicate()}")
        time.sleep(0.2)
    process.kill()
    pytest.fail(f"the run did not reach {text!r} in {bound} s")


@pytest.mark.slow
def test_ctrl_c_stops_the_run_with_one_line_and_cancels_the_flow_run(tmp_path: Path) -> None:
    home = tmp_path / "home"
    # As a data officer types it: none of the test session's Prefect settings (its server, its
    # WARNING log level, which would hide the line this test waits for); its own temporary server.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    # Files, not pipes: a child that outlived the run would hold a pipe open and hang the test.
    out_file, err_file = tmp_path / "out.txt", tmp_path / "err.txt"
    with out_file.open("w") as stdout, err_file.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "pcmbn", "run", "--plan", PLAN, "--period", "2024-07"]
            + ["--inbox", str(PROJECT_ROOT / "sample_reports" / PLAN)],
            stdout=stdout,
            stderr=stderr,
            text=True,
            env={**env, "PCMBN_HOME": str(home), "COLUMNS": "200"},
            start_new_session=True,
        )
    log = home / "logs" / "pcmbn.log"
    try:
        _wait_for(log, "lưu bản gốc vào kho lưu trữ", process, bound=600)  # read-inbox began
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)  # a bound for the test, not a speed target
        except subprocess.TimeoutExpired:
            pytest.fail("the run was still going 30 s after Ctrl-C")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # whatever is left of the session
    out = out_file.read_text(encoding="utf-8")
    err = err_file.read_text(encoding="utf-8")
    assert process.returncode == 130, err
    assert err.strip().splitlines() == ["Đã dừng theo yêu cầu."], err
    assert "Traceback" not in out + err and "EventsWorker" not in out + err
    assert "marked cancelled" in log.read_text(encoding="utf-8")
    outputs = home / "outputs"
    for path in outputs.rglob("*") if outputs.exists() else []:
        if path.is_file() and not path.name.startswith(".") and path.suffix == ".xlsx":
            load_workbook(path, read_only=True).close()  # complete, or it would not open
