"""The office's operations as plain functions: what the CLI, the Prefect tasks and flows (and
the web app later) all call, so that each rule lives in one place.

Inputs are the `Resources` of one `Settings`, a `Plan` and a `Period` (or the raw text a person
typed, for the checks that turn it into them); outputs are dataclasses, dicts or frames. Nothing
here prints, and nothing imports Prefect: the argument checks must answer in well under a
second, before any flow run exists.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pcmbn.errors import PcmbnError

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from pcmbn.catalog import Catalog
    from pcmbn.domain import Plan
    from pcmbn.layout import OutputLayout
    from pcmbn.periods import Period
    from pcmbn.reminders import Delivery, Reminder
    from pcmbn.resources import Resources
    from pcmbn.validation.checker import CheckResult
    from pcmbn.validation.history import HistoryContext

log = logging.getLogger(__name__)


# --- arguments of a run -------------------------------------------------------------------


@dataclass(frozen=True)
class RunArguments:
    """A run's arguments checked against the catalog: the plan, its period, the unit filter."""

    plan: Plan
    period: Period
    units: list[str] | None


def check_period_in_plan(plan: Plan, period: Period) -> None:
    """Refuse a period outside the plan's span, naming the span (no report exists for it)."""
    if not plan.covers(period):
        raise PcmbnError(
            f"Kỳ {period.label_vi} nằm ngoài thời gian thực hiện kế hoạch {plan.id} "
            f"({plan.span.start.label_vi} – {plan.span.end.label_vi})."
        )


def default_period(plan: Plan, today: date) -> Period:
    """The latest closed month inside the plan: the month to collect when none is named.

    For a plan that has ended, its last month; for one that has not begun, there is none.
    """
    from pcmbn.periods import last_closed_month

    latest = last_closed_month(today, plan.reporting.cutoff, plan.reporting.due_days_after_cutoff)
    last = plan.span.end.last_month
    candidate = last if last < latest else latest
    if candidate < plan.span.start.first_month:
        raise PcmbnError(
            f"Kế hoạch {plan.id} chưa có tháng nào đã chốt số liệu (thời gian thực hiện "
            f"{plan.span.start.label_vi} – {plan.span.end.label_vi}); hãy ghi rõ --period."
        )
    return candidate


def normalise_units(units: list[str] | None) -> list[str] | None:
    """Unit codes as the store spells them (upper case, no blanks, sorted); None for all."""
    return sorted({u.strip().upper() for u in units or [] if u.strip()}) or None


def check_run_arguments(
    catalog: Catalog,
    plan_id: str,
    period_text: str | None,
    today: date,
    units: list[str] | None = None,
) -> RunArguments:
    """The plan, period and unit filter of `pcmbn run`, refused in one Vietnamese line when
    wrong. The CLI calls it before starting Prefect (a typo answers at once); the flow calls
    it again, since a deployment starts the flow without the CLI."""
    from pcmbn.periods import parse_period

    plan = catalog.plan(plan_id)
    if period_text:
        period = parse_period(period_text)
        check_period_in_plan(plan, period)
    else:
        period = default_period(plan, today)
    wanted = normalise_units(units)
    if wanted:
        registry = catalog.registry(plan)
        unknown = [u for u in wanted if registry.get(u) is None]
        if unknown:
            raise PcmbnError(
                f"Không có đơn vị {', '.join(unknown)} trong danh sách {registry.path.name} "
                f"của kế hoạch {plan.id}."
            )
    return RunArguments(plan, period, wanted)


def run_inbox(resources: Resources, plan: Plan, period: Period, inbox: str | None) -> str:
    """The folder (path or URL) a run reads, checked before anything is written.

    A named inbox that does not exist or cannot be read is refused: reading it as empty would
    record every unit as missing and remind all of them. The default inbox
    (`$PCMBN_HOME/inbox/KH/KỲ`) may be absent: nothing has arrived yet.
    """
    from fsspec.core import url_to_fs

    from pcmbn.intake import resolve_inbox

    if not inbox:
        return resources.layout.inbox(plan.id, period.code)
    try:
        fs, root = url_to_fs(inbox)
        found = fs.isdir(root)
    except Exception as exc:  # noqa: BLE001 - any failure to reach it is the same answer
        raise PcmbnError(f"Không đọc được thư mục nhận báo cáo {inbox}: {exc}") from exc
    if not found:
        raise PcmbnError(
            f"Không tìm thấy thư mục nhận báo cáo {inbox} (--inbox). Hãy kiểm tra lại đường dẫn."
        )
    local = fs.protocol in ("file", "local") or "file" in tuple(fs.protocol)
    if local and not os.access(root, os.R_OK | os.X_OK):
        raise PcmbnError(
            f"Không có quyền đọc thư mục nhận báo cáo {inbox} (--inbox). Hãy kiểm tra quyền "
            "truy cập rồi chạy lại."
        )
    return resolve_inbox(inbox, plan.id, period)


