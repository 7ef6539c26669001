"""Targets measured on a span and interagency reconciliation (issue 18.4, 18.5): pure functions
on hand-made figures, and the catalog refusing a wrong rule of schemas/review.yaml."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from pcmbn.catalog import load_catalog
from pcmbn.domain import Unit
from pcmbn.errors import CatalogError
from pcmbn.periods import Period
from pcmbn.reconciliation import reconcile, windows
from pcmbn.settings import PROJECT_ROOT
from pcmbn.targets import span_figures, target_table

PLAN = "NA-KH-PCMBN-2026"
SCHEMAS = PROJECT_ROOT / "schemas"


@pytest.fixture(scope="module")
def catalog():  # noqa: ANN201
    return load_catalog(SCHEMAS)


def _units(catalog) -> dict[str, Unit]:  # noqa: ANN001
    return catalog.registry(catalog.plan(PLAN)).units


def test_targets_value_threshold_verdict_and_sources(catalog) -> None:  # noqa: ANN001
    plan = catalog.plan(PLAN)
    figures = {
        "CA_TINH": {"TG01": 30, "TG02": 30, "TG03": 25, "DT03": 4, "DT06": 4},
        "BP_TINH": {"TG01": 10, "TG02": 9, "TG03": 12},
        # a commune's figure of a police indicator is not counted (kinds: CA, BP)
        "XA_MY_LY": {"TG01": 1000},
        "VKS_TINH": {"TX01": 0, "TX03": 0},
    }
    table = target_table(plan, catalog, figures, _units(catalog)).set_index("target_id")
    first = table.loc["tiep_nhan_phan_loai"]
    assert (first["numerator"], first["denominator"]) == (39, 40)
    assert first["value_text"] == "97,5%" and first["threshold_text"] == "đạt từ 100%"
    assert first["verdict"] == "Chưa đạt" and first["met"] is False
    assert first["units"] == "BP_TINH, CA_TINH"
    resolved = table.loc["giai_quyet_to_giac"]
    assert resolved["value_text"] == "92,5%" and resolved["verdict"] == "Đạt"
    assert table.loc["dieu_tra", "verdict"] == "Đạt"
    assert table.loc["truy_to", "verdict"] == "Không phát sinh"  # 0 / 0: nothing to measure
    court = table.loc["xet_xu"]  # the court sent nothing
    assert court["verdict"] == "Chưa có số liệu" and court["met"] is None
    assert pd.isna(court["value"]) and pd.isna(court["value_text"])


def test_span_figures_sum_flows_and_take_the_last_stock(catalog) -> None:  # noqa: ANN001
    values = pd.DataFrame(
        [
            ("CA_TINH", "DT03", "2026-01", 2.0),
            ("CA_TINH", "DT03", "2026-02", 1.0),
            ("CA_TINH", "MH01", "2026-01", 5.0),
            ("CA_TINH", "MH01", "2026-02", 6.0),
            ("CA_TINH", "DT03", "2026-03", 9.0),  # outside the span asked for
            ("BP_TINH", "DT03", "2026-01", None),  # blank is no data, not 0
        ],
        columns=["unit_code", "indicator", "period", "period_value"],
    )
    figures = span_figures(values, catalog, ["2026-01", "2026-02"])
    assert figures == {"CA_TINH": {"DT03": 3.0, "MH01": 6.0}}


def test_reconciliation_names_the_gap_the_units_and_the_lag(catalog) -> None:  # noqa: ANN001
    plan = catalog.plan(PLAN)
    period = Period.month(2026, 5)
    monthly = {
        "2026-02": {"CA_TINH": {"DT03": 1}},
        "2026-05": {"VKS_TINH": {"TX01": 3, "TX02": 3}, "TA_TINH": {"XX01": 1}},
    }

    def figures_of(months: list[Period]) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for month in months:
            for unit, by_code in monthly.get(month.code, {}).items():
                for code, value in by_code.items():
                    out.setdefault(unit, {})[code] = out.get(unit, {}).get(code, 0) + value
        return out

    expected = catalog.expected_units(plan, period)
    table = reconcile(catalog, plan, period, figures_of, _units(catalog), expected)
    row = table[(table["rule_id"] == "truy_to_khoi_to") & (table["scope"] == "period")].iloc[0]
    assert (row["left_value"], row["right_value"], row["difference"]) == (3, 1, 2)
    assert row["verdict"] == "Chênh lệch — cần đối chiếu"
    assert row["right_months"] == "T1/2026 – T5/2026"  # 6 months of lag, clipped at the plan
    assert "vượt" in row["note"] and "Công an tỉnh" in row["note"]
    assert "trước kỳ kế hoạch" in row["note"]
    assert "Viện Kiểm sát nhân dân tỉnh (VKS_TINH)" in row["left_units"]
    assert "Bộ Chỉ huy Bộ đội Biên phòng tỉnh (BP_TINH) — chưa có số liệu" in row["right_units"]
    tried = table[(table["rule_id"] == "xet_xu_truy_to") & (table["scope"] == "period")].iloc[0]
    assert tried["verdict"] == "Khớp" and tried["difference"] == -2
    none = table[table["rule_id"] == "thu_ly_truy_to"].iloc[0]
    assert none["verdict"] == "Chưa có số liệu"


def test_windows_extend_the_right_side_by_the_lag() -> None:
    plan = load_catalog(SCHEMAS).plan(PLAN)
    scopes = windows(plan, Period.month(2026, 9), 3)
    left, right, clipped = scopes["period"]
    assert [m.code for m in left] == ["2026-09"]
    assert [m.code for m in right] == ["2026-06", "2026-07", "2026-08", "2026-09"]
    assert not clipped
    left, right, clipped = scopes["cumulative"]
    assert left[0].code == "2026-01" and right[0].code == "2026-01" and clipped


def test_seed_plans_reconcile_only_indicators_they_have(catalog) -> None:  # noqa: ANN001
    from pcmbn.reconciliation import rules_in_force

    plan = catalog.plan("NA-276-KH-UBND-2021")
    ids = {r.id for r in rules_in_force(catalog, plan, [Period.month(2021, 7)])}
    assert ids == {"truy_to_khoi_to", "bi_can_truy_to", "xet_xu_truy_to", "bi_cao_bi_can"}
    national = catalog.plan("QG-KH-PCMBN-2026")  # provinces only: no procuracy to compare
    assert rules_in_force(catalog, national, [Period.month(2026, 7)]) == []


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, root)
    return root


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (lambda r: r["left"].update(indicator="ZZ99"), 'không có chỉ tiêu "ZZ99"'),
        (lambda r: r["right"].update(kinds=["QQ"]), "loại đơn vị QQ"),
        (lambda r: r["left"].update(kinds=["XA"]), "không áp dụng cho loại đơn vị"),
        (lambda r: r.update(relation="!="), 'trường "relation"'),
        (lambda r: r.update(lag_months=-1), 'trường "lag_months"'),
    ],
)
def test_a_wrong_reconciliation_rule_names_the_file_and_rule(
    tmp_path: Path,
    edit,
    fragment: str,  # noqa: ANN001
) -> None:
    root = _copy(tmp_path)
    path = root / "review.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data["reconciliation"]["rules"][1])
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(root)
    assert "review.yaml" in str(info.value) and fragment in str(info.value), str(info.value)
    assert "truy_to_khoi_to" in str(info.value)


def test_every_unit_of_the_national_registry_is_a_province() -> None:
    catalog = load_catalog(SCHEMAS)
    units = catalog.registry(catalog.plan("QG-KH-PCMBN-2026")).units
    assert len(units) == 34  # NQ 202/2025/QH15: 34 provinces and cities from 01/07/2025
    assert all(u.kind == "TINH" and u.valid_from == date(2025, 7, 1) for u in units.values())
    provinces = {u.extra["province"] for u in units.values()}
    assert {"Nghệ An", "Cần Thơ"} <= provinces
    # a province reports every indicator upward
    assert all(ind.applies("TINH") for ind in catalog.indicators.values())


def test_packet_targets_trace_each_number_to_its_sources(catalog) -> None:  # noqa: ANN001
    from pcmbn.packet.targets import packet_targets

    span = pd.DataFrame(
        [
            ("CA_TINH", "TG01", "2026-01", 10.0, 1),
            ("CA_TINH", "TG03", "2026-01", 8.0, 2),
            ("CA_TINH", "TG01", "2026-02", 10.0, 3),
            ("CA_TINH", "TG03", "2026-02", 10.0, 4),
            ("XA_MY_LY", "TG01", "2026-02", 5.0, 5),  # not a counted kind
        ],
        columns=["unit_code", "indicator", "period", "period_value", "source_id"],
    )
    refs: dict[str, list[int]] = {}
    table = packet_targets(span, catalog, catalog.plan(PLAN), _units(catalog), refs)
    row = table.set_index("target_id").loc["giai_quyet_to_giac"]
    assert (row["numerator"], row["denominator"], row["value_text"]) == (18, 20, "90,0%")
    assert row["verdict"] == "Đạt"
    assert refs["chi_tieu/giai_quyet_to_giac/TG01"] == [1, 3]
    assert refs["chi_tieu/giai_quyet_to_giac/TG03"] == [2, 4]


def test_span_figures_match_a_group_by_group_sum_in_value_and_order(catalog) -> None:  # noqa: ANN001
    """The vectorised grouping gives, float for float and in the same order, what summing each
    (unit, indicator) group of pandas' `groupby(sort=False)` gives: rows shuffled, decimals,
    blanks, a stock taken from its latest month."""
    rng = np.random.default_rng(7)
    codes = ["DT03", "MH01", "DT01", "KP01"]
    rows = [
        (f"U{u:03d}", code, f"2026-{m:02d}", float(rng.integers(0, 50)) / 10)
        for u in range(60)
        for code in codes
        for m in range(1, 13)
    ]
    values = pd.DataFrame(rows, columns=["unit_code", "indicator", "period", "period_value"])
    values = values.sample(frac=1.0, random_state=3).reset_index(drop=True)
    values.loc[values.index[:40], "period_value"] = np.nan
    months = [f"2026-{m:02d}" for m in range(1, 10)]
    kept = values[values["period"].isin(months) & values["period_value"].notna()]
    expected: dict[str, dict[str, float]] = {}
    for (unit, code), group in kept.groupby(["unit_code", "indicator"], sort=False):
        if code == "MH01":  # aggregation: last
            figure = float(group.sort_values("period")["period_value"].iloc[-1])
        else:
            figure = float(group["period_value"].sum())
        expected.setdefault(str(unit), {})[str(code)] = figure
    figures = span_figures(values, catalog, months)
    assert figures == expected
    assert list(figures) == list(expected)
    assert all(list(figures[u]) == list(expected[u]) for u in expected)
