"""Two years across the 2025 reform (issue 18): January 2025 – June 2026, districts then communes.

The test-only plan of `reform_plan` joins the two Nghệ An registries. Every expected unit of
every month gets an accepted report recorded in the history store (two units deliberately send
nothing, one on each side of 01/07/2025); then the real status, summary and output code reads
it back. Checks:

- province totals are exact: the sum over the units of each period itself, never via lineage
  (Sở LĐTBXH's February 2025 figure is not counted again for Sở Nội vụ and Sở Y tế);
- a commune's "same period last year" is its district's figure times the commune's share,
  labelled "số liệu cùng kỳ của các đơn vị tiền thân: …" in the table and in the workbook;
- completeness and task assignments count the units of each period: districts until the
  15/06–14/07/2025 report, communes from it;
- the history rules take Sở Nội vụ's previous cumulative from Sở LĐTBXH (whole), never a
  commune's from its district (an estimate).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from reform_plan import PLAN_ID, reform_schemas

from pcmbn.catalog import Catalog
from pcmbn.clock import OFFICE_TZ
from pcmbn.domain import Plan
from pcmbn.periods import Period, data_window, months_between
from pcmbn.resources import Resources, resources_for
from pcmbn.service import period_status
from pcmbn.settings import Settings
from pcmbn.store.base import RunRecord, SubmissionRecord
from pcmbn.summary.build import build_summary_data
from pcmbn.validation.history import history_context, months_for_history
from tasks.outputs import write_outputs

#: Eighteen months of ~150 reports into DuckDB, then several summaries: about 7 s.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
MONTHS = months_between(Period.month(2025, 1), Period.month(2026, 6))
CODES = ("TT01", "NN01")  # key indicators of summary.yaml: TT01 every kind, NN01 some
#: One unit sends nothing in one month on each side of the reform.
SILENT = {("UBND_H_ANH_SON", "2025-05"), ("XA_YEN_XUAN", "2025-09")}
GENERATED = datetime(2026, 6, 20, 8, 0, tzinfo=OFFICE_TZ)


@dataclass
class Reform:
    resources: Resources
    settings: Settings
    catalog: Catalog
    plan: Plan
    #: What was recorded: (unit, period code, indicator) → (period value, cumulative).
    sent: dict[tuple[str, str, str], tuple[float, float]]


def _value(unit_no: int, month: Period, code: str) -> float:
    """Small counts, many zeros, different per unit, month and indicator."""
    return float((unit_no * 7 + month.index * 3 + len(code) + ord(code[1])) % 5)


@pytest.fixture(scope="module")
def reform(tmp_path_factory: pytest.TempPathFactory) -> Reform:
    base = tmp_path_factory.mktemp("reform")
    schemas = reform_schemas(ROOT, base)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PCMBN_SCHEMAS", str(schemas))
        env.setenv("PCMBN_HOME", str(base / "home"))
        env.delenv("PCMBN_STORE", raising=False)
        settings = Settings.from_env()
    resources = resources_for(settings)
    catalog = resources.catalog
    plan = catalog.plan(PLAN_ID)
    order = {code: i for i, code in enumerate(catalog.registry(plan).units)}
    sent: dict[tuple[str, str, str], tuple[float, float]] = {}
    for month in MONTHS:
        received = datetime.combine(
            data_window(month).end + timedelta(days=1), time(9, 0), tzinfo=OFFICE_TZ
        )
        records = []
        for unit in catalog.expected_units(plan, month):
            if (unit.code, month.code) in SILENT:
                continue
            sha = f"{unit.code}-{month.code}".encode().hex()[:64].ljust(64, "0")
            record = SubmissionRecord(
                sha256=sha,
                original_name=f"BaoCao_{unit.code}_{month.code}.xlsx",
                received_at=received,
                archive_path=f"archive/{sha[:2]}/{sha}.xlsx",
                size=100,
                status="accepted",
                plan_id=plan.id,
                period=month.code,
                unit_code=unit.code,
            )
            for row, code in enumerate(CODES, start=10):
                if not catalog.indicators[code].applies(unit.kind, month):
                    continue
                value = _value(order[unit.code], month, code)
                before = (
                    sent.get((unit.code, month.previous().code, code), (0.0, 0.0))[1]
                    if month.index > 1
                    else 0.0
                )
                sent[(unit.code, month.code, code)] = (value, before + value)
                record.values.append(
                    {
                        "indicator": code,
                        "period_value": value,
                        "cumulative": before + value,
                        "sheet": "ChiTieu",
                        "period_cell": f"E{row}",
                        "cumulative_cell": f"F{row}",
                    }
                )
            records.append(record)
        resources.store.record_run(
            RunRecord(f"run-{month.code}", plan.id, month.code, None, received, records)
        )
    return Reform(resources, settings, catalog, plan, sent)


def _summary(reform: Reform, month: Period):  # type: ignore[no-untyped-def]
    table = period_status(reform.resources, reform.plan, month).table
    return build_summary_data(
        reform.resources.store, reform.catalog, reform.plan, month, table, GENERATED
    )


def _exact_total(reform: Reform, month: Period, code: str) -> float:
    return sum(v for (_, p, c), (v, _) in reform.sent.items() if p == month.code and c == code)


def _row(frame: pd.DataFrame, **where: str) -> dict[str, object]:
    rows = frame
    for column, value in where.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1, where
    return rows.iloc[0].to_dict()


def test_province_totals_are_the_units_of_each_period_itself(reform: Reform) -> None:
    for month in (Period.month(2026, 2), Period.month(2025, 8), Period.month(2025, 6)):
        data = _summary(reform, month)
        for code in CODES:
            row = _row(data.by_indicator, code=code)
            assert row["period"] == _exact_total(reform, month, code), (month, code)
            assert row["previous"] == _exact_total(reform, month.previous(), code)
            year_ago = month.same_period_last_year()
            if year_ago in MONTHS:
                assert row["last_year"] == _exact_total(reform, year_ago, code), (month, code)
    # Through lineage, Sở LĐTBXH's February 2025 TT01 would count for Sở Nội vụ and Sở Y tế too.
    ldtbxh = reform.sent[("SO_LDTBXH", "2025-02", "TT01")][0]
    assert ldtbxh > 0


def test_a_communes_same_period_last_year_comes_from_its_district(
    reform: Reform, tmp_path: Path
) -> None:
    month = Period.month(2026, 2)
    data = _summary(reform, month)
    [edge] = [e for e in reform.catalog.successors if e.unit_to == "XA_ANH_SON"]
    district = reform.sent[(edge.unit_from, "2025-02", "TT01")][0]
    row = _row(data.by_unit, unit_code="XA_ANH_SON", code="TT01")
    assert row["period"] == reform.sent[("XA_ANH_SON", "2026-02", "TT01")][0]
    assert row["last_year"] == pytest.approx(district * edge.fraction)
    assert row["previous"] == reform.sent[("XA_ANH_SON", "2026-01", "TT01")][0]
    note = (
        "số liệu cùng kỳ của các đơn vị tiền thân: Ủy ban nhân dân huyện Anh Sơn "
        "(ước tính theo tỷ lệ phân chia)"
    )
    assert row["note"] == note
    # A whole successor: the full figure, no estimate; a continuing unit: its own, no note.
    nv = _row(data.by_unit, unit_code="SO_NV", code="TT01")
    assert nv["last_year"] == reform.sent[("SO_LDTBXH", "2025-02", "TT01")][0]
    assert nv["note"] == (
        "số liệu cùng kỳ của các đơn vị tiền thân: Sở Lao động - Thương binh và Xã hội"
    )
    ca = _row(data.by_unit, unit_code="CA_TINH", code="TT01")
    assert ca["last_year"] == reform.sent[("CA_TINH", "2025-02", "TT01")][0]
    assert ca["note"] == ""
    # The printed summary says so too (the real output task's body).
    table = period_status(reform.resources, reform.plan, month).table
    paths = write_outputs.fn(reform.settings, reform.plan.id, month, table, GENERATED)
    sheet = load_workbook(paths["summary"], read_only=True)["SoSanhDonVi"]
    texts = [str(c) for line in sheet.iter_rows(values_only=True) for c in line if c]
    assert note in texts
    exported = pd.read_csv(Path(paths["exports_dir"]) / "so_sanh_don_vi.csv", encoding="utf-8-sig")
    assert note in set(exported["note"])


def _levels(table: pd.DataFrame) -> dict[str, int]:
    return table.groupby("level").size().to_dict()


def test_completeness_counts_each_periods_own_units(reform: Reform) -> None:
    catalog, plan = reform.catalog, reform.plan
    may, june, july, august, sept = (Period.month(2025, m) for m in (5, 6, 7, 8, 9))
    before = period_status(reform.resources, plan, may).table
    assert _levels(before) == {"district": 20, "province_department": 13}
    assert set(before.loc[before["status"] == "missing", "unit_code"]) == {"UBND_H_ANH_SON"}
    assert _levels(period_status(reform.resources, plan, june).table) == {
        "district": 20,
        "province_department": 13,
    }
    # The 15/06–14/07/2025 report is owed by both: districts until 30/06, communes from 01/07.
    assert _levels(period_status(reform.resources, plan, july).table) == {
        "commune": 130,
        "district": 20,
        "province_department": 13,
    }
    assert _levels(period_status(reform.resources, plan, august).table) == {
        "commune": 130,
        "province_department": 13,
    }
    after = period_status(reform.resources, plan, sept).table
    assert set(after.loc[after["status"] == "missing", "unit_code"]) == {"XA_YEN_XUAN"}
    assert (after["status"] == "on_time").sum() == len(after) - 1
    # The summary's tasks follow the same units and the plan's assignments.
    tasks_june = _summary(reform, june).tasks
    tasks_august = _summary(reform, august).tasks
    assert tasks_june.groupby("task_code").size().to_dict() == {"1": 33, "2": 20}
    assert tasks_august.groupby("task_code").size().to_dict() == {"1": 143, "3": 130}
    assert all(
        catalog.registry(plan).get(c).kind == "XA"
        for c in tasks_august.query("task_code == '3'")["unit_code"]
    )


def test_history_rules_follow_exact_lineage_only(reform: Reform) -> None:
    store, catalog, plan = reform.resources.store, reform.catalog, reform.plan
    march = Period.month(2025, 3)
    context = history_context(
        store.current_values(plan.id, months_for_history(march)), catalog, plan, march
    )
    assert (
        context.previous_cumulative[("SO_NV", "TT01")]
        == (reform.sent[("SO_LDTBXH", "2025-02", "TT01")][1])
    )
    july = Period.month(2025, 7)
    context = history_context(
        store.current_values(plan.id, months_for_history(july)), catalog, plan, july
    )
    assert ("XA_ANH_SON", "TT01") not in context.previous_cumulative
    assert (
        context.previous_cumulative[("CA_TINH", "TT01")]
        == (reform.sent[("CA_TINH", "2025-06", "TT01")][1])
    )


def test_history_of_a_batch_is_the_whole_historys_for_its_units(reform: Reform) -> None:
    """Issue 15: a validation batch fetches its units' figures (and their predecessors') in one
    query; for those units the context equals the one built from the plan's whole history,
    lineage included (a new commune's district, a merged department's predecessor)."""
    from pcmbn.validation.history import read_history

    store, catalog, plan = reform.resources.store, reform.catalog, reform.plan
    for month in (Period.month(2025, 3), Period.month(2025, 7), Period.month(2025, 8)):
        whole = read_history(store, catalog, plan, month)
        codes = sorted(u.code for u in catalog.expected_units(plan, month))
        for start in range(0, len(codes), 3):
            part = set(codes[start : start + 3])
            batch = read_history(store, catalog, plan, month, part)

            def mine(figures: dict, part: set[str] = part) -> dict:
                return {k: v for k, v in figures.items() if k[0] in part}

            # (predecessors fetched for the lineage bring their own keys, which no file of the
            # batch looks up)
            assert mine(batch.previous_cumulative) == mine(whole.previous_cumulative)
            assert mine(batch.bounds) == mine(whole.bounds)
        assert whole.previous_cumulative
        assert whole.bounds or month.index == 3  # (March: too few months for bounds)
    assert read_history(store, catalog, plan, Period.month(2025, 7), []).bounds == {}
