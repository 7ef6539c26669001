"""Flow-run names and tags a data officer recognises in the Prefect UI.

Prefect names every run at random ("crafty-donkey"); among a year of monthly runs nobody finds
August's. Each flow here is declared with `flow_run_name=` one of the callables below, which
Prefect calls when the run starts (before the flow's body, so even a run that fails on its
arguments is named): a Vietnamese-ASCII slug for what the run does, a short plan label from the
catalog and the period, e.g. `tong-hop NA-276 · 2021-08`. Each flow's body then calls
`tag_run` once its plan and period are known, so runs can be filtered by plan and period
(`ke-hoach:NA-276-KH-UBND-2021`, `ky:2021-08`) whether the CLI, a deployment or a test started
them.

A name never stops a run: when the plan or the period cannot be resolved (the flow itself will
say why, in one Vietnamese line), the name falls back to the parameters as given.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

from pcmbn.domain import Plan
from pcmbn.errors import PcmbnError
from pcmbn.periods import format_date_vi
from pcmbn.text import fold

log = logging.getLogger(__name__)

#: Tag prefixes: `ke-hoach:<plan id>`, `ky:<period code>`.
PLAN_TAG = "ke-hoach:"
PERIOD_TAG = "ky:"
SEPARATOR = " · "


def plan_label(plan: Plan) -> str:
    """A short label for a plan: the province's initials and the plan's number (`NA-276` for
    Nghệ An's Kế hoạch 276/KH-UBND); the plan's id when the catalog gives it no number."""
    number = re.match(r"\s*(\d+)", plan.number or "")
    if number is None:
        return plan.id
    initials = "".join(word[0] for word in fold(plan.province).split()).upper()
    return f"{initials}-{number.group(1)}"


def run_tags(plan_id: str, *period_codes: str) -> list[str]:
    """The tags of a run about `plan_id` and the given periods."""
    return [PLAN_TAG + plan_id, *(PERIOD_TAG + code for code in period_codes)]


def tag_run(plan_id: str, period_codes: Iterable[str] = ()) -> None:
    """Add the plan's and periods' tags to the flow run being executed (kept with its others).

    Tags are otherwise fixed when a run is created, by whoever creates it; updating the run
    from inside gives every run the same tags, however it was started.
    """
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        return
    tags = sorted(set(context.flow_run.tags or []) | set(run_tags(plan_id, *period_codes)))
    try:
        context.client.update_flow_run(context.flow_run.id, tags=tags)
    except Exception:  # noqa: BLE001 - tags help find a run; they must never stop it
        log.warning("could not tag flow run %s", context.flow_run.id, exc_info=True)
        return
    context.flow_run.tags = tags


def _parameters() -> dict[str, Any]:
    from prefect.runtime import flow_run

    return dict(flow_run.parameters or {})


def _name(slug: str, *parts: str | None) -> str:
    """`tong-hop NA-276 · 2021-08`: what the run does, then what it is about."""
    return f"{slug} {SEPARATOR.join(str(part) for part in parts if part)}".rstrip()


def _catalog() -> Any:
    from pcmbn.resources import resources_for
    from pcmbn.settings import Settings

    return resources_for(Settings.from_env()).catalog


def _plan(catalog: Any, plan: str) -> tuple[Plan | None, str]:
    """The catalog's plan and its label; (None, the text as given) when it is not known."""
    try:
        found = catalog.plan(plan)
    except PcmbnError:
        return None, plan
    return found, plan_label(found)


def _period_code(text: Any) -> str | None:
    """A period parameter as its code (`Tháng 8/2021` → `2021-08`); None when not given."""
    if not text:
        return None
    from pcmbn.periods import parse_period

    try:
        return parse_period(text).code
    except PcmbnError:
        return str(text)


def _named(build: Callable[[dict[str, Any]], str], fallback: str) -> Callable[[], str]:
    def name() -> str:
        parameters = _parameters()
        try:
            return build(parameters)
        except Exception:  # noqa: BLE001 - a name must never stop the run; the flow says why
            log.debug("flow run name from the parameters as given", exc_info=True)
            return _name(fallback, parameters.get("plan"), parameters.get("period"))

    name.__name__ = f"{fallback.replace('-', '_')}_run_name"
    return name


def _monthly(parameters: dict[str, Any]) -> str:
    from pcmbn.clock import today_in_vietnam
    from pcmbn.service import check_run_arguments

    catalog = _catalog()
    units = parameters.get("units")
    checked = check_run_arguments(
        catalog, parameters["plan"], parameters.get("period"), today_in_vietnam(), units
    )
    return _name(
        "chay-lai" if units else "tong-hop",
        plan_label(checked.plan),
        checked.period.code,
        ",".join(checked.units or []),
    )


def _packet(parameters: dict[str, Any]) -> str:
    _, label = _plan(_catalog(), parameters["plan"])
    milestone = str(parameters.get("milestone") or "").replace("_", "-")
    return _name("goi-hoi-nghi", label, milestone, _period_code(parameters.get("period")))


def _with_period(slug: str) -> Callable[[dict[str, Any]], str]:
    def build(parameters: dict[str, Any]) -> str:
        _, label = _plan(_catalog(), parameters["plan"])
        return _name(slug, label, _period_code(parameters.get("period")))

    return build


def _reminders(parameters: dict[str, Any]) -> str:
    from pcmbn.clock import today_in_vietnam

    _, label = _plan(_catalog(), parameters["plan"])
    # Without a period the run reminds for the months whose reminder day is today.
    period = _period_code(parameters.get("period"))
    return _name("nhac-nho", label, period or format_date_vi(today_in_vietnam()))


def _templates(parameters: dict[str, Any]) -> str:
    from pcmbn.clock import today_in_vietnam
    from pcmbn.periods import open_month

    plan, label = _plan(_catalog(), parameters["plan"])
    period = _period_code(parameters.get("period"))
    if not period and plan is not None:
        period = open_month(today_in_vietnam(), plan.reporting.cutoff).code
    return _name("bieu-mau", label, period)


monthly_run_name = _named(_monthly, "tong-hop")
packet_run_name = _named(_packet, "goi-hoi-nghi")
approval_run_name = _named(_with_period("phe-duyet"), "phe-duyet")
reminders_run_name = _named(_reminders, "nhac-nho")
templates_run_name = _named(_templates, "bieu-mau")
