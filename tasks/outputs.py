"""Task: write the provincial summary, its CSV/Parquet exports and the units' feedback."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from pcmbn.catalog import load_catalog
from pcmbn.monthly import reminder_list
from pcmbn.office.atomic import atomic_write
from pcmbn.office.csv import neutralise_frame
from pcmbn.periods import parse_period
from pcmbn.storage import publish
from pcmbn.store import open_store
from pcmbn.summary.build import build_summary_data
from pcmbn.summary.exports import export_tables
from pcmbn.summary.workbook import write_summary
from pcmbn.validation.checker import FileReport
from pcmbn.validation.feedback import write_feedback


@task(name="write-summary", retries=1, cache_policy=NO_CACHE)
def write_outputs(
    store_path: str,
    plan_id: str,
    period_code: str,
    completeness: pd.DataFrame,
    out_dir: str,
    generated_at: datetime,
) -> dict[str, str]:
    catalog = load_catalog()
    plan = catalog.plan(plan_id)
    period = parse_period(period_code)
    data = build_summary_data(
        open_store(store_path), catalog, plan, period, completeness, generated_at
    )
    out = Path(out_dir)
    summary = write_summary(data, out / f"TongHop_{plan.id}_{period.code}.xlsx")
    export_tables(data, out / "exports")
    reminders = out / reminder_file_name(plan.id, period.code)
    table = neutralise_frame(reminder_list(completeness, plan, period, catalog.labels))
    atomic_write(reminders, lambda tmp: table.to_csv(tmp, index=False, encoding="utf-8-sig"))
    return {
        "summary": str(summary),
        "exports_dir": str(out / "exports"),
        "reminders": str(reminders),
    }


def reminder_file_name(plan_id: str, period_code: str) -> str:
    """The reminder list beside the summary: who to chase, with contacts, ready to send."""
    return f"NhacNho_{plan_id}_{period_code}.csv"


@task(name="write-feedback", cache_policy=NO_CACHE)
def write_feedback_files(reports: list[FileReport], out_dir: str) -> list[str]:
    """An annotated copy (or a note) for every file with an error or a warning."""
    labels = load_catalog().labels
    written = [write_feedback(report, Path(out_dir), labels) for report in reports]
    return [str(path) for path in written if path is not None]


@task(name="publish-outputs", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def publish_outputs(out_dir: str) -> list[str]:
    """Upload the period's outputs when `$PCMBN_OUTPUTS` names remote storage (else nothing)."""
    return publish(Path(out_dir))
