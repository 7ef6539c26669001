"""End to end: the monthly flow on a generated inbox, against a temporary Prefect API.

Totals are checked against an independent recomputation from what the test wrote; reruns must
add no rows and write the same tables; a correction supersedes; a missing and a late unit are
reported; a hostile file and a file of another period are archived and reported, not counted.
"""

from __future__ import annotations

import csv
import hashlib
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from offline import assert_no_outside_address
from report_fixtures import Fixture, write_fixture

from flows.monthly_aggregation import monthly_aggregation
from pcmbn import layout
from pcmbn.catalog import load_catalog
from pcmbn.progress import listening
from pcmbn.settings import store_path
from pcmbn.store.history import TABLES, HistoryStore

#: The tests read the store the module's runs wrote (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("shared_home")

PLAN = "ST-KH-30-7-2024"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ON_TIME = datetime(2024, 7, 16, 9, 0, tzinfo=TZ)  # due date 17/07/2024
LATE = datetime(2024, 7, 20, 10, 0, tzinfo=TZ)


def _dt01(value: int):
    def edit(content):
        content.values["DT01"] = (value, value * 3)

    return edit


def _inbox(folder: Path) -> dict[str, int]:
    """Write an inbox; return the DT01 value each unit's counted report carries."""
    catalog = load_catalog()
    folder.mkdir(parents=True, exist_ok=True)
    log: list[tuple[str, datetime]] = []
    counted = {"CA_TINH": 3, "BP_TINH": 1}
    for unit, value in counted.items():
        path = write_fixture(
            Fixture(f"BaoCao_{unit}", unit=unit, edit=_dt01(value)), folder, catalog
        )
        log.append((path.name, ON_TIME if unit == "CA_TINH" else LATE))
    rejected = write_fixture(
        Fixture("BaoCao_VKS_TINH", unit="VKS_TINH", edit=lambda c: c.values.update(TX01=(-1, 2))),
        folder,
        catalog,
    )
    other = write_fixture(
        Fixture("BaoCao_TA_TINH_thang6", unit="TA_TINH", period="2024-06"), folder, catalog
    )
    hostile = folder / "BaoCao_SO_TP.xlsx"
    hostile.write_bytes(b"%PDF-1.4\n%%EOF\n")
    log += [(rejected.name, ON_TIME), (other.name, ON_TIME), (hostile.name, ON_TIME)]
    with (folder / "received.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "received_at", "unit_code"])
        writer.writerows(
            (
                name,
                when.isoformat(),
                name.split("_", 1)[1]
                .rsplit(".", 1)[0]
                .replace("_thang6", "")
                .replace("_ban_sua", ""),
            )
            for name, when in log
        )
    return counted


def _exports(document: dict) -> dict[str, str]:
    folder = Path(document["outputs"]["exports_dir"])
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.csv"))
    }


@pytest.fixture(scope="module")
def first_run(
    prefect_harness: None, module_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, int], dict]:
    inbox = tmp_path_factory.mktemp("inbox")
    counted = _inbox(inbox)
    with pytest.MonkeyPatch.context() as patch, listening(SNAPSHOTS.append):
        patch.setenv("PCMBN_HOME", str(module_home))
        document = monthly_aggregation(plan=PLAN, period="2024-07", inbox=str(inbox))
    return inbox, counted, document


#: What the first run told its listener (the CLI's bar listens the same way).
SNAPSHOTS: list = []


@pytest.mark.slow
def test_progress_is_reported_step_by_step_and_as_a_prefect_artifact(first_run) -> None:
    from prefect.client.orchestration import get_client

    _, counted, _ = first_run
    steps = [s.step for s in SNAPSHOTS]
    assert steps[0] == "archive" and steps[-1] == "publish"
    assert [k for i, k in enumerate(steps) if i == 0 or steps[i - 1] != k] == [
        "archive", "read", "validate", "record", "publish"
    ]  # fmt: skip
    fractions = [s.fraction for s in SNAPSHOTS]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    read = [s for s in SNAPSHOTS if s.step == "read"]
    assert read[-1].done == read[-1].total > 0
    assert all(s.label for s in SNAPSHOTS)
    with get_client(sync_client=True) as client:
        # Prefect 3.8.8's sync client sends null filters it cannot accept: ask the API itself.
        response = client._client.post(
            "/artifacts/filter",
            json={"artifacts": {"type": {"any_": ["progress"]}}, "limit": 200, "offset": 0,
                  "sort": "CREATED_DESC"},
        )  # fmt: skip
    artifacts = [(a["data"], a["description"]) for a in response.json()]
    assert (100.0, "Tiến độ tổng hợp") in artifacts


