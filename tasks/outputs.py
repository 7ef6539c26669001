"""Task: write the provincial summary, its CSV/Parquet exports and the units' feedback."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from pcmbn.monthly import reminder_list
from pcmbn.office.atomic import atomic_write
from pcmbn.office.csv import to_csv_bytes
from pcmbn.office.times import naive
from pcmbn.periods import Period
from pcmbn.reminders import returned_reports
from pcmbn.resources import resources_for
from pcmbn.settings import Settings
from pcmbn.storage import publish
from pcmbn.summary.build import build_summary_data
from pcmbn.summary.exports import export_tables
from pcmbn.summary.workbook import write_summary
from pcmbn.validation.checker import CheckResult, FileReport
from pcmbn.validation.feedback import write_feedback_many
from pcmbn.validation.html_report import write_report


@task(name="write-summary", retries=1, cache_policy=NO_CACHE)
def write_outputs(
    settings: Settings,
    plan_id: str,
    period: Period,
    completeness: pd.DataFrame,
    generated_at: datetime,
) -> dict[str, str]:
    """The summary workbook, its exports and the reminder list, where `OutputLayout` says."""
    resources = resources_for(settings)
    catalog, layout = resources.catalog, resources.layout
    plan = catalog.plan(plan_id)
    data = build_summary_data(resources.store, catalog, plan, period, completeness, generated_at)
    summary = write_summary(data, layout.summary(plan.id, period.code))
    exports = layout.exports_dir(plan.id, period.code)
    export_tables(data, exports)
    reminders = layout.reminders(plan.id, period.code)
    returned = returned_reports(resources.store, plan.id, period)
    table = reminder_list(
        completeness, plan, period, catalog.labels, naive(generated_at).date(), returned
    )
    atomic_write(reminders, to_csv_bytes(table))
    return {
        "summary": str(summary),
        "exports_dir": str(exports),
        "reminders": str(reminders),
    }


@task(name="write-feedback", cache_policy=NO_CACHE)
def write_feedback_files(settings: Settings, reports: list[FileReport], out_dir: str) -> list[str]:
    """An annotated copy (or a note) for every file with an error or a warning, worded with
    the catalog's labels; many files are spread over `settings.worker_count` processes. May be
    called once per batch into the same folder."""
    labels = resources_for(settings).catalog.labels
    written = write_feedback_many(reports, Path(out_dir), labels, settings.worker_count)
    return [str(path) for path in written]


@task(name="write-validation-report", cache_policy=NO_CACHE)
def write_validation_report(
    settings: Settings,
    reports: list[FileReport],
    plan_id: str,
    period: Period,
    path: str,
    generated_at: datetime,
) -> str:
    """The run's validation report: one self-contained Vietnamese HTML file (no outside URL)."""
    catalog = resources_for(settings).catalog
    plan = catalog.plan(plan_id)
    heading = f"Kế hoạch {plan.number or plan.id} — {period.label_vi}"
    written = write_report(
        CheckResult(list(reports)), catalog, Path(path), generated_at=generated_at, heading=heading
    )
    return str(written)


@task(name="publish-outputs", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def publish_outputs(settings: Settings, out_dir: str) -> list[str]:
    """Upload the period's outputs when `$PCMBN_OUTPUTS` names remote storage (else nothing)."""
    return publish(Path(out_dir), resources_for(settings).layout)
