"""The store's logic written once, in SQL both DuckDB and PostgreSQL accept.

`SqlStore` holds every query and every write of the contract (`pcmbn.store.base.Store`); a
backend only says how to open a session and supplies the few statements that differ between
databases (`Session`): how a batch of rows is inserted ignoring those already present, and how a
list of hashes is staged as the relation `incoming_hashes`. Placeholders are `?`; the PostgreSQL
session translates them. Keeping one copy of the SQL is what makes the backends agree, down to
supersession and the order of rows.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from enum import StrEnum
from typing import Any

import pandas as pd

from pcmbn.faults import crash_point
from pcmbn.periods import Period
from pcmbn.store.accounts import AccountsSql
from pcmbn.store.base import (
    TABLES,
    AuditRow,
    PeriodRef,
    RunAudit,
    RunRecord,
    period_code,
    period_codes,
)
from pcmbn.store.schema import MIGRATIONS
from pcmbn.vocabulary import AuditAction, SubmissionStatus

log = logging.getLogger(__name__)

#: Local time of every timestamp the store returns (both backends set it on their sessions).
TIME_ZONE = "Asia/Ho_Chi_Minh"

VALUES_COLUMNS = [
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
#: The columns of `current_values(..., provenance=False)`: what is summed and compared.
FIGURES_COLUMNS = VALUES_COLUMNS[:5]

#: The columns of `current_warnings`.
WARNINGS_COLUMNS = [
    "unit_code",
    "period",
    "sha256",
    "original_name",
    "seq",
    "rule",
    "sheet",
    "cell",
    "message",
]


def _known_period(code: Any) -> Period | None:
    """The period of a stored code, or None for a code this version cannot read."""
    try:
        return Period.from_code(str(code))
    except ValueError:
        return None


#: Every submission of a plan and period, newest first.
SUBMISSIONS_SQL = (
    "SELECT * FROM submissions WHERE plan_id = ? AND period = ? ORDER BY received_at DESC, sha256"
)


class Session(ABC):
    """One open connection, as the shared SQL needs it."""

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    @abstractmethod
    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    @abstractmethod
    def frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """The result as a DataFrame with DuckDB's dtypes (the reference both backends match)."""

    @abstractmethod
    def insert_ignore(self, table: str, frame: pd.DataFrame) -> None:
        """Insert the frame's rows, skipping those whose key is already present."""

    @abstractmethod
    def staged_hashes(self, hashes: list[str]) -> AbstractContextManager[None]:
        """Make `hashes` readable as the relation `incoming_hashes(sha256)` inside the block."""


