"""The store's contract, on every backend (`store` is parametrised over DuckDB and PostgreSQL):
one-transaction runs, re-validation, supersession, approvals, the audit log, packets — and the
two backends answer every read with the same DataFrame."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import pcmbn.store.sql as shared_sql
from pcmbn.periods import Period
from pcmbn.store import open_store
from pcmbn.store.base import TABLES, RunAudit, RunRecord, Store, SubmissionRecord
from pcmbn.store.duckdb_store import DuckDBStore
from pcmbn.store.postgres import PostgresStore
from pcmbn.store.schema import MIGRATIONS

AT = datetime(2024, 8, 16, 8, tzinfo=UTC)


def _submission(problems: int) -> SubmissionRecord:
    return SubmissionRecord(
        sha256="a" * 64,
        original_name="BaoCao_CA_TINH.xlsx",
        received_at=AT,
        archive_path="/archive/aa/a.xlsx",
        size=10,
        status="accepted",
        plan_id="P",
        period="2024-07",
        unit_code="CA_TINH",
        values=[
            {
                "indicator": "DT01",
                "period_value": 3.0,
                "cumulative": 9.0,
                "sheet": "ChiTieu",
                "period_cell": "E10",
                "cumulative_cell": "F10",
            }
        ],
        problems=[
            {
                "seq": i,
                "severity": "warning",
                "rule": "value.cumulative_discontinuity",
                "sheet": "ChiTieu",
                "cell": f"F{10 + i}",
                "message": "…",
            }
            for i in range(problems)
        ],
    )


def _sub(
    tag: str,
    unit: str,
    period: str,
    received: datetime,
    status: str = "accepted",
    value: float | None = 1.0,
    task: str | None = None,
    narrative: str | None = None,
    problems: int = 0,
) -> SubmissionRecord:
    """A submission whose every field derives from `tag` (its sha256 is the tag repeated)."""
    return SubmissionRecord(
        sha256=(tag * 64)[:64],
        original_name=f"BaoCao_{unit}_{tag}.xlsx",
        received_at=received,
        archive_path=f"/archive/{tag}.xlsx",
        size=100 + len(tag),
        status=status,
        plan_id="P",
        period=period,
        unit_code=unit,
        values=[
            {
                "indicator": code,
                "period_value": value,
                "cumulative": None if value is None else value * 3,
                "sheet": "ChiTieu",
                "period_cell": f"E{10 + i}",
                "cumulative_cell": f"F{10 + i}",
            }
            for i, code in enumerate(("DT01", "NN01"))
        ],
        problems=[
            {
                "seq": i,
                "severity": "error",
                "rule": "value.negative",
                "sheet": "ChiTieu",
                "cell": f"E{10 + i}",
                "message": f"Số âm ở ô E{10 + i}",
            }
            for i in range(problems)
        ],
        tasks=[]
        if task is None
        else [
            {"task_code": "NV01", "status": task, "result": "Đạt", "difficulty": None, "cell": "C5"}
        ],
        narratives=[]
        if narrative is None
        else [
            {"kind": "difficulties", "text": narrative, "sheet": "ThuyetMinh", "cell": "B3"},
            {"kind": "proposals", "text": "  ", "sheet": "ThuyetMinh", "cell": "B4"},
        ],
    )


def _run(run_id: str, period: str, *subs: SubmissionRecord, at: datetime = AT) -> RunRecord:
    return RunRecord(run_id, "P", period, None, at, list(subs))


def _fill(store: Store) -> None:
    """Two months, superseded and rejected files, tasks, narratives, an approval, a packet."""
    july = AT - timedelta(days=30)
    store.record_run(
        _run(
            "r07",
            "2024-07",
            _sub("1", "CA_TINH", "2024-07", july, task="Đang triển khai", narrative="Thiếu người"),
            _sub("2", "BIEN_PHONG", "2024-07", july + timedelta(hours=1), value=None),
            _sub("3", "VKS", "2024-07", july, status="rejected", problems=2),
            _sub("4", "VKS", "2024-07", july - timedelta(hours=1), status="rejected", problems=1),
            at=july,
        )
    )
    store.record_run(
        _run(
            "r08",
            "2024-08",
            _sub("5", "CA_TINH", "2024-08", AT, task="Hoàn thành", narrative="Khó khăn kinh phí"),
            _sub("6", "CA_TINH", "2024-08", AT + timedelta(hours=2), value=7.5, task="Hoàn thành"),
            _sub("7", None, None, AT, status="other_period"),  # type: ignore[arg-type]
        )
    )
    store.approve(_approval("2024-07"), "lanh_dao", AT)
    store.record_packet(_packet())
    store.audit(AT, "can_bo", "remind", "P", "2024-08", "VKS")


def _approval(period: str) -> dict[str, Any]:
    return {
        "approval_id": f"ap-{period}",
        "plan_id": "P",
        "period": period,
        "approved_by": "lanh_dao",
        "approved_at": AT,
        "note": "Đồng ý",
        "totals": '{"DT01": 4}',
        "summary_sha256": "f" * 64,
        "submissions": "1" * 64,
    }


def _packet() -> dict[str, Any]:
    return {
        "sha256": "e" * 64,
        "plan_id": "P",
        "milestone": "so_ket",
        "span_start": "2024-07",
        "span_end": "2024-08",
        "zip_path": "/out/packet.zip",
        "archive_url": "file:///archive/packet.zip",
        "built_at": AT,
        "built_by": "can_bo",
        "missing_periods": None,
        "unapproved_periods": "2024-08",
    }


# --- the existing history-store tests, on every backend ------------------------------------------


def test_a_file_validated_again_keeps_only_its_newest_problems(store: Store) -> None:
    store.record_run(RunRecord("r1", "P", "2024-07", None, AT, [_submission(1)]))
    store.record_run(RunRecord("r2", "P", "2024-07", None, AT, [_submission(3)]))
    assert store.counts()["problems"] == 3
    store.record_run(RunRecord("r3", "P", "2024-07", None, AT, [_submission(0)]))
    counts = store.counts()
    assert (counts["problems"], counts["submissions"], counts["submission_values"]) == (0, 1, 1)


def test_current_warnings_are_those_of_the_current_submission(store: Store) -> None:
    store.record_run(RunRecord("r1", "P", "2024-07", None, AT, [_submission(2)]))
    warnings = store.current_warnings("P", [Period.month(2024, 7)])
    assert list(warnings["cell"]) == ["F10", "F11"]
    assert set(warnings["unit_code"]) == {"CA_TINH"} and set(warnings["period"]) == {"2024-07"}
    assert store.current_warnings("P", []).empty
    correction = _submission(0)
    correction.sha256, correction.received_at = "b" * 64, AT + timedelta(days=1)
    store.record_run(RunRecord("r2", "P", "2024-07", None, AT, [correction]))
    assert store.current_warnings("P", ["2024-07"]).empty  # the older file's are not current


def test_audit_log_is_in_order_and_filtered_by_period(store: Store) -> None:
    store.audit(AT, "an", "run", "P", "2024-07", "first")
    store.audit_many(
        [(AT, "an", "remind", "P", "2024-08", "x"), (AT, "an", "run", "P", "2024-07", "y")]
    )
    assert list(store.audit_log("P")["detail"]) == ["first", "x", "y"]
    assert list(store.audit_log("P", "2024-07")["action"]) == ["run", "run"]


# --- the contract ------------------------------------------------------------------------------


def test_open_store_picks_the_backend_from_the_target(tmp_path: Path) -> None:
    assert isinstance(open_store(tmp_path / "h.duckdb"), DuckDBStore)
    assert isinstance(open_store(str(tmp_path / "h.duckdb")), DuckDBStore)
    for url in ("postgresql://u@localhost/db", "postgres://u:secret@localhost:5433/db"):
        store = open_store(url)
        assert isinstance(store, PostgresStore) and store.url == url
        assert "secret" not in repr(store)
    assert isinstance(open_store(tmp_path / "h.duckdb"), Store)


def test_settings_pass_a_postgresql_url_through(monkeypatch: pytest.MonkeyPatch) -> None:
    from pcmbn.settings import store_path, store_target

    url = "postgresql://pcmbn@db.local:5432/history"
    monkeypatch.setenv("PCMBN_STORE", url)
    assert store_target() == url
    monkeypatch.setenv("PCMBN_STORE", "somewhere/h.duckdb")
    assert store_target() == store_path() == Path("somewhere/h.duckdb").resolve()
    monkeypatch.delenv("PCMBN_STORE")
    assert store_target() == store_path()


def test_migrations_are_applied_once_and_are_idempotent(store_target: str | Path) -> None:
    first = open_store(store_target)
    assert first.counts() == dict.fromkeys(TABLES, 0)
    again = open_store(store_target)  # a new handle migrates nothing more
    assert again.counts() == dict.fromkeys(TABLES, 0)
    versions = again.query("SELECT version FROM schema_version ORDER BY version")  # type: ignore[attr-defined]
    assert list(versions["version"]) == list(range(1, len(MIGRATIONS) + 1))
    with again._session() as session:  # type: ignore[attr-defined]
        shared_sql.migrate(session)
    versions = again.query("SELECT count(*) AS n FROM schema_version")  # type: ignore[attr-defined]
    assert versions["n"].iloc[0] == len(MIGRATIONS)


def test_a_run_is_one_transaction(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    store.record_run(_run("r1", "2024-07", _sub("1", "CA_TINH", "2024-07", AT)))
    before = store.counts()

    def power_cut(name: str) -> None:
        raise RuntimeError(f"crash at {name}")

    monkeypatch.setattr(shared_sql, "crash_point", power_cut)
    later = AT + timedelta(days=1)
    with pytest.raises(RuntimeError, match="crash at history"):
        store.record_run(
            _run(
                "r2",
                "2024-07",
                _sub(
                    "2", "CA_TINH", "2024-07", later, task="Hoàn thành", narrative="x", problems=2
                ),
                _sub("1", "CA_TINH", "2024-07", AT),  # its problems would be re-validated
                at=later,
            )
        )
    assert store.counts() == before  # nothing of the failed run, not even the deletes
    assert store.runs("P", "2024-07") == ["r1"]
    current = store.current_values("P", ["2024-07"])
    assert set(current["sha256"]) == {"1" * 64}  # supersession was rolled back too


def _describe(stored: pd.DataFrame) -> str:
    """What a run's audit line says, from the submissions the transaction sees."""
    superseded = int(stored["superseded_by"].notna().sum())
    return f"{len(stored)} submissions, {superseded} superseded"


