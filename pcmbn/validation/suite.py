"""The Great Expectations suite, generated from the catalog (no code per indicator).

Each expectation carries `meta={"rule": <id>}`: the id in `schemas/rules.yaml` that gives its
severity and its Vietnamese message. Value sets (plan ids, plan|unit pairs, indicator codes,
plan|task pairs, task statuses) come from the catalog, so a new indicator, unit or plan needs
no change here.
"""

from __future__ import annotations

from typing import Any

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


def build_expectations(catalog: Catalog) -> list[Any]:
    """The expectations of one run, in the order their problems should read."""
    import great_expectations as gx
    from great_expectations.expectations.row_conditions import Column as C

    e = gx.expectations
    plan_ids = sorted(catalog.plans)
    plan_units = sorted(
        f"{plan.id}|{code}"
        for plan in catalog.plans.values()
        for code in catalog.registry(plan).units
    )
    plan_tasks = sorted(
        f"{plan.id}|{t.code}" for plan in catalog.plans.values() for t in plan.tasks
    )
    statuses = sorted(fold(s.label) for s in catalog.template.task_statuses)

    def kind(name: str) -> Any:
        return C("kind") == name

    def key(name: str) -> Any:
        return C("key") == name

    def flag(name: str, value: bool) -> Any:
        return C(name) == value

    info, value, task = kind("info"), kind("value"), kind("task")

    def rule(rule_id: str, condition: Any) -> dict[str, Any]:
        return {"row_condition": condition, "meta": {"rule": rule_id}}

    def pair(a: str, b: str, rule_id: str, condition: Any) -> Any:
        """a ≥ b where both are known (missing values are other rules' business)."""
        return e.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=a,
            column_B=b,
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            **rule(rule_id, condition),
        )

    def in_set(column: str, values: list[Any], rule_id: str, condition: Any) -> Any:
        return e.ExpectColumnValuesToBeInSet(
            column=column, value_set=values, **rule(rule_id, condition)
        )

    return [
        in_set("present", [True], RuleId.SHEET_MISSING, kind("structure") & key("sheet")),
        in_set("present", [True], RuleId.COLUMN_MISSING, kind("structure") & key("column")),
        in_set("blank", [False], RuleId.INFO_MISSING, info & flag("required", True)),
        in_set("text", plan_ids, RuleId.PLAN_UNKNOWN, info & key("plan_id") & flag("blank", False)),
        in_set(
            "plan_unit",
            plan_units,
            RuleId.UNIT_UNKNOWN,
            info & key("unit_code") & flag("blank", False) & flag("plan_known", True),
        ),
        pair("window_end", "unit_from", RuleId.UNIT_INACTIVE, info & key("unit_code")),
        pair("unit_to", "window_start", RuleId.UNIT_INACTIVE, info & key("unit_code")),
        e.ExpectColumnValuesToBeNull(
            column="period_error", **rule(RuleId.PERIOD_INVALID, info & key("period"))
        ),
        pair("period_first", "plan_start", RuleId.PERIOD_OUTSIDE_PLAN, info & key("period")),
        pair("plan_end", "period_last", RuleId.PERIOD_OUTSIDE_PLAN, info & key("period")),
        in_set(
            "text",
            [str(catalog.template.version)],
            RuleId.TEMPLATE_VERSION,
            info & key("template_version") & flag("blank", False),
        ),
        in_set("code", sorted(catalog.indicators), RuleId.INDICATOR_UNKNOWN, kind("indicator")),
        e.ExpectCompoundColumnsToBeUnique(
            column_list=["file_idx", "code"], **rule(RuleId.INDICATOR_DUPLICATE, kind("indicator"))
        ),
        in_set("blank", [False], RuleId.VALUE_MISSING, value & flag("applicable", True)),
        in_set("nonzero", [False], RuleId.VALUE_NOT_APPLICABLE, value & flag("applicable", False)),
        *(
            e.ExpectColumnValuesToNotBeInSet(
                column="parse_error", value_set=[rule_id], **rule(rule_id, value)
            )
            for rule_id in (
                RuleId.VALUE_FORMULA_NO_CACHE,
                RuleId.VALUE_NOT_NUMBER,
                RuleId.VALUE_NOT_INTEGER,
            )
        ),
        e.ExpectColumnValuesToBeBetween(
            column="value", min_value=0, **rule(RuleId.VALUE_NEGATIVE, value)
        ),
        pair("max_value", "value", RuleId.VALUE_IMPLAUSIBLE, value),
        e.ExpectColumnValuesToNotBeInSet(
            column="parse_warning",
            value_set=[RuleId.VALUE_AMBIGUOUS_DECIMAL],
            **rule(RuleId.VALUE_AMBIGUOUS_DECIMAL, value),
        ),
        pair("parent_value", "value", RuleId.VALUE_CHILD_EXCEEDS_PARENT, value),
        pair(
            "value",
            "period_value",
            RuleId.VALUE_CUMULATIVE_BELOW_PERIOD,
            value & (C("col") == "cumulative"),
        ),
        e.ExpectColumnPairValuesToBeEqual(
            column_A="value",
            column_B="expected_cumulative",
            ignore_row_if="either_value_is_missing",
            **rule(RuleId.VALUE_CUMULATIVE_DISCONTINUITY, value & (C("col") == "cumulative")),
        ),
        pair("outlier_high", "value", RuleId.VALUE_OUTLIER, value & (C("col") == "period")),
        in_set("plan_task", plan_tasks, RuleId.TASK_UNKNOWN, task & flag("plan_known", True)),
        in_set("status_key", statuses, RuleId.TASK_STATUS_INVALID, task & flag("blank", False)),
    ]
