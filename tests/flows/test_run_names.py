"""Flow runs are named by plan and period; the short plan label comes from the catalog."""

from __future__ import annotations

from flows.naming import plan_label, run_tags
from pcmbn.catalog import load_catalog


def test_a_plan_with_a_number_is_labelled_by_province_and_number() -> None:
    catalog = load_catalog()
    assert plan_label(catalog.plan("NA-276-KH-UBND-2021")) == "NA-276"


def test_a_plan_without_a_number_keeps_its_id() -> None:
    catalog = load_catalog()
    assert plan_label(catalog.plan("ST-KH-30-7-2024")) == "ST-KH-30-7-2024"
    assert plan_label(catalog.plan("NA-KH-PCMBN-2026")) == "NA-KH-PCMBN-2026"


def test_tags_name_the_plan_and_each_period() -> None:
    assert run_tags("NA-276-KH-UBND-2021", "2021-08") == [
        "ke-hoach:NA-276-KH-UBND-2021",
        "ky:2021-08",
    ]
