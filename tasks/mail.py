"""Task: one pass over the office mailbox (a thin wrapper over `pcmbn.mailbox.collect`).

No retries inside the run: a pass is idempotent (the ledger and the submissions' own
idempotency), so the next scheduled run, 15 minutes later, is the retry.
"""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from pcmbn.mailbox.collect import collect_mailbox
from pcmbn.resources import resources_for
from pcmbn.settings import Settings


@task(name="collect-mail", cache_policy=NO_CACHE)
def collect_mail(settings: Settings, plan_id: str | None = None) -> dict[str, Any]:
    """File, hold and answer every unseen message; the pass's counts as plain JSON."""
    return collect_mailbox(resources_for(settings), plan_id).to_json()
