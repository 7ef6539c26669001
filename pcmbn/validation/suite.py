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

#: Every rule id this suite (or the checker around it) can report; the catalog must define all.
SUITE_RULES = (
    "sheet.missing",
    "column.missing",
    "info.missing",
    "plan.unknown",
    "unit.unknown",
    "unit.inactive",
    "period.invalid",
    "period.outside_plan",
    "template.version",
    "indicator.unknown",
    "indicator.duplicate",
    "value.missing",
    "value.not_applicable",
    "value.not_number",
    "value.not_integer",
    "value.formula_no_cache",
    "value.negative",
    "value.ambiguous_decimal",
    "value.child_exceeds_parent",
    "value.cumulative_below_period",
    "value.cumulative_discontinuity",
    "value.outlier",
    "task.unknown",
    "task.status_invalid",
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
        in_set("present", [True], "sheet.missing", kind("structure") & key("sheet")),
        in_set("present", [True], "column.missing", kind("structure") & key("column")),
        in_set("blank", [False], "info.missing", info & flag("required", True)),
        in_set("text", plan_ids, "plan.unknown", info & key("plan_id") & flag("blank", False)),
        in_set(
            "plan_unit",
            plan_units,
            "unit.unknown",
            info & key("unit_code") & flag("blank", False) & flag("plan_known", True),
        ),
        pair("window_end", "unit_from", "unit.inactive", info & key("unit_code")),
        pair("unit_to", "window_start", "unit.inactive", info & key("unit_code")),
        e.ExpectColumnValuesToBeNull(
            column="period_error", **rule("period.invalid", info & key("period"))
        ),
        pair("period_first", "plan_start", "period.outside_plan", info & key("period")),
        pair("plan_end", "period_last", "period.outside_plan", info & key("period")),
        in_set(
            "text",
            [str(catalog.template.version)],
            "template.version",
            info & key("template_version") & flag("blank", False),
        ),
        in_set("code", sorted(catalog.indicators), "indicator.unknown", kind("indicator")),
        e.ExpectCompoundColumnsToBeUnique(
            column_list=["file_idx", "code"], **rule("indicator.duplicate", kind("indicator"))
        ),
        in_set("blank", [False], "value.missing", value & flag("applicable", True)),
        in_set("nonzero", [False], "value.not_applicable", value & flag("applicable", False)),
        *(
            e.ExpectColumnValuesToNotBeInSet(
                column="parse_error", value_set=[rule_id], **rule(rule_id, value)
            )
            for rule_id in ("value.formula_no_cache", "value.not_number", "value.not_integer")
        ),
        e.ExpectColumnValuesToBeBetween(
            column="value", min_value=0, **rule("value.negative", value)
        ),
        e.ExpectColumnValuesToNotBeInSet(
            column="parse_warning",
            value_set=["value.ambiguous_decimal"],
            **rule("value.ambiguous_decimal", value),
        ),
        pair("parent_value", "value", "value.child_exceeds_parent", value),
        pair(
            "value",
            "period_value",
            "value.cumulative_below_period",
            value & (C("col") == "cumulative"),
        ),
        e.ExpectColumnPairValuesToBeEqual(
            column_A="value",
            column_B="expected_cumulative",
            ignore_row_if="either_value_is_missing",
            **rule("value.cumulative_discontinuity", value & (C("col") == "cumulative")),
        ),
        pair("outlier_high", "value", "value.outlier", value & (C("col") == "period")),
        in_set("plan_task", plan_tasks, "task.unknown", task & flag("plan_known", True)),
        in_set("status_key", statuses, "task.status_invalid", task & flag("blank", False)),
    ]
