"""The data contract between building the provincial summary and writing it.

`pcmbn.summary.build` fills a `SummaryData` from the history store; `pcmbn.summary.workbook` and
`pcmbn.summary.exports` only lay it out. Keeping the tables as plain DataFrames with fixed
columns lets the writers be tested with hand-made data, and lets the exports carry exactly what
the workbook shows.

Conventions every producer and consumer relies on:

- numbers are floats and NaN means "no unit reported a number" (shown blank, never 0);
- `change_prev_pct` and `change_year_pct` are **fractions** despite the suffix
  (0.25 = +25 %, -0.5 = -50 %), NaN when either side is missing or the base is 0; the
  workbook formats them with `0.0%`;
- datetimes are tz-aware; the workbook shows them in Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from pcmbn.catalog import Catalog
from pcmbn.domain import Plan
from pcmbn.periods import Period
from pcmbn.reconciliation import RECONCILIATION_COLUMNS
from pcmbn.targets import TARGETS_COLUMNS
from pcmbn.warned import WarnedFigures

# The columns of each table, in order: `pcmbn.summary.build` builds every table with these and
# checks them where the table is made (`_checked`); the sheets and the exports read them by name.
BY_INDICATOR_COLUMNS = (
    "code",
    "group",
    "name",
    "unit_of_measure",
    "period",
    "cumulative",
    "previous",
    "last_year",
    "change_prev_pct",
    "change_year_pct",
)
BY_GROUP_COLUMNS = ("code", "name", "group_key", "group_label", "period", "cumulative")
UNITS_COLUMNS = ("unit_code", "unit_name", "group_label")
COMPLETENESS_COLUMNS = (
    "unit_code",
    "unit_name",
    "group_label",
    "status",
    "received_at",
    "due_date",
    "file_name",
    "email",
)
TASKS_COLUMNS = (
    "task_code",
    "task_text",
    "unit_code",
    "unit_name",
    "status",
    "result",
    "difficulty",
    "not_started",
)
NARRATIVES_COLUMNS = ("unit_code", "unit_name", "kind", "text")
TREND_COLUMNS = ("month", "month_label", "code", "total")
#: Comparisons by unit (issue 18): a unit's figure beside its own previous period and same
#: period last year, or its predecessors' (`pcmbn.lineage`), with the note saying which.
BY_UNIT_COLUMNS = (
    "unit_code",
    "unit_name",
    "group_label",
    "code",
    "name",
    "period",
    "previous",
    "last_year",
    "change_prev_pct",
    "change_year_pct",
    "note",
)
SOURCES_COLUMNS = (
    "code",
    "column",
    "unit_code",
    "value",
    "file_name",
    "sha256",
    "sheet",
    "cell",
    "archive_path",
)


@dataclass
class SummaryData:
    """Everything the summary workbook and the exports show for one plan and period."""

    plan: Plan
    period: Period
    catalog: Catalog
    generated_at: datetime  # tz-aware; shown dd/mm/yyyy HH:MM (Asia/Ho_Chi_Minh)
    by_indicator: pd.DataFrame  # BY_INDICATOR_COLUMNS (NaN = no data; changes are fractions)
    # BY_GROUP_COLUMNS; group_key is a key of unit_kinds.yaml `groups`, in the catalog's order
    by_group: pd.DataFrame
    # index = indicator code (catalog order), columns = unit codes, values = this period's value
    # (NaN: missing / not applicable)
    matrix: pd.DataFrame
    units: pd.DataFrame  # UNITS_COLUMNS (the column order of the matrix)
    # COMPLETENESS_COLUMNS; status is a `Completeness` value, received_at tz-aware or NaT
    completeness: pd.DataFrame
    tasks: pd.DataFrame  # TASKS_COLUMNS; not_started is a bool
    narratives: pd.DataFrame  # NARRATIVES_COLUMNS; kind is a template narrative_blocks key
    # TREND_COLUMNS: month code, `Period.short_label`, code, total — months Jan..period for
    # the key indicators of schemas/summary.yaml
    trend: pd.DataFrame
    sources: pd.DataFrame  # SOURCES_COLUMNS; column is "period" or "cumulative"
    missing_units: list[str] = field(default_factory=list)  # no accepted report (header note)
    # BY_UNIT_COLUMNS: each expected unit × key indicator, comparisons through unit lineage
    by_unit: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(BY_UNIT_COLUMNS))
    )
    # TARGETS_COLUMNS (pcmbn.targets): the plan's targets over the year so far
    targets: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(TARGETS_COLUMNS))
    )
    # RECONCILIATION_COLUMNS (pcmbn.reconciliation): interagency rules, this month and cumulative
    reconciliation: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(RECONCILIATION_COLUMNS))
    )
    # figures of the months read (this period, the previous one, last year's, the trend) that
    # carry an unresolved warning: marked in every sheet that shows them or a total of them
    warned: WarnedFigures = field(default_factory=WarnedFigures)

    def unit_names(self) -> dict[str, str]:
        """Unit code → name from every table that knows one, then the plan's registry.

        The header note and the matrix name units that may appear in only one of the tables
        (a unit that sent nothing is absent from `sources`), so look everywhere once.
        """
        names: dict[str, str] = {}
        try:  # a plan joining several registry files has a joined registry (issue 18)
            registry = self.catalog.registry(self.plan)
        except KeyError:
            registry = None
        if registry is not None:
            names.update({code: unit.name for code, unit in registry.units.items()})
        for frame in (self.completeness, self.units):
            if {"unit_code", "unit_name"} <= set(frame.columns):
                for code, name in zip(frame["unit_code"], frame["unit_name"], strict=True):
                    if isinstance(name, str) and name:
                        names[str(code)] = name
        return names
