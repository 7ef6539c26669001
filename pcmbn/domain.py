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
from pcmbn.vocabulary import (
    AuditAction,
    Channel,
    Completeness,
    DeskStatus,
    HeldReason,
    HeldState,
    ReceiptStatus,
    Role,
    RuleId,
    Severity,
    SubmissionStatus,
)


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
    """One row of the report (chỉ tiêu).

    The reporting contract changes over time, not per plan: an indicator introduced by the
    2026–2030 programme has `valid_from` 2026-01-01 and is absent from the templates of earlier
    periods; a kind that took over a field of work on a date (Sở Nội vụ inspecting labour-export
    brokers from 01/03/2025) appears in `applies_from` with that date. Both use the units' rule:
    in force for a period when the validity overlaps the period's data window.
    """

    code: str = Field(pattern=r"^[A-Z]{2}[0-9]{2}$")
    group: str
    name: str
    unit_of_measure: str
    value_type: ValueType
    applies_to: frozenset[str]
    aggregation: Aggregation
    parent: str | None = None
    note: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    #: Kinds of `applies_to` that report the indicator only from a date ("NV từ 2025-03-01").
    applies_from: dict[str, date] = Field(default_factory=dict)
    #: The largest plausible value of one cell (issue 19.8): the optional `max_value` column of
    #: indicators.csv, else the catalog's default for the value type (template.yaml
    #: `value_bounds`); a cell above it is an error, so accepted figures and totals stay finite.
    max_value: float | None = Field(default=None, gt=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _dates_ordered(self) -> Indicator:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to trước valid_from")
        if set(self.applies_from) - self.applies_to:
            raise ValueError("applies_from nêu loại đơn vị không có trong applies_to")
        return self

    def dated_for(self, kind: str) -> bool:
        """Whether applicability to `kind` depends on the period (validity or a start date)."""
        return bool(self.valid_from or self.valid_to or kind in self.applies_from)

    def in_force(self, period: Period, rule: CutoffRule | str = CutoffRule.ND09_2019) -> bool:
        """Whether the indicator is part of the report for `period` (validity dates)."""
        if self.valid_from is None and self.valid_to is None:
            return True
        window = data_window(period, rule)
        return (self.valid_from is None or self.valid_from <= window.end) and (
            self.valid_to is None or self.valid_to >= window.start
        )

    def applies(
        self,
        kind: str,
        period: Period | None = None,
        rule: CutoffRule | str = CutoffRule.ND09_2019,
    ) -> bool:
        """Whether a unit of this kind must report the indicator (blank is then missing data).

        With a `period`, the indicator's validity and the kind's start date count; without one
        (a value already stored, whose period was checked on intake) only the kind does.
        """
        if not (ALL_KINDS in self.applies_to or kind in self.applies_to):
            return False
        if period is None:
            return True
        if not self.in_force(period, rule):
            return False
        start = self.applies_from.get(kind)
        return start is None or start <= data_window(period, rule).end


class UnitKind(_Model):
    code: str
    name: str
    group: str  # a key of unit_kinds.yaml's `groups` (the catalog checks it)


class Unit(_Model):
    code: str = Field(pattern=r"^[A-Z0-9_]+$")
    name: str
    kind: str
    level: Literal["province_department", "district", "commune", "province"]
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

    @property
    def addresses(self) -> tuple[str, ...]:
        """The unit's e-mail addresses: the registry's `email` may list several, separated by
        `;` or `,` (a unit's office and its reporting officer); lower case, in order."""
        raw = (self.email or "").replace(",", ";")
        return tuple(dict.fromkeys(a.strip().lower() for a in raw.split(";") if a.strip()))

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
    """A review conference of a plan: what it reviews ends with `period`'s last month.

    `start` is the milestone's own first month when it reviews less than the plan so far (the
    sơ kết of a campaign, 01/7–30/9/2024); without it the review starts with the plan.
    """

    kind: MilestoneKind
    period: PeriodField
    name: str
    start: PeriodField | None = None

    @model_validator(mode="after")
    def _start_before_end(self) -> Milestone:
        if self.start is not None and self.period.last_month < self.start.first_month:
            raise ValueError("start của mốc sau kỳ kết thúc (period) của mốc")
        return self

    def first_month(self, plan_start: Period) -> Period:
        """The first month the milestone reviews: its own `start`, else the plan's."""
        return (self.start or plan_start).first_month


class Campaign(_Model):
    name: str
    start: date
    end: date


class Reporting(_Model):
    frequency: Literal["monthly", "quarterly"] = "monthly"
    cutoff: CutoffRule = CutoffRule.ND09_2019
    due_days_after_cutoff: int = Field(default=3, ge=0, le=60)
    #: A unit's report goes up only once the unit's leader approves what its specialist
    #: submitted on the portal (Vietnam's two-step sending; off unless a plan says so).
    leader_approval: bool = False


class Span(_Model):
    start: PeriodField
    end: PeriodField

    @model_validator(mode="after")
    def _ordered(self) -> Span:
        if self.end.last_month < self.start.first_month:
            raise ValueError("span.end trước span.start")
        return self


class TargetKind(StrEnum):
    RATIO = "ratio"  # numerator / denominator, e.g. tips resolved / tips received
    COUNT = "count"  # one indicator's figure, e.g. communication sessions held


#: Comparisons a target may use, with their Vietnamese wording for reports.
COMPARISONS: dict[str, str] = {
    ">=": "đạt từ",
    ">": "trên",
    "<=": "không quá",
    "<": "dưới",
    "==": "bằng",
}


class Target(_Model):
    """A numeric target of a plan (chỉ tiêu phấn đấu) that a review is measured against.

    BCĐ 138/CP's yearly plans set e.g. "giải quyết trên 90% tố giác, tin báo": a `ratio` of two
    indicators summed over the units whose kind is in `kinds` (all units by default), compared
    with `threshold` (a fraction for a ratio: 0.9 is 90%). A `count` compares one indicator's
    figure. The values are the units' cumulative figures over the span being reviewed.
    """

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    label: str
    kind: TargetKind
    numerator: str | None = None
    denominator: str | None = None
    indicator: str | None = None
    comparison: Literal[">=", ">", "<=", "<", "=="] = ">="
    threshold: float
    kinds: frozenset[str] = frozenset({ALL_KINDS})
    basis: str | None = None

    @model_validator(mode="after")
    def _shape(self) -> Target:
        if self.kind is TargetKind.RATIO:
            if not self.numerator or not self.denominator or self.indicator:
                raise ValueError("chỉ tiêu tỷ lệ cần numerator và denominator, không có indicator")
            if not 0 <= self.threshold <= 1:
                raise ValueError("ngưỡng của chỉ tiêu tỷ lệ phải trong khoảng 0 đến 1 (0,9 là 90%)")
        else:
            if not self.indicator or self.numerator or self.denominator:
                raise ValueError("chỉ tiêu số lượng cần indicator, không có numerator/denominator")
            if self.threshold < 0:
                raise ValueError("ngưỡng của chỉ tiêu số lượng không được âm")
        return self

    @property
    def codes(self) -> tuple[str, ...]:
        """The indicators the target reads."""
        if self.kind is TargetKind.RATIO:
            return (str(self.numerator), str(self.denominator))
        return (str(self.indicator),)

    def counts(self, kind: str) -> bool:
        """Whether a unit of this kind contributes its figures."""
        return ALL_KINDS in self.kinds or kind in self.kinds

    def value(self, figures: dict[str, float | None]) -> float | None:
        """The target's value from summed figures by code; None when it cannot be computed
        (no figure, or a ratio whose denominator is 0: nothing to resolve is not "100%")."""
        if self.kind is TargetKind.COUNT:
            return figures.get(str(self.indicator))
        top, bottom = figures.get(str(self.numerator)), figures.get(str(self.denominator))
        if top is None or not bottom:
            return None
        return top / bottom

    def met(self, value: float | None) -> bool | None:
        """Whether `value` meets the target; None when there is no value to judge."""
        if value is None:
            return None
        t = self.threshold
        return {
            ">=": value >= t - 1e-9,
            ">": value > t + 1e-9,
            "<=": value <= t + 1e-9,
            "<": value < t - 1e-9,
            "==": abs(value - t) <= 1e-9,
        }[self.comparison]


class ReportForm(_Model):
    """Who issues and signs a plan's reports, and to whom they go (Nghị định 30/2020/NĐ-CP).

    `governing_body` is the line above the issuer (not bold: "UBND TỈNH SÓC TRĂNG" over the
    province's Steering Committee); `issuer_lines` the issuing body as the decree breaks it
    ("ỦY BAN NHÂN DÂN" / "TỈNH NGHỆ AN"); `number` the
    document type and the issuer's series ("BC-UBND", "BC-BCĐ"); `authority` the lines above the
    signer's title ("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH"); `recipients` the bodies after
    "Kính gửi:" when the report goes up (then "Nơi nhận" starts with "Như trên"); `copies` the
    other lines of "Nơi nhận" before "Lưu: VT".
    """

    governing_body: str | None = None
    issuer_lines: tuple[str, ...] = ()
    number: str = "BC-..."
    recipients: tuple[str, ...] = ()
    authority: tuple[str, ...] = ()
    signer_title: str | None = None
    signer_name: str | None = None
    copies: tuple[str, ...] = ()


class Plan(_Model):
    id: str
    title: str
    #: The plan as a report title names it once ("Kế hoạch số 276/KH-UBND của UBND tỉnh"):
    #: the full title repeats words of the milestone's name.
    short_title: str | None = None
    number: str | None = None
    issued: date | None = None
    province: str
    issuer: str | None = None
    report: ReportForm = ReportForm()
    legal_bases: tuple[str, ...] = ()
    #: One registry file, or several in order for a plan spanning a reform (issue 18: the
    #: districts of `units-nghe-an-2021` until 30/06/2025, then the communes of
    #: `units-nghe-an-2025`); the catalog joins them into one registry.
    units: str | tuple[str, ...]
    theme: str | None = None
    span: Span
    reporting: Reporting = Reporting()
    campaigns: tuple[Campaign, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    tasks: tuple[Task, ...] = ()
    targets: tuple[Target, ...] = ()

    @property
    def registry_names(self) -> tuple[str, ...]:
        """The registry files' stems, in order: `units-nghe-an-2021.csv` -> `units-nghe-an-2021`."""
        files = (self.units,) if isinstance(self.units, str) else self.units
        return tuple(name.removesuffix(".csv") for name in files)

    @property
    def document_title(self) -> str:
        """The plan as a letter names it: its number and title ("Kế hoạch số 276/KH-UBND
        triển khai …"), never its catalog id. A title that already carries the number is kept."""
        title = " ".join(self.title.split())
        if self.number and self.number not in title:
            if title.startswith("Kế hoạch"):
                return title.replace("Kế hoạch", f"Kế hoạch số {self.number}", 1)
            return f"{title} (số {self.number})"
        return title

    @property
    def registry_name(self) -> str:
        """The registry's name: the file's stem, or the stems joined by "+" for several."""
        return "+".join(self.registry_names)

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
    #: Default plausibility bound per value type, for indicators without their own `max_value`.
    value_bounds: dict[ValueType, float] = Field(default_factory=dict)

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


class LineageLabels(_Model):
    """`labels.yaml` `lineage`: the note beside a unit's figure of a period it did not exist in.

    `{comparison}` is the comparison's wording ("cùng kỳ", "kỳ trước"), `{units}` the
    predecessors' names; `estimate` is appended when a share apportioned a predecessor's figure.
    """

    predecessors: str
    estimate: str
    same_period_last_year: str
    previous_period: str


class WarnedLabels(_Model):
    """`labels.yaml` `warned`: how a figure with an unresolved warning is marked."""

    marker: str  # after the figure ("(*)")
    title: str  # heading of the notes sheet / table
    note: str  # the legend; {marker} and {where} (the notes sheet or table) are filled in
    comment: str  # first line of a marked cell's comment
    none: str  # the notes sheet when nothing is warned


class HistoryLabels(_Model):
    """`labels.yaml` `history`: what `pcmbn check` says of the rules that need history."""

    skipped: str  # {rules}: the names of the rules not applied
    rules: dict[RuleId, str]  # each history rule's name inside that sentence


class SubmissionWords(_Model):
    """`labels.yaml` `submissions`: what the office's receiving desk says (`pcmbn.submissions`);
    each a `str.format` template with the fields its comment names."""

    unit_mismatch: str  # {declared}, {declared_name}, {unit}, {unit_name}
    unknown_unit: str  # {unit}
    return_subject: str  # {receipt}, {period}
    return_body: str  # {unit_name}, {receipt}, {file}, {received}, {period}, {reason}
    not_found: str  # {receipt}
    already_returned: str  # {receipt}
    approved: str  # {period}: a return while the period is approved
    reason_required: str
    discard_reason_required: str
    held_not_found: str  # {held}
    held_settled: str  # {held}, {state}
    local_inbox: str  # {inbox}


class ReminderWords(_Model):
    """`labels.yaml` `reminders`: the reminder to a unit whose report the office returned, and
    the audit line of the return notice (`pcmbn.reminders`, `pcmbn.submissions.returns`)."""

    returned_subject: str  # {period}, {unit_name}, {receipt}
    # {unit_name}, {period} (in a sentence), {plan}, {file}, {receipt}, {returned_on}
    # (dd/mm/yyyy), {reason}, {resend_by}
    returned_body: str
    returned_line: str  # the same fields, one line: the run's reminder list (NhacNho_*.csv)
    notice_sent: str  # {receipt}, {unit}, {to}
    notice_no_mailer: str  # {receipt}, {unit}
    notice_no_address: str  # {receipt}, {unit}
    notice_failed: str  # {receipt}, {unit}, {to}, {error}


class ReconciliationColumns(_Model):
    """The column headers of the reconciliation tables (summary sheet, packet sheet, report)."""

    number: str
    rule: str
    scope: str
    left: str
    left_value: str
    left_units: str
    right: str
    right_value: str
    right_months: str
    right_units: str
    difference: str
    verdict: str
    note: str

    def table(self, by: Literal["scope", "rule"]) -> list[str]:
        """The twelve headers of a reconciliation sheet, its second column naming the scope
        (the summary: a rule's rows for the month and the year so far) or the rule (a packet:
        one row per rule)."""
        return [
            self.number,
            getattr(self, by),
            self.left,
            self.left_value,
            self.left_units,
            self.right,
            self.right_value,
            self.right_months,
            self.right_units,
            self.difference,
            self.verdict,
            self.note,
        ]


class ReconciliationLabels(_Model):
    """`labels.yaml` `reconciliation`: the words around `pcmbn.reconciliation`'s tables."""

    title: str
    columns: ReconciliationColumns
    none: str  # no rule applies to the period
    footnote: str
    report: str  # {span}, {consistent}, {total}
    report_differs: str  # {rules}
    report_no_data: str  # {rules}


class Labels(_Model):
    """`schemas/labels.yaml`: the Vietnamese words for the statuses of `pcmbn.vocabulary`.

    The catalog checks that every member of each enum has a label, so code may index these
    mappings with an enum member without a fallback.
    """

    completeness: dict[Completeness, str]
    submission: dict[SubmissionStatus, str]
    severity: dict[Severity, str]
    audit_actions: dict[AuditAction, str]
    #: A portal account's role (issue 14).
    roles: dict[Role, str]
    milestones: dict[MilestoneKind, MilestoneLabel]
    #: How comparisons by unit name figures taken through unit lineage (issue 18).
    lineage: LineageLabels
    warned: WarnedLabels
    history: HistoryLabels
    #: Submissions as units deliver them (`pcmbn.submissions`: receipts, the desk, held files).
    channel: dict[Channel, str]
    receipt_status: dict[ReceiptStatus, str]
    desk_status: dict[DeskStatus, str]
    held_reason: dict[HeldReason, str]
    held_state: dict[HeldState, str]
    submissions: SubmissionWords
    #: The reminder of a returned report and the return notice's audit line.
    reminders: ReminderWords
    reconciliation: ReconciliationLabels

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
