"""Interagency reconciliation (đối chiếu liên ngành): rules between units' figures, as data.

Vietnam's anti-trafficking figures are interagency statistics: police, procuracy and court
must agree on them before they co-sign. `schemas/review.yaml` lists rules such as "cases the
procuracy prosecuted ≤ cases the police instituted, allowing 6 months of lag"; `reconcile`
compares the figures of one window and says, for each rule, the two sides, the difference and
the units involved. A difference is a warning for the data officer, never a rejection: runs
accept or reject files exactly as before.

The same file carries the words of target verdicts (`targets`), so `ReviewSpec` is what the
catalog loads from it (`Catalog.review`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pcmbn.domain import ALL_KINDS, Indicator, Unit, UnitKind
from pcmbn.errors import CatalogError
from pcmbn.periods import CutoffRule, Period, months_between
from pcmbn.reading.numbers import format_number_vi
from pcmbn.targets import summed

if TYPE_CHECKING:
    import pandas as pd

    from pcmbn.catalog import Catalog
    from pcmbn.domain import Plan

__all__ = [
    "RECONCILIATION_COLUMNS",
    "REVIEW_FILE",
    "ReconciliationRule",
    "ReviewSpec",
    "load_review",
    "reconcile",
    "reconcile_span",
    "rules_in_force",
    "span_window",
]

REVIEW_FILE = "review.yaml"

#: One row per rule and scope (the summary's export `doi_chieu_lien_nganh`).
RECONCILIATION_COLUMNS = (
    "rule_id",
    "label",
    "scope",
    "scope_label",
    "left_code",
    "left_name",
    "left_value",
    "left_units",
    "relation",
    "right_code",
    "right_name",
    "right_value",
    "right_units",
    "right_months",
    "difference",
    "status",
    "verdict",
    "note",
)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TargetWords(_Model):
    met: str = "Đạt"
    not_met: str = "Chưa đạt"
    no_data: str = "Chưa có số liệu"
    no_base: str = "Không phát sinh"


class Side(_Model):
    """One side of a rule: an indicator summed over the units of some kinds."""

    indicator: str
    kinds: frozenset[str] = frozenset({ALL_KINDS})

    def counts(self, kind: str) -> bool:
        return ALL_KINDS in self.kinds or kind in self.kinds


class ReconciliationRule(_Model):
    """`left <relation> right` (+ `tolerance`); the right side's window starts `lag_months`
    earlier, since a case reaches the next agency months after the first one counted it."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    label: str
    left: Side
    right: Side
    relation: Literal["<=", ">=", "=="] = "<="
    lag_months: int = Field(default=0, ge=0, le=24)
    tolerance: float = Field(default=0, ge=0)

    @property
    def codes(self) -> tuple[str, str]:
        return self.left.indicator, self.right.indicator

    def holds(self, left: float, right: float) -> bool:
        t = self.tolerance + 1e-9
        return {
            "<=": left <= right + t,
            ">=": left >= right - t,
            "==": abs(left - right) <= t,
        }[self.relation]


class Reconciliation(_Model):
    labels: dict[Literal["consistent", "differs", "no_data"], str]
    #: `period` and `cumulative` (the monthly summary), `span` (a conference packet's months)
    scopes: dict[Literal["period", "cumulative", "span"], str]
    message: str
    lag_note: str
    clipped_note: str
    rules: tuple[ReconciliationRule, ...] = ()

    @field_validator("scopes")
    @classmethod
    def _every_scope(cls, scopes: dict[str, str]) -> dict[str, str]:
        """Each table indexes its scope's label without a fallback: all three are required."""
        missing = sorted({"period", "cumulative", "span"} - set(scopes))
        if missing:
            raise ValueError(f"thiếu nhãn phạm vi: {', '.join(missing)}")
        return scopes


class ReviewSpec(_Model):
    """`schemas/review.yaml`: target verdict words and the reconciliation rules."""

    targets: TargetWords = TargetWords()
    reconciliation: Reconciliation | None = None

    @property
    def rules(self) -> tuple[ReconciliationRule, ...]:
        return self.reconciliation.rules if self.reconciliation else ()