class SqlStore(AccountsSql, ABC):
    """Every method of the contract, on top of a backend's sessions."""

    @abstractmethod
    def _session(self) -> AbstractContextManager[Session]:
        """A migrated session in the store's time zone, closed at the end of the block."""

    @abstractmethod
    def _transaction(
        self, session: Session, key: str | None = None
    ) -> AbstractContextManager[None]:
        """One transaction (rolled back on error). `key` names what the transaction decides
        (a plan and period); a backend with concurrent writers serialises equal keys."""

    @contextmanager
    def _write(self, key: str | None = None) -> Iterator[Session]:
        with self._session() as session, self._transaction(session, key):
            yield session

    def _frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        with self._session() as session:
            return session.frame(sql, params)

    # --- writing ----------------------------------------------------------------------------

    def record_run(self, run: RunRecord, audit: RunAudit | None = None) -> None:
        """Write a run in one transaction, then settle which submission is current per unit;
        with `audit`, the run's audit line is written in that same transaction."""
        frames = _frames(run)
        with self._write(f"run {run.plan_id} {run.period}") as s:
            s.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
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
                with s.staged_hashes(hashes):
                    # A submission held as pending (its period was approved) is decided anew by
                    # a run after the period is reopened, and one the office returned (or sent
                    # again after a return) is decided by this run: drop its old rows first.
                    stored = s.rows(
                        "SELECT s.sha256, s.status FROM submissions s "
                        "JOIN incoming_hashes USING (sha256)"
                    )
                    incoming = {sub.sha256: sub.status for sub in run.submissions}
                    for sha, was in stored:
                        now = incoming.get(sha)
                        redecided = was in (SubmissionStatus.PENDING, SubmissionStatus.RETURNED)
                        returned = now == SubmissionStatus.RETURNED
                        if (redecided or returned) and now != was:
                            for table in (
                                "submission_values",
                                "problems",
                                "task_statuses",
                                "narratives",
                                "submissions",
                            ):
                                s.execute(f"DELETE FROM {table} WHERE sha256 = ?", [sha])
                    # A file validated again keeps only its newest problems: the rules that
                    # compare with the previous month may see more history now than before.
                    s.execute(
                        "DELETE FROM problems WHERE sha256 IN (SELECT sha256 FROM incoming_hashes)"
                    )
            for table, frame in frames.items():
                if not frame.empty:
                    s.insert_ignore(table, frame)
            _settle_supersession(s, run.plan_id)
            if audit is not None:
                stored = s.frame(SUBMISSIONS_SQL, [run.plan_id, run.period])
                detail = audit.describe(stored)
                _audit(s, audit.at, audit.actor, "run", run.plan_id, run.period, detail)
            crash_point("history")

    def approve(self, approval: dict[str, Any], actor: str, at: datetime) -> None:
        with self._write() as s:
            columns = ", ".join(approval)
            marks = ", ".join("?" for _ in approval)
            s.execute(
                f"INSERT INTO approvals ({columns}) VALUES ({marks})", list(approval.values())
            )
            _audit(
                s,
                at,
                actor,
                AuditAction.APPROVE,
                approval["plan_id"],
                approval["period"],
                approval.get("note"),
            )

    def reopen(
        self, plan_id: str, period: PeriodRef, actor: str, at: datetime, reason: str
    ) -> bool:
        with self._write() as s:
            changed = s.rows(
                "UPDATE approvals SET reopened_at = ?, reopened_by = ?, reopen_reason = ? "
                "WHERE plan_id = ? AND period = ? AND reopened_at IS NULL RETURNING approval_id",
                [at, actor, reason, plan_id, period_code(period)],
            )
            if changed:
                _audit(s, at, actor, AuditAction.REOPEN, plan_id, period_code(period), reason)
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
        with self._write() as s:
            _audit(s, at, actor, action, plan_id, period, detail)

    def audit_many(self, rows: list[AuditRow]) -> None:
        """Several audit rows in one transaction (one per reminder sent)."""
        if not rows:
            return
        with self._write() as s:
            for row in rows:
                _audit(s, *row)

    def record_packet(self, row: dict[str, Any]) -> None:
        """A packet built (append-only, with an audit row in the same transaction)."""
        with self._write() as s:
            columns = ", ".join(row)
            marks = ", ".join("?" for _ in row)
            s.execute(f"INSERT INTO packets ({columns}) VALUES ({marks})", list(row.values()))
            _audit(
                s,
                row["built_at"],
                row["built_by"],
                AuditAction.PACKET,
                row["plan_id"],
                row["span_end"],
                f"{row['milestone']} {row['span_start']}..{row['span_end']} sha256 {row['sha256']}",
            )

    # --- what units delivered (pcmbn.submissions) --------------------------------------------

    def next_number(self, sequence: str) -> int:
        """The next value of one of the store's id sequences (`receipt_seq`, `held_seq`): gaps
        are harmless, repeats never happen, across processes and backends."""
        if sequence not in ("receipt_seq", "held_seq"):
            raise ValueError(f"unknown sequence {sequence!r}")
        with self._session() as s:
            return int(s.rows(f"SELECT nextval('{sequence}')")[0][0])

    def next_numbers(self, sequence: str, count: int) -> list[int]:
        """`count` values of a sequence at once (one round trip for a group of receipts)."""
        if sequence not in ("receipt_seq", "held_seq"):
            raise ValueError(f"unknown sequence {sequence!r}")
        if count <= 0:
            return []
        with self._session() as s:
            rows = s.rows(f"SELECT nextval('{sequence}') FROM generate_series(1, ?)", [count])
        return sorted(int(row[0]) for row in rows)

    def record_receipt(self, row: dict[str, Any], audit: AuditRow) -> None:
        """A new receipt, in one transaction with its audit row; the unit's earlier receipts of
        the same plan and period that were still `received` become `superseded`."""
        self.record_receipts([(row, audit)])

    def record_receipts(self, items: Sequence[tuple[dict[str, Any], AuditRow]]) -> None:
        """Several new receipts of one plan and period in one transaction, in order, each as
        `record_receipt` writes it (a group of deliveries received together)."""
        if not items:
            return
        first = items[0][0]
        # One key per plan and period (not per unit): a group names several units.
        with self._write(f"receipt {first['plan_id']} {first['period']}") as s:
            for row, audit in items:
                s.execute(
                    "UPDATE receipts SET status = 'superseded' WHERE plan_id = ? AND period = ? "
                    "AND unit_code = ? AND status = 'received'",
                    [row["plan_id"], row["period"], row["unit_code"]],
                )
                _insert(s, "receipts", row)
                _audit(s, *audit)

    def receipts(self, **where: Any) -> pd.DataFrame:
        """Receipts matching every given column (`plan_id=…, unit_code=…, status=…`; a None
        value is no filter), newest first."""
        return self._frame(*_select("receipts", where, "received_at DESC, number DESC"))

    def return_receipt(
        self, receipt_id: str, *, reason: str, actor: str, at: datetime, audit: AuditRow
    ) -> bool:
        """Mark a receipt returned (with who, when and why) and write its audit row, in one
        transaction; False when there is no such receipt or it was already returned."""
        with self._write() as s:
            changed = s.rows(
                "UPDATE receipts SET status = 'returned', return_reason = ?, returned_at = ?, "
                "returned_by = ? WHERE receipt_id = ? AND status <> 'returned' "
                "RETURNING receipt_id",
                [reason, at, actor, receipt_id],
            )
            if changed:
                _audit(s, *audit)
        return bool(changed)

    def returned_hashes(self, plan_id: str, period: PeriodRef) -> set[str]:
        """Files of the period the office returned and the unit has not sent again since (a
        later receipt of the same bytes that was not returned counts them again)."""
        rows = self._frame(
            "SELECT sha256 FROM receipts r WHERE plan_id = ? AND period = ? "
            "AND status = 'returned' AND NOT EXISTS (SELECT 1 FROM receipts o "
            " WHERE o.plan_id = r.plan_id AND o.period = r.period AND o.sha256 = r.sha256 "
            " AND o.status <> 'returned' AND o.number > r.number)",
            [plan_id, period_code(period)],
        )
        return set(rows["sha256"])

    def problems_of(self, sha256: str) -> pd.DataFrame:
        """The problems a run recorded for one file, in their order (the desk's view of it)."""
        return self._frame(
            "SELECT seq, severity, rule, sheet, cell, message FROM problems WHERE sha256 = ? "
            "ORDER BY seq",
            [sha256],
        )

    def record_held(self, row: dict[str, Any], audit: AuditRow) -> None:
        """A file held for the officer, with its audit row, in one transaction."""
        with self._write() as s:
            _insert(s, "held_items", row)
            _audit(s, *audit)

    def held(self, **where: Any) -> pd.DataFrame:
        """Held files matching every given column (None: no filter), oldest first."""
        return self._frame(*_select("held_items", where, "received_at, held_id"))

    def settle_held(
        self,
        held_id: str,
        *,
        state: str,
        actor: str,
        at: datetime,
        decision: str,
        audit: AuditRow,
    ) -> bool:
        """Move a held file out of `held` (assigned or discarded), with its audit row; False
        when it was no longer held (another officer decided first)."""
        with self._write() as s:
            changed = s.rows(
                "UPDATE held_items SET state = ?, decided_at = ?, decided_by = ?, decision = ? "
                "WHERE held_id = ? AND state = 'held' RETURNING held_id",
                [state, at, actor, decision, held_id],
            )
            if changed:
                _audit(s, *audit)
        return bool(changed)

    # --- reading ----------------------------------------------------------------------------

    def known(self, hashes: list[str]) -> set[str]:
        if not hashes:
            return set()
        with self._session() as s, s.staged_hashes(hashes):
            rows = s.rows("SELECT s.sha256 FROM submissions s JOIN incoming_hashes USING (sha256)")
        return {row[0] for row in rows}

    def submissions(self, plan_id: str, period: PeriodRef) -> pd.DataFrame:
        """Every submission recorded for the plan and period, newest first."""
        return self._frame(SUBMISSIONS_SQL, [plan_id, period_code(period)])

    def submissions_in(self, plan_id: str, periods: Sequence[PeriodRef]) -> pd.DataFrame:
        """Every submission recorded for the plan in any of the periods (a packet's span), by
        period, then newest first as `submissions`."""
        marks = ", ".join("?" for _ in periods) or "NULL"
        return self._frame(
            f"SELECT * FROM submissions WHERE plan_id = ? AND period IN ({marks}) "
            "ORDER BY period, received_at DESC, sha256",
            [plan_id, *period_codes(periods)],
        )

    def current_values(
        self,
        plan_id: str,
        periods: Sequence[PeriodRef],
        units: Sequence[str] | None = None,
        *,
        provenance: bool = True,
    ) -> pd.DataFrame:
        """Values of the current (newest accepted) submission per unit and period; only
        `units`' when given (the history of one validation batch: one query, its units only).

        Without `provenance` only the figures' columns (`FIGURES_COLUMNS`): the same rows in
        the same order, without each value's file, sheet, cells, name and archive path. Those
        repeat a file's strings on every value row; over a national year (1,750,000 rows) they
        were 478 of the frame's 556 MB and DuckDB peaked at 3 GB building it."""
        columns = VALUES_COLUMNS if provenance else FIGURES_COLUMNS
        if not periods or (units is not None and not units):
            return pd.DataFrame(columns=columns)
        marks = ", ".join("?" for _ in periods)
        only = ""
        if units is not None:
            only = f"AND s.unit_code IN ({', '.join('?' for _ in units)}) "
        selected = (
            "s.unit_code, s.period, v.indicator, v.period_value, v.cumulative, "
            "s.sha256, v.sheet, v.period_cell, v.cumulative_cell, s.original_name, "
            "a.archive_path "
            if provenance
            else "s.unit_code, s.period, v.indicator, v.period_value, v.cumulative "
        )
        return self._frame(
            f"SELECT {selected}"
            "FROM submissions s JOIN submission_values v USING (sha256) "
            "JOIN archive a USING (sha256) "
            f"WHERE s.plan_id = ? AND s.period IN ({marks}) AND s.status = 'accepted' "
            f"AND s.superseded_by IS NULL {only}ORDER BY s.period, s.unit_code, v.indicator",
            [plan_id, *period_codes(periods), *(units or [])],
        )

    def current_tasks(self, plan_id: str, up_to: PeriodRef) -> pd.DataFrame:
        """Latest task status per unit and task up to a period (a task keeps its last status).

        Periods are compared by when they end (`Period.ordinal`), never by their codes: the
        plan's recorded periods that end no later than `up_to` are listed first, and the newest
        of them wins through an explicit rank, so a quarter or a year sorts where it ends.
        """
        end = Period.from_code(period_code(up_to)).ordinal
        recorded = self._frame(
            "SELECT DISTINCT period FROM submissions WHERE plan_id = ? AND period IS NOT NULL",
            [plan_id],
        )
        ranked = sorted(
            (p for p in (_known_period(c) for c in recorded["period"]) if p is not None),
            key=lambda p: (p.ordinal, p.code),
        )
        codes = [p.code for p in ranked if p.ordinal <= end]
        if not codes:
            return pd.DataFrame(
                columns=["unit_code", "task_code", "status", "result", "difficulty", "period"]
            )
        marks = ", ".join("?" for _ in codes)
        rank = " ".join("WHEN ? THEN ?" for _ in codes)
        ranks = [value for i, code in enumerate(codes) for value in (code, i)]
        return self._frame(
            "SELECT unit_code, task_code, status, result, difficulty, period FROM ("
            " SELECT s.unit_code, t.task_code, t.status, t.result, t.difficulty, s.period,"
            " row_number() OVER (PARTITION BY s.unit_code, t.task_code"
            f"   ORDER BY CASE s.period {rank} END DESC, s.received_at DESC) AS rn"
            " FROM submissions s JOIN task_statuses t USING (sha256)"
            f" WHERE s.plan_id = ? AND s.period IN ({marks}) AND s.status = 'accepted'"
            "   AND s.superseded_by IS NULL) AS latest WHERE rn = 1 ORDER BY unit_code, task_code",
            [*ranks, plan_id, *codes],
        )

    def current_narratives(self, plan_id: str, period: PeriodRef) -> pd.DataFrame:
        return self._frame(
            "SELECT s.unit_code, n.kind, n.text FROM submissions s JOIN narratives n "
            "USING (sha256) WHERE s.plan_id = ? AND s.period = ? AND s.status = 'accepted' "
            "AND s.superseded_by IS NULL AND n.text IS NOT NULL ORDER BY s.unit_code, n.kind",
            [plan_id, period_code(period)],
        )

    def narratives_in(self, plan_id: str, periods: Sequence[PeriodRef]) -> pd.DataFrame:
        """Difficulties and proposals of the current submissions over several months."""
        if not periods:
            return pd.DataFrame(columns=["unit_code", "period", "kind", "text"])
        marks = ", ".join("?" for _ in periods)
        return self._frame(
            "SELECT s.unit_code, s.period, n.kind, n.text FROM submissions s JOIN narratives n "
            f"USING (sha256) WHERE s.plan_id = ? AND s.period IN ({marks}) "
            "AND s.status = 'accepted' AND s.superseded_by IS NULL AND n.text IS NOT NULL "
            "AND trim(n.text) <> '' ORDER BY s.unit_code, n.kind, s.period",
            [plan_id, *period_codes(periods)],
        )

    def runs(self, plan_id: str, period: PeriodRef) -> list[str]:
        """Ids of the runs recorded for the plan and period, oldest first."""
        frame = self._frame(
            "SELECT run_id FROM runs WHERE plan_id = ? AND period = ? ORDER BY started_at",
            [plan_id, period_code(period)],
        )
        return list(frame["run_id"])

    def latest_run_at(self, plan_id: str, periods: Sequence[PeriodRef]) -> datetime | None:
        """When the newest run over the periods started (None when none ran)."""
        if not periods:
            return None
        marks = ", ".join("?" for _ in periods)
        frame = self._frame(
            f"SELECT max(started_at) AS at FROM runs WHERE plan_id = ? AND period IN ({marks})",
            [plan_id, *period_codes(periods)],
        )
        at = frame["at"].iloc[0] if not frame.empty else None
        if at is None or pd.isna(at):
            return None
        return pd.Timestamp(at).to_pydatetime()

    def rejection_problems(self, plan_id: str, period: PeriodRef) -> pd.DataFrame:
        """Problems of each unit's newest rejected submission (what a reminder quotes)."""
        return self._frame(
            "SELECT s.unit_code, s.sha256, s.original_name, p.seq, p.severity, p.rule, p.sheet, "
            "p.cell, "
            "p.message FROM (SELECT *, row_number() OVER (PARTITION BY unit_code "
            " ORDER BY received_at DESC, sha256) AS rn FROM submissions "
            " WHERE plan_id = ? AND period = ? AND status = 'rejected') s "
            "JOIN problems p USING (sha256) WHERE s.rn = 1 ORDER BY s.unit_code, p.seq",
            [plan_id, period_code(period)],
        )

    def current_warnings(self, plan_id: str, periods: Sequence[PeriodRef]) -> pd.DataFrame:
        """Warnings of the current (newest accepted) submissions over the periods, with the
        sheet and cell they point at; a correction that no longer warns leaves none."""
        if not periods:
            return pd.DataFrame(columns=WARNINGS_COLUMNS)
        marks = ", ".join("?" for _ in periods)
        return self._frame(
            "SELECT s.unit_code, s.period, s.sha256, s.original_name, p.seq, p.rule, p.sheet, "
            "p.cell, p.message FROM submissions s JOIN problems p USING (sha256) "
            f"WHERE s.plan_id = ? AND s.period IN ({marks}) AND s.status = 'accepted' "
            "AND s.superseded_by IS NULL AND p.severity = 'warning' "
            "ORDER BY s.period, s.unit_code, p.seq",
            [plan_id, *period_codes(periods)],
        )

    def active_approval(self, plan_id: str, period: PeriodRef) -> dict[str, Any] | None:
        frame = self._frame(
            "SELECT * FROM approvals WHERE plan_id = ? AND period = ? AND reopened_at IS NULL "
            "ORDER BY approved_at DESC LIMIT 1",
            [plan_id, period_code(period)],
        )
        return None if frame.empty else frame.iloc[0].to_dict()

    def audit_log(self, plan_id: str, period: PeriodRef | None = None) -> pd.DataFrame:
        if period is None:
            return self._frame("SELECT * FROM audit_log WHERE plan_id = ? ORDER BY seq", [plan_id])
        return self._frame(
            "SELECT * FROM audit_log WHERE plan_id = ? AND period = ? ORDER BY seq",
            [plan_id, period_code(period)],
        )

    def counts(self) -> dict[str, int]:
        with self._session() as s:
            return {t: int(s.rows(f"SELECT count(*) FROM {t}")[0][0]) for t in TABLES}

    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Raw SQL for tests and diagnostics only: not part of `Store`, never called by the
        program (the SQL must suit the backend; placeholders are `?`)."""
        return self._frame(sql, params or [])


def migrate(session: Session) -> None:
    """Apply the migrations not yet recorded in `schema_version`, one transaction each.

    The caller keeps concurrent processes apart (DuckDB: the file lock; PostgreSQL: an advisory
    lock), so the version read here stays true until the migration commits."""
    session.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    if (session.rows("SELECT max(version) FROM schema_version")[0][0] or 0) >= len(MIGRATIONS):
        return  # the usual case: one cheap read per connection
    for number, script in enumerate(MIGRATIONS, start=1):
        current = session.rows("SELECT max(version) FROM schema_version")[0][0] or 0
        if number <= current:
            continue
        session.execute("BEGIN TRANSACTION")
        try:
            session.execute(script)
            session.execute("INSERT INTO schema_version VALUES (?)", [number])
            session.execute("COMMIT")
        except Exception:
            session.execute("ROLLBACK")
            raise
        log.info("history store migrated to version %d", number)


def _audit(
    s: Session,
    at: datetime,
    actor: str,
    action: str,
    plan_id: str,
    period: str | None,
    detail: str | None,
) -> None:
    """Append one row to the audit log (never updated, never deleted)."""
    s.execute(
        "INSERT INTO audit_log (logged_at, actor, action, plan_id, period, detail) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [at, actor, action, plan_id, period, detail],
    )


def _insert(s: Session, table: str, row: dict[str, Any]) -> None:
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    s.execute(
        f"INSERT INTO {table} ({columns}) VALUES ({marks})", [_plain(v) for v in row.values()]
    )


#: The columns a `receipts(...)` / `held(...)` filter may name.
_FILTERABLE = {
    "receipts": {
        "receipt_id",
        "plan_id",
        "period",
        "unit_code",
        "sha256",
        "channel",
        "sender",
        "status",
        "reference",
    },
    "held_items": {"held_id", "sha256", "sender", "reference", "state", "reason", "plan_id"},
}


def _select(table: str, where: dict[str, Any], order: str) -> tuple[str, list[Any]]:
    """`SELECT *` with an equality filter per given column (None values are no filter)."""
    given = {k: v for k, v in where.items() if v is not None}
    unknown = set(given) - _FILTERABLE[table]
    if unknown:
        raise ValueError(f"cannot filter {table} by {sorted(unknown)}")
    clause = " AND ".join(f"{column} = ?" for column in given) or "TRUE"
    params = [period_code(v) if k == "period" else _plain(v) for k, v in given.items()]
    return f"SELECT * FROM {table} WHERE {clause} ORDER BY {order}", params


def _settle_supersession(s: Session, plan_id: str) -> None:
    """Per unit and period, the newest accepted submission is current; older ones point to it."""
    s.execute(
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
    s.execute("UPDATE submissions SET superseded_by = NULL WHERE superseded_by = sha256")


def _plain(value: Any) -> Any:
    """A vocabulary member as the bare string it stands for (drivers adapt exact types)."""
    return str(value) if isinstance(value, StrEnum) else value


def _frames(run: RunRecord) -> dict[str, pd.DataFrame]:
    """The run's rows per table, in the tables' column order."""
    subs = run.submissions
    archive = pd.DataFrame(
        [
            {
                "sha256": s.sha256,
                "archive_path": s.archive_path,
                "size": s.size,
                "original_name": s.original_name,
                "received_at": s.received_at,
                "result": _plain(s.status),
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
                "status": _plain(s.status),
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
        data = [
            {"sha256": s.sha256, **{k: _plain(v) for k, v in row.items()}}
            for s in subs
            for row in getattr(s, attr)
        ]
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
