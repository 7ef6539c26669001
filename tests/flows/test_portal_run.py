"""Issue 14 acceptance: a file submitted on the portal lands in the inbox with the session's
received time and sender, is archived like any other (same sha256 path), and `pcmbn run` over
the portal's inbox counts it with that time and gives the same totals as over a folder."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cli import run_pcmbn
from portal_app import make_portal
from report_fixtures import Fixture, set_value, write_fixture

from pcmbn.catalog import load_catalog
from pcmbn.settings import PROJECT_ROOT

PLAN = "ST-KH-30-7-2024"
PERIOD = "2024-07"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ON_TIME = datetime(2024, 7, 16, 9, 0, tzinfo=TZ)  # due 17/07/2024
LATE = datetime(2024, 7, 19, 8, 0, tzinfo=TZ)


def _run(home: Path, *extra: str) -> dict:
    result = run_pcmbn(home, "run", "--plan", PLAN, "--period", PERIOD, "--format", "json", *extra)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


@pytest.mark.slow
def test_portal_submissions_are_counted_with_the_sessions_time_like_a_folder(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    portal = make_portal(tmp_path, warm=True, home=home)
    catalog = load_catalog(PROJECT_ROOT / "schemas")
    made = tmp_path / "made"
    made.mkdir()
    files = {
        "CA_TINH": write_fixture(Fixture("ca", edit=set_value("DT01", 3)), made, catalog),
        "BP_TINH": write_fixture(
            Fixture("bp", unit="BP_TINH", edit=set_value("DT01", 5)), made, catalog
        ),
    }
    receipts = {}
    for unit, when in (("CA_TINH", ON_TIME), ("BP_TINH", LATE)):
        username = f"{unit.lower()}@st"
        portal.clock.now = when
        portal.account(username, unit=unit, plan=PLAN)
        auth = portal.token(username)
        path = files[unit]
        sent = portal.client.post(
            "/api/v1/submissions", headers=auth, files={"file": (path.name, path.read_bytes())}
        )
        assert sent.status_code == 201, sent.text
        receipts[unit] = sent.json()["receipt"]
        assert datetime.fromisoformat(receipts[unit]["received_at"]) == when
        assert receipts[unit]["sender"] == username and receipts[unit]["channel"] == "portal"

    counted = _run(home)
    assert counted["completeness"]["CA_TINH"] == "on_time"  # the session's time, not the mtime
    assert counted["completeness"]["BP_TINH"] == "late"
    assert counted["totals"]["DT01"]["period"] == 8
    store = portal.store
    stored = store.submissions(PLAN, PERIOD).set_index("sha256")
    archive = store.query("SELECT sha256, archive_path FROM archive").set_index("sha256")
    for unit, receipt in receipts.items():
        sha = receipt["sha256"]
        assert stored.loc[sha, "received_at"].to_pydatetime() == datetime.fromisoformat(
            receipt["received_at"]
        )
        assert stored.loc[sha, "unit_code"] == unit
        # archived like any other file: content-addressed by its checksum
        assert archive.loc[sha, "archive_path"].endswith(f"{sha[:2]}/{sha}.xlsx")

    folder = tmp_path / "thu-muc"
    folder.mkdir()
    for path in files.values():
        shutil.copy(path, folder / path.name)
    plain = _run(tmp_path / "home-folder", "--inbox", str(folder))
    assert plain["totals"] == counted["totals"]
