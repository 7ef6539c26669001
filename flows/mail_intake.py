"""Flow `thu-thap-thu-dien-tu`: collect the reports units e-mail to the standing office.

Scheduled every 15 minutes during office hours (and run on demand from the Prefect UI): reads
the unseen messages of the office mailbox (`PCMBN_IMAP_*`), files each workbook into its
period's inbox under the unit whose registry address sent it, with the message's received
time, holds what comes from an unknown address or declares another unit, and answers the
unit with its receipt and the first check's result (`pcmbn.mailbox`). The monthly run then
reads that inbox like any other and judges lateness by the message's received time.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from pcmbn.settings import Settings
from tasks.mail import collect_mail


@flow(name="thu-thap-thu-dien-tu")
def mail_intake(plan: str | None = None) -> dict[str, Any]:
    """One pass over the mailbox; `plan`: the plan of a file that does not say which."""
    settings = Settings.from_env()
    logger = get_run_logger()
    summary = collect_mail(settings, plan)
    files = summary["files"]
    logger.info(
        "Thu thập thư điện tử: %s thư, tiếp nhận %s tệp, %s tệp trùng, giữ lại %s tệp chờ cán "
        "bộ xử lý, %s tệp không tiếp nhận; đã trả lời %s thư",
        summary["messages"],
        files.get("received", 0),
        files.get("duplicate", 0),
        files.get("held", 0),
        files.get("refused", 0) + files.get("unfiled", 0),
        summary["answered"],
    )
    return summary