@pytest.mark.slow
def test_totals_equal_an_independent_recomputation(first_run) -> None:
    _, counted, document = first_run
    assert document["totals"]["DT01"] == {
        "period": sum(counted.values()),
        "cumulative": 3 * sum(counted.values()),
    }
    # TX01 applies to the procuracy only, whose report was rejected: nothing to sum
    assert document["totals"]["TX01"] == {"period": None, "cumulative": None}
    # TT01 applies to all; valid_content writes 4 / 12 for every counted unit
    assert document["totals"]["TT01"] == {
        "period": 4 * len(counted),
        "cumulative": 12 * len(counted),
    }


@pytest.mark.slow
def test_files_and_completeness(first_run) -> None:
    _, _, document = first_run
    assert document["files"] == {"accepted": 2, "rejected": 2, "superseded": 0, "other_period": 1}
    status = document["completeness"]
    assert status["CA_TINH"] == "on_time"
    assert status["BP_TINH"] == "late"
    assert status["VKS_TINH"] == "rejected"
    assert status["SO_TP"] == "rejected"  # the PDF: archived, reported, refused
    assert status["TA_TINH"] == "missing"  # sent June's report: not counted for July
    assert status["DAI_PTTH"] == "missing"
    assert len(status) == len(
        load_catalog().expected_units(
            load_catalog().plan(PLAN), __import__("pcmbn.periods").periods.parse_period("2024-07")
        )
    )


@pytest.mark.slow
def test_every_original_archived_and_outputs_written(first_run) -> None:
    inbox, _, document = first_run
    store = HistoryStore(store_path())
    archived = store.query("SELECT archive_path, sha256 FROM archive")
    originals = [p for p in inbox.iterdir() if p.name != "received.csv"]
    assert len(archived) == len(originals)
    for row in archived.itertuples():
        assert hashlib.sha256(Path(row.archive_path).read_bytes()).hexdigest() == row.sha256
    outputs = document["outputs"]
    assert Path(outputs["summary"]).is_file()
    report = Path(outputs["validation_report"])
    assert report.is_file() and report.suffix == ".html"
    assert "Kết quả kiểm tra báo cáo" in report.read_text(encoding="utf-8")
    # Issue 12, item 20: no output file of the run names an outside address (the office
    # network reaches none; GE's Data Docs loaded scripts and fonts from CDNs).
    period_dir = report.parent
    written = [p for p in period_dir.rglob("*") if p.is_file()]
    assert written and not (period_dir / "data_docs").exists()
    for path in written:
        assert_no_outside_address(path)
    feedback = {p.name for p in Path(outputs["feedback_dir"]).iterdir()}

    def named(unit: str, name: str, suffix: str) -> str:  # keyed by submission (issue 19.5)
        sha = hashlib.sha256((inbox / name).read_bytes()).hexdigest()
        return layout.feedback_name(unit, sha, name, suffix)

    assert named("VKS_TINH", "BaoCao_VKS_TINH.xlsx", ".xlsx") in feedback
    assert named("SO_TP", "BaoCao_SO_TP.xlsx", ".txt") in feedback
    values = store.query("SELECT * FROM submission_values WHERE indicator = 'DT01'")
    assert set(values["period_cell"]) == {"E19"}


@pytest.mark.slow
def test_rerun_is_idempotent(first_run) -> None:
    inbox, _, document = first_run
    store = HistoryStore(store_path())
    before = store.counts()
    exports_before = _exports(document)
    again = monthly_aggregation(plan=PLAN, period="2024-07", inbox=str(inbox))
    assert store.counts() == before
    assert again["run_id"] == document["run_id"]
    assert again["totals"] == document["totals"]
    assert _exports(again) == exports_before
    assert set(TABLES) == set(before)


@pytest.mark.slow
def test_correction_supersedes_and_changes_the_total(first_run) -> None:
    inbox, counted, _ = first_run
    catalog = load_catalog()
    fixed = write_fixture(Fixture("BaoCao_CA_TINH_ban_sua", edit=_dt01(5)), inbox, catalog)
    with (inbox / "received.csv").open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow([fixed.name, LATE.replace(day=18).isoformat(), "CA_TINH"])
    document = monthly_aggregation(plan=PLAN, period="2024-07", inbox=str(inbox))
    assert document["totals"]["DT01"]["period"] == 5 + counted["BP_TINH"]
    assert document["files"]["superseded"] == 1
    store = HistoryStore(store_path())
    rows = store.query(
        "SELECT original_name, superseded_by FROM submissions "
        "WHERE unit_code = 'CA_TINH' ORDER BY received_at"
    )
    assert list(rows["original_name"]) == ["BaoCao_CA_TINH.xlsx", "BaoCao_CA_TINH_ban_sua.xlsx"]
    assert pd.notna(rows["superseded_by"].iloc[0]) and pd.isna(rows["superseded_by"].iloc[1])
    # the correction came after the due date: the unit is now late
    assert document["completeness"]["CA_TINH"] == "late"


