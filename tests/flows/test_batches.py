"""Issue 15's acceptance: a month validated in batches records exactly what one batch records.

Two homes get the same two months (June, then July, whose history rules read June): one with
`PCMBN_BATCH_SIZE=1` (a GE run and a history query per file), one with the default 1,000 (one
of each). The store's submissions, problems and values, the run's totals, file counts and
completeness must be the same.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from report_fixtures import Fixture, write_fixture

from flows.monthly_aggregation import monthly_aggregation
from pcmbn.catalog import load_catalog
from pcmbn.settings import store_path
from pcmbn.store.history import HistoryStore

PLAN = "ST-KH-30-7-2024"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
UNITS = ("CA_TINH", "BP_TINH", "VKS_TINH", "TA_TINH", "DAI_PTTH")


def _inbox(folder: Path, period: str, day: datetime) -> None:
    catalog = load_catalog()
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for unit in UNITS:
        edit = None
        if period == "2024-07" and unit == "VKS_TINH":
            edit = lambda c: c.values.update(TX01=(-1, 2))  # noqa: E731 - rejected
        if period == "2024-07" and unit == "BP_TINH":
            edit = lambda c: c.values.update(DT01=(40, 52))  # noqa: E731 - an outlier? a jump
        names.append(
            write_fixture(
                Fixture(f"BaoCao_{unit}", unit=unit, period=period, edit=edit), folder, catalog
            ).name
        )
    if period == "2024-07":
        other = write_fixture(
            Fixture("BaoCao_SO_TP", unit="SO_TP", period="2024-06"), folder, catalog
        )
        names.append(other.name)
        (folder / "BaoCao_SO_YT.xlsx").write_bytes(b"%PDF-1.4\n%%EOF\n")
        names.append("BaoCao_SO_YT.xlsx")
    with (folder / "received.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "received_at", "unit_code"])
        writer.writerows(
            (name, day.isoformat(), name.removeprefix("BaoCao_").rsplit(".", 1)[0])
            for name in names
        )


def _month(home: Path, batch_size: int, inboxes: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.setenv("PCMBN_HOME", str(home))
    monkeypatch.setenv("PCMBN_BATCH_SIZE", str(batch_size))
    monthly_aggregation(plan=PLAN, period="2024-06", inbox=str(inboxes / "2024-06"))
    july = monthly_aggregation(plan=PLAN, period="2024-07", inbox=str(inboxes / "2024-07"))
    store = HistoryStore(store_path())

    def rows(sql: str) -> list[dict]:
        """The rows with blanks as None (NaN never equals NaN)."""
        frame = store.query(sql).astype(object)
        return frame.where(frame.notna(), None).to_dict("records")

    recorded = {
        "submissions": rows(
            "SELECT sha256, unit_code, period, status, superseded_by FROM submissions "
            "ORDER BY sha256"
        ),
        "problems": rows(
            "SELECT sha256, seq, severity, rule, sheet, cell, message FROM problems "
            "ORDER BY sha256, seq"
        ),
        "values": rows(
            "SELECT sha256, indicator, period_value, cumulative FROM submission_values "
            "ORDER BY sha256, indicator"
        ),
    }
    return {
        "recorded": recorded,
        "files": july["files"],
        "totals": july["totals"],
        "completeness": july["completeness"],
        "run_id": july["run_id"],
    }


@pytest.mark.slow
def test_a_month_in_batches_of_one_records_what_one_batch_records(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inboxes = tmp_path / "inboxes"
    _inbox(inboxes / "2024-06", "2024-06", datetime(2024, 6, 16, 9, 0, tzinfo=TZ))
    _inbox(inboxes / "2024-07", "2024-07", datetime(2024, 7, 16, 9, 0, tzinfo=TZ))
    one = _month(tmp_path / "one", 1, inboxes, monkeypatch)
    many = _month(tmp_path / "many", 1000, inboxes, monkeypatch)
    assert one == many
    rules = {p["rule"] for p in one["recorded"]["problems"]}
    # the history rules ran (June's cumulative 12 + July's 4 is not July's 12) and others did
    assert {"value.cumulative_discontinuity", "value.negative"} <= rules
    assert one["files"] == {"accepted": 4, "rejected": 2, "superseded": 0, "other_period": 1}
    assert one["completeness"]["VKS_TINH"] == "rejected"


@pytest.mark.slow
def test_a_batch_read_workbooks_are_gone_before_the_next_batch_is_read(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15 item 4: peak memory set by the batch size. Each batch's read submissions (every
    cell) must be freed once it is decided: when a batch is read, no batch before the previous
    one is alive, none is after the run, and the run keeps only slim reports (no cells) for its
    outputs, not the records it has stored."""
    import gc
    import weakref

    import flows.monthly_aggregation as monthly

    real_read, real_publish = monthly._read, monthly._publish_outputs
    earlier: list[weakref.ref] = []
    alive_at_each_read: list[int] = []
    kept: list = []

    def read(*args: object, **kwargs: object) -> list:
        gc.collect()
        alive_at_each_read.append(sum(ref() is not None for ref in earlier))
        subs = real_read(*args, **kwargs)
        earlier.extend(weakref.ref(sub) for sub in subs)
        return subs

    real_decide = monthly._decide
    records: list[weakref.ref] = []
    records_alive_at_publish: list[int] = []

    def decide(*args: object) -> object:
        record = real_decide(*args)
        if record is not None:
            records.append(weakref.ref(record))
        return record

    def publish(resources, plan, period, reports, *rest):  # noqa: ANN001, ANN202
        kept.extend(reports)
        gc.collect()
        records_alive_at_publish.append(sum(ref() is not None for ref in records))
        return real_publish(resources, plan, period, reports, *rest)

    monkeypatch.setattr(monthly, "_read", read)
    monkeypatch.setattr(monthly, "_publish_outputs", publish)
    monkeypatch.setattr(monthly, "_decide", decide)
    inbox = tmp_path / "inbox" / "2024-07"
    _inbox(inbox, "2024-07", datetime(2024, 7, 16, 9, 0, tzinfo=TZ))
    monkeypatch.setenv("PCMBN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PCMBN_BATCH_SIZE", "2")
    document = monthly_aggregation(plan=PLAN, period="2024-07", inbox=str(inbox))
    # 7 files in batches of 2: four reads, and at each at most the batch just decided is still
    # alive (a task runner's worker thread may hold its last chunk until its next task)
    assert len(alive_at_each_read) == 4 and max(alive_at_each_read) <= 2
    gc.collect()
    assert all(ref() is None for ref in earlier)
    assert len(kept) == 7
    # the records are in the store before the outputs are written: none is kept for them
    assert len(records) == 7 and records_alive_at_publish == [0]
    assert all(r.submission.records is None and r.submission.figures is None for r in kept)
    assert {r.submission.name for r in kept if r.problems} >= {"BaoCao_VKS_TINH.xlsx"}
    assert sum(document["files"].values()) == 7
