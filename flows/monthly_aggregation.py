"""Flow: the standing office's month, from the inbox to the provincial summary.

Named steps, each a thin task over the pure functions of `pcmbn.monthly`, the tasks on the
task runner `pcmbn.runners` configures, inside this one flow run:
collect & archive every original (in parallel chunks) → then `PCMBN_BATCH_SIZE` files at a
time: read (parallel chunks), validate (one Great Expectations run with every rule, the
history ones' figures fetched for the batch's units) and decide what each file is (accepted,
rejected, another period, held pending, skipped), keeping only its record and a slim report
→ record the run and its audit line in one transaction → aggregate (counts, completeness,
province totals) → publish outputs (summary workbook, exports, feedback, Prefect artifacts).
The arguments are checked by `pcmbn.service` first, as the CLI checks them.
Rerunning over the same inputs changes nothing; a unit's correction supersedes its earlier
submission, both kept.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pandas as pd
from filelock import FileLock, Timeout
from prefect import flow, get_run_logger, unmapped
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.utilities.annotations import opaque

from flows.naming import monthly_run_name, tag_run
from pcmbn import progress
from pcmbn.approval import PENDING
from pcmbn.clock import today_in_vietnam
from pcmbn.domain import Plan
from pcmbn.errors import OutputLocked, PcmbnError
from pcmbn.intake import Received, collect_inbox, refused_entries
from pcmbn.monthly import (
    SKIP_KNOWN,
    SKIP_OTHER_UNIT,
    applicable_values,
    classify,
    completeness,
    decide,
    hold_spoofed,
    provincial_totals,
    run_audit_detail,
    run_id_for,
    submission_record,
    tally,
)
from pcmbn.periods import Period
from pcmbn.progress import MONTHLY_STEPS, RunProgress
from pcmbn.reading.numbers import format_number_vi
from pcmbn.resources import Resources, resources_for
from pcmbn.runners import chunk_size, prestart_local_readers, task_runner
from pcmbn.service import check_run_arguments, run_document, run_inbox
from pcmbn.settings import Settings
from pcmbn.store.base import RunAudit
from pcmbn.store.history import RunRecord, SubmissionRecord
from pcmbn.timings import timed
from pcmbn.validation.checker import FileReport
from pcmbn.validation.submission import Submission
from pcmbn.validation.warmup import start_ge_import
from pcmbn.vocabulary import AuditAction
from tasks.intake import archive_chunk, read_chunk
from tasks.outputs import (
    publish_outputs,
    write_feedback_files,
    write_outputs,
    write_validation_report,
)
from tasks.record import load_history, record_run
from tasks.validation import validate_all

#: The Prefect progress artifact's description (the UI's bar of a monthly run).
PROGRESS = "Tiến độ tổng hợp"


def _n(count: int) -> str:
    """A count as a data officer reads it in the Prefect UI (`1.234`)."""
    return format_number_vi(count, 0)


def _chunks(items: list[Any], workers: int) -> list[list[Any]]:
    size = chunk_size(len(items), workers)
    return [items[i : i + size] for i in range(0, len(items), size)] or []


@flow(name="monthly-aggregation", flow_run_name=monthly_run_name)
def monthly_aggregation(
    plan: str,
    period: str | None = None,
    inbox: str | None = None,
    units: list[str] | None = None,
) -> dict[str, Any]:
    """Aggregate one plan's period; returns the JSON contract of `pcmbn run`."""
    logger = get_run_logger()
    resources = resources_for(Settings.from_env())
    # The same checks as the CLI's, again: a deployment starts this flow without the CLI.
    checked = check_run_arguments(resources.catalog, plan, period, today_in_vietnam(), units)
    the_plan, the_period, unit_filter = checked.plan, checked.period, checked.units
    tag_run(the_plan.id, [the_period.code])
    where = run_inbox(resources, the_plan, the_period, inbox)
    lock_path = resources.layout.lock_file(the_plan.id, the_period.code)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(lock_path), timeout=0), RunProgress(MONTHLY_STEPS, PROGRESS).active():
            return _run(resources, the_plan, the_period, where, unit_filter, logger)
    except Timeout:
        raise PcmbnError(
            f"Đang có một lượt tổng hợp khác cho kế hoạch {the_plan.id}, kỳ "
            f"{the_period.label_vi}. Hãy đợi lượt đó xong rồi chạy lại."
        ) from None


