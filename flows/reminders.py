"""Flow: remind units that have not reported, whose report was rejected, or whose report the
office returned (with the return's reason and date), by email.

Scheduled daily: it acts only on a month's due date and two days after it (the plan's
reporting rule decides which days those are, so a plan with another cut-off needs no new
schedule). Before reminding, it runs the monthly aggregation so that files already waiting in
the inbox count as received. Run on demand with `period` to remind for any month.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact

from flows.monthly_aggregation import monthly_aggregation
from flows.naming import reminders_run_name, tag_run
from pcmbn.clock import today_in_vietnam
from pcmbn.periods import parse_period
from pcmbn.reminders import reminder_days
from pcmbn.resources import resources_for
from pcmbn.settings import Settings
from tasks.reminders import list_reminders, send_reminders


@flow(name="unit-reminders", flow_run_name=reminders_run_name)
def unit_reminders(
    plan: str,
    period: str | None = None,
    send: bool = True,
    refresh: bool = True,
    inbox: str | None = None,
) -> list[dict[str, Any]]:
    """Remind for `period`, or for the months whose reminder day is today when it is omitted."""
    logger = get_run_logger()
    settings = Settings.from_env()
    the_plan = resources_for(settings).catalog.plan(plan)
    periods = [parse_period(period)] if period else reminder_days(the_plan, today_in_vietnam())
    tag_run(the_plan.id, [p.code for p in periods])
    if not periods:
        logger.info("Hôm nay không phải ngày nhắc báo cáo của kế hoạch %s", the_plan.id)
        return []
    results: list[dict[str, Any]] = []
    for one in periods:
        if refresh:
            monthly_aggregation(the_plan.id, one.code, inbox)
        reminders = list_reminders(settings, the_plan.id, one)
        logger.info(
            "Nhắc báo cáo %s: %s đơn vị chưa gửi, bị từ chối hoặc bị trả lại",
            one.in_sentence,
            len(reminders),
        )
        if not send:
            results += [
                {"unit_code": r.unit_code, "to": r.to, "subject": r.subject, "sent": False}
                for r in reminders
            ]
            continue
        deliveries = send_reminders(settings, the_plan.id, one, reminders)
        sent = sum(1 for d in deliveries if d.sent)
        logger.info("Đã gửi %s/%s thư nhắc %s", sent, len(deliveries), one.in_sentence)
        results += [
            {"unit_code": d.unit_code, "to": d.to, "sent": d.sent, "error": d.error}
            for d in deliveries
        ]
    create_table_artifact(
        key="thu-nhac",
        table=[
            {
                "Đơn vị": r["unit_code"],
                "Địa chỉ thư": r["to"] or "—",
                "Kết quả": "Đã gửi" if r["sent"] else (r.get("error") or "Xem trước, chưa gửi"),
            }
            for r in results
        ],
        description=f"Thư nhắc {the_plan.id}: " + ", ".join(p.label_vi for p in periods),
    )
    return results
