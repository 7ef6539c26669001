"""Tasks: list the reminders of a period and send them (thin wrappers over `pcmbn.reminders`)."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import task
from prefect.cache_policies import NO_CACHE

from pcmbn.approval import actor
from pcmbn.catalog import load_catalog
from pcmbn.periods import parse_period
from pcmbn.reminders import (
    Delivery,
    Reminder,
    SmtpSettings,
    record_deliveries,
    reminders_for,
    send_all,
)
from pcmbn.settings import outputs_dir
from pcmbn.store import open_store


@task(name="list-reminders", cache_policy=NO_CACHE)
def list_reminders(store_path: str, plan_id: str, period_code: str) -> list[Reminder]:
    catalog = load_catalog()
    plan, period = catalog.plan(plan_id), parse_period(period_code)
    feedback = outputs_dir(plan.id, period.code) / "feedback"
    return reminders_for(open_store(store_path), catalog, plan, period, feedback)


@task(name="send-reminders", cache_policy=NO_CACHE)
def send_reminders(
    store_path: str, plan_id: str, period_code: str, reminders: list[Reminder]
) -> list[Delivery]:
    """Send over SMTP (settings from the environment or a Secret block) and audit each one."""
    catalog = load_catalog()
    deliveries = send_all(reminders, SmtpSettings.from_env())
    record_deliveries(
        open_store(store_path),
        catalog.plan(plan_id),
        parse_period(period_code),
        deliveries,
        actor(),
        datetime.now(tz=UTC),
    )
    return deliveries