@dataclass(frozen=True)
class Decided:
    """What the month's batches made of its files: the records to keep, the slim reports the
    outputs word (problems and identification, no cells), and whether the period is approved
    (then new files are held pending and no output is rewritten)."""

    archived: list[Received]
    reports: list[FileReport]
    records: list[SubmissionRecord]
    locked: bool


@dataclass(frozen=True)
class Aggregated:
    """The month after the run is recorded: file counts, completeness table, province totals."""

    counts: dict[str, int]
    table: pd.DataFrame
    totals: dict[str, Any]
    pending: int


@dataclass(frozen=True)
class Standing:
    """What the store says about the period before its files are decided: approved or not,
    the hashes already on the record (approved periods only), the files returned to units."""

    locked: bool
    known: set[str]
    returned: set[str] | frozenset[str]


def _run(
    resources: Resources,
    plan: Plan,
    period: Period,
    where: str,
    units: list[str] | None,
    logger: Any,
) -> dict[str, Any]:
    """The office's month, one named step after the other."""
    started = datetime.now(tz=UTC)
    settings, layout = resources.settings, resources.layout
    only = f" (chỉ các đơn vị {', '.join(units)})" if units else ""
    logger.info("Tổng hợp kế hoạch %s, %s%s", plan.id, period.in_sentence, only)
    start_ge_import()  # seconds of import, done while the inbox is archived and read
    prestart_local_readers(settings)  # the sandbox's readers boot while the inbox is archived
    # The tasks run on the configured runner inside this flow run (no subflow: a subflow is
    # about ten API round trips, a third of a warm province run's orchestration).
    with task_runner(settings) as runner:
        with timed("archive"):
            archived = _archive(runner, settings, where, logger)
        decided = _in_batches(runner, resources, plan, period, archived, units, logger)
    logger.info("Ghi lượt chạy vào sổ lịch sử (%s tệp)", _n(len(decided.records)))
    with timed("record"):
        run_id = _record(settings, plan, period, units, decided, started)
    progress.advance("record", 1, 1)
    with timed("aggregate"):
        month = _aggregate(resources, plan, period, decided)
    # The records are in the store now: let them go before the outputs, the run's other big
    # step (a national month's records are ~100 MB of Python objects).
    decided = Decided(decided.archived, decided.reports, [], decided.locked)
    counts = month.counts
    logger.info(
        "Kết quả: %s tệp được nhận, %s bị từ chối, %s được thay thế bằng bản sửa, %s thuộc kỳ khác",
        *(_n(counts[key]) for key in ("accepted", "rejected", "superseded", "other_period")),
    )
    if decided.locked:
        logger.warning(
            "Kỳ đã được phê duyệt: %s báo cáo mới được giữ chờ, không ghi lại bảng tổng hợp",
            _n(month.pending),
        )
    else:
        logger.info(
            "Ghi tổng hợp, số liệu xuất và góp ý vào %s", layout.period_dir(plan.id, period.code)
        )
        with timed("outputs"):
            _publish_outputs(resources, plan, period, decided.reports, units, month, started)
    progress.advance("publish", 1, 1)
    refused = refused_entries(decided.archived, resources.catalog)
    return run_document(
        run_id, plan, period, month.counts, month.totals, month.table, layout, refused
    )


def _archive(runner: Any, settings: Settings, where: str, logger: Any) -> list[Received]:
    """archive: copy every original of the inbox into the archive, in chunks on the runner."""
    workers = settings.worker_count
    items = collect_inbox(where)
    logger.info("Thư mục nhận %s có %s tệp: lưu bản gốc vào kho lưu trữ", where, _n(len(items)))
    progress.advance("archive", 0, len(items))
    chunks = _chunks(items, workers)
    archived: list[Received] = []
    if chunks:
        copies = runner.map(archive_chunk, {"settings": unmapped(settings), "items": chunks})
        for future in copies:  # in order; the bar moves as each chunk is in
            archived += future.result()
            progress.advance("archive", len(archived), len(items))
    return archived


