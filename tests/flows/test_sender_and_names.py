"""Issue 19.4 and 19.5 end to end: the sender decides the unit; feedback and reminders are
keyed by submission, never by the file's name alone. One monthly run over a generated inbox."""

from __future__ import annotations

import csv
import hashlib
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from report_fixtures import Fixture, set_value, write_fixture

from flows.monthly_aggregation import monthly_aggregation
from pcmbn import layout
from pcmbn.catalog import load_catalog
from pcmbn.periods import parse_period
from pcmbn.reminders import reminders_for
from pcmbn.settings import store_path
from pcmbn.store.history import HistoryStore

#: The tests read the store the module's runs wrote (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("shared_home")

PLAN = "ST-KH-30-7-2024"
PERIOD = "2024-07"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ON_TIME = datetime(2024, 7, 16, 9, 0, tzinfo=TZ)
LATER = datetime(2024, 7, 17, 9, 0, tzinfo=TZ)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def month(
    prefect_harness: None, module_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, Path], dict]:
    """CA_TINH reports DT01 = 3; then a file the reception log says BP_TINH sent, declaring
    CA_TINH with DT01 = 40; the court and the procuracy both send a rejected `BaoCao.xlsx`."""
    catalog = load_catalog()
    inbox = tmp_path_factory.mktemp("inbox")
    own = write_fixture(
        Fixture("BaoCao_CA_TINH", unit="CA_TINH", edit=set_value("DT01", 3)), inbox, catalog
    )
    spoofed = write_fixture(
        Fixture("BaoCao_tu_BP_TINH", unit="CA_TINH", edit=set_value("DT01", 40)), inbox, catalog
    )
    files = {"own": own, "spoofed": spoofed}
    for unit, folder in (("TA_TINH", "ToaAn"), ("VKS_TINH", "VienKiemSat")):
        (inbox / folder).mkdir()
        files[unit] = write_fixture(
            Fixture("BaoCao", unit=unit, edit=set_value("TT01", -3)), inbox / folder, catalog
        )
    with (inbox / "received.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "received_at", "unit_code"])
        writer.writerow([own.name, ON_TIME.isoformat(), "CA_TINH"])
        writer.writerow([spoofed.name, LATER.isoformat(), "BP_TINH"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PCMBN_HOME", str(module_home))
        document = monthly_aggregation(plan=PLAN, period=PERIOD, inbox=str(inbox))
    return files, document


@pytest.mark.slow
def test_a_spoofed_sender_is_held_and_the_total_does_not_change(month) -> None:
    files, document = month
    assert document["totals"]["DT01"]["period"] == 3  # not 40: the spoof is not counted
    assert document["completeness"]["CA_TINH"] == "on_time"
    assert document["completeness"]["BP_TINH"] == "rejected"
    store = HistoryStore(store_path())
    row = store.query(
        "SELECT unit_code, status, sha256 FROM submissions WHERE original_name = ?",
        [files["spoofed"].name],
    ).iloc[0]
    assert (row["unit_code"], row["status"]) == ("BP_TINH", "rejected")
    problems = store.query(
        "SELECT rule, sheet, message FROM problems WHERE sha256 = ?", [row["sha256"]]
    )
    mismatch = problems[problems["rule"] == "unit.sender_mismatch"]
    assert len(mismatch) == 1 and mismatch["sheet"].iloc[0] == "ThongTin"
    message = mismatch["message"].iloc[0]
    assert "Tệp được gửi từ BP_TINH" in message and "CA_TINH" in message
    feedback = Path(document["outputs"]["feedback_dir"])
    name = layout.feedback_name("BP_TINH", _sha(files["spoofed"]), files["spoofed"].name, ".xlsx")
    assert (feedback / name).is_file()


@pytest.mark.slow
def test_two_units_sending_the_same_name_get_their_own_feedback_and_attachments(month) -> None:
    files, document = month
    feedback = Path(document["outputs"]["feedback_dir"])
    own = {
        unit: feedback / layout.feedback_name(unit, _sha(files[unit]), "BaoCao.xlsx", ".xlsx")
        for unit in ("TA_TINH", "VKS_TINH", "BP_TINH")
        if unit in files
    }
    assert all(path.is_file() for path in own.values()), sorted(p.name for p in feedback.iterdir())
    catalog = load_catalog()
    plan = catalog.plan(PLAN)
    reminders = {
        r.unit_code: r
        for r in reminders_for(
            HistoryStore(store_path()), catalog, plan, parse_period(PERIOD), feedback
        )
    }
    assert reminders["TA_TINH"].attachment == own["TA_TINH"]
    assert reminders["VKS_TINH"].attachment == own["VKS_TINH"]
    spoofed = reminders["BP_TINH"]
    assert spoofed.attachment is not None and spoofed.attachment.name.startswith("BP_TINH_")
    assert any("Tệp được gửi từ BP_TINH" in line for line in spoofed.problems)
    assert "CA_TINH" not in reminders  # its own report is on time; the spoof is not its
