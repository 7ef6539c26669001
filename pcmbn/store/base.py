"""What the rest of the program may ask of the history store, whichever database holds it.

`Store` is the contract both backends fulfil (`DuckDBStore`, the embedded default, and
`PostgresStore`, for a database server); callers type against it and never write SQL. The records
a run writes (`RunRecord`, `SubmissionRecord`) live here because they belong to the contract, not
to a backend.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from pcmbn.periods import Period
from pcmbn.store.accounts import AccountStore
from pcmbn.vocabulary import SubmissionStatus

#: The tables a run writes, in the order `counts()` reports them.
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
    status: SubmissionStatus | str  # a SubmissionStatus value
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


AuditRow = tuple[datetime, str, str, str, str | None, str | None]

#: How callers name a period in a query: a `Period` (what the program carries inside) or, for
#: callers at the edge that still hold one, its canonical code ("2024-07"). Never written text:
#: the store does not parse what people write.
PeriodRef = Period | str


def period_code(period: PeriodRef) -> str:
    """The stored key of a period (the text column every backend keeps)."""
    return period.code if isinstance(period, Period) else Period.from_code(period).code


def period_codes(periods: Sequence[PeriodRef]) -> list[str]:
    return [period_code(p) for p in periods]


@dataclass(frozen=True)
class RunAudit:
    """The audit line of a run, written inside the run's own transaction.

    Its detail states what the run did (files accepted, superseded…), which is only known once
    the store has settled supersession; so the store calls `describe` with the period's
    submissions as the transaction sees them. A run that fails leaves neither its rows nor its
    audit line. `describe` should be picklable (a module function or a `functools.partial`).
    """

    at: datetime
    actor: str
    describe: Callable[[pd.DataFrame], str]


@runtime_checkable
class Store(AccountStore, Protocol):
    """The history store: submissions, accepted numbers, problems, tasks, narratives, runs,
    approvals, packets and the audit log. Every method is its own unit of work (a write is one
    transaction); DataFrames have the same columns and dtypes on every backend."""

    # --- writing ----------------------------------------------------------------------------

    def record_run(self, run: RunRecord, audit: RunAudit | None = None) -> None:
        """Write a run in one transaction, then settle which submission is current per unit;
        with `audit`, the run's audit line is part of the same transaction."""
        ...

    def approve(self, approval: dict[str, Any], actor: str, at: datetime) -> None: ...

    def reopen(
        self, plan_id: str, period: PeriodRef, actor: str, at: datetime, reason: str
    ) -> bool: ...

    def audit(
        self,
        at: datetime,
        actor: str,
        action: str,
        plan_id: str,
        period: str | None,
        detail: str | None,
    ) -> None: ...

    def audit_many(self, rows: list[AuditRow]) -> None: ...

    def record_packet(self, row: dict[str, Any]) -> None: ...

    # --- what units delivered (`pcmbn.submissions`) ----------------------------------------

    def next_number(self, sequence: str) -> int:
        """The next value of `receipt_seq` or `held_seq` (ids of receipts and held files)."""
        ...

    def next_numbers(self, sequence: str, count: int) -> list[int]:
        """`count` values of the sequence at once, ascending."""
        ...

    def record_receipt(self, row: dict[str, Any], audit: AuditRow) -> None:
        """Insert a receipt (earlier `received` ones of the unit and period become
        `superseded`) and its audit row, in one transaction."""
        ...

    def record_receipts(self, items: Sequence[tuple[dict[str, Any], AuditRow]]) -> None:
        """Several receipts of one plan and period, each as `record_receipt`, in one
        transaction."""
        ...

    def receipts(self, **where: Any) -> pd.DataFrame:
        """Receipts matching the given columns (None: no filter), newest first."""
        ...

    def return_receipt(
        self, receipt_id: str, *, reason: str, actor: str, at: datetime, audit: AuditRow
    ) -> bool: ...

    def returned_hashes(self, plan_id: str, period: PeriodRef) -> set[str]:
        """The period's files returned to their units and not sent again since."""
        ...

    def problems_of(self, sha256: str) -> pd.DataFrame:
        """The problems a run recorded for one file (seq, severity, rule, sheet, cell, message)."""
        ...

    def record_held(self, row: dict[str, Any], audit: AuditRow) -> None: ...

    def held(self, **where: Any) -> pd.DataFrame:
        """Held files matching the given columns (None: no filter), oldest first."""
        ...

    def settle_held(
        self,
        held_id: str,
        *,
        state: str,
        actor: str,
        at: datetime,
        decision: str,
        audit: AuditRow,
    ) -> bool: ...

    # --- reading ----------------------------------------------------------------------------

    def known(self, hashes: list[str]) -> set[str]: ...

    def submissions(self, plan_id: str, period: PeriodRef) -> pd.DataFrame: ...

    def submissions_in(self, plan_id: str, periods: Sequence[PeriodRef]) -> pd.DataFrame:
        """Every submission recorded for the plan in any of the periods (a packet's span)."""
        ...

    def current_values(
        self,
        plan_id: str,
        periods: Sequence[PeriodRef],
        units: Sequence[str] | None = None,
        *,
        provenance: bool = True,
    ) -> pd.DataFrame: ...

    def current_tasks(self, plan_id: str, up_to: PeriodRef) -> pd.DataFrame:
        """Latest status per unit and task over the periods ending no later than `up_to`
        (compared by when periods end, not by their codes)."""
        ...

    def current_narratives(self, plan_id: str, period: PeriodRef) -> pd.DataFrame: ...

    def narratives_in(self, plan_id: str, periods: Sequence[PeriodRef]) -> pd.DataFrame: ...

    def runs(self, plan_id: str, period: PeriodRef) -> list[str]: ...

    def latest_run_at(self, plan_id: str, periods: Sequence[PeriodRef]) -> datetime | None:
        """When the newest run over the periods started (None when none ran)."""
        ...

    def rejection_problems(self, plan_id: str, period: PeriodRef) -> pd.DataFrame: ...

    def current_warnings(self, plan_id: str, periods: Sequence[PeriodRef]) -> pd.DataFrame:
        """Warnings (severity `warning`) of the current submissions over the periods: what a
        summary or a packet marks on the figures they concern (`pcmbn.warned`)."""
        ...

    def active_approval(self, plan_id: str, period: PeriodRef) -> dict[str, Any] | None: ...

    def audit_log(self, plan_id: str, period: PeriodRef | None = None) -> pd.DataFrame: ...

    def counts(self) -> dict[str, int]: ...
