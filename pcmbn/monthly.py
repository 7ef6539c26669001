"""The monthly job as pure functions: classify, record, aggregate, completeness.

The Prefect flow (`flows/monthly_aggregation.py`) strings these together; tests call them
directly. Nothing here touches Prefect.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from pcmbn.catalog import Catalog
from pcmbn.clock import OFFICE_TZ, today_in_vietnam
from pcmbn.domain import Labels, Plan, Unit
from pcmbn.intake import Received
from pcmbn.periods import Period, deadline_vi, due_date, format_date_vi, resend_by_vi
from pcmbn.store.history import SubmissionRecord
from pcmbn.validation.checker import ACCEPTED, FileReport, Problem, unit_key
from pcmbn.vocabulary import Completeness, RuleId, SubmissionStatus

if TYPE_CHECKING:
    from pcmbn.reminders import ReturnedReport

OTHER_PERIOD = SubmissionStatus.OTHER_PERIOD
REJECTED = SubmissionStatus.REJECTED
RETURNED = SubmissionStatus.RETURNED
STATUS_ORDER = tuple(Completeness)  # on_time, late, missing, rejected, returned
#: Completeness statuses a reminder goes to (no accepted report).
TO_REMIND = (Completeness.MISSING, Completeness.REJECTED)


def run_id_for(plan: Plan, period: Period, units: list[str] | None, hashes: list[str]) -> str:
    """Same plan, period, unit filter and input files → same run id (reruns add no rows)."""
    key = "|".join([plan.id, period.code, ",".join(sorted(units or [])), *sorted(hashes)])
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def sender_problem(report: FileReport, sender: str | None, catalog: Catalog) -> Problem | None:
    """`unit.sender_mismatch` when the intake knows who sent the file (reception log, later the
    mailbox and the portal) and its ThongTin declares another unit; else None.

    The sender decides: such a file is rejected under the sender's code with both units named,
    so a unit cannot file figures as another (the province total would change), and the officer,
    the status table, the feedback file and the reminder all say why. No sender known (or no unit
    declared): nothing to compare, the file is judged on its content as before.
    """
    declared = report.submission.unit_code
    if not sender or not declared or unit_key(sender) == unit_key(declared):
        return None
    rule = catalog.rule(RuleId.UNIT_SENDER_MISMATCH)
    records = report.submission.records
    where = records.info.get("unit_code") if records is not None else None
    sheet = where.sheet if where is not None else None
    cell = where.cell if where is not None else None
    message = rule.render(sender=sender, declared=declared, cell=cell or "?")
    return Problem(rule.severity, sheet, cell, rule.id, message)


def hold_spoofed(report: FileReport, sender: str | None, catalog: Catalog) -> None:
    """Attach the intake's sender to `report`, and the mismatch problem when there is one (first,
    so it leads the feedback, the status and the reminder)."""
    report.sender = sender
    problem = sender_problem(report, sender, catalog)
    if problem is not None and not any(p.rule == problem.rule for p in report.problems):
        report.problems.insert(0, problem)


def classify(report: FileReport, plan: Plan, period: Period) -> SubmissionStatus:
    """accepted / rejected / other_period (identified, but of another plan or period).

    A file whose sender and declared unit differ is rejected whatever period it declares: none
    of what it says about itself can be trusted."""
    if any(p.rule == RuleId.UNIT_SENDER_MISMATCH for p in report.problems):
        return REJECTED
    sub = report.submission
    other_plan = sub.plan is not None and sub.plan.id != plan.id
    other_period = sub.period is not None and sub.period.code != period.code
    if sub.refusal is None and (other_plan or other_period):
        return OTHER_PERIOD
    return report.status


#: What a run does with one file, besides classifying it.
SKIP_OTHER_UNIT = "skip_other_unit"  # a rerun for some units leaves the others as they are
SKIP_KNOWN = "skip_known"  # already on the approved record


def decide(
    status: str,
    unit_code: str | None,
    sha256: str,
    *,
    units: list[str] | None,
    locked: bool,
    known: set[str],
    returned: set[str] | frozenset[str] = frozenset(),
) -> str:
    """The status a classified file is recorded with, or one of the SKIP_* decisions.

    `units` is the run's unit filter (None for all), `locked` whether the period is approved,
    `known` the hashes already in the store. In an approved period a new file of the period is
    archived and held as pending until the period is reopened; a file of another period is
    recorded as such (it changes nothing of this one). A file the office returned to its unit
    (`returned`: `Store.returned_hashes`) is recorded as returned: never counted.
    """
    from pcmbn.approval import PENDING

    if units and status != OTHER_PERIOD and unit_code not in units:
        return SKIP_OTHER_UNIT
    if locked and sha256 in known:
        return SKIP_KNOWN
    if locked and status != OTHER_PERIOD:
        return PENDING
    if sha256 in returned and status != OTHER_PERIOD:
        return RETURNED
    return status


FILE_COUNTS = ("accepted", "rejected", "superseded", "other_period")


def tally(recorded: list[SubmissionRecord], stored: pd.DataFrame) -> dict[str, int]:
    """The run's file counts: accepted / rejected / superseded / other_period.

    `recorded` are the run's records, `stored` the period's submissions after the run (the
    store settles which accepted file a later correction superseded). Pending files are not
    counted here: they are the period's, reported apart.
    """
    counts = dict.fromkeys(FILE_COUNTS, 0)
    mine = set(r.sha256 for r in recorded)
    if not stored.empty:
        for sha, status, superseded_by in zip(
            stored["sha256"], stored["status"], stored["superseded_by"], strict=True
        ):
            if sha not in mine:
                continue
            if status == ACCEPTED and superseded_by is not None and str(superseded_by) != "nan":
                counts["superseded"] += 1
            elif status in ("accepted", "rejected"):
                counts[status] += 1
    counts["other_period"] = sum(1 for r in recorded if r.status == OTHER_PERIOD)
    return counts


def run_audit_detail(
    run_id: str,
    recorded: list[SubmissionRecord],
    locked: bool,
    stored: pd.DataFrame,
    *,
    rerun: bool = False,
) -> str:
    """The detail of a run's audit line: its file counts, and in an approved period how many
    files wait for it to be reopened. `stored` is the period's submissions once the run is
    recorded (the store passes them from inside the run's transaction, `RunAudit`). A rerun over
    the same inputs is worth one line that says it changed nothing."""
    from pcmbn.approval import PENDING

    counts = tally(recorded, stored)
    pending = int((stored["status"] == PENDING).sum()) if not stored.empty else 0
    return (
        f"run {run_id}: "
        + ("chạy lại, không có thay đổi; " if rerun else "")
        + ", ".join(f"{k}={v}" for k, v in counts.items())
        + (f", pending={pending} (kỳ đã phê duyệt)" if locked else "")
    )


def submission_record(
    received: Received, report: FileReport, status: SubmissionStatus, plan: Plan, period: Period
) -> SubmissionRecord:
    """What the store keeps of one file: identification, values with cells, problems, tasks.

    A file that could not be read at all says nothing about itself: it is filed under the run's
    plan and period (it was sent for them) and under the sender the reception log names. Once
    the decide step has attached the sender (`hold_spoofed`), a readable file is filed under it
    whatever ThongTin declares (`FileReport.unit_code`; the mismatch rejects it).
    """
    sub = report.submission
    unreadable = sub.refusal is not None
    record = SubmissionRecord(
        sha256=received.sha256,
        original_name=received.name,
        received_at=received.received_at,
        archive_path=received.archive_path,
        size=received.size,
        status=status,
        plan_id=plan.id if unreadable else (sub.plan.id if sub.plan else sub.plan_text),
        period=period.code if unreadable else (sub.period.code if sub.period else None),
        unit_code=report.unit_code or received.sender,
    )
    for code, (period_cell, cumulative_cell) in sub.values.items():
        record.values.append(
            {
                "indicator": code,
                "period_value": period_cell.number.value,
                "cumulative": cumulative_cell.number.value,
                "sheet": period_cell.cell.sheet,
                "period_cell": period_cell.cell.cell,
                "cumulative_cell": cumulative_cell.cell.cell,
            }
        )
    for seq, problem in enumerate(report.problems):
        record.problems.append(
            {
                "seq": seq,
                "severity": problem.severity,
                "rule": problem.rule,
                "sheet": problem.sheet,
                "cell": problem.cell,
                "message": problem.message,
            }
        )
    if sub.records is not None:
        for task in sub.records.tasks:
            status_text = None if task.status.blank else str(task.status.raw).strip()
            record.tasks.append(
                {
                    "task_code": task.code,
                    "status": status_text,
                    "result": task.result,
                    "difficulty": task.difficulty,
                    "cell": task.status.cell,
                }
            )
        for kind, cell in sub.records.narratives.items():
            text = None if cell.blank else str(cell.raw).strip()
            record.narratives.append(
                {"kind": kind, "text": text, "sheet": cell.sheet, "cell": cell.cell}
            )
    return record


def due_moment(plan: Plan, period: Period) -> datetime:
    """End of the due date, office time: a report received on the due day is on time."""
    day: date = due_date(period, plan.reporting.cutoff, plan.reporting.due_days_after_cutoff)
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=OFFICE_TZ)


def completeness(
    expected: list[Unit], submissions: pd.DataFrame, plan: Plan, period: Period
) -> pd.DataFrame:
    """One row per expected unit: on_time / late / missing / rejected (as DHIS2 reports it).

    A unit with a current accepted submission is on time or late by when that submission was
    received; without one, a unit whose newest submission was rejected is "rejected", or
    "returned" when the office returned it (`pcmbn.submissions`); otherwise "missing".
    """
    due = due_moment(plan, period)
    # One pass over the submissions (not one filter per unit: 170 units × 12 months add up).
    current: dict[str, tuple[Any, Any]] = {}
    rejected: dict[str, tuple[Any, Any, Any]] = {}
    if not submissions.empty:
        ordered = submissions.sort_values("received_at", kind="stable")
        superseded = ordered["superseded_by"].isna().to_numpy()
        for unit_code, status_, received_, name_, open_ in zip(
            ordered["unit_code"],
            ordered["status"],
            ordered["received_at"],
            ordered["original_name"],
            superseded,
            strict=True,
        ):
            if status_ == ACCEPTED and open_:
                current[unit_code] = (received_, name_)  # the newest wins
            elif status_ in (REJECTED, RETURNED):
                rejected[unit_code] = (received_, name_, status_)  # the newest wins
    rows = []
    for unit in expected:
        if unit.code in current:
            when, file_name = current[unit.code]
            received = pd.Timestamp(when).to_pydatetime()
            status = Completeness.ON_TIME if received < due else Completeness.LATE
        elif unit.code in rejected:
            when, file_name, decided = rejected[unit.code]
            status = Completeness.RETURNED if decided == RETURNED else Completeness.REJECTED
            received = pd.Timestamp(when).to_pydatetime()
        else:
            status, received, file_name = Completeness.MISSING, None, None
        rows.append(
            {
                "unit_code": unit.code,
                "unit_name": unit.name,
                "level": unit.level,
                "status": status,
                "received_at": received,
                "due_date": (due - timedelta(days=1)).date(),
                "file_name": file_name,
                "email": unit.email,
                "contact": unit.contact,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "unit_code",
            "unit_name",
            "level",
            "status",
            "received_at",
            "due_date",
            "file_name",
            "email",
            "contact",
        ],
    )


def applicable_values(
    values: pd.DataFrame, catalog: Catalog, units: dict[str, Unit]
) -> pd.DataFrame:
    """Keep only values of indicators that apply to the reporting unit's kind.

    A non-applicable indicator filled in anyway carries a warning and is not summed.
    """
    if values.empty:
        return values
    keep = [
        code in catalog.indicators
        and unit in units
        and catalog.indicators[code].applies(units[unit].kind)
        for unit, code in zip(values["unit_code"], values["indicator"], strict=True)
    ]
    return values[keep]


def provincial_totals(
    values: pd.DataFrame, catalog: Catalog, plan: Plan | None = None, period: Period | None = None
) -> dict[str, dict[str, Any]]:
    """Per indicator: sum over units of their current period value and cumulative.

    With `plan` and `period`, only the indicators in force for it are listed (a 2021 month
    has no 2026 indicator, not even as "no data").

    For a stock (`last`, e.g. models running), each unit's current count is summed too: a
    single month's report already carries the latest value per unit.
    """
    totals: dict[str, dict[str, Any]] = {}
    codes = (
        catalog.indicators
        if plan is None or period is None
        else catalog.indicators_in_span([period], plan.reporting.cutoff)
    )
    for code in codes:
        rows = values[values["indicator"] == code] if not values.empty else values
        totals[code] = {
            key: json_number(rows[column].sum(min_count=1)) if not rows.empty else None
            for key, column in (("period", "period_value"), ("cumulative", "cumulative"))
        }
    return totals


def json_number(value: Any) -> int | float | None:
    """A number as JSON shows it: None for no data, integers without ".0", 6 decimals.

    A non-finite number (a total that overflowed, a NaN) is None too: strict JSON has no way to
    write it, and validation bounds every accepted value, so reaching it means "no usable data".
    """
    if value is None or pd.isna(value):
        return None
    try:
        value = float(value)
    except OverflowError:  # an int beyond float range
        return None
    if not math.isfinite(value):
        return None
    return int(value) if value.is_integer() else round(value, 6)


REMINDER_COLUMNS = [
    "unit_code",
    "unit_name",
    "status",
    "status_vi",
    "email",
    "contact",
    "due_date",
    "message",
]


def reminder_list(
    table: pd.DataFrame,
    plan: Plan,
    period: Period,
    labels: Labels,
    today: date | None = None,
    returned: Mapping[str, ReturnedReport] | None = None,
) -> pd.DataFrame:
    """Missing, rejected and returned units with their contacts and a ready-to-send Vietnamese
    line (`status_vi` is the catalog's completeness label). As in the emails (issue 12.14), the
    plan is named by its number and title, and a due date already past (`today`, office
    calendar) asks for the report "sớm nhất có thể". A returned unit's line names the return,
    its date and reason from `returned` (`reminders.returned_reports`), as its email does."""
    today = today or today_in_vietnam()
    returned = returned or {}
    rows = []
    for row in table.itertuples():
        if row.status not in (*TO_REMIND, Completeness.RETURNED):
            continue
        day = pd.Timestamp(row.due_date).date()
        due = format_date_vi(day)
        if row.status == Completeness.MISSING:
            late = f"đã quá hạn gửi ngày {due}" if today > day else f"hạn gửi {deadline_vi(day)}"
            message = (
                f"Kính gửi {row.unit_name}: Cơ quan Thường trực chưa nhận được báo cáo "
                f"{period.label_vi} về kết quả thực hiện {plan.document_title} ({late}). "
                f"Đề nghị đơn vị gửi báo cáo {resend_by_vi(day, today)}."
            )
        elif row.status == Completeness.RETURNED:
            back = returned.get(str(row.unit_code))
            message = labels.reminders.returned_line.format(
                unit_name=row.unit_name,
                period=period.in_sentence,
                plan=plan.document_title,
                file=back.file_name if back else row.file_name,
                receipt=back.receipt_id if back else "—",
                returned_on=format_date_vi(back.returned_on) if back else "—",
                reason=(back.reason.strip().rstrip(".") if back and back.reason else "—"),
                resend_by=resend_by_vi(day, today),
            )
        else:
            message = (
                f"Kính gửi {row.unit_name}: báo cáo {period.label_vi} của đơn vị chưa "
                "đạt yêu cầu (xem tệp góp ý kèm theo). Đề nghị đơn vị sửa và gửi lại "
                f"{resend_by_vi(day, today)}."
            )
        rows.append(
            {
                "unit_code": row.unit_code,
                "unit_name": row.unit_name,
                "status": row.status,
                "status_vi": labels.completeness[Completeness(row.status)],
                "email": row.email,
                "contact": row.contact,
                "due_date": due,
                "message": message,
            }
        )
    return pd.DataFrame(rows, columns=REMINDER_COLUMNS)
