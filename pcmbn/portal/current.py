"""The period a plan's units are reporting on now, as the portal shows it."""

from __future__ import annotations

from datetime import date

from pcmbn.domain import Plan
from pcmbn.periods import Period, due_date, last_closed_month


def current_period(plan: Plan, today: date) -> Period:
    """The latest month whose data window has closed, kept inside the plan's span (a plan that
    ended shows its last month, one not yet started its first)."""
    closed = last_closed_month(today, plan.reporting.cutoff)
    first, last = plan.span.start.first_month, plan.span.end.last_month
    if closed.ordinal > last.ordinal:
        return last
    if closed.ordinal < first.ordinal:
        return first
    return closed


def due_of(plan: Plan, period: Period) -> date:
    """The last day to send `period`'s report under `plan`."""
    return due_date(period, plan.reporting.cutoff, plan.reporting.due_days_after_cutoff)