def _in_batches(
    runner: Any,
    resources: Resources,
    plan: Plan,
    period: Period,
    archived: list[Received],
    units: list[str] | None,
    logger: Any,
) -> Decided:
    """read → validate → decide, `PCMBN_BATCH_SIZE` files at a time, so a month's read
    workbooks are never all alive at once: after a batch is decided only its records (what the
    store keeps) and slim reports (problems and identification, for the outputs) stay, and the
    peak memory is set by the batch size, not by the month's size. Each batch has its units'
    history (one store query) and one Great Expectations run with every rule; every rule is
    about one file, so the batching changes no problem."""
    settings, store = resources.settings, resources.store
    locked = store.active_approval(plan.id, period.code) is not None
    standing = Standing(
        locked,
        store.known([r.sha256 for r in archived]) if locked else set(),
        store.returned_hashes(plan.id, period.code),  # returned to their units: not counted
    )
    total, size = len(archived), settings.batch_size
    logger.info(
        "Kiểm tra %s tệp theo quy tắc của biểu mẫu, đọc từng lô %s tệp (%s luồng đọc song song)",
        _n(total),
        _n(min(size, total)),
        _n(settings.worker_count),
    )
    reports: list[FileReport] = []
    records: list[SubmissionRecord] = []
    for start in range(0, total, size):
        part = archived[start : start + size]
        kept, slim_reports = _batch(
            runner, resources, plan, period, part, start, total, units, standing
        )
        records += kept
        reports += slim_reports
        progress.advance("validate", start + len(part), total)
    return Decided(archived, reports, records, locked)


def _batch(
    runner: Any,
    resources: Resources,
    plan: Plan,
    period: Period,
    part: list[Received],
    start: int,
    total: int,
    units: list[str] | None,
    standing: Standing,
) -> tuple[list[SubmissionRecord], list[FileReport]]:
    """One batch read, validated and decided: its records and slim reports. A function of its
    own so the batch's submissions and full reports die with its frame."""
    settings = resources.settings
    with timed("read"):
        subs = _read(runner, settings, part, start, total)
    batch_units = sorted({sub.unit_code for sub in subs if sub.unit_code})
    with timed("history"):
        history = load_history(settings, plan.id, period, batch_units)
    checked = validate_all(settings, opaque(subs), opaque(history)).reports
    records: list[SubmissionRecord] = []
    for received, report in zip(part, checked, strict=True):
        record = _decide(resources, plan, period, received, report, units, standing)
        if record is not None:
            records.append(record)
    return records, [slim(report) for report in checked]


def _read(
    runner: Any, settings: Settings, part: list[Received], start: int, total: int
) -> list[Submission]:
    """read: one batch's archived copies, in chunks on the runner (numbered in the month)."""
    chunks = _chunks(list(enumerate(part, start)), settings.worker_count)
    subs: list[Submission] = []
    if chunks:
        read = runner.map(read_chunk, {"settings": unmapped(settings), "items": chunks})
        for future in read:
            subs += future.result()
            progress.advance("read", start + len(subs), total)
    return subs


def slim(report: FileReport) -> FileReport:
    """The report without its workbook's cells and figures: what the outputs read of a file
    (name, path, hash, unit, plan, period, problems), kept for the whole month while the cells
    go with their batch."""
    return replace(report, submission=replace(report.submission, records=None, figures=None))


def _decide(
    resources: Resources,
    plan: Plan,
    period: Period,
    received: Received,
    report: FileReport,
    units: list[str] | None,
    standing: Standing,
) -> SubmissionRecord | None:
    """decide: check the file's declared unit against its known sender
    (`pcmbn.monthly.hold_spoofed`), classify it, then keep, skip or hold it
    (`pcmbn.monthly.decide`); the record to keep, or None when it is skipped."""
    hold_spoofed(report, received.sender, resources.catalog)  # the sender decides the unit
    status = decide(
        classify(report, plan, period),
        report.unit_code,
        received.sha256,
        units=units,
        locked=standing.locked,
        known=standing.known,
        returned=standing.returned,
    )
    if status in (SKIP_OTHER_UNIT, SKIP_KNOWN):
        return None
    return submission_record(received, report, status, plan, period)


