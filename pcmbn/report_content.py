"""What a filled report says, independent of how it is laid out in a workbook.

The template writer renders a `ReportContent` (empty for a blank template, filled for a sample);
the reader of issue 3 produces the same shape from what units send. Cell values are kept as `Any`
on purpose: a sample may carry `"1.234"` or `"12 vụ"` exactly as a clerk would type it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


class Formula(str):
    """A deliberate spreadsheet formula (e.g. `=E5+E6`); plain text starting with "=" is not one."""


@dataclass
class TaskEntry:
    status: str | None = None
    result: str | None = None
    difficulty: str | None = None


@dataclass
class ReportContent:
    """Values a unit writes into its workbook; `None` leaves the cell blank."""

    prepared_on: date | str | None = None
    preparer: str | None = None
    phone: str | None = None
    head: str | None = None
    #: indicator code -> (Kỳ này, Lũy kế từ đầu năm)
    values: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    tasks: dict[str, TaskEntry] = field(default_factory=dict)
    difficulties: str | None = None
    proposals: str | None = None
    #: overrides of the prefilled identification (a unit copying last month's file, a typo)
    info_overrides: dict[str, Any] = field(default_factory=dict)