# --- the self-check of report files -------------------------------------------------------


def history_store_available(resources: Resources) -> bool:
    """Whether the home has a history store to compare with (never creates one: a clerk's own
    machine has none, and `pcmbn check` must not leave an empty store behind)."""
    settings = resources.settings
    return settings.store_is_server or settings.store_path.exists()


def check_reports(resources: Resources, paths: Sequence[Path]) -> CheckResult:
    """`pcmbn check`: every file checked in one Great Expectations run, with the same rules
    as the monthly run, including those that compare with earlier months.

    Each file is judged against the history of its own plan and period, read from the home's
    store by the very function the run uses (`validation.history.read_history`). Without a
    store, or with nothing recorded before the file's period, the history rules the run would
    apply are listed on the file's report (`history_skipped`) so the clerk is told which checks
    are still to come.
    """
    from pathlib import Path

    from pcmbn.reading.guard import Limits
    from pcmbn.validation.checker import check_submissions, ensure_rules
    from pcmbn.validation.history import HistoryContext, rules_without_history
    from pcmbn.validation.submission import load_submissions
    from pcmbn.validation.warmup import start_ge_import

    catalog = resources.catalog
    ensure_rules(catalog)
    start_ge_import()  # imported while the files are read
    items = [(i, Path(p), None) for i, p in enumerate(paths)]
    subs = load_submissions(items, catalog, Limits(), settings=resources.settings)
    contexts: dict[tuple[str, str], HistoryContext] = {}
    by_file: dict[int, HistoryContext] = {}
    skipped: dict[int, list[str]] = {}
    available = history_store_available(resources)
    for sub in subs:
        if not sub.readable or sub.plan is None or sub.period is None:
            continue
        key = (sub.plan.id, sub.period.code)
        if key not in contexts:
            contexts[key] = (
                _stored_history(resources, sub.plan, sub.period) if available else None
            ) or HistoryContext()
        by_file[sub.index] = contexts[key]
        skipped[sub.index] = [str(r) for r in rules_without_history(contexts[key], sub.period)]
    result = check_submissions(subs, catalog, history=by_file)
    for report in result.reports:
        report.history_skipped = skipped.get(report.submission.index, [])
    return result


def check_document(
    resources: Resources, result: CheckResult, feedback_dir: Path | None
) -> dict[str, Any]:
    """The `pcmbn check --format json` document of `result`, each file's feedback written
    into `feedback_dir` first (None: no feedback), as the CLI and the service both answer."""
    from pcmbn.validation.feedback import write_feedback

    labels = resources.catalog.labels
    document = result.to_json()
    for report, item in zip(result.reports, document["files"], strict=True):
        written = write_feedback(report, feedback_dir, labels) if feedback_dir else None
        item["feedback"] = str(written) if written else None
    return document


def _stored_history(resources: Resources, plan: Plan, period: Period) -> HistoryContext | None:
    """The run's history context from the home's store; None when the store cannot answer
    (a database server out of reach must not stop a clerk's self-check: the rules it would
    have applied are then reported as not applied)."""
    from pcmbn.validation.history import read_history

    try:
        return read_history(resources.store, resources.catalog, plan, period)
    except Exception:  # noqa: BLE001 - any store failure means the same: no history here
        log.warning("history store unavailable for pcmbn check", exc_info=True)
        return None


