"""Check a batch of files: the unit's self-check (`pcmbn check`) and the flows' validation.

guard → read → one Great Expectations run over every row → problems mapped to file, sheet and
cell, each with a stable rule id, a severity from the catalog and a Vietnamese message.
A file with any error is rejected; warnings alone do not reject it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pcmbn.catalog import Catalog
from pcmbn.reading.guard import Limits
from pcmbn.settings import Settings
from pcmbn.timings import timed
from pcmbn.validation.engine import run_expectations
from pcmbn.validation.frame import RowContext, build_frame
from pcmbn.validation.history import HistoryContext
from pcmbn.validation.submission import Submission, load_submissions
from pcmbn.validation.suite import SUITE_RULES
from pcmbn.validation.warmup import start_ge_import
from pcmbn.vocabulary import RuleId, Severity, SubmissionStatus

log = logging.getLogger(__name__)

#: A file's status after checking (the other `SubmissionStatus` values are decided by a run).
ACCEPTED = SubmissionStatus.ACCEPTED
REJECTED = SubmissionStatus.REJECTED
#: Problems the reader reports itself (not through an expectation): they become problems as
#: they are, like the guard's refusals.
READER_RULES = (
    RuleId.SHEET_DUPLICATE,
    RuleId.SHEET_HIDDEN,
    RuleId.INFO_DUPLICATE,
    RuleId.INFO_HIDDEN_ROW,
)


@dataclass(frozen=True)
class Problem:
    severity: Severity
    sheet: str | None
    cell: str | None
    rule: str  # a RuleId value
    message: str
    order: tuple[int, int] = (0, 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "sheet": self.sheet,
            "cell": self.cell,
            "rule": self.rule,
            "message": self.message,
        }


def unit_key(code: str) -> str:
    """A unit code as the reader normalises ThongTin's (upper case, no spaces)."""
    return code.upper().replace(" ", "").strip()


def recorded_unit(declared: str | None, sender: str | None) -> str | None:
    """The unit a file is filed under: where a sender is known, the sender decides (a file
    declaring another unit is held under the sender's code, never counted as the declared
    unit); else what ThongTin declares."""
    if sender and declared and unit_key(sender) == unit_key(declared):
        return declared
    return sender or declared


@dataclass
class FileReport:
    """The outcome for one file: the JSON contract of `pcmbn check` plus the parsed submission."""

    submission: Submission
    problems: list[Problem] = field(default_factory=list)
    #: the unit the intake knows the file came from (reception log, mailbox, portal), set by
    #: the monthly run's decide step; None for `pcmbn check` and an unknown sender
    sender: str | None = None
    #: history rules (`RuleId` values) the check could not apply: no history store at hand,
    #: or it holds nothing before the file's period (`pcmbn check`; a run applies them all)
    history_skipped: list[str] = field(default_factory=list)

    @property
    def unit_code(self) -> str | None:
        """The unit the file is filed under: the sender where one is known, else the declared
        unit (`recorded_unit`)."""
        return recorded_unit(self.submission.unit_code, self.sender)

    @property
    def status(self) -> SubmissionStatus:
        return REJECTED if any(p.severity == Severity.ERROR for p in self.problems) else ACCEPTED

    @property
    def hostile(self) -> bool:
        """Unreadable as a workbook: feedback is a text note, not an annotated copy."""
        return self.submission.refusal is not None

    def values(self) -> dict[str, dict[str, float | int | None]]:
        return {
            code: {"period": period.number.value, "cumulative": cumulative.number.value}
            for code, (period, cumulative) in self.submission.values.items()
        }

    def to_json(self) -> dict[str, Any]:
        sub = self.submission
        return {
            "path": str(sub.path),
            "sha256": sub.sha256,
            "status": self.status,
            "unit_code": sub.unit_code,
            "plan_id": sub.plan.id if sub.plan else sub.plan_text,
            "period": sub.period.code if sub.period else None,
            "values": self.values(),
            "problems": [p.to_json() for p in self.problems],
            "history_rules_skipped": [str(rule) for rule in self.history_skipped],
        }


@dataclass
class CheckResult:
    reports: list[FileReport]

    @property
    def all_accepted(self) -> bool:
        return all(r.status == ACCEPTED for r in self.reports)

    def to_json(self) -> dict[str, Any]:
        return {"files": [r.to_json() for r in self.reports]}


