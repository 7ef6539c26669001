"""Typed models of the domain catalog: indicators, units, plans, rules and the template contract.

These are plain pydantic models so that a wrong catalog entry fails loudly at load time with the
field that is wrong, instead of producing a silently odd template or summary months later.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator

from pcmbn.periods import CutoffRule, Period, data_window, parse_period
from pcmbn.vocabulary import AuditAction, Completeness, Severity, SubmissionStatus


def _to_period(value: Any) -> Period:
    return value if isinstance(value, Period) else parse_period(value)


PeriodField = Annotated[Period, BeforeValidator(_to_period), PlainSerializer(str)]

ALL_KINDS = "all"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class ValueType(StrEnum):
    INTEGER = "integer"  # counts: whole numbers >= 0
    DECIMAL = "decimal"  # money (triệu đồng): decimals >= 0


class Aggregation(StrEnum):
    SUM = "sum"  # a flow: adds up over periods and units
    LAST = "last"  # a stock: the latest value per unit over a span, then summed over units


class Indicator(_Model):
    code: str = Field(pattern=r"^[A-Z]{2}[0-9]{2}$")
    group: str
    name: str
    unit_of_measure: str
    value_type: ValueType
    applies_to: frozenset[str]
    aggregation: Aggregation
    parent: str | None = None
    note: str | None = None

    def applies(self, kind: str) -> bool:
        """Whether a unit of this kind must report the indicator (blank is then missing data)."""
        return ALL_KINDS in self.applies_to or kind in self.applies_to


class UnitKind(_Model):
    code: str
    name: str
    group: str  # a key of unit_kinds.yaml's `groups` (the catalog checks it)


class Unit(_Model):
    code: str = Field(pattern=r"^[A-Z0-9_]+$")
    name: str
    kind: str
    level: Literal["province_department", "district", "commune"]
    valid_from: date
    valid_to: date | None = None
    email: str | None = None
    contact: str | None = None
    extra: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _dates_ordered(self) -> Unit:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to trước valid_from")
        return self

    def active_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def active_in(self, period: Period, rule: CutoffRule | str = CutoffRule.ND09_2019) -> bool:
        """Expected to report for `period`: active on the last day of its data window.

        A unit dissolved mid-window (e.g. district level abolished on 30/06/2025) still owes the
        report of the window it ended in; one created after the window's end does not.
        """
        window = data_window(period, rule)
        return self.valid_from <= window.end and (
            self.valid_to is None or self.valid_to >= window.start
        )


class Task(_Model):
    code: str
    text: str
    assigned: frozenset[str]

    def assigned_to(self, kind: str) -> bool:
        return ALL_KINDS in self.assigned or kind in self.assigned


class MilestoneKind(StrEnum):
    KHAO_SAT = "khao_sat"
    TRIEN_KHAI = "trien_khai"
    SO_KET = "so_ket"
    TONG_KET = "tong_ket"


class Milestone(_Model):
    kind: MilestoneKind
    period: PeriodField
    name: str


class Campaign(_Model):
    name: str
    start: date
    end: date


class Reporting(_Model):
    frequency: Literal["monthly", "quarterly"] = "monthly"
    cutoff: CutoffRule = CutoffRule.ND09_2019
    due_days_after_cutoff: int = Field(default=3, ge=0, le=60)


class Span(_Model):
    start: PeriodField
    end: PeriodField

    @model_validator(mode="after")
    def _ordered(self) -> Span:
        if self.end.last_month < self.start.first_month:
            raise ValueError("span.end trước span.start")
        return self


class Plan(_Model):
    id: str
    title: str
    number: str | None = None
    issued: date | None = None
    province: str
    issuer: str | None = None
    legal_bases: tuple[str, ...] = ()
    units: str
    theme: str | None = None
    span: Span
    reporting: Reporting = Reporting()
    campaigns: tuple[Campaign, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    tasks: tuple[Task, ...] = ()

    @property
    def registry_name(self) -> str:
        """The registry file's stem: `units-nghe-an-2021.csv` -> `units-nghe-an-2021`."""
        return self.units.removesuffix(".csv")

    def tasks_for(self, kind: str) -> list[Task]:
        return [task for task in self.tasks if task.assigned_to(kind)]

    def covers(self, period: Period) -> bool:
        return self.span.start.first_month <= period.first_month and (
            period.last_month <= self.span.end.last_month
        )


class Rule(_Model):
    id: str
    severity: Severity
    message: str

    def render(self, **values: Any) -> str:
        """The Vietnamese message with its placeholders filled; missing ones stay visible."""
        return self.message.format_map(_KeepMissing(values))


class _KeepMissing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Column(_Model):
    key: str
    label: str
    required: bool = False
    aliases: tuple[str, ...] = ()