@pytest.mark.slow
def test_reminder_list_names_missing_and_rejected_units_with_contacts(first_run) -> None:
    _, _, document = first_run
    path = Path(document["outputs"]["summary"]).parent / f"NhacNho_{PLAN}_2024-07.csv"
    reminders = pd.read_csv(path, encoding="utf-8-sig")
    expected = {u for u, s in document["completeness"].items() if s in ("missing", "rejected")}
    assert set(reminders["unit_code"]) == expected
    row = reminders[reminders["unit_code"] == "DAI_PTTH"].iloc[0]
    assert row["email"].endswith("@soc-trang.example.org")
    assert "Tháng 7/2024" in row["message"] and "17/07/2024" in row["message"]


@pytest.mark.slow
def test_second_run_of_the_same_period_refuses_clearly(first_run, module_home: Path) -> None:
    from filelock import FileLock

    from pcmbn.errors import PcmbnError

    inbox, _, _ = first_run
    lock = module_home / "locks" / f"{PLAN}_2024-07.lock"
    with FileLock(str(lock)), pytest.raises(PcmbnError) as info:
        monthly_aggregation(plan=PLAN, period="2024-07", inbox=str(inbox))
    assert "Đang có một lượt tổng hợp khác" in str(info.value)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"plan": "ST-KH-30-7-2O24", "period": "2024-07"}, ("ST-KH-30-7-2O24",)),
        ({"plan": PLAN, "period": "2026-11"}, ("nằm ngoài", "Tháng 12/2024")),
        ({"plan": PLAN, "period": "2024-07", "inbox": "/a/missing/folder"}, ("/a/missing/folder",)),
    ],
)
def test_the_flow_checks_its_arguments_as_the_cli_does(
    prefect_harness: None, kwargs: dict[str, str], words: tuple[str, ...]
) -> None:
    """A deployment starts the flow without the CLI: the service's checks run there too, and
    nothing reaches the store."""
    from pcmbn.errors import PcmbnError

    def counts() -> dict[str, int]:
        return HistoryStore(store_path()).counts() if store_path().exists() else {}

    before = counts()
    with pytest.raises(PcmbnError) as caught:
        monthly_aggregation(**kwargs)
    for word in words:
        assert word in str(caught.value)
    assert counts() == before


@pytest.mark.slow
def test_runs_are_named_and_tagged_by_plan_and_period_with_vietnamese_steps(first_run) -> None:
    """Issue 12.21: in the Prefect UI a run reads `tong-hop <plan> · <period>`, carries the
    plan's and the period's tags, and its steps are logged in Vietnamese."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterId,
        FlowRunFilterTags,
        LogFilter,
        LogFilterFlowRunId,
    )
    from prefect.client.schemas.sorting import FlowRunSort, LogSort, TaskRunSort
    from prefect.logging.handlers import APILogHandler

    APILogHandler().flush()  # the run logger sends its lines in the background
    wanted = ["ke-hoach:ST-KH-30-7-2024", "ky:2024-07"]
    with get_client(sync_client=True) as client:

        def runs(flow_name: str) -> list:
            return client.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])),
                flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=wanted)),
                sort=FlowRunSort.START_TIME_ASC,
                limit=200,
            )

        monthly = runs("monthly-aggregation")
        named = [r for r in monthly if r.name == f"tong-hop {PLAN} · 2024-07"]
        assert named, [r.name for r in monthly]
        done = [r for r in named if r.state_type.value == "COMPLETED"]
        # the inbox is archived and read by task runs of the monthly run itself (no subflow)
        steps = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[done[0].id])),
            sort=TaskRunSort.EXPECTED_START_TIME_ASC,
            limit=200,
        )
        assert {"archive-chunk", "read-chunk", "validate"} <= {
            t.name.rsplit("-", 1)[0] for t in steps
        }, [t.name for t in steps]
        logs = client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[done[0].id])),
            sort=LogSort.TIMESTAMP_ASC,
            limit=200,
            offset=0,
        )
    messages = " ".join(log.message for log in logs)
    for words in ("Tổng hợp kế hoạch", "Kiểm tra", "Ghi lượt chạy", "Ghi tổng hợp"):
        assert words in messages, messages
