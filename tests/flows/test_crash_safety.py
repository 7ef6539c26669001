"""Kill a run with SIGKILL at each crash point, rerun, and compare with an uninterrupted run.

Each run is a real `pcmbn` process talking to the session's Prefect test server. After a crash
no file is visible under its final name unless complete, no original is lost; after the rerun
the history and the exports equal those of a run that was never interrupted, nothing counted
twice. Crash points: `pcmbn.faults.POINTS`.
"""

from __future__ import annotations

import hashlib
import json
import signal
import zipfile
from pathlib import Path
from typing import Any

import pytest
from cli import run_pcmbn

from pcmbn.faults import POINTS
from pcmbn.settings import PROJECT_ROOT
from pcmbn.store.history import HistoryStore

PLAN = "ST-KH-30-7-2024"
PERIOD = "2024-07"
INBOX = PROJECT_ROOT / "sample_reports" / PLAN / PERIOD
MONTHLY_POINTS = ("archive", "history", "summary")


@pytest.fixture(scope="module")
def api_url(prefect_harness: None) -> str:
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value())


def _pcmbn(api_url: str, home: Path, *args: str, crash: str | None = None) -> Any:
    """`pcmbn ARGS` against the session's Prefect API, killed at `crash` when given."""
    env = {"PREFECT_API_URL": api_url, "PCMBN_CRASH_AT": crash or None}
    return run_pcmbn(home, *args, env=env, timeout=600)


def _run(api_url: str, home: Path, crash: str | None = None) -> Any:
    return _pcmbn(
        api_url,
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
        crash=crash,
    )


def _history(home: Path) -> dict[str, list[tuple[Any, ...]]]:
    """The store's content that must not depend on crashes (run times and paths aside)."""
    store = HistoryStore(home / "history.duckdb")
    queries = {
        "archive": "SELECT sha256, size, original_name FROM archive ORDER BY sha256",
        "submissions": "SELECT sha256, plan_id, period, unit_code, status, superseded_by "
        "FROM submissions ORDER BY sha256",
        "values": "SELECT * FROM submission_values ORDER BY sha256, indicator",
        "problems": "SELECT * FROM problems ORDER BY sha256, seq",
        "tasks": "SELECT * FROM task_statuses ORDER BY sha256, task_code",
        "narratives": "SELECT * FROM narratives ORDER BY sha256, kind",
        "runs": "SELECT run_id, plan_id, period, files FROM runs ORDER BY run_id",
    }
    tables = {}
    for name, sql in queries.items():
        frame = store.query(sql).astype(object)
        frame = frame.where(frame.notna(), None)  # NaN != NaN would fail equal tables
        tables[name] = [tuple(row) for row in frame.itertuples(index=False)]
    return tables


def _exports(home: Path) -> dict[str, bytes]:
    folder = home / "outputs" / PLAN / PERIOD / "exports"
    # Byte-identical except for where the home is (nguon.csv names each archived file).
    return {
        p.name: p.read_bytes().replace(str(home).encode(), b"<HOME>")
        for p in sorted(folder.glob("*.csv"))
    }


def _assert_nothing_partial_under_a_final_name(home: Path) -> None:
    """Every visible file is whole: workbooks and zips open, archived originals match their
    checksum names; unfinished writes only ever carry a hidden or `.part` name."""
    for path in home.rglob("*"):
        if not path.is_file() or path.name.startswith(".") or ".part" in path.name:
            continue
        if path.suffix in (".xlsx", ".zip"):
            assert zipfile.is_zipfile(path), path
            with zipfile.ZipFile(path) as packed:
                assert packed.testzip() is None, path
        relative = path.relative_to(home).parts
        if relative[0] == "archive" and len(relative) == 3:  # archive/<sha[:2]>/<sha><ext>
            assert hashlib.sha256(path.read_bytes()).hexdigest() == path.stem, path


@pytest.mark.slow
def test_killed_runs_leave_no_partial_output_and_a_rerun_matches(
    api_url: str, tmp_path: Path
) -> None:
    reference = tmp_path / "reference"
    done = _run(api_url, reference)
    assert done.returncode == 0, done.stderr[-2000:]
    expected_history, expected_exports = _history(reference), _exports(reference)
    originals = {hashlib.sha256(p.read_bytes()).hexdigest() for p in INBOX.glob("BaoCao_*")}
    assert {row[0] for row in expected_history["archive"]} == originals

    for point in MONTHLY_POINTS:
        home = tmp_path / point
        killed = _run(api_url, home, crash=point)
        assert killed.returncode == -signal.SIGKILL, (point, killed.stderr[-2000:])
        _assert_nothing_partial_under_a_final_name(home)
        summary = home / "outputs" / PLAN / PERIOD / f"TongHop_{PLAN}_{PERIOD}.xlsx"
        assert not summary.exists(), point  # the crash came before the summary was in place
        rerun = _run(api_url, home)
        assert rerun.returncode == 0, (point, rerun.stderr[-2000:])
        _assert_nothing_partial_under_a_final_name(home)
        assert _history(home) == expected_history, point  # nothing lost, nothing twice
        assert _exports(home) == expected_exports, point
        assert json.loads(rerun.stdout)["totals"] == json.loads(done.stdout)["totals"]


@pytest.mark.slow
def test_killed_packet_build_leaves_no_zip_and_a_rebuild_matches(
    api_url: str, tmp_path: Path
) -> None:
    home = tmp_path / "packet"
    assert _run(api_url, home).returncode == 0
    args = ("packet", "--plan", PLAN, "--milestone", "so_ket", "--period", "2024-09")
    killed = _pcmbn(api_url, home, *args, "--format", "json", crash="packet")
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    packets = home / "outputs" / PLAN / "packets"
    assert list(packets.glob("*.zip")) == []
    _assert_nothing_partial_under_a_final_name(home)
    first = _pcmbn(api_url, home, *args, "--format", "json")
    assert first.returncode == 0, first.stderr[-2000:]
    again = _pcmbn(api_url, home, *args, "--format", "json")
    zip_path = Path(json.loads(first.stdout)["packet"])
    assert zip_path.read_bytes() == Path(json.loads(again.stdout)["packet"]).read_bytes()
    assert [p.name for p in packets.iterdir() if p.name.startswith(".")] == []
    _assert_nothing_partial_under_a_final_name(home)


def test_every_crash_point_is_exercised() -> None:
    # "mail" is exercised by tests/flows/test_mail_intake.py (crash between filing and flagging)
    assert set(MONTHLY_POINTS) | {"packet", "mail"} == set(POINTS)
