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
    "task.unknown",
    "task.status_invalid",
)


def _when(condition: str) -> dict[str, str]:
    return {"row_condition": condition, "condition_parser": "pandas"}


def build_expectations(catalog: Catalog) -> list[Any]:
    """The expectations of one run, in the order their problems should read."""
    import great_expectations as gx

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
    info = 'kind=="info"'
    value = 'kind=="value"'

    def meta(rule: str) -> dict[str, Any]:
        return {"meta": {"rule": rule}}

    return [
        e.ExpectColumnValuesToBeInSet(
            column="present",
            value_set=[True],
            **_when('kind=="structure" and key=="sheet"'),
            **meta("sheet.missing"),
        ),
        e.ExpectColumnValuesToBeInSet(
            column="present",
            value_set=[True],
            **_when('kind=="structure" and key=="column"'),
            **meta("column.missing"),
        ),
        e.ExpectColumnValuesToBeInSet(
            column="blank",
            value_set=[False],
            **_when(f"{info} and required==True"),
            **meta("info.missing"),
        ),
        e.ExpectColumnValuesToBeInSet(
            column="text",
            value_set=plan_ids,
            **_when(f'{info} and key=="plan_id" and blank==False'),
            **meta("plan.unknown"),
        ),
        e.ExpectColumnValuesToBeInSet(
            column="plan_unit",
            value_set=plan_units,
            **_when(f'{info} and key=="unit_code" and blank==False and plan_known==True'),
            **meta("unit.unknown"),
        ),
        e.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="window_end",
            column_B="unit_from",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            **_when(f'{info} and key=="unit_code"'),
            **meta("unit.inactive"),
        ),
        e.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="unit_to",
            column_B="window_start",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            **_when(f'{info} and key=="unit_code"'),
            **meta("unit.inactive"),
        ),
        e.ExpectColumnValuesToBeNull(
            column="period_error", **_when(f'{info} and key=="period"'), **meta("period.invalid")
        ),
        e.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="period_first",
            column_B="plan_start",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            **_when(f'{info} and key=="period"'),
            **meta("period.outside_plan"),
        ),
        e.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="plan_end",
            column_B="period_last",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            **_when(f'{info} and key=="period"'),
            **meta("period.outside_plan"),
        ),
        e.ExpectColumnValuesToBeInSet(
            column="text",
            value_set=[str(catalog.template.version)],
            **_when(f'{info} and key=="template_version" and blank==False'),
            **meta("template.version"),
        ),
        e.ExpectColumnValuesToBeInSet(
            column="code",
            value_set=sorted(catalog.indicators),
            **_when('kind=="indicator"'),
            **meta("indicator.unknown"),
        ),
        e.ExpectCompoundColumnsToBeUnique(
            column_list=["file_idx", "code"],
            **_when('kind=="indicator"'),
            **meta("indicator.duplicate"),
        ),
        e.ExpectColumnValuesToBeInSet(
            column="blank",
            value_set=[False],
            **_when(f"{value} and applicable==True"),
            **meta("value.missing"),
        ),
        e.ExpectColumnValuesToBeInSet(
            column="nonzero",
            value_set=[False],
            **_when(f"{value} and applicable==False"),
            **meta("value.not_applicable"),
        ),
        *(
            e.ExpectColumnValuesToNotBeInSet(
                column="parse_error", value_set=[rule], **_when(value), **meta(rule)
            )
            for rule in ("value.formula_no_cache", "value.not_number", "value.not_integer")
        ),
        e.ExpectColumnValuesToBeBetween(
            column="value", min_value=0, **_when(value), **meta("value.negative")
        ),
        e.ExpectColumnValuesToNotBeInSet(
            column="parse_warning",
            value_set=["value.ambiguous_decimal"],
            **_when(value),
            **meta("value.ambiguous_decimal"),
        ),
        e.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="parent_value",
            column_B="value",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            **_when(value),
            **meta("value.child_exceeds_parent"),
        ),
        e.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="value",
            column_B="period_value",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            **_when(f'{value} and col=="cumulative"'),
            **meta("value.cumulative_below_period"),
        ),
        e.ExpectColumnValuesToBeInSet(
            column="plan_task",
            value_set=plan_tasks,
            **_when('kind=="task" and plan_known==True'),
            **meta("task.unknown"),
        ),
        e.ExpectColumnValuesToBeInSet(
            column="status_key",
            value_set=statuses,
            **_when('kind=="task" and blank==False'),
            **meta("task.status_invalid"),
        ),
    ]