def ensure_rules(catalog: Catalog) -> None:
    """Fail early, naming rules.yaml, if a province's catalog lacks a rule the checker uses.

    `load_catalog` already refuses a rules.yaml without every `RuleId`; this also covers a
    catalog built another way (and keeps the suite's and the reader's ids inside `RuleId`)."""
    for rule in (*SUITE_RULES, *READER_RULES, *RuleId):
        catalog.rule(rule)


def _order(cell: str | None) -> tuple[int, int]:
    """(row, column) of an A1 address, for sorting a file's problems."""
    if not cell:
        return (0, 0)
    letters = cell.rstrip("0123456789")
    column = 0
    for char in letters:
        column = column * 26 + ord(char) - 64
    digits = cell[len(letters) :]
    return (int(digits) if digits.isdigit() else 0, column)


def check_files(
    paths: Iterable[Path],
    catalog: Catalog,
    *,
    limits: Limits | None = None,
    history: HistoryContext | None = None,
    settings: Settings | None = None,
    batch_size: int | None = None,
) -> CheckResult:
    """Check every file; one GE run for all of them (or per `batch_size` files). `settings`
    (the entry point's) choose the reader and its limits
    (`pcmbn.validation.submission.default_reader`)."""
    ensure_rules(catalog)
    start_ge_import()  # imported while the files are read
    limits = limits or Limits()
    items = [(i, Path(p), None) for i, p in enumerate(paths)]
    subs = load_submissions(items, catalog, limits, settings=settings)
    return check_submissions(subs, catalog, history=history, batch_size=batch_size)


def check_submissions(
    subs: list[Submission],
    catalog: Catalog,
    *,
    history: HistoryContext | Mapping[int, HistoryContext] | None = None,
    batch_size: int | None = None,
) -> CheckResult:
    """Validate already loaded submissions (the flows load them in parallel chunks).

    `history`: one context for all (a run), or one per submission index (`pcmbn check`).
    `batch_size`: files per Great Expectations run (None: all in one); every rule is about one
    file, so the problems are the same whatever the batching."""
    reports = [reader_report(sub, catalog) for sub in subs]
    size = batch_size or max(len(subs), 1)
    for start in range(0, len(subs), size):
        validate_batch(reports[start : start + size], catalog, history)
    return CheckResult(reports)


def reader_report(sub: Submission, catalog: Catalog) -> FileReport:
    """A file's report with what the guard and the reader found themselves (no GE yet)."""
    report = FileReport(sub)
    refusal = sub.refusal
    if refusal is not None:
        rule = catalog.rule(refusal.rule)
        report.problems.append(
            Problem(rule.severity, None, None, rule.id, rule.render(**refusal.params))
        )
    records = sub.records
    for found in records.problems if records is not None else ():
        if found.rule in READER_RULES:
            rule = catalog.rule(found.rule)
            report.problems.append(
                Problem(
                    rule.severity,
                    found.sheet,
                    found.cell,
                    rule.id,
                    rule.render(**found.params),
                    _order(found.cell),
                )
            )
    return report


def validate_batch(
    reports: list[FileReport],
    catalog: Catalog,
    history: HistoryContext | Mapping[int, HistoryContext] | None = None,
) -> None:
    """One Great Expectations run over a batch of files; their problems are added in place
    (mapped to file, sheet and cell) and each file's list is sorted as the clerk reads it."""
    subs = [report.submission for report in reports]
    with timed("frame"):
        frame, contexts = build_frame(subs, catalog, history)
    with timed("ge"):
        result = run_expectations(frame, catalog)
    by_index = {report.submission.index: report for report in reports}
    seen: set[tuple[int, str, str | None, str | None, str]] = set()
    for failure in result.failures:
        context: RowContext = contexts[failure.row_id]
        rule = catalog.rule(failure.rule)
        message = rule.render(**context.params)
        key = (context.file_index, failure.rule, context.sheet, context.cell, message)
        if key in seen:
            continue  # two expectations of one rule (e.g. both validity bounds) on one cell
        seen.add(key)
        by_index[context.file_index].problems.append(
            Problem(
                rule.severity,
                context.sheet,
                context.cell,
                rule.id,
                message,
                context.order,
            )
        )
    for report in reports:
        report.problems.sort(key=lambda p: (p.severity != Severity.ERROR, p.sheet or "", p.order))
