"""Tasks: list the reminders of a period and send them (thin wrappers over `pcmbn.reminders`)."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import task
from prefect.cache_policies import NO_CACHE

from pcmbn.periods import Period
from pcmbn.reminders import Delivery, Reminder, record_deliveries, reminders_for
from pcmbn.resources import resources_for
from pcmbn.settings import Settings


@task(name="list-reminders", cache_policy=NO_CACHE)
def list_reminders(settings: Settings, plan_id: str, period: Period) -> list[Reminder]:
    resources = resources_for(settings)
    catalog = resources.catalog
    plan = catalog.plan(plan_id)
    feedback = resources.layout.feedback_dir(plan.id, period.code)
    return reminders_for(resources.store, catalog, plan, period, feedback)


@task(name="send-reminders", cache_policy=NO_CACHE)
def send_reminders(
    settings: Settings, plan_id: str, period: Period, reminders: list[Reminder]
) -> list[Delivery]:
    """Send over SMTP (settings from the environment or a Secret block) and audit each one."""
    resources = resources_for(settings)
    deliveries = resources.mailer.send(reminders)
    record_deliveries(
        resources.store,
        resources.catalog.plan(plan_id),
        period,
        deliveries,
        settings.actor,
        datetime.now(tz=UTC),
    )
    return deliveries
