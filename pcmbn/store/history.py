"""The history store: every submission, accepted number, problem, task status and narrative.

One DuckDB file by default (embedded, nothing to install). Writes of a run are one transaction,
so a crash leaves either the whole run or none of it. Rows are keyed by content (the file's
sha256), and inserts ignore rows already present: rerunning over the same inputs adds nothing.
Connections are short-lived and serialised by a file lock, because DuckDB admits one writing
process at a time and two runs of different periods may proceed together.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from filelock import FileLock

from pcmbn.faults import crash_point
from pcmbn.store.schema import MIGRATIONS

log = logging.getLogger(__name__)

TABLES = (
    "runs",
    "archive",
    "submissions",
    "submission_values",
    "problems",
    "task_statuses",
    "narratives",
)


@dataclass
class SubmissionRecord:
    """Everything recorded about one received file in one run."""

    sha256: str
    original_name: str
    received_at: datetime
    archive_path: str
    size: int
    status: str  # accepted | rejected | other_period
    plan_id: str | None
    period: str | None
    unit_code: str | None
    values: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    narratives: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RunRecord:
    run_id: str
    plan_id: str
    period: str
    units: str | None
    started_at: datetime
    submissions: list[SubmissionRecord]


class HistoryStore:
    """Access to the DuckDB file; every method opens and closes its own connection."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = FileLock(str(path) + ".lock", timeout=600)

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            con = duckdb.connect(str(self.path))
            try:
                con.execute("SET TimeZone = 'Asia/Ho_Chi_Minh'")
                _migrate(con)
                yield con
            finally:
                con.close()

    # --- writing ----------------------------------------------------------------------------

    def record_run(self, run: RunRecord) -> None:
        """Write a run in one transaction, then settle which submission is current per unit."""
        frames = _frames(run)
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(
                    "INSERT OR IGNORE INTO runs VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        run.run_id,
                        run.plan_id,
                        run.period,
                        run.units,
                        run.started_at,
                        len(run.submissions),
                    ],
                )
                hashes = frames["submissions"]["sha256"].tolist()
                if hashes:
                    # A submission held as pending (its period was approved) is decided anew
                    # by a run after the period is reopened: drop the pending rows first.
                    con.register("incoming_hashes", pd.DataFrame({"sha256": hashes}))
                    pending = [
                        r[0]
                        for r in con.execute(
                            "SELECT s.sha256 FROM submissions s "
                            "JOIN incoming_hashes USING (sha256) WHERE s.status = 'pending'"
                        ).fetchall()
                    ]
                    con.unregister("incoming_hashes")
                    incoming = {s.sha256: s.status for s in run.submissions}
                    for sha in pending:
                        if incoming.get(sha) != "pending":
                            for table in (
                                "submission_values",
                                "problems",
                                "task_statuses",
                                "narratives",
                                "submissions",
                            ):
                                con.execute(f"DELETE FROM {table} WHERE sha256 = ?", [sha])
                if hashes:
                    # A file validated again keeps only its newest problems: the rules that
                    # compare with the previous month may see more history now than before.
                    con.register("revalidated", pd.DataFrame({"sha256": hashes}))
                    con.execute(
                        "DELETE FROM problems WHERE sha256 IN (SELECT sha256 FROM revalidated)"
                    )
                    con.unregister("revalidated")
                for table, frame in frames.items():
                    if frame.empty:
                        continue
                    con.register("incoming", frame)
                    columns = ", ".join(frame.columns)
                    con.execute(
                        f"INSERT OR IGNORE INTO {table} ({columns}) SELECT {columns} FROM incoming"
                    )
                    con.unregister("incoming")
                _settle_supersession(con, run.plan_id)
                crash_point("history")
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise

    # --- reading ----------------------------------------------------------------------------

    def known(self, hashes: list[str]) -> set[str]:
        if not hashes:
            return set()
        with self.connect() as con:
            frame = pd.DataFrame({"sha256": hashes})
            con.register("wanted", frame)
            rows = con.execute(
                "SELECT s.sha256 FROM submissions s JOIN wanted w USING (sha256)"
            ).fetchall()
        return {row[0] for row in rows}

    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        with self.connect() as con:
            return con.execute(sql, params or []).df()

    def submissions(self, plan_id: str, period: str) -> pd.DataFrame:
        """Every submission recorded for the plan and period, newest first."""
        return self.query(
            "SELECT * FROM submissions WHERE plan_id = ? AND period = ? "
            "ORDER BY received_at DESC, sha256",
            [plan_id, period],
        )

    def current_values(self, plan_id: str, periods: list[str]) -> pd.DataFrame:
        """Values of the current (newest accepted) submission per unit and period."""
        if not periods:
            return pd.DataFrame(
                columns=[
                    "unit_code",
                    "period",
                    "indicator",
                    "period_value",
                    "cumulative",
                    "sha256",
                    "sheet",
                    "period_cell",
                    "cumulative_cell",
                    "original_name",
                    "archive_path",
                ]
            )
        marks = ", ".join("?" for _ in periods)
        return self.query(
            "SELECT s.unit_code, s.period, v.indicator, v.period_value, v.cumulative, "
            "s.sha256, v.sheet, v.period_cell, v.cumulative_cell, s.original_name, "
            "a.archive_path "
            "FROM submissions s JOIN submission_values v USING (sha256) "
            "JOIN archive a USING (sha256) "
            f"WHERE s.plan_id = ? AND s.period IN ({marks}) AND s.status = 'accepted' "
            "AND s.superseded_by IS NULL ORDER BY s.period, s.unit_code, v.indicator",
            [plan_id, *periods],
        )

    def current_tasks(self, plan_id: str, up_to: str) -> pd.DataFrame:
        """Latest task status per unit and task up to a period (a task keeps its last status)."""
        return self.query(
            "SELECT unit_code, task_code, status, result, difficulty, period FROM ("
            " SELECT s.unit_code, t.task_code, t.status, t.result, t.difficulty, s.period,"
            " row_number() OVER (PARTITION BY s.unit_code, t.task_code"
            "   ORDER BY s.period DESC, s.received_at DESC) AS rn"
            " FROM submissions s JOIN task_statuses t USING (sha256)"
            " WHERE s.plan_id = ? AND s.period <= ? AND s.status = 'accepted'"
            "   AND s.superseded_by IS NULL) WHERE rn = 1 ORDER BY unit_code, task_code",
            [plan_id, up_to],
        )

    def current_narratives(self, plan_id: str, period: str) -> pd.DataFrame:
        return self.query(
            "SELECT s.unit_code, n.kind, n.text FROM submissions s JOIN narratives n "
            "USING (sha256) WHERE s.plan_id = ? AND s.period = ? AND s.status = 'accepted' "
            "AND s.superseded_by IS NULL AND n.text IS NOT NULL ORDER BY s.unit_code, n.kind",
            [plan_id, period],
        )

    def narratives_in(self, plan_id: str, periods: list[str]) -> pd.DataFrame:
        """Difficulties and proposals of the current submissions over several months."""
        if not periods:
            return pd.DataFrame(columns=["unit_code", "period", "kind", "text"])
        marks = ", ".join("?" for _ in periods)
        return self.query(
            "SELECT s.unit_code, s.period, n.kind, n.text FROM submissions s JOIN narratives n "
            f"USING (sha256) WHERE s.plan_id = ? AND s.period IN ({marks}) "
            "AND s.status = 'accepted' AND s.superseded_by IS NULL AND n.text IS NOT NULL "
            "AND trim(n.text) <> '' ORDER BY s.unit_code, n.kind, s.period",
            [plan_id, *periods],
        )

    def runs(self, plan_id: str, period: str) -> list[str]:
        """Ids of the runs recorded for the plan and period, oldest first."""
        frame = self.query(
            "SELECT run_id FROM runs WHERE plan_id = ? AND period = ? ORDER BY started_at",
            [plan_id, period],
        )
        return list(frame["run_id"])

    def rejection_problems(self, plan_id: str, period: str) -> pd.DataFrame:
        """Problems of each unit's newest rejected submission (what a reminder quotes)."""
        return self.query(
            "SELECT s.unit_code, s.original_name, p.seq, p.severity, p.rule, p.sheet, p.cell, "
            "p.message FROM (SELECT *, row_number() OVER (PARTITION BY unit_code "
            " ORDER BY received_at DESC, sha256) AS rn FROM submissions "
            " WHERE plan_id = ? AND period = ? AND status = 'rejected') s "
            "JOIN problems p USING (sha256) WHERE s.rn = 1 ORDER BY s.unit_code, p.seq",
            [plan_id, period],
        )

    # --- approval, locking and the audit log ----------------------------------------------------

    def active_approval(self, plan_id: str, period: str) -> dict[str, Any] | None:
        frame = self.query(
            "SELECT * FROM approvals WHERE plan_id = ? AND period = ? AND reopened_at IS NULL "
            "ORDER BY approved_at DESC LIMIT 1",
            [plan_id, period],
        )
        return None if frame.empty else frame.iloc[0].to_dict()

    def approve(self, approval: dict[str, Any], actor: str, at: datetime) -> None:
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            columns = ", ".join(approval)
            marks = ", ".join("?" for _ in approval)
            con.execute(
                f"INSERT INTO approvals ({columns}) VALUES ({marks})", list(approval.values())
            )
            _audit(
                con,
                at,
                actor,
                "approve",
                approval["plan_id"],
                approval["period"],
                approval.get("note"),
            )
            con.execute("COMMIT")

    def reopen(self, plan_id: str, period: str, actor: str, at: datetime, reason: str) -> bool:
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            changed = con.execute(
                "UPDATE approvals SET reopened_at = ?, reopened_by = ?, reopen_reason = ? "
                "WHERE plan_id = ? AND period = ? AND reopened_at IS NULL RETURNING approval_id",
                [at, actor, reason, plan_id, period],
            ).fetchall()
            if changed:
                _audit(con, at, actor, "reopen", plan_id, period, reason)
            con.execute("COMMIT")
        return bool(changed)

    def audit(
        self,
        at: datetime,
        actor: str,
        action: str,
        plan_id: str,
        period: str | None,
        detail: str | None,
    ) -> None:
        with self.connect() as con:
            _audit(con, at, actor, action, plan_id, period, detail)

    def audit_many(
        self, rows: list[tuple[datetime, str, str, str, str | None, str | None]]
    ) -> None:
        """Several audit rows in one transaction (one per reminder sent)."""
        if not rows:
            return
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            for row in rows:
                _audit(con, *row)
            con.execute("COMMIT")

    def record_packet(self, row: dict[str, Any]) -> None:
        """A packet built (append-only, with an audit row in the same transaction)."""
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            columns = ", ".join(row)
            marks = ", ".join("?" for _ in row)
            con.execute(f"INSERT INTO packets ({columns}) VALUES ({marks})", list(row.values()))
            _audit(
                con,
                row["built_at"],
                row["built_by"],
                "packet",
                row["plan_id"],
                row["span_end"],
                f"{row['milestone']} {row['span_start']}..{row['span_end']} sha256 {row['sha256']}",
            )
            con.execute("COMMIT")

    def audit_log(self, plan_id: str, period: str | None = None) -> pd.DataFrame:
        if period is None:
            return self.query("SELECT * FROM audit_log WHERE plan_id = ? ORDER BY seq", [plan_id])
        return self.query(
            "SELECT * FROM audit_log WHERE plan_id = ? AND period = ? ORDER BY seq",
            [plan_id, period],
        )

    def counts(self) -> dict[str, int]:
        with self.connect() as con:
            return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def _audit(
    con: duckdb.DuckDBPyConnection,
    at: datetime,
    actor: str,
    action: str,
    plan_id: str,
    period: str | None,
    detail: str | None,
) -> None:
    """Append one row to the audit log (never updated, never deleted)."""
    con.execute(
        "INSERT INTO audit_log (logged_at, actor, action, plan_id, period, detail) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [at, actor, action, plan_id, period, detail],
    )


