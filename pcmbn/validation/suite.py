"""The Great Expectations suite, generated from the catalog (no code per indicator).

Few, dense expectations without row conditions: GE's row conditions are `DataFrame.query`
strings, evaluated per expectation (164 queries for one file), and each expectation carries a
fixed cost of configuration copies, so a single file took about a second. Instead
`rule_frame` derives, once and vectorised, one column per rule family that holds the figure or
key the rule checks where the rule applies and null elsewhere (GE skips nulls), and the suite
runs one expectation per family over the whole frame.

Each expectation carries `meta={"rule": <id>}`, or `meta={"rule_column": <column>}` when one
expectation checks several rules of a family (then the failing row's rule id is in that
column): the id in `schemas/rules.yaml` that gives its severity and its Vietnamese message.
Value sets (plan ids, plan|unit pairs, indicator codes, plan|task pairs, task statuses) come
from the catalog, so a new indicator, unit or plan needs no change here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pcmbn.catalog import Catalog
from pcmbn.text import fold
from pcmbn.vocabulary import RuleId

#: Every rule id this suite (or the checker around it) can report; the catalog must define all.
SUITE_RULES = (
    RuleId.SHEET_MISSING,
    RuleId.COLUMN_MISSING,
    RuleId.INFO_MISSING,
    RuleId.PLAN_UNKNOWN,
    RuleId.UNIT_UNKNOWN,
    RuleId.UNIT_INACTIVE,
    RuleId.PERIOD_INVALID,
    RuleId.PERIOD_OUTSIDE_PLAN,
    RuleId.TEMPLATE_VERSION,
    RuleId.INDICATOR_UNKNOWN,
    RuleId.INDICATOR_DUPLICATE,
    RuleId.VALUE_MISSING,
    RuleId.VALUE_NOT_APPLICABLE,
    RuleId.VALUE_NOT_NUMBER,
    RuleId.VALUE_NOT_INTEGER,
    RuleId.VALUE_FORMULA_NO_CACHE,
    RuleId.VALUE_NEGATIVE,
    RuleId.VALUE_IMPLAUSIBLE,
    RuleId.VALUE_AMBIGUOUS_DECIMAL,
    RuleId.VALUE_CHILD_EXCEEDS_PARENT,
    RuleId.VALUE_CUMULATIVE_BELOW_PERIOD,
    RuleId.VALUE_CUMULATIVE_DISCONTINUITY,
    RuleId.VALUE_OUTLIER,
    RuleId.TASK_UNKNOWN,
    RuleId.TASK_STATUS_INVALID,
)


#: The order in which a file's problems read where their cells tie (a value failing two rules):
#: the order of the former one-expectation-per-rule suite, kept so the results do not move.
RULE_ORDER = (
    RuleId.SHEET_MISSING,
    RuleId.COLUMN_MISSING,
    RuleId.INFO_MISSING,
    RuleId.PLAN_UNKNOWN,
    RuleId.UNIT_UNKNOWN,
    RuleId.UNIT_INACTIVE,
    RuleId.PERIOD_INVALID,
    RuleId.PERIOD_OUTSIDE_PLAN,
    RuleId.TEMPLATE_VERSION,
    RuleId.INDICATOR_UNKNOWN,
    RuleId.INDICATOR_DUPLICATE,
    RuleId.VALUE_MISSING,
    RuleId.VALUE_NOT_APPLICABLE,
    RuleId.VALUE_FORMULA_NO_CACHE,
    RuleId.VALUE_NOT_NUMBER,
    RuleId.VALUE_NOT_INTEGER,
    RuleId.VALUE_NEGATIVE,
    RuleId.VALUE_IMPLAUSIBLE,
    RuleId.VALUE_AMBIGUOUS_DECIMAL,
    RuleId.VALUE_CHILD_EXCEEDS_PARENT,
    RuleId.VALUE_CUMULATIVE_BELOW_PERIOD,
    RuleId.VALUE_CUMULATIVE_DISCONTINUITY,
    RuleId.VALUE_OUTLIER,
    RuleId.TASK_UNKNOWN,
    RuleId.TASK_STATUS_INVALID,
)
RULE_RANK = {str(rule): rank for rank, rule in enumerate(RULE_ORDER)}
#: The parse errors a value cell can carry that are rules of this suite.
PARSE_ERRORS = (
    RuleId.VALUE_FORMULA_NO_CACHE,
    RuleId.VALUE_NOT_NUMBER,
    RuleId.VALUE_NOT_INTEGER,
)
PARSE_WARNINGS = (RuleId.VALUE_AMBIGUOUS_DECIMAL,)


@dataclass(frozen=True)
class ValueSets:
    """What the membership rules compare with, from the catalog (also the suite's cache key).

    `members`: "plan|<id>", "unit|<plan>|<code>", "version|<v>", "indicator|<code>",
    "task|<plan>|<code>", the keys `rule_frame` looks the files' entries up by."""

    members: frozenset[str]
    statuses: tuple[str, ...]

    @classmethod
    def of(cls, catalog: Catalog) -> ValueSets:
        plans = [f"plan|{plan_id}" for plan_id in catalog.plans]
        units = [
            f"unit|{plan.id}|{code}"
            for plan in catalog.plans.values()
            for code in catalog.registry(plan).units
        ]
        tasks = [f"task|{plan.id}|{t.code}" for plan in catalog.plans.values() for t in plan.tasks]
        codes = [f"indicator|{code}" for code in catalog.indicators]
        version = [f"version|{catalog.template.version}"]
        members = frozenset({*plans, *units, *tasks, *codes, *version})
        statuses = tuple(sorted({fold(s.label) for s in catalog.template.task_statuses}))
        return cls(members, statuses)


def _masked(values: pd.Series | np.ndarray, where: np.ndarray) -> np.ndarray:
    """`values` where the rule applies, null elsewhere (object column)."""
    out = np.full(len(where), None, dtype=object)
    source = np.asarray(values, dtype=object)
    out[where] = source[where]
    return out


def _is(column: pd.Series, value: bool) -> np.ndarray:
    """`column == value` as the row conditions read it: a missing flag matches nothing."""
    return (column == value).fillna(False).to_numpy(dtype=bool)


def rule_frame(frame: pd.DataFrame, values: ValueSets) -> pd.DataFrame:
    """The columns the suite checks, derived from the validation frame in one vectorised pass.

    Each column holds what one rule family checks on the rows it applies to, null elsewhere;
    `*_rule` columns name the rule of each row. The comparisons "a ≥ b" of the value rules
    (plausibility bound, parent, period value, outlier bound) are stacked below the frame's
    rows, one row per (value row, rule) where both figures are known, so one expectation
    checks all four: a value row can fail several of them, which one column could not say.
    """
    n = len(frame)
    kind = frame["kind"].to_numpy(dtype=object)
    key = frame["key"].to_numpy(dtype=object)
    col = frame["col"].to_numpy(dtype=object)
    structure, info = kind == "structure", kind == "info"
    value, task, indicator = kind == "value", kind == "task", kind == "indicator"
    blank, present = frame["blank"], frame["present"]
    not_blank = _is(blank, False)
    applicable_true = _is(frame["applicable"], True)
    applicable_false = _is(frame["applicable"], False)
    period_rows = info & (key == "period")

    # as_required: a required sheet, column, field or applicable value is there, and a value
    # the unit does not report is empty or zero
    as_required = pd.array([pd.NA] * n, dtype="boolean")
    as_required_rule = np.full(n, None, dtype=object)
    for where, source, rule in (
        (structure & (key == "sheet"), present, RuleId.SHEET_MISSING),
        (structure & (key == "column"), present, RuleId.COLUMN_MISSING),
        (info & _is(frame["required"], True), ~blank, RuleId.INFO_MISSING),
        (value & applicable_true, ~blank, RuleId.VALUE_MISSING),
        (value & applicable_false, ~frame["nonzero"], RuleId.VALUE_NOT_APPLICABLE),
    ):
        as_required[where] = source[where].to_numpy()
        as_required_rule[where] = str(rule)

    # member: a plan, unit, template version, indicator code or task the catalog knows
    text = frame["text"].to_numpy(dtype=object)
    member = np.full(n, None, dtype=object)
    member_rule = np.full(n, None, dtype=object)
    plan_known = _is(frame["plan_known"], True)
    for where, prefix, source, rule in (
        (info & (key == "plan_id") & not_blank, "plan", text, RuleId.PLAN_UNKNOWN),
        (
            info & (key == "unit_code") & not_blank & plan_known,
            "unit",
            frame["plan_unit"].to_numpy(dtype=object),
            RuleId.UNIT_UNKNOWN,
        ),
        (info & (key == "template_version") & not_blank, "version", text, RuleId.TEMPLATE_VERSION),
        (indicator, "indicator", frame["code"].to_numpy(dtype=object), RuleId.INDICATOR_UNKNOWN),
        (
            task & plan_known,
            "task",
            frame["plan_task"].to_numpy(dtype=object),
            RuleId.TASK_UNKNOWN,
        ),
    ):
        where = where & pd.notna(source)
        member[where] = [f"{prefix}|{item}" for item in source[where]]
        member_rule[where] = str(rule)
    # Known to the catalog: one vectorised look-up here, because GE copies an expectation's
    # value set at every access to its configuration (~130 per run), which for a national
    # registry of 5,000 units cost seconds per run; GE checks the outcome per row.
    applies = pd.notna(member)
    member_known = pd.array([pd.NA] * n, dtype="boolean")
    member_known[applies] = pd.Series(member[applies], dtype=object).isin(values.members).to_numpy()

    # reader_note: what reading noted — a period it could not read, a value cell it could not
    # read as a number, a decimal it read the Vietnamese way (the rule id itself)
    reader_note = np.full(n, None, dtype=object)
    reader_note[period_rows & pd.notna(frame["period_error"]).to_numpy()] = str(
        RuleId.PERIOD_INVALID
    )
    for column, ids in (("parse_error", PARSE_ERRORS), ("parse_warning", PARSE_WARNINGS)):
        notes = frame[column]
        noted = value & notes.isin([str(r) for r in ids]).to_numpy()
        reader_note[noted] = notes.to_numpy(dtype=object)[noted]

    # margin ≥ 0: the unit exists in the data window, the period lies in the plan's span, a
    # value is not negative (disjoint rows: unit-code fields, period fields, values)
    def bounds(a: str, b: str, c: str, d: str) -> np.ndarray:
        """min(a - b, c - d): both bounds hold when it is ≥ 0 (NaN when any is unknown)."""
        return np.minimum(
            frame[a].to_numpy() - frame[b].to_numpy(), frame[c].to_numpy() - frame[d].to_numpy()
        )

    numbers = frame["value"].to_numpy(dtype="float64")
    margin = np.full(n, np.nan)
    margin_rule = np.full(n, None, dtype=object)
    for where, source, rule in (
        (
            info & (key == "unit_code"),
            bounds("window_end", "unit_from", "unit_to", "window_start"),
            RuleId.UNIT_INACTIVE,
        ),
        (
            period_rows,
            bounds("period_first", "plan_start", "plan_end", "period_last"),
            RuleId.PERIOD_OUTSIDE_PLAN,
        ),
        (value, numbers, RuleId.VALUE_NEGATIVE),
    ):
        margin[where] = source[where]
        margin_rule[where & ~np.isnan(margin)] = str(rule)

    cumulative = np.where(value & (col == "cumulative"), numbers, np.nan)
    dense = pd.DataFrame(
        {
            "row_id": frame["row_id"].to_numpy(),
            "as_required": as_required,
            "as_required_rule": as_required_rule,
            "member_known": member_known,
            "member_rule": member_rule,
            "status_key": _masked(frame["status_key"], task & not_blank),
            "margin": margin,
            "margin_rule": margin_rule,
            "reader_note": reader_note,
            "indicator_key": _masked(
                frame["file_idx"].astype(str) + "|" + frame["code"].astype(str), indicator
            ),
            "cumulative": cumulative,
            "expected_cumulative": frame["expected_cumulative"].to_numpy(dtype="float64"),
        }
    )
    return pd.concat([dense, _stacked_pairs(frame, value, col, numbers)], ignore_index=True)


def _stacked_pairs(
    frame: pd.DataFrame, value: np.ndarray, col: np.ndarray, numbers: np.ndarray
) -> pd.DataFrame:
    """One row per (value row, "a ≥ b" rule) where both figures are known."""
    row_ids = frame["row_id"].to_numpy()
    parts = []
    for upper, lower, where, rule in (
        (frame["max_value"], numbers, value, RuleId.VALUE_IMPLAUSIBLE),
        (frame["parent_value"], numbers, value, RuleId.VALUE_CHILD_EXCEEDS_PARENT),
        (
            numbers,
            frame["period_value"],
            value & (col == "cumulative"),
            RuleId.VALUE_CUMULATIVE_BELOW_PERIOD,
        ),
        (frame["outlier_high"], numbers, value & (col == "period"), RuleId.VALUE_OUTLIER),
    ):
        a = np.asarray(upper, dtype="float64")
        b = np.asarray(lower, dtype="float64")
        keep = where & ~np.isnan(a) & ~np.isnan(b)
        parts.append(
            pd.DataFrame(
                {
                    "row_id": row_ids[keep],
                    "pair_upper": a[keep],
                    "pair_lower": b[keep],
                    "pair_rule": np.full(int(keep.sum()), str(rule), dtype=object),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def build_expectations(values: ValueSets) -> list[Any]:
    """The expectations over `rule_frame`'s columns, one per rule family."""
    import great_expectations as gx

    e = gx.expectations

    def rule(rule_id: str) -> dict[str, Any]:
        return {"meta": {"rule": str(rule_id)}}

    def family(column: str) -> dict[str, Any]:
        return {"meta": {"rule_column": column}}

    return [
        e.ExpectColumnValuesToBeInSet(
            column="as_required", value_set=[True], **family("as_required_rule")
        ),
        e.ExpectColumnValuesToBeInSet(
            column="member_known", value_set=[True], **family("member_rule")
        ),
        e.ExpectColumnValuesToBeBetween(column="margin", min_value=0, **family("margin_rule")),
        e.ExpectColumnValuesToBeNull(column="reader_note", **family("reader_note")),
        e.ExpectColumnValuesToBeUnique(column="indicator_key", **rule(RuleId.INDICATOR_DUPLICATE)),
        e.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="pair_upper",
            column_B="pair_lower",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            **family("pair_rule"),
        ),
        e.ExpectColumnPairValuesToBeEqual(
            column_A="cumulative",
            column_B="expected_cumulative",
            ignore_row_if="either_value_is_missing",
            **rule(RuleId.VALUE_CUMULATIVE_DISCONTINUITY),
        ),
        e.ExpectColumnValuesToBeInSet(
            column="status_key", value_set=list(values.statuses), **rule(RuleId.TASK_STATUS_INVALID)
        ),
    ]