def load_review(
    path: Path, indicators: Mapping[str, Indicator], kinds: Mapping[str, UnitKind]
) -> ReviewSpec:
    """Load and check `review.yaml` (optional): every rule names indicators that exist and kinds
    that exist and report them; rule ids are unique. Errors name the file and the rule."""
    if not path.exists():
        return ReviewSpec()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError:
        raise CatalogError(f"Danh mục sai — {path}: YAML không hợp lệ.") from None
    rules = (data.get("reconciliation") or {}).get("rules") if isinstance(data, dict) else None
    for number, raw in enumerate(rules or [], start=1):
        entry = raw.get("id", number) if isinstance(raw, dict) else number
        try:
            ReconciliationRule.model_validate(raw)
        except ValidationError as exc:
            raise CatalogError(_error(path, f"quy tắc đối chiếu {entry}", exc)) from None
    try:
        spec = ReviewSpec.model_validate(data)
    except ValidationError as exc:
        raise CatalogError(_error(path, "", exc)) from None
    seen: set[str] = set()
    for rule in spec.rules:
        entry = f"quy tắc đối chiếu {rule.id}"
        if rule.id in seen:
            raise CatalogError(f"Danh mục sai — {path}, {entry}: mã quy tắc bị trùng.")
        seen.add(rule.id)
        for side in (rule.left, rule.right):
            unknown = sorted(side.kinds - set(kinds) - {ALL_KINDS})
            if unknown:
                raise CatalogError(
                    f"Danh mục sai — {path}, {entry}: loại đơn vị {', '.join(unknown)} không có "
                    "trong unit_kinds.yaml."
                )
            ind = indicators.get(side.indicator)
            if ind is None:
                raise CatalogError(
                    f'Danh mục sai — {path}, {entry}: không có chỉ tiêu "{side.indicator}" trong '
                    "indicators.csv."
                )
            counted = set(kinds) if ALL_KINDS in side.kinds else side.kinds
            if not any(ind.applies(kind) for kind in counted):
                raise CatalogError(
                    f"Danh mục sai — {path}, {entry}: chỉ tiêu {side.indicator} không áp dụng cho "
                    f"loại đơn vị nào của vế so sánh ({', '.join(sorted(side.kinds))})."
                )
    return spec


def _error(path: Path, entry: str, exc: ValidationError) -> str:
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "?"
    where = f", {entry}" if entry else ""
    return f'Danh mục sai — {path}{where}: trường "{field}" không hợp lệ ({first["msg"]}).'


def rules_in_force(
    catalog: Catalog, plan: Plan, months: Sequence[Period]
) -> list[ReconciliationRule]:
    """The rules that can be checked for `plan` over `months`: both indicators in force and
    units of both sides' kinds expected (a national plan of provinces has no procuracy)."""
    rule_of_cutoff: CutoffRule | str = plan.reporting.cutoff
    expected = {u.kind for m in months for u in catalog.expected_units(plan, m)}
    out = []
    for rule in catalog.review.rules:
        in_force = all(
            any(catalog.indicators[c].in_force(m, rule_of_cutoff) for m in months)
            for c in rule.codes
        )
        both = all(any(side.counts(k) for k in expected) for side in (rule.left, rule.right))
        if in_force and both:
            out.append(rule)
    return out


def span_window(
    plan: Plan, first: Period, last: Period, lag: int
) -> tuple[list[Period], list[Period], bool]:
    """(left months, right months, right side clipped at the plan's start) for `first`–`last`.

    The right side starts `lag` months earlier, never before the plan (no data there).
    """
    start = plan.span.start.first_month
    left = months_between(first, last)
    earliest = _shift(first, -lag)
    clipped = earliest.ordinal < start.ordinal
    right = months_between(start if clipped else earliest, last)
    return left, right, clipped and lag > 0


def windows(
    plan: Plan, period: Period, lag: int
) -> dict[str, tuple[list[Period], list[Period], bool]]:
    """Scope → `span_window`: `period` the month itself, `cumulative` January (or the plan's
    start) to the month."""
    last = period.last_month
    start = plan.span.start.first_month
    year_start = max(Period.month(last.year, 1), start, key=lambda p: p.ordinal)
    return {
        scope: span_window(plan, first, last, lag)
        for scope, first in (("period", period.first_month), ("cumulative", year_start))
    }


def reconcile(
    catalog: Catalog,
    plan: Plan,
    period: Period,
    figures_of: Any,
    units: Mapping[str, Unit],
    expected: Sequence[Unit],
) -> pd.DataFrame:
    """One row per rule in force and scope (RECONCILIATION_COLUMNS): the month, the year so far.

    `figures_of(months)` gives unit → code → figure over those months (`targets.span_figures`
    on the store's current values); `expected` the units owing this period's report, to name
    those of a side that have not reported. Pure apart from that callback.
    """
    return _reconcile(
        catalog,
        plan,
        rules_in_force(catalog, plan, [period.last_month]),
        lambda lag: windows(plan, period, lag),
        figures_of,
        units,
        expected,
    )