# --- status of a period -------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodStatus:
    """What the office knows of one period: who reported, what waits, whether it is approved.

    `table` is the completeness table (`pcmbn.monthly.completeness`), `pending` the
    submissions held because the period is approved, `approval` the active approval or None.
    """

    plan: Plan
    period: Period
    due: date
    table: pd.DataFrame
    pending: pd.DataFrame
    approval: dict[str, Any] | None
    ever_run: bool

    @property
    def approved(self) -> bool:
        return self.approval is not None

    def counts(self) -> dict[str, int]:
        """Units per completeness status (every status listed, zeros included)."""
        from pcmbn.monthly import STATUS_ORDER

        found = self.table["status"].value_counts()
        return {k: int(found.get(k, 0)) for k in STATUS_ORDER}


def period_status(resources: Resources, plan: Plan, period: Period) -> PeriodStatus:
    """The status of a period as the history store knows it (`pcmbn status`, the web page)."""
    from pcmbn.approval import PENDING
    from pcmbn.monthly import completeness
    from pcmbn.periods import due_date

    store = resources.store
    submissions = store.submissions(plan.id, period.code)
    table = completeness(resources.catalog.expected_units(plan, period), submissions, plan, period)
    pending = submissions[submissions["status"] == PENDING]
    return PeriodStatus(
        plan=plan,
        period=period,
        due=due_date(period, plan.reporting.cutoff, plan.reporting.due_days_after_cutoff),
        table=table,
        pending=pending,
        approval=store.active_approval(plan.id, period.code),
        ever_run=ever_run(resources, plan, period),
    )


def ever_run(resources: Resources, plan: Plan, period: Period) -> bool:
    """Whether the period was ever aggregated (else every unit only looks missing)."""
    store = resources.store
    return not store.submissions(plan.id, period.code).empty or bool(
        store.runs(plan.id, period.code)
    )


# --- approval -----------------------------------------------------------------------------


def approve(
    resources: Resources, plan: Plan, period: Period, note: str | None = None
) -> dict[str, Any]:
    """Approve and lock the period, by the configured actor; returns the approval row."""
    from pcmbn.approval import approve_period

    return approve_period(
        resources.store,
        resources.catalog,
        plan,
        period,
        resources.layout.summary(plan.id, period.code),
        note,
        by=resources.settings.actor,
    )


def frozen_count(approval: dict[str, Any]) -> int:
    """How many submissions an approval froze."""
    return len(str(approval["submissions"]).split(",")) if approval["submissions"] else 0


def reopen(resources: Resources, plan: Plan, period: Period, reason: str | None) -> None:
    """Reopen an approved period (a reason is required), by the configured actor."""
    from pcmbn.approval import reopen_period

    reopen_period(resources.store, plan, period, reason, by=resources.settings.actor)


# --- reminders ----------------------------------------------------------------------------


def compose_reminders(
    resources: Resources, plan: Plan, period: Period, waiting: Collection[str] | None = None
) -> list[Reminder]:
    """The reminders the period calls for, as the history store knows it (`waiting`: the
    units `awaiting_run` found, when the caller has them already)."""
    from pcmbn.reminders import reminders_for

    return reminders_for(
        resources.store,
        resources.catalog,
        plan,
        period,
        resources.layout.feedback_dir(plan.id, period.code),
        waiting=waiting,
    )


def awaiting_run(resources: Resources, plan: Plan, period: Period) -> dict[str, str]:
    """Units whose newest file waits for the next run (not reminded): receipt id by unit."""
    from pcmbn.reminders import awaiting_run as awaiting

    return awaiting(resources.store, plan.id, period)


def send_reminders(
    resources: Resources, plan: Plan, period: Period, reminders: list[Reminder]
) -> list[Delivery]:
    """Send with the configured mailer and write one audit row per reminder."""
    from pcmbn.reminders import record_deliveries

    deliveries = resources.mailer.send(reminders)
    record_deliveries(
        resources.store,
        plan,
        period,
        deliveries,
        resources.settings.actor,
        datetime.now(tz=UTC),
    )
    return deliveries


# --- after a run --------------------------------------------------------------------------


