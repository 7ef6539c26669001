"""`pcmbn.validation.suite`: few dense expectations, no row conditions (issue 13's warm check,
issue 15's national batches: GE's per-expectation cost and its `DataFrame.query` row
conditions were most of a single file's second)."""

from __future__ import annotations

from pcmbn.catalog import load_catalog
from pcmbn.validation.suite import RULE_ORDER, SUITE_RULES, ValueSets, build_expectations


def test_one_expectation_per_rule_family_without_row_conditions() -> None:
    expectations = build_expectations(ValueSets.of(load_catalog()))
    assert len(expectations) <= 8 < len(SUITE_RULES)
    assert all(getattr(e, "row_condition", None) in (None, "") for e in expectations)
    for expectation in expectations:
        meta = expectation.meta
        assert ("rule" in meta) != ("rule_column" in meta)


def test_reading_order_names_every_suite_rule_once() -> None:
    assert sorted(RULE_ORDER) == sorted(SUITE_RULES)
    assert len(set(RULE_ORDER)) == len(RULE_ORDER)


def test_value_sets_come_from_the_catalog() -> None:
    catalog = load_catalog()
    values = ValueSets.of(catalog)
    plan = next(iter(catalog.plans.values()))
    unit = next(iter(catalog.registry(plan).units))
    assert f"plan|{plan.id}" in values.members
    assert f"unit|{plan.id}|{unit}" in values.members
    assert f"version|{catalog.template.version}" in values.members
    assert hash(values) == hash(ValueSets.of(catalog))  # the engine's cache key
