"""The data contract between building a conference packet and writing its files.

`pcmbn.packet.build` fills a `PacketData` from the history store; the workbook, charts, report
and manifest writers only lay it out. Conventions (as in `pcmbn.summary.model`):

- numbers are floats; NaN means "no unit reported a number" (shown blank or "—", never 0);
- `change_*_pct` are fractions (0.25 = +25 %), NaN when either side is missing or the base is 0;
- every number shown carries a `ref` key; `refs[key]` lists the `sources.source_id`s it sums,
  which is what `manifest.json` publishes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from pcmbn.catalog import Catalog
from pcmbn.domain import Indicator, Milestone, Plan
from pcmbn.periods import Period
from pcmbn.reconciliation import RECONCILIATION_COLUMNS
from pcmbn.vocabulary import Completeness
from pcmbn.warned import WarnedFigures

TOTALS_COLUMNS = (
    "code",
    "group",
    "name",
    "unit_of_measure",
    "aggregation",
    "value",
    "previous",
    "last_year",
    "change_prev_pct",
    "change_year_pct",
)
#: Long tables: one row per (column key, indicator); `key` is a month, quarter, unit or group.
SERIES_COLUMNS = ("key", "label", "code", "value")
#: Per unit: reports expected over the span, then one count per completeness status.
COMPLETENESS_COUNTS = (
    Completeness.ON_TIME.value,
    Completeness.LATE.value,
    Completeness.REJECTED.value,
    Completeness.MISSING.value,
)
COMPLETENESS_COLUMNS = ("unit_code", "unit_name", "group_label", "expected", *COMPLETENESS_COUNTS)
TASKS_COLUMNS = (
    "task_code",
    "task_text",
    "unit_code",
    "unit_name",
    "status",
    "result",
    "difficulty",
    "period",
    "not_started",
)
NARRATIVES_COLUMNS = ("kind", "group_label", "unit_code", "unit_name", "periods", "text")
SOURCES_COLUMNS = (
    "source_id",
    "unit_code",
    "period",
    "code",
    "value",
    "sha256",
    "original_name",
    "archive_path",
    "sheet",
    "cell",
)


@dataclass(frozen=True)
class Comparison:
    """A span of months compared with the packet's own (previous span, same span last year)."""

    label: str
    months: tuple[Period, ...]
    months_with_data: int


@dataclass
class PacketData:
    """Everything a packet shows, read from the history store only."""

    catalog: Catalog
    plan: Plan
    milestone: Milestone
    months: tuple[Period, ...]
    generated_at: datetime
    missing_periods: list[Period]  # months of the span without any accepted report
    unapproved_periods: list[Period]  # months of the span without an active approval
    previous: Comparison
    last_year: Comparison
    totals: pd.DataFrame  # TOTALS_COLUMNS
    by_month: pd.DataFrame  # SERIES_COLUMNS, key = month code
    by_quarter: pd.DataFrame  # SERIES_COLUMNS, key = quarter code
    by_unit: pd.DataFrame  # SERIES_COLUMNS, key = unit code, label = unit name
    by_group: pd.DataFrame  # SERIES_COLUMNS, key = group label
    completeness: pd.DataFrame  # COMPLETENESS_COLUMNS
    tasks: pd.DataFrame  # TASKS_COLUMNS
    narratives: pd.DataFrame  # NARRATIVES_COLUMNS
    sources: pd.DataFrame  # SOURCES_COLUMNS
    refs: dict[str, list[int]]
    campaign_name: str | None = None
    campaign_months: tuple[Period, ...] = ()
    by_campaign: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(SERIES_COLUMNS))
    )
    json_totals: dict[str, int | float | None] = field(default_factory=dict)
    # pcmbn.targets.TARGETS_COLUMNS: the plan's targets over the packet's months
    targets: pd.DataFrame = field(default_factory=pd.DataFrame)
    # pcmbn.reconciliation.RECONCILIATION_COLUMNS: the interagency rules over the packet's
    # months (scope `span`), each side's number traced (`packet.reconciliation`)
    reconciliation: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(RECONCILIATION_COLUMNS))
    )
    # unit figures of the months read with an unresolved warning (`pcmbn.warned`), and the
    # reference keys of every number that includes one (marked wherever it is shown)
    warned: WarnedFigures = field(default_factory=WarnedFigures)
    warned_refs: frozenset[str] = frozenset()

    def is_warned(self, ref: str) -> bool:
        """Whether the number with this reference key includes a warned unit figure."""
        return ref in self.warned_refs

    def warned_lines(self, ref: str) -> list[str]:
        """One line per warning behind the number `ref`: unit, month, the unit's message."""
        ids = set(self.refs.get(ref, ()))
        if not ids or not self.warned:
            return []
        names = {code: unit.name for code, unit in self.catalog.registry(self.plan).units.items()}
        lines = []
        rows = self.sources[self.sources["source_id"].isin(ids)]
        for unit, period, code in zip(rows["unit_code"], rows["period"], rows["code"], strict=True):
            for warning in self.warned.warnings(unit, code, period):
                label = Period.from_code(str(period)).short_label
                lines.append(f"- {names.get(unit, unit)} ({label}): {warning.message}")
        return lines

    @property
    def indicators(self) -> dict[str, Indicator]:
        """The rows shown: indicators in force in some month of the span (catalog order)."""
        return self.catalog.indicators_in_span(self.months, self.plan.reporting.cutoff)

    @property
    def start(self) -> Period:
        return self.months[0]

    @property
    def end(self) -> Period:
        return self.months[-1]

    @property
    def span_label(self) -> str:
        if self.start == self.end:
            return self.start.label_vi
        return f"từ {self.start.label_vi} đến {self.end.label_vi}"

    def total(self, code: str) -> float:
        """The span's value of one indicator (NaN when nobody reported it)."""
        rows = self.totals[self.totals["code"] == code]
        return float(rows["value"].iloc[0]) if not rows.empty else float("nan")


def ref_total(code: str) -> str:
    return f"tong/{code}"


def ref_series(table: str, key: str, code: str) -> str:
    """`thang/2024-07/DT01`, `quy/2024-Q3/DT01`, `don_vi/CA_TINH/DT01`, `nhom/.../DT01`."""
    return f"{table}/{key}/{code}"
