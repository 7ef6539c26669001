"""`pcmbn run` with the history store on a PostgreSQL server gives the same document, exports and
status as with the default DuckDB file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli import run_pcmbn

from pcmbn.settings import PROJECT_ROOT

PLAN = "ST-KH-30-7-2024"
PERIOD = "2024-07"
INBOX = PROJECT_ROOT / "sample_reports" / PLAN


def _month(home: Path, store: str | None) -> tuple[dict[str, Any], dict[str, bytes], str]:
    """The run's JSON document (home replaced by <HOME>), its exports, and `pcmbn status`."""
    on = {"PCMBN_STORE": store}  # None: the default DuckDB file, whatever this shell says
    run = run_pcmbn(
        home,
        "run",
        "--plan",
        PLAN,
        "--period",
        PERIOD,
        "--inbox",
        str(INBOX),
        "--format",
        "json",
        env=on,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    document = json.loads(run.stdout.replace(str(home), "<HOME>"))
    folder = home / "outputs" / PLAN / PERIOD / "exports"
    exports = {
        p.name: p.read_bytes().replace(str(home).encode(), b"<HOME>")
        for p in sorted(folder.glob("*.csv"))
    }
    status = run_pcmbn(home, "status", "--plan", PLAN, "--period", PERIOD, env=on)
    assert status.returncode == 0, status.stderr
    return document, exports, status.stdout


@pytest.mark.slow
def test_run_on_postgresql_matches_duckdb(tmp_path: Path, postgres_url: str) -> None:
    duck_document, duck_exports, duck_status = _month(tmp_path / "duck", None)
    pg_document, pg_exports, pg_status = _month(tmp_path / "pg", postgres_url)
    assert not (tmp_path / "pg" / "history.duckdb").exists()  # the server held the history
    assert pg_document["run_id"] == duck_document["run_id"]
    assert pg_document["totals"] == duck_document["totals"]
    assert pg_document["completeness"] == duck_document["completeness"]
    assert pg_document["files"] == duck_document["files"]
    assert pg_document == duck_document
    assert duck_exports and pg_exports == duck_exports
    assert pg_status == duck_status
