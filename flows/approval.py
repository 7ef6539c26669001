"""Flow: approve and lock a period (the same as `pcmbn approve`), for the Prefect UI."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from flows.naming import approval_run_name, tag_run
from pcmbn import service
from pcmbn.periods import parse_period
from pcmbn.resources import resources_for
from pcmbn.settings import Settings


@flow(name="approve-period", flow_run_name=approval_run_name)
def approve(plan: str, period: str, note: str | None = None) -> dict[str, Any]:
    """Freeze the period's submissions, totals and summary checksum; returns the approval."""
    resources = resources_for(Settings.from_env())
    the_plan, the_period = resources.catalog.plan(plan), parse_period(period)
    tag_run(the_plan.id, [the_period.code])
    approval = service.approve(resources, the_plan, the_period, note)
    get_run_logger().info(
        "Đã phê duyệt và khóa số liệu kế hoạch %s, %s (người phê duyệt: %s)",
        the_plan.id,
        the_period.in_sentence,
        approval["approved_by"],
    )
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in approval.items()}