def _migrate(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = con.execute("SELECT max(version) FROM schema_version").fetchall()[0]
    current = row[0] or 0
    for number, script in enumerate(MIGRATIONS, start=1):
        if number <= current:
            continue
        con.execute("BEGIN TRANSACTION")
        con.execute(script)
        con.execute("INSERT INTO schema_version VALUES (?)", [number])
        con.execute("COMMIT")
        log.info("history store migrated to version %d", number)


def _settle_supersession(con: duckdb.DuckDBPyConnection, plan_id: str) -> None:
    """Per unit and period, the newest accepted submission is current; older ones point to it."""
    con.execute(
        """
        UPDATE submissions AS s SET superseded_by = ranked.newest
        FROM (
            SELECT sha256,
                   first_value(sha256) OVER (PARTITION BY plan_id, period, unit_code
                       ORDER BY received_at DESC, sha256 DESC) AS newest
            FROM submissions WHERE plan_id = ? AND status = 'accepted'
        ) AS ranked
        WHERE s.sha256 = ranked.sha256
          AND s.superseded_by IS DISTINCT FROM
              (CASE WHEN ranked.newest = ranked.sha256 THEN NULL ELSE ranked.newest END)
        """,
        [plan_id],
    )
    con.execute("UPDATE submissions SET superseded_by = NULL WHERE superseded_by = sha256")


def _frames(run: RunRecord) -> dict[str, pd.DataFrame]:
    subs = run.submissions
    archive = pd.DataFrame(
        [
            {
                "sha256": s.sha256,
                "archive_path": s.archive_path,
                "size": s.size,
                "original_name": s.original_name,
                "received_at": s.received_at,
                "result": s.status,
            }
            for s in subs
        ],
        columns=["sha256", "archive_path", "size", "original_name", "received_at", "result"],
    )
    submissions = pd.DataFrame(
        [
            {
                "sha256": s.sha256,
                "run_id": run.run_id,
                "plan_id": s.plan_id,
                "period": s.period,
                "unit_code": s.unit_code,
                "received_at": s.received_at,
                "original_name": s.original_name,
                "status": s.status,
            }
            for s in subs
        ],
        columns=[
            "sha256",
            "run_id",
            "plan_id",
            "period",
            "unit_code",
            "received_at",
            "original_name",
            "status",
        ],
    )

    def rows(attr: str, columns: list[str]) -> pd.DataFrame:
        data = [{"sha256": s.sha256, **row} for s in subs for row in getattr(s, attr)]
        return pd.DataFrame(data, columns=["sha256", *columns])

    return {
        "archive": archive,
        "submissions": submissions,
        "submission_values": rows(
            "values",
            ["indicator", "period_value", "cumulative", "sheet", "period_cell", "cumulative_cell"],
        ),
        "problems": rows("problems", ["seq", "severity", "rule", "sheet", "cell", "message"]),
        "task_statuses": rows("tasks", ["task_code", "status", "result", "difficulty", "cell"]),
        "narratives": rows("narratives", ["kind", "text", "sheet", "cell"]),
    }
