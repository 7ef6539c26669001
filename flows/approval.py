"""Flow: approve and lock a period (the same as `pcmbn approve`), for the Prefect UI."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from pcmbn.approval import approve_period
from pcmbn.catalog import load_catalog
from pcmbn.periods import parse_period
from pcmbn.settings import outputs_dir, store_target
from pcmbn.store import open_store


@flow(name="approve-period")
def approve(plan: str, period: str, note: str | None = None) -> dict[str, Any]:
    """Freeze the period's submissions, totals and summary checksum; returns the approval."""
    catalog = load_catalog()
    the_plan, the_period = catalog.plan(plan), parse_period(period)
    approval = approve_period(
        open_store(store_target()),
        catalog,
        the_plan,
        the_period,
        outputs_dir(the_plan.id, the_period.code),
        note,
    )
    get_run_logger().info(
        "approved %s %s by %s", the_plan.id, the_period.code, approval["approved_by"]
    )
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in approval.items()}