class Labelled(_Model):
    key: str
    label: str
    required: bool = False


class TemplateSheets(_Model):
    info: str
    indicators: str
    tasks: str
    narrative: str
    instructions: str


#: The pipeline's two value columns → their key in template.yaml's `indicator_columns`.
VALUE_COLUMN_KEYS = {"period": "period_value", "cumulative": "cumulative"}


class TemplateSpec(_Model):
    version: int
    sheets: TemplateSheets
    info_fields: tuple[Labelled, ...]
    indicator_columns: tuple[Column, ...]
    task_columns: tuple[Column, ...]
    task_statuses: tuple[Labelled, ...]
    narrative_blocks: tuple[Labelled, ...]

    def info_label(self, key: str) -> str:
        return next(field.label for field in self.info_fields if field.key == key)

    def value_label(self, column: str) -> str:
        """The header of a value column named as the pipeline does ("period" is the template's
        `period_value`, "cumulative" its `cumulative`)."""
        return self.column_label(VALUE_COLUMN_KEYS.get(column, column))

    def column_label(self, key: str) -> str:
        """The header of an indicator column ("Kỳ này", "Lũy kế từ đầu năm"): the one name of
        that column wherever a person reads it."""
        return next(column.label for column in self.indicator_columns if column.key == key)

    def narrative_label(self, key: str) -> str:
        """The heading of a narrative block ("Khó khăn, vướng mắc"), or the key if unknown."""
        return next((b.label for b in self.narrative_blocks if b.key == key), key)

    def task_status_label(self, key: str) -> str:
        """The dropdown wording of a task status key ("not_started" → "Chưa triển khai")."""
        return next(status.label for status in self.task_statuses if status.key == key)


class MilestoneLabel(_Model):
    label: str  # as a heading or table cell ("Sơ kết")
    in_sentence: str  # inside a sentence ("báo cáo sơ kết")


class Labels(_Model):
    """`schemas/labels.yaml`: the Vietnamese words for the statuses of `pcmbn.vocabulary`.

    The catalog checks that every member of each enum has a label, so code may index these
    mappings with an enum member without a fallback.
    """

    completeness: dict[Completeness, str]
    submission: dict[SubmissionStatus, str]
    severity: dict[Severity, str]
    audit_actions: dict[AuditAction, str]
    milestones: dict[MilestoneKind, MilestoneLabel]

    def action(self, action: str) -> str:
        """An audit row's action in Vietnamese (an action from a newer version shows as is)."""
        try:
            return self.audit_actions[AuditAction(action)]
        except ValueError:
            return action


class SummarySpec(_Model):
    """`schemas/summary.yaml`: the provincial summary's trend table and charts."""

    key_indicators: tuple[str, ...] = ()
    line_charts: frozenset[str] = frozenset()


class ChartSpec(_Model):
    """One chart of a conference packet: monthly totals of these indicators."""

    key: str = Field(pattern=r"^[a-z0-9_]+$")
    title: str
    indicators: tuple[str, ...]
    secondary: tuple[str, ...] = ()


class Workstream(_Model):
    """A section of the draft report's "I. Kết quả đạt được" (the programme's workstreams)."""

    key: str = Field(pattern=r"^[a-z0-9_]+$")
    title: str
    groups: tuple[str, ...] = ()
    task_keywords: tuple[str, ...] = ()


class PacketSpec(_Model):
    """`schemas/packet.yaml`: charts and report sections of the conference packets."""

    charts: tuple[ChartSpec, ...] = ()
    workstreams: tuple[Workstream, ...] = ()


# --- unit lineage (issue 18) --------------------------------------------------------------------

WHOLE = "whole"


class Successor(_Model):
    """One edge of unit lineage: `unit_from` (closed) handed its work to `unit_to` on `from_date`.

    History stays under the units as they were; lineage only tells comparisons by unit (same
    period last year, trends) which predecessors' figures to show beside a unit of today.
    `share` is "whole" (the successor inherits all of the predecessor's figures; several "whole"
    rows for one predecessor mean a split by field of work, each successor comparing the
    indicators of its own kind) or a fraction in (0, 1] apportioning the predecessor's figures
    (the fractions of one predecessor add up to 1, e.g. a district split into communes).
    """

    registry_from: str
    unit_from: str
    registry_to: str
    unit_to: str
    from_date: date
    share: float | Literal["whole"]
    basis: str | None = None

    @model_validator(mode="after")
    def _share_in_range(self) -> Successor:
        if self.share != WHOLE and not 0 < float(self.share) <= 1:
            raise ValueError('share phải là "whole" hoặc một số trong khoảng (0, 1]')
        return self

    @property
    def fraction(self) -> float:
        """The share as a number: 1 for "whole"."""
        return 1.0 if self.share == WHOLE else float(self.share)
