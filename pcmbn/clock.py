"""Today's date where the standing office works (Asia/Ho_Chi_Minh), for default periods."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

OFFICE_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def today_in_vietnam() -> date:
    """A server may run in UTC; the 14th/15th cut-off must follow Vietnamese calendar days."""
    return datetime.now(OFFICE_TZ).date()
