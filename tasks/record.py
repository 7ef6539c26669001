"""Tasks: record the run in the history store; read history for the rules that need it."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from pcmbn.periods import Period
from pcmbn.resources import resources_for
from pcmbn.settings import Settings
from pcmbn.store.base import RunAudit
from pcmbn.store.history import RunRecord
from pcmbn.validation.history import HistoryContext, read_history


@task(name="load-history", retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def load_history(
    settings: Settings, plan_id: str, period: Period, units: list[str] | None = None
) -> HistoryContext:
    """The history rules' figures; with `units` (one validation batch) only theirs, in one
    query (`pcmbn.validation.history.read_history`)."""
    resources = resources_for(settings)
    catalog = resources.catalog
    return read_history(resources.store, catalog, catalog.plan(plan_id), period, units)


@task(name="record-run", retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def record_run(settings: Settings, run: RunRecord, audit: RunAudit | None = None) -> None:
    """One transaction: either the whole run, with its audit line, is in the store or none
    of it (a retry after a failure therefore never logs the run twice)."""
    resources_for(settings).store.record_run(run, audit)