def _record(
    settings: Settings,
    plan: Plan,
    period: Period,
    units: list[str] | None,
    decided: Decided,
    started: datetime,
) -> str:
    """record: the run, its files and its audit line in one transaction; returns the run id."""
    records = decided.records
    run_id = run_id_for(plan, period, units, [r.sha256 for r in records])
    rerun = run_id in resources_for(settings).store.runs(plan.id, period.code)
    run = RunRecord(run_id, plan.id, period.code, ",".join(units or []) or None, started, records)
    describe = partial(run_audit_detail, run_id, records, decided.locked, rerun=rerun)
    record_run(settings, opaque(run), opaque(RunAudit(started, settings.actor, describe)))
    return run_id


def _aggregate(resources: Resources, plan: Plan, period: Period, decided: Decided) -> Aggregated:
    """aggregate: counts, completeness and province totals from the store, as recorded."""
    catalog, store = resources.catalog, resources.store
    submissions = store.submissions(plan.id, period.code)
    table = completeness(catalog.expected_units(plan, period), submissions, plan, period)
    values = store.current_values(plan.id, [period.code])
    totals = provincial_totals(
        applicable_values(values, catalog, catalog.registry(plan).units), catalog, plan, period
    )
    pending = int((submissions["status"] == PENDING).sum()) if not submissions.empty else 0
    return Aggregated(tally(decided.records, submissions), table, totals, pending)


def _publish_outputs(
    resources: Resources,
    plan: Plan,
    period: Period,
    reports: list[FileReport],
    units: list[str] | None,
    month: Aggregated,
    started: datetime,
) -> None:
    """publish: summary workbook, exports, feedback files, then the Prefect artifacts."""
    settings, layout = resources.settings, resources.layout
    try:
        write_outputs(settings, plan.id, period, month.table, started)
    except OutputLocked as exc:
        # The run is on the record; its outputs are not: the audit says so, then the officer
        # is told which file to close (exit 1).
        resources.store.audit(
            started,
            settings.actor,
            AuditAction.RUN,
            plan.id,
            period.code,
            f"KHÔNG xuất bản: không thay được {exc.path.name}",
        )
        raise
    feedback_dir = layout.feedback_dir(plan.id, period.code)
    feedback_dir.mkdir(parents=True, exist_ok=True)  # listed in the outputs even when empty
    flagged = [r for r in reports if r.problems and (not units or r.unit_code in units)]
    write_feedback_files(settings, opaque(flagged), str(feedback_dir))
    checked = [r for r in reports if not units or r.unit_code in units]
    write_validation_report(
        settings,
        opaque(checked),
        plan.id,
        period,
        str(layout.validation_report(plan.id, period.code)),
        started,
    )
    publish_outputs(settings, str(layout.period_dir(plan.id, period.code)))
    _publish(plan, period, month.counts, month.table, month.totals, resources.catalog)


def _publish(
    plan: Any, period: Any, counts: dict[str, int], table: Any, totals: dict[str, Any], catalog: Any
) -> None:
    """Artifacts a data officer reads in the Prefect UI."""
    lines = [
        f"## Tổng hợp {plan.id} · {period.label_vi}",
        "",
        f"Nhận {counts['accepted']} · bị từ chối {counts['rejected']} · được thay thế "
        f"{counts['superseded']} · kỳ khác {counts['other_period']}",
        "",
        "| Đơn vị | Tình trạng |",
        "|---|---|",
    ]
    status_vi = catalog.labels.completeness
    lines += [f"| {row.unit_name} | {status_vi[row.status]} |" for row in table.itertuples()]
    create_markdown_artifact(
        key="tong-hop-thang",
        markdown="\n".join(lines),
        description="Tình trạng báo cáo của các đơn vị",
    )
    create_table_artifact(
        key="so-lieu-tong-hop",
        table=[
            {
                "Mã": code,
                "Chỉ tiêu": catalog.indicators[code].name,
                catalog.template.value_label("period"): value["period"],
                catalog.template.value_label("cumulative"): value["cumulative"],
            }
            for code, value in totals.items()
        ],
        description="Số liệu tổng hợp toàn tỉnh",
    )


if __name__ == "__main__":
    import sys

    from pcmbn.console import run_guarded
    from pcmbn.office.jsonio import dumps_strict

    arguments = sys.argv[1:]
    document = run_guarded(lambda _settings: monthly_aggregation(*arguments[:3]))
    print(dumps_strict(document, indent=2, default=str))
