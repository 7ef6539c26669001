"""The plan and month the submissions tests deliver to (`tests/pcmbn/submissions/conftest.py`
builds it: fixtures `month` and `new_month`); importable for type hints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pcmbn.domain import Plan
from pcmbn.periods import Period
from pcmbn.resources import Resources
from pcmbn.submissions import Receipt, receive
from pcmbn.vocabulary import Channel

PLAN = "ST-KH-30-7-2024"
PERIOD = Period.from_code("2024-07")
AT = datetime(2024, 7, 16, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


@dataclass(frozen=True)
class Month:
    """The plan and month the tests deliver to, over one home's resources."""

    resources: Resources
    plan: Plan
    period: Period = PERIOD
    at: datetime = AT  # when every file is received unless a test says otherwise

    @property
    def plan_id(self) -> str:
        return self.plan.id

    @property
    def home(self) -> Path:
        return Path(self.resources.settings.home)

    @property
    def store(self) -> Any:
        return self.resources.store

    @property
    def desk(self) -> str:
        """The officer's desk page of the month."""
        return f"/van-phong/{self.plan.id}/{self.period.code}"

    def receive(
        self,
        unit: str = "CA_TINH",
        *,
        filename: str | None = None,
        content: bytes | None = None,
        sender: str | None = None,
        received_at: datetime | None = None,
        channel: str = Channel.PORTAL,
        **extra: Any,
    ) -> Receipt:
        """`submissions.receive` of one file of `unit` (by default `BaoCao_<unit>.xlsx`
        holding the unit's code, sent through the portal by the unit's own account)."""
        return receive(
            self.resources,
            self.plan,
            self.period,
            unit_code=unit,
            filename=filename or f"BaoCao_{unit}.xlsx",
            content=unit.encode() if content is None else content,
            received_at=received_at or self.at,
            channel=channel,
            sender=sender or unit.lower(),
            **extra,
        )


def month_over(resources: Resources) -> Month:
    """The month over `resources` (a fresh home's, the portal app's)."""
    return Month(resources, resources.catalog.plan(PLAN))