def run_document(
    run_id: str,
    plan: Plan,
    period: Period,
    counts: dict[str, int],
    totals: dict[str, Any],
    table: pd.DataFrame,
    layout: OutputLayout,
    refused: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """The JSON contract of `pcmbn run` (README): what a script or the web app reads of a run.

    `refused` lists the inbox entries intake never opened (`pcmbn.intake.refused_entries`)."""
    return {
        "run_id": run_id,
        "plan_id": plan.id,
        "period": period.code,
        "files": counts,
        "refused": refused or [],
        "totals": totals,
        "completeness": dict(zip(table["unit_code"], table["status"], strict=True)),
        "outputs": {  # local paths, or URLs when $PCMBN_OUTPUTS names remote storage
            "summary": layout.where(layout.summary(plan.id, period.code)),
            "feedback_dir": layout.where(layout.feedback_dir(plan.id, period.code)),
            "validation_report": layout.where(layout.validation_report(plan.id, period.code)),
            "exports_dir": layout.where(layout.exports_dir(plan.id, period.code)),
        },
    }


@dataclass(frozen=True)
class RunSummary:
    """What a person is told after a run, beyond the run's JSON document: where it looked,
    whether the period is approved, and how many files wait for it to be reopened."""

    inbox: str
    approved: bool
    pending: int


def run_summary(resources: Resources, plan: Plan, period: Period, inbox: str) -> RunSummary:
    """The approval and the files held pending after a run of `inbox`."""
    status = period_status(resources, plan, period)
    return RunSummary(inbox=inbox, approved=status.approved, pending=len(status.pending))


# --- the province's report upward ---------------------------------------------------------


@dataclass(frozen=True)
class UpwardExport:
    """What `pcmbn export-upward` wrote: the filled report, the JSON file and its document."""

    national_plan: str
    unit_code: str
    workbook: Path
    json_file: Path
    document: dict[str, Any]


def export_upward(
    resources: Resources,
    plan_id: str,
    period_text: str,
    out: Path | None = None,
    national_id: str | None = None,
) -> UpwardExport:
    """Write the province's figures for a period as one filled report of the national plan
    (the same template contract) and as JSON (README "Báo cáo lên cấp trên").

    Arguments are checked against the catalog first (plan, period inside it, a national plan
    receiving this province); a period never aggregated is refused rather than sent as blanks.
    """
    from pcmbn.clock import today_in_vietnam
    from pcmbn.monthly import applicable_values, completeness
    from pcmbn.office.atomic import atomic_write
    from pcmbn.office.jsonio import dumps_strict
    from pcmbn.periods import parse_period
    from pcmbn.summary.review import target_months
    from pcmbn.targets import span_figures
    from pcmbn.template_writer import build_workbook, save_workbook, template_file_name
    from pcmbn.upward import national_target, upward_report

    catalog = resources.catalog
    plan = catalog.plan(plan_id)
    period = parse_period(period_text)
    check_period_in_plan(plan, period)
    upward = national_target(catalog, plan, period, national_id)
    if not ever_run(resources, plan, period):
        raise PcmbnError(
            f"Kỳ {period.label_vi} của kế hoạch {plan.id} chưa được tổng hợp (chưa chạy pcmbn "
            "run): chưa có số liệu để báo cáo lên cấp trên."
        )
    store = resources.store
    months = target_months(plan, period)
    span = store.current_values(plan.id, months) if months else store.current_values(plan.id, [])
    units = catalog.registry(plan).units
    figures = span_figures(
        applicable_values(span, catalog, units), catalog, [m.code for m in months]
    )
    table = completeness(
        catalog.expected_units(plan, period), store.submissions(plan.id, period.code), plan, period
    )
    name = template_file_name(upward.plan, upward.unit, period)
    content, document = upward_report(
        catalog,
        plan,
        period,
        upward,
        store.current_values(plan.id, [period]),
        figures,
        table,
        today_in_vietnam(),
        resources.settings.actor,
        datetime.now(tz=UTC),
        name,
    )
    folder = out or resources.layout.upward_dir(plan.id, period.code)
    folder.mkdir(parents=True, exist_ok=True)
    workbook = save_workbook(
        build_workbook(catalog, upward.plan, upward.unit, period, content), folder / name
    )
    json_file = folder / f"{Path(name).stem}.json"
    atomic_write(json_file, (dumps_strict(document, indent=2) + "\n").encode("utf-8"))
    return UpwardExport(upward.plan.id, upward.unit.code, workbook, json_file, document)
