"""`pcmbn.lineage`: whose figures stand for a unit in a period it did not exist in (issue 18).

Against the real catalog (successors.csv of the 2025 reform) joined into the test-only plan of
`reform_plan`, with histories written here by hand.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from reform_plan import PLAN_ID, reform_schemas

from pcmbn.catalog import Catalog, CatalogError, load_catalog
from pcmbn.lineage import comparable_value, predecessors
from pcmbn.periods import Period
from pcmbn.summary.build import change
from pcmbn.summary.by_unit import by_unit_comparisons
from pcmbn.validation.history import history_context

ROOT = Path(__file__).resolve().parents[2]
MARCH_2025, MARCH_2026 = Period.month(2025, 3), Period.month(2026, 3)
FEB_2025 = Period.month(2025, 2)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return load_catalog(reform_schemas(ROOT, tmp_path_factory.mktemp("reform")))


def _edges_into(catalog: Catalog, code: str) -> list[tuple[str, float]]:
    return [(e.unit_from, e.fraction) for e in catalog.successors if e.unit_to == code]


def test_joined_registry_keeps_each_unit_with_its_file(catalog: Catalog) -> None:
    registry = catalog.registry(catalog.plan(PLAN_ID))
    assert registry.origin_of("UBND_H_ANH_SON") == "units-nghe-an-2021"
    assert registry.origin_of("XA_ANH_SON") == "units-nghe-an-2025"
    # A unit in both files continues: the later entry stands.
    assert registry.origin_of("CA_TINH") == "units-nghe-an-2025"
    assert registry.get("UBND_H_ANH_SON") is not None and registry.get("XA_ANH_SON") is not None


def test_a_unit_that_existed_is_its_own_source(catalog: Catalog) -> None:
    registry = catalog.registry(catalog.plan(PLAN_ID))
    [own] = predecessors(catalog, registry, "XA_ANH_SON", MARCH_2026)
    assert (own.code, own.weight, own.estimate) == ("XA_ANH_SON", 1.0, False)
    got = comparable_value(
        {("XA_ANH_SON", "2026-03", "TT01"): 4.0},
        catalog,
        registry,
        "XA_ANH_SON",
        MARCH_2026,
        "TT01",
    )
    assert (got.value, got.through_lineage, got.note(catalog, "same_period_last_year")) == (
        4.0,
        False,
        None,
    )


def test_a_commune_before_the_reform_takes_its_district_times_the_share(catalog: Catalog) -> None:
    registry = catalog.registry(catalog.plan(PLAN_ID))
    [(district, share)] = _edges_into(catalog, "XA_ANH_SON")
    history = {(district, "2025-03", "TT01"): 19.0}
    got = comparable_value(history, catalog, registry, "XA_ANH_SON", MARCH_2025, "TT01")
    assert got.value == pytest.approx(19.0 * share)
    assert got.through_lineage and got.estimate
    assert got.note(catalog, "same_period_last_year") == (
        "số liệu cùng kỳ của các đơn vị tiền thân: Ủy ban nhân dân huyện Anh Sơn "
        "(ước tính theo tỷ lệ phân chia)"
    )
    # The validation rules never judge a figure against an estimate.
    exact = comparable_value(
        history, catalog, registry, "XA_ANH_SON", MARCH_2025, "TT01", exact_only=True
    )
    assert exact.value is None


def test_a_whole_successor_takes_the_full_figure_and_says_so(catalog: Catalog) -> None:
    registry = catalog.registry(catalog.plan(PLAN_ID))
    history = {("SO_LDTBXH", "2025-02", "TT01"): 7.0}
    for successor in ("SO_NV", "SO_YT"):  # a split by field of work: each takes it whole
        got = comparable_value(history, catalog, registry, successor, FEB_2025, "TT01")
        assert (got.value, got.estimate) == (7.0, False)
        assert got.note(catalog, "previous_period") == (
            "số liệu kỳ trước của các đơn vị tiền thân: Sở Lao động - Thương binh và Xã hội"
        )
    # Sở GDĐT also took a field of Sở LĐTBXH but existed before: it is compared with itself.
    own = comparable_value(history, catalog, registry, "SO_GDDT", FEB_2025, "TT01")
    assert (own.value, own.through_lineage) == (None, False)


def test_no_figure_from_the_predecessors_is_no_value_not_zero(catalog: Catalog) -> None:
    registry = catalog.registry(catalog.plan(PLAN_ID))
    got = comparable_value({}, catalog, registry, "XA_ANH_SON", MARCH_2025, "TT01")
    assert got.value is None and got.through_lineage


def test_a_predecessor_outside_the_plans_registry_is_left_out() -> None:
    """The 2026 plan names only today's registry: the districts' history is not under it."""
    catalog = load_catalog(ROOT / "schemas")
    registry = catalog.registry(catalog.plan("NA-KH-PCMBN-2026"))
    assert predecessors(catalog, registry, "XA_ANH_SON", MARCH_2025) == []


def test_a_code_of_two_kinds_in_joined_registries_is_refused(tmp_path: Path) -> None:
    schemas = reform_schemas(ROOT, tmp_path)
    path = schemas / "units" / "units-nghe-an-2021.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "CA_TINH,Công an tỉnh,CA,", "CA_TINH,Công an tỉnh,BP,"
        ),
        encoding="utf-8",
    )
    with pytest.raises(CatalogError) as caught:
        load_catalog(schemas)
    message = str(caught.value)
    assert PLAN_ID in message and "CA_TINH" in message and "cùng một đơn vị" in message


def _frame(rows: list[tuple[str, str, str, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["unit_code", "period", "indicator", "period_value", "cumulative"]
    )


def test_history_rules_take_a_whole_predecessors_cumulative_never_an_estimate(
    catalog: Catalog,
) -> None:
    plan = catalog.plan(PLAN_ID)
    [(district, _)] = _edges_into(catalog, "XA_ANH_SON")
    history = _frame(
        [
            ("SO_LDTBXH", "2025-02", "TT01", 3.0, 5.0),
            (district, "2025-06", "TT01", 4.0, 20.0),
            ("CA_TINH", "2025-06", "TT01", 1.0, 6.0),
        ]
    )
    march = history_context(history, catalog, plan, MARCH_2025)
    assert march.previous_cumulative[("SO_NV", "TT01")] == 5.0
    assert march.previous_cumulative[("SO_YT", "TT01")] == 5.0
    july = history_context(history, catalog, plan, Period.month(2025, 7))
    assert ("XA_ANH_SON", "TT01") not in july.previous_cumulative
    assert july.previous_cumulative[("CA_TINH", "TT01")] == 6.0
    assert july.previous_cumulative[(district, "TT01")] == 20.0


def test_summary_by_unit_rows_name_the_predecessors(catalog: Catalog) -> None:
    plan = catalog.plan(PLAN_ID)
    registry = catalog.registry(plan)
    [(district, share)] = _edges_into(catalog, "XA_ANH_SON")
    values = _frame(
        [
            ("XA_ANH_SON", "2026-03", "TT01", 2.0, 6.0),
            ("XA_ANH_SON", "2026-02", "TT01", 1.0, 4.0),
            (district, "2025-03", "TT01", 10.0, 30.0),
        ]
    )
    units = [registry.units["XA_ANH_SON"]]
    table = by_unit_comparisons(values, catalog, plan, MARCH_2026, units, {}, change)
    row = table[(table["unit_code"] == "XA_ANH_SON") & (table["code"] == "TT01")].iloc[0]
    assert (row["period"], row["previous"]) == (2.0, 1.0)
    assert row["last_year"] == pytest.approx(10.0 * share)
    assert row["note"].startswith("số liệu cùng kỳ của các đơn vị tiền thân: Ủy ban nhân dân")
    assert "kỳ trước" not in row["note"]  # the previous month is the commune's own