def reconcile_span(
    catalog: Catalog,
    plan: Plan,
    months: Sequence[Period],
    figures_of: Any,
    units: Mapping[str, Unit],
    expected: Sequence[Unit],
) -> pd.DataFrame:
    """One row per rule in force in `months` (scope `span`): a conference packet's table.

    The left side sums the packet's months, the right side the same months extended by the
    rule's lag; `figures_of` and `expected` as for `reconcile`.
    """
    import pandas as pd  # here: the catalog imports this module, and a CLI command need not

    if not months:
        return pd.DataFrame([], columns=list(RECONCILIATION_COLUMNS))
    return _reconcile(
        catalog,
        plan,
        rules_in_force(catalog, plan, months),
        lambda lag: {"span": span_window(plan, months[0], months[-1], lag)},
        figures_of,
        units,
        expected,
    )


def _reconcile(
    catalog: Catalog,
    plan: Plan,
    rules: Sequence[ReconciliationRule],
    scopes_of: Any,
    figures_of: Any,
    units: Mapping[str, Unit],
    expected: Sequence[Unit],
) -> pd.DataFrame:
    """The rows of `rules`, one per scope that `scopes_of(lag)` names (scope → window)."""
    import pandas as pd  # here: the catalog imports this module, and a CLI command need not

    spec = catalog.review.reconciliation
    rows: list[dict[str, Any]] = []
    if spec is None:
        return pd.DataFrame(rows, columns=list(RECONCILIATION_COLUMNS))
    for rule in rules:
        for scope, (left_months, right_months, clipped) in scopes_of(rule.lag_months).items():
            left, left_units = summed(
                figures_of(left_months), units, rule.left.indicator, rule.left.counts
            )
            right, right_units = summed(
                figures_of(right_months), units, rule.right.indicator, rule.right.counts
            )
            involved = _involved(units, expected, rule)
            notes = []
            if left is None or right is None:
                status, difference = "no_data", float("nan")
            else:
                difference = left - right
                status = "consistent" if rule.holds(left, right) else "differs"
            if status == "differs":
                ind = catalog.indicators[rule.left.indicator]
                notes.append(
                    spec.message.format(
                        left=catalog.indicators[rule.left.indicator].name,
                        right=_lower(catalog.indicators[rule.right.indicator].name),
                        difference=format_number_vi(abs(difference)),
                        unit=ind.unit_of_measure,
                        units=", ".join(units[c].name for c in involved if c in units),
                    )
                )
            if rule.lag_months and scope != "cumulative":
                notes.append(spec.lag_note.format(lag=rule.lag_months))
            if clipped and status == "differs":
                notes.append(
                    spec.clipped_note.format(start=plan.span.start.first_month.short_label)
                )
            rows.append(
                {
                    "rule_id": rule.id,
                    "label": rule.label,
                    "scope": scope,
                    "scope_label": spec.scopes[scope],  # type: ignore[index]
                    "left_code": rule.left.indicator,
                    "left_name": catalog.indicators[rule.left.indicator].name,
                    "left_value": _nan(left),
                    "left_units": _unit_list(units, expected, rule.left, left_units),
                    "relation": rule.relation,
                    "right_code": rule.right.indicator,
                    "right_name": catalog.indicators[rule.right.indicator].name,
                    "right_value": _nan(right),
                    "right_units": _unit_list(units, expected, rule.right, right_units),
                    "right_months": _months_label(right_months),
                    "difference": difference,
                    "status": status,
                    "verdict": spec.labels[status],  # type: ignore[index]
                    "note": " ".join(notes) or None,
                }
            )
    return pd.DataFrame(rows, columns=list(RECONCILIATION_COLUMNS))


def _involved(units: Mapping[str, Unit], expected: Sequence[Unit], rule: Any) -> list[str]:
    return [u.code for u in expected if rule.left.counts(u.kind) or rule.right.counts(u.kind)] or [
        code for code, u in units.items() if rule.left.counts(u.kind)
    ]


def _unit_list(
    units: Mapping[str, Unit], expected: Sequence[Unit], side: Side, reported: list[str]
) -> str:
    """ "Viện Kiểm sát nhân dân tỉnh (VKS_TINH)"; units of the side expected but without any
    figure are marked "chưa có số liệu" so a gap is not read as a zero."""
    names = []
    for unit in expected:
        if not side.counts(unit.kind):
            continue
        mark = "" if unit.code in reported else " — chưa có số liệu"
        names.append(f"{unit.name} ({unit.code}){mark}")
    return "; ".join(names)


def _months_label(months: Sequence[Period]) -> str:
    if len(months) == 1:
        return months[0].short_label
    return f"{months[0].short_label} – {months[-1].short_label}"


def _shift(month: Period, by: int) -> Period:
    index = month.year * 12 + (month.index - 1) + by
    return Period.month(index // 12, index % 12 + 1)


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def _nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)