def test_a_runs_audit_line_is_written_in_the_runs_transaction(store: Store) -> None:
    store.record_run(_run("r1", "2024-07", _sub("1", "CA_TINH", "2024-07", AT)))
    later = AT + timedelta(days=1)
    store.record_run(
        _run("r2", "2024-07", _sub("2", "CA_TINH", "2024-07", later), at=later),
        RunAudit(later, "can-bo", _describe),
    )
    log = store.audit_log("P", "2024-07")
    assert list(log["action"]) == ["run"] and list(log["actor"]) == ["can-bo"]
    # The detail saw the run's own rows with supersession already settled.
    assert list(log["detail"]) == ["2 submissions, 1 superseded"]


def test_a_failed_run_leaves_neither_its_rows_nor_its_audit_line(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.record_run(
        _run("r1", "2024-07", _sub("1", "CA_TINH", "2024-07", AT)), RunAudit(AT, "a", _describe)
    )
    before, log_before = store.counts(), store.audit_log("P", None)

    def power_cut(name: str) -> None:
        raise RuntimeError(f"crash at {name}")

    monkeypatch.setattr(shared_sql, "crash_point", power_cut)
    later = AT + timedelta(days=1)
    with pytest.raises(RuntimeError, match="crash at history"):
        store.record_run(
            _run("r2", "2024-07", _sub("2", "CA_TINH", "2024-07", later), at=later),
            RunAudit(later, "a", _describe),
        )
    assert store.counts() == before
    pd.testing.assert_frame_equal(store.audit_log("P", None), log_before)

    def broken(stored: pd.DataFrame) -> str:
        raise ValueError("cannot describe")

    monkeypatch.undo()
    with pytest.raises(ValueError, match="cannot describe"):
        store.record_run(
            _run("r3", "2024-07", _sub("3", "CA_TINH", "2024-07", later), at=later),
            RunAudit(later, "a", broken),
        )
    assert store.counts() == before
    pd.testing.assert_frame_equal(store.audit_log("P", None), log_before)


def test_rerunning_the_same_inputs_adds_nothing(store: Store) -> None:
    _fill(store)
    before = store.counts()
    july = AT - timedelta(days=30)
    store.record_run(
        _run(
            "r07",
            "2024-07",
            _sub("1", "CA_TINH", "2024-07", july, task="Đang triển khai", narrative="Thiếu người"),
            at=july,
        )
    )
    assert store.counts() == before


def test_the_newest_accepted_submission_is_current(store: Store) -> None:
    old, new, newest = AT, AT + timedelta(hours=1), AT + timedelta(days=1)
    store.record_run(_run("r1", "2024-07", _sub("a", "CA_TINH", "2024-07", old, value=1.0)))
    store.record_run(_run("r2", "2024-07", _sub("b", "CA_TINH", "2024-07", new, value=2.0)))
    subs = store.submissions("P", "2024-07").set_index("original_name")["superseded_by"]
    assert subs["BaoCao_CA_TINH_b.xlsx"] is None or pd.isna(subs["BaoCao_CA_TINH_b.xlsx"])
    assert subs["BaoCao_CA_TINH_a.xlsx"] == "b" * 64
    store.record_run(
        _run(
            "r3",
            "2024-07",
            _sub("c", "CA_TINH", "2024-07", newest, value=3.0),
            _sub("d", "CA_TINH", "2024-07", newest, status="rejected"),  # never current
        )
    )
    subs = store.submissions("P", "2024-07")
    assert list(subs["original_name"])[:2] == ["BaoCao_CA_TINH_c.xlsx", "BaoCao_CA_TINH_d.xlsx"]
    pointers = subs.set_index("original_name")["superseded_by"]
    assert pointers["BaoCao_CA_TINH_a.xlsx"] == pointers["BaoCao_CA_TINH_b.xlsx"] == "c" * 64
    current = store.current_values("P", ["2024-07"])
    assert set(current["sha256"]) == {"c" * 64}
    assert list(current["period_value"]) == [3.0, 3.0]


def test_a_pending_submission_is_decided_anew_after_reopening(store: Store) -> None:
    store.record_run(_run("r1", "2024-07", _sub("p", "CA_TINH", "2024-07", AT, status="pending")))
    assert list(store.submissions("P", "2024-07")["status"]) == ["pending"]
    store.record_run(_run("r2", "2024-07", _sub("p", "CA_TINH", "2024-07", AT)))
    assert list(store.submissions("P", "2024-07")["status"]) == ["accepted"]
    assert store.counts()["submission_values"] == 2


def test_reads_of_a_filled_store(store: Store) -> None:
    _fill(store)
    assert store.counts() == {
        "runs": 2,
        "archive": 7,
        "submissions": 7,
        "submission_values": 14,
        "problems": 3,
        "task_statuses": 3,
        "narratives": 4,
    }
    assert store.known(["1" * 64, "9" * 64, "5" * 64]) == {"1" * 64, "5" * 64}
    assert store.known([]) == set()
    assert store.runs("P", "2024-07") == ["r07"]
    assert store.latest_run_at("P", ["2024-07", "2024-08"]) == AT
    assert store.latest_run_at("P", ["2023-01"]) is None
    assert len(store.submissions_in("P", ["2024-07", "2024-08"])) == 6
    tasks = store.current_tasks("P", "2024-08")
    assert list(tasks["status"]) == ["Hoàn thành"] and list(tasks["period"]) == ["2024-08"]
    assert list(store.current_tasks("P", "2024-07")["status"]) == ["Đang triển khai"]
    narratives = store.current_narratives("P", "2024-07")
    assert list(narratives["text"]) == ["Thiếu người", "  "]
    both = store.narratives_in("P", ["2024-07", "2024-08"])
    assert list(both["text"]) == ["Thiếu người"]  # blank texts dropped; 2024-08's "5" superseded
    rejected = store.rejection_problems("P", "2024-07")
    assert list(rejected["original_name"]) == ["BaoCao_VKS_3.xlsx"] * 2
    assert list(rejected["seq"]) == [0, 1]


def test_approve_and_reopen(store: Store) -> None:
    assert store.active_approval("P", "2024-07") is None
    store.approve(_approval("2024-07"), "lanh_dao", AT)
    active = store.active_approval("P", "2024-07")
    assert active is not None and active["approval_id"] == "ap-2024-07"
    assert active["approved_at"] == AT and active["note"] == "Đồng ý"
    later = AT + timedelta(days=2)
    assert store.reopen("P", "2024-07", "lanh_dao", later, "Sửa số liệu") is True
    assert store.active_approval("P", "2024-07") is None
    assert store.reopen("P", "2024-07", "lanh_dao", later, "lần hai") is False
    log = store.audit_log("P", "2024-07")
    assert list(log["action"]) == ["approve", "reopen"]
    assert list(log["detail"]) == ["Đồng ý", "Sửa số liệu"]
    assert list(log["logged_at"]) == [AT, later]


def test_a_packet_is_recorded_with_its_audit_row(store: Store) -> None:
    store.record_packet(_packet())
    store.record_packet({**_packet(), "sha256": "d" * 64})  # append-only: a rebuild adds a row
    packets = store.query("SELECT sha256 FROM packets ORDER BY sha256")  # type: ignore[attr-defined]
    assert list(packets["sha256"]) == ["d" * 64, "e" * 64]
    log = store.audit_log("P")
    assert list(log["action"]) == ["packet", "packet"]
    assert log["detail"].iloc[0] == f"so_ket 2024-07..2024-08 sha256 {'e' * 64}"
    assert list(log["period"]) == ["2024-08", "2024-08"]


def test_timestamps_come_back_in_office_time(store: Store) -> None:
    store.record_run(_run("r1", "2024-07", _sub("1", "CA_TINH", "2024-07", AT)))
    received = store.submissions("P", "2024-07")["received_at"].iloc[0]
    assert received == AT and received.utcoffset() == timedelta(hours=7)
    assert str(received) == "2024-08-16 15:00:00+07:00"


def test_figures_without_their_sources_are_the_same_rows_in_the_same_order(store: Store) -> None:
    """`provenance=False` (the summary's year of figures, the run's history) drops only the
    source columns: every row, its order and its numbers stay."""
    _fill(store)
    both = ["2024-07", "2024-08"]
    full = store.current_values("P", both)
    lean = store.current_values("P", both, provenance=False)
    assert not full.empty
    assert list(lean.columns) == ["unit_code", "period", "indicator", "period_value", "cumulative"]
    pd.testing.assert_frame_equal(lean, full[list(lean.columns)])
    one = store.current_values("P", both, ["CA_TINH"], provenance=False)
    pd.testing.assert_frame_equal(
        one.reset_index(drop=True),
        lean[lean["unit_code"] == "CA_TINH"].reset_index(drop=True),
    )
    assert list(store.current_values("P", [], provenance=False).columns) == list(lean.columns)


# --- both backends agree -----------------------------------------------------------------------


def _reads(store: Store) -> dict[str, Any]:
    both = ["2024-07", "2024-08"]
    return {
        "submissions": store.submissions("P", "2024-07"),
        "submissions_in": store.submissions_in("P", both),
        "current_values": store.current_values("P", both),
        "current_values_none": store.current_values("P", []),
        "current_figures": store.current_values("P", both, provenance=False),
        "current_figures_none": store.current_values("P", [], provenance=False),
        "current_tasks": store.current_tasks("P", "2024-08"),
        "current_narratives": store.current_narratives("P", "2024-07"),
        "narratives_in": store.narratives_in("P", both),
        "rejection_problems": store.rejection_problems("P", "2024-07"),
        "current_warnings": store.current_warnings("P", both),
        "no_problems": store.rejection_problems("P", "2024-08"),
        "audit_log": store.audit_log("P"),
        "empty_audit": store.audit_log("Q"),
        "active_approval": store.active_approval("P", "2024-07"),
        "runs": store.runs("P", "2024-08"),
        "latest_run_at": store.latest_run_at("P", both),
        "counts": store.counts(),
        "known": store.known(["1" * 64, "0" * 64]),
    }


def test_both_backends_answer_alike(tmp_path: Path, postgres_url: str) -> None:
    duck, pg = open_store(tmp_path / "h.duckdb"), open_store(postgres_url)
    _fill(duck)
    _fill(pg)
    expected, actual = _reads(duck), _reads(pg)
    for name, value in expected.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(actual[name], value, obj=name)
        else:
            assert actual[name] == value, name


def test_two_periods_write_together_on_postgresql(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No file lock on a server: both runs hold their transaction open at the same moment."""
    store = open_store(postgres_url)
    store.counts()  # migrate before the threads race
    together = threading.Barrier(2, timeout=30)

    def meet(name: str) -> None:
        together.wait()  # both transactions are open here, their rows written, not committed

    monkeypatch.setattr(shared_sql, "crash_point", meet)
    errors: list[BaseException] = []

    def write(period: str, tag: str) -> None:
        try:
            store.record_run(_run(f"r{period}", period, _sub(tag, "CA_TINH", period, AT)))
        except BaseException as failed:  # pragma: no cover - reported below
            errors.append(failed)

    threads = [
        threading.Thread(target=write, args=args) for args in (("2024-07", "1"), ("2024-08", "2"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert store.counts()["submissions"] == 2
    assert set(store.current_values("P", ["2024-07", "2024-08"])["sha256"]) == {"1" * 64, "2" * 64}


def test_an_unreachable_server_is_one_vietnamese_line() -> None:
    from pcmbn.errors import PcmbnError

    store = open_store("postgresql://pcmbn:secret@127.0.0.1:1/history")
    with pytest.raises(PcmbnError) as refused:
        store.counts()
    message = str(refused.value)
    assert "Không kết nối được kho lịch sử PostgreSQL" in message and "PCMBN_STORE" in message
    assert "secret" not in message


def test_task_statuses_up_to_a_period_compare_by_when_periods_end(store: Store) -> None:
    """Periods are compared by when they end, not by their codes: a year report "2023" ends
    before every 2024 month though "2023" < "2024-06" only by accident of text, and a quarter
    "2024-Q3" ends in September, so it counts up to September and not up to July."""
    at = AT - timedelta(days=60)
    store.record_run(_run("y", "2023", _sub("y", "CA_TINH", "2023", at, task="Hoàn thành")))
    store.record_run(_run("m", "2024-07", _sub("m", "CA_TINH", "2024-07", at, task="Đang")))
    store.record_run(_run("q", "2024-Q3", _sub("q", "CA_TINH", "2024-Q3", at, task="Quý")))
    july, june = Period.month(2024, 7), Period.month(2024, 6)
    assert list(store.current_tasks("P", july)["status"]) == ["Đang"]
    assert list(store.current_tasks("P", june)["period"]) == ["2023"]
    assert list(store.current_tasks("P", Period.month(2024, 9))["status"]) == ["Quý"]
    assert store.current_tasks("P", Period.month(2022, 12)).empty
    # Periods and their codes name the same rows.
    assert store.submissions("P", july).equals(store.submissions("P", "2024-07"))
