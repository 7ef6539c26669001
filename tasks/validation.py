"""Task: one Great Expectations run over every row of a batch of the run's files."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from pcmbn.resources import resources_for
from pcmbn.settings import Settings
from pcmbn.validation.checker import CheckResult, check_submissions
from pcmbn.validation.history import HistoryContext
from pcmbn.validation.submission import Submission


@task(name="validate", cache_policy=NO_CACHE)
def validate_all(
    settings: Settings, subs: list[Submission], history: HistoryContext
) -> CheckResult:
    catalog = resources_for(settings).catalog
    return check_submissions(subs, catalog, history=history)
