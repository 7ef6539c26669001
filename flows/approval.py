"""Flow: approve and lock a period (the same as `pcmbn approve`), for the Prefect UI."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from pcmbn import service
from pcmbn.periods import parse_period
from pcmbn.resources import resources_for
from pcmbn.settings import Settings


@flow(name="approve-period")
def approve(plan: str, period: str, note: str | None = None) -> dict[str, Any]:
    """Freeze the period's submissions, totals and summary checksum; returns the approval."""
    resources = resources_for(Settings.from_env())
    the_plan, the_period = resources.catalog.plan(plan), parse_period(period)
    approval = service.approve(resources, the_plan, the_period, note)
    get_run_logger().info(
        "approved %s %s by %s", the_plan.id, the_period.code, approval["approved_by"]
    )
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in approval.items()}
