"""Tasks: list the reminders of a period and send them (thin wrappers over `pcmbn.service`,
the same functions `pcmbn remind` calls)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from pcmbn import service
from pcmbn.periods import Period
from pcmbn.reminders import Delivery, Reminder
from pcmbn.resources import resources_for
from pcmbn.settings import Settings


@task(name="list-reminders", cache_policy=NO_CACHE)
def list_reminders(settings: Settings, plan_id: str, period: Period) -> list[Reminder]:
    resources = resources_for(settings)
    plan = resources.catalog.plan(plan_id)
    return service.compose_reminders(resources, plan, period)


@task(name="send-reminders", cache_policy=NO_CACHE)
def send_reminders(
    settings: Settings, plan_id: str, period: Period, reminders: list[Reminder]
) -> list[Delivery]:
    """Send over SMTP (settings from the environment or a Secret block) and audit each one."""
    resources = resources_for(settings)
    plan = resources.catalog.plan(plan_id)
    return service.send_reminders(resources, plan, period, reminders)
