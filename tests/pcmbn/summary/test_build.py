"""`pcmbn.summary.build` from a small history store filled here (no flow, no Excel).

The store holds, for plan ST-KH-30-7-2024 (units of Sóc Trăng):

- July 2024 (the summary's month): CA_TINH twice (a first file, superseded by a correction),
  BP_TINH, UBND_TP_SOC_TRANG (a local government), SO_TTTT rejected, SO_TP nothing;
- June 2024 (previous month) and July 2023 (same month last year) for the comparisons.

Every expected number below is worked out from those rows in the comment beside it.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from pcmbn.catalog import Catalog, load_catalog
from pcmbn.clock import OFFICE_TZ
from pcmbn.domain import Plan
from pcmbn.monthly import completeness
from pcmbn.periods import Period
from pcmbn.store.history import HistoryStore, RunRecord, SubmissionRecord
from pcmbn.summary.build import build_summary_data, change, task_progress
from pcmbn.summary.model import (
    BY_GROUP_COLUMNS,
    BY_INDICATOR_COLUMNS,
    COMPLETENESS_COLUMNS,
    SOURCES_COLUMNS,
    TASKS_COLUMNS,
    TREND_COLUMNS,
    SummaryData,
)

PLAN = "ST-KH-30-7-2024"
JULY = Period.month(2024, 7)
EXPECTED = ["CA_TINH", "BP_TINH", "SO_TTTT", "UBND_TP_SOC_TRANG", "SO_TP"]
GENERATED = datetime(2024, 7, 20, 8, 0, tzinfo=OFFICE_TZ)
# The group labels and key indicators are catalog data (unit_kinds.yaml, summary.yaml).
GROUP_LABELS = load_catalog().groups
KEY_INDICATORS = load_catalog().summary.key_indicators
PROVINCE, LOCAL = GROUP_LABELS["province_department"], GROUP_LABELS["local_government"]


def _submission(
    key: str,
    unit: str,
    period: str,
    received: datetime,
    values: dict[str, tuple[float | None, float | None]],
    *,
    status: str = "accepted",
    tasks: dict[str, str] | None = None,
    narratives: dict[str, str | None] | None = None,
) -> SubmissionRecord:
    """Values written in rows 10, 11, … of ChiTieu (Kỳ này in E, Lũy kế in F)."""
    sha = key.ljust(64, "0")
    record = SubmissionRecord(
        sha256=sha,
        original_name=f"{key}.xlsx",
        received_at=received,
        archive_path=f"archive/{sha[:2]}/{sha}.xlsx",
        size=100,
        status=status,
        plan_id=PLAN,
        period=period,
        unit_code=unit,
    )
    for row, (code, (period_value, cumulative)) in enumerate(values.items(), start=10):
        record.values.append(
            {
                "indicator": code,
                "period_value": period_value,
                "cumulative": cumulative,
                "sheet": "ChiTieu",
                "period_cell": f"E{row}",
                "cumulative_cell": f"F{row}",
            }
        )
    for row, (code, text) in enumerate((tasks or {}).items(), start=5):
        record.tasks.append(
            {
                "task_code": code,
                "status": text,
                "result": None,
                "difficulty": None,
                "cell": f"C{row}",
            }
        )
    for kind, text in (narratives or {}).items():
        record.narratives.append({"kind": kind, "text": text, "sheet": "KienNghi", "cell": "A3"})
    return record


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 9, 0, tzinfo=OFFICE_TZ)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def plan(catalog: Catalog) -> Plan:
    return catalog.plan(PLAN)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> HistoryStore:
    store = HistoryStore(tmp_path_factory.mktemp("summary") / "history.duckdb")
    july = [
        _submission("ca1", "CA_TINH", "2024-07", at(2024, 7, 10), {"DT01": (1, 5)}),
        _submission(
            "ca2",  # the correction: newest accepted, so current
            "CA_TINH",
            "2024-07",
            at(2024, 7, 16),
            {
                "DT01": (3, 9),
                "NN01": (2, 6),
                "TT01": (4, 20),
                "MH01": (2, 2),
                "TT05": (7, 7),  # TT05 is for TTTT only: never summed for the police
            },
            tasks={"1": "Đang triển khai", "2": "Hoàn thành"},
            narratives={"difficulties": "Thiếu kinh phí.", "proposals": None},
        ),
        _submission(
            "bp",
            "BP_TINH",
            "2024-07",
            at(2024, 7, 15),
            {"DT01": (1, 4), "TT01": (6, 10), "MH01": (3, 3), "NN04": (None, None)},
            tasks={"1": "Chưa triển khai"},
        ),
        _submission(
            "ubnd",
            "UBND_TP_SOC_TRANG",
            "2024-07",
            at(2024, 7, 19),
            {"TT01": (5, 15), "NN01": (1, 1)},
            narratives={"proposals": "Tập huấn thêm."},
        ),
        _submission(
            "tttt",
            "SO_TTTT",
            "2024-07",
            at(2024, 7, 12),
            {"TT05": (100, 100), "TT01": (50, 50)},
            status="rejected",
            tasks={"5": "Hoàn thành"},
            narratives={"difficulties": "Bị từ chối, không được tính."},
        ),
    ]
    earlier = [
        _submission(
            "ca_jun",
            "CA_TINH",
            "2024-06",
            at(2024, 6, 16),
            {"DT01": (2, 6), "TT01": (4, 16)},
            tasks={"2": "Đang triển khai"},
        ),
        _submission("bp_jun", "BP_TINH", "2024-06", at(2024, 6, 16), {"DT01": (0, 3)}),
        _submission(
            "ubnd_jun",
            "UBND_TP_SOC_TRANG",
            "2024-06",
            at(2024, 6, 17),
            {"TT01": (2, 10)},
            tasks={"15": "Hoàn thành"},  # not repeated in July: the June status still holds
        ),
        _submission("ca_2023", "CA_TINH", "2023-07", at(2023, 7, 16), {"DT01": (4, 30)}),
        _submission("ca_jan", "CA_TINH", "2024-01", at(2024, 1, 16), {"DT01": (6, 6)}),
    ]
    store.record_run(RunRecord("earlier", PLAN, "2024-06", None, at(2024, 6, 20), earlier))
    store.record_run(RunRecord("july", PLAN, "2024-07", None, at(2024, 7, 20), july))
    return store


@pytest.fixture(scope="module")
def summary(store: HistoryStore, catalog: Catalog, plan: Plan) -> SummaryData:
    units = catalog.registry(plan).units
    expected = [units[code] for code in EXPECTED]
    table = completeness(expected, store.submissions(PLAN, JULY.code), plan, JULY)
    return build_summary_data(store, catalog, plan, JULY, table, GENERATED)


def _by(frame: pd.DataFrame, **where: object) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        mask &= frame[column] == value
    found = frame[mask]
    assert len(found) == 1, where
    return found.iloc[0]


def _same(actual: float, expected: float) -> bool:
    return (math.isnan(actual) and math.isnan(expected)) or actual == pytest.approx(expected)


def test_tables_have_the_contracts_columns(summary: SummaryData, catalog: Catalog) -> None:
    assert tuple(summary.by_indicator.columns) == BY_INDICATOR_COLUMNS
    assert tuple(summary.by_group.columns) == BY_GROUP_COLUMNS
    assert tuple(summary.completeness.columns) == COMPLETENESS_COLUMNS
    assert tuple(summary.tasks.columns) == TASKS_COLUMNS
    assert tuple(summary.trend.columns) == TREND_COLUMNS
    assert tuple(summary.sources.columns) == SOURCES_COLUMNS
    assert summary.by_indicator["code"].tolist() == list(_shown(catalog, summary.plan))
    assert (summary.plan.id, summary.period, summary.generated_at) == (PLAN, JULY, GENERATED)


@pytest.mark.parametrize(
    ("code", "period", "cumulative", "previous", "last_year", "change_prev", "change_year"),
    [
        # CA current 3 (not the superseded 1) + BP 1; June CA 2 + BP 0; July 2023 CA 4.
        ("DT01", 3 + 1, 9 + 4, 2 + 0, 4, (4 - 2) / 2, 0.0),
        # CA 4 + BP 6 + UBND 5 (SO_TTTT's 50 was rejected); June CA 4 + UBND 2; no 2023 figure.
        ("TT01", 4 + 6 + 5, 20 + 10 + 15, 4 + 2, math.nan, (15 - 6) / 6, math.nan),
        # Stock (aggregation `last`): each unit's current count, summed across units.
        ("MH01", 2 + 3, 2 + 3, math.nan, math.nan, math.nan, math.nan),
        ("NN01", 2 + 1, 6 + 1, math.nan, math.nan, math.nan, math.nan),
        # Only CA (not applicable) and the rejected SO_TTTT wrote TT05: no number at all.
        ("TT05", math.nan, math.nan, math.nan, math.nan, math.nan, math.nan),
        # BP left NN04 blank: no data, not zero.
        ("NN04", math.nan, math.nan, math.nan, math.nan, math.nan, math.nan),
    ],
)
def test_by_indicator_totals_and_comparisons(
    summary: SummaryData,
    code: str,
    period: float,
    cumulative: float,
    previous: float,
    last_year: float,
    change_prev: float,
    change_year: float,
) -> None:
    row = _by(summary.by_indicator, code=code)
    actual = (
        row["period"],
        row["cumulative"],
        row["previous"],
        row["last_year"],
        row["change_prev_pct"],
        row["change_year_pct"],
    )
    expected = (period, cumulative, previous, last_year, change_prev, change_year)
    assert all(_same(a, e) for a, e in zip(actual, expected, strict=True)), (actual, expected)


@pytest.mark.parametrize(
    ("this", "before", "expected"),
    [
        (5.0, 4.0, 0.25),
        (2.0, 4.0, -0.5),
        (3.0, 3.0, 0.0),
        (3.0, 0.0, math.nan),  # no base to compare with
        (math.nan, 4.0, math.nan),
        (4.0, math.nan, math.nan),
    ],
)
def test_change_is_a_fraction_or_nan(this: float, before: float, expected: float) -> None:
    assert _same(change(this, before), expected)


@pytest.mark.parametrize(
    ("code", "group", "period", "cumulative"),
    [
        ("TT01", PROVINCE, 4 + 6, 20 + 10),
        ("TT01", LOCAL, 5, 15),
        ("NN01", PROVINCE, 2, 6),
        ("NN01", LOCAL, 1, 1),
        ("DT01", LOCAL, math.nan, math.nan),  # no local government reports DT01
    ],
)
def test_by_group_splits_province_departments_and_local_governments(
    summary: SummaryData, code: str, group: str, period: float, cumulative: float
) -> None:
    row = _by(summary.by_group, code=code, group_label=group)
    assert _same(row["period"], period) and _same(row["cumulative"], cumulative)


def test_matrix_is_indicators_by_expected_units(summary: SummaryData, catalog: Catalog) -> None:
    matrix = summary.matrix
    assert list(matrix.index) == list(_shown(catalog, summary.plan))
    assert list(matrix.columns) == EXPECTED
    assert summary.units["unit_code"].tolist() == EXPECTED
    assert matrix.loc["DT01", "CA_TINH"] == 3  # the correction, not the first file
    assert matrix.loc["TT01", "UBND_TP_SOC_TRANG"] == 5
    assert math.isnan(matrix.loc["TT05", "CA_TINH"])  # not applicable
    assert matrix["SO_TTTT"].isna().all()  # rejected
    assert matrix["SO_TP"].isna().all()  # sent nothing
    assert dict(zip(summary.units["unit_code"], summary.units["group_label"], strict=True)) == {
        "CA_TINH": PROVINCE,
        "BP_TINH": PROVINCE,
        "SO_TTTT": PROVINCE,
        "UBND_TP_SOC_TRANG": LOCAL,
        "SO_TP": PROVINCE,
    }


def test_completeness_gets_group_labels_and_names_the_missing(summary: SummaryData) -> None:
    table = summary.completeness
    # Due 17 July: CA's correction (16th) and BP (15th) are on time, UBND (19th) is late.
    assert dict(zip(table["unit_code"], table["status"], strict=True)) == {
        "CA_TINH": "on_time",
        "BP_TINH": "on_time",
        "SO_TTTT": "rejected",
        "UBND_TP_SOC_TRANG": "late",
        "SO_TP": "missing",
    }
    assert _by(table, unit_code="UBND_TP_SOC_TRANG")["group_label"] == LOCAL
    assert _by(table, unit_code="CA_TINH")["file_name"] == "ca2.xlsx"
    assert summary.missing_units == ["SO_TTTT", "SO_TP"]


def test_sources_trace_every_summed_value_to_its_cell(summary: SummaryData) -> None:
    sources = summary.sources
    # Current, applicable July values: CA 4 (TT05 dropped), BP 4, UBND 2 → 10 values × 2 columns.
    assert len(sources) == (4 + 4 + 2) * 2
    assert set(sources["sha256"].str[:4]) == {"ca20", "bp00", "ubnd"}
    ca = sources[(sources["unit_code"] == "CA_TINH") & (sources["code"] == "DT01")]
    assert sorted(zip(ca["column"], ca["value"], ca["cell"], strict=True)) == [
        ("cumulative", 9.0, "F10"),
        ("period", 3.0, "E10"),
    ]
    assert set(ca["file_name"]) == {"ca2.xlsx"} and set(ca["sheet"]) == {"ChiTieu"}
    assert ca["archive_path"].iloc[0].endswith(ca["sha256"].iloc[0] + ".xlsx")
    # The sources add up to the table: a reader of `Nguon` can redo every total.
    for code in ("DT01", "TT01", "MH01"):
        period = sources[(sources["code"] == code) & (sources["column"] == "period")]
        assert period["value"].sum() == _by(summary.by_indicator, code=code)["period"]


def test_trend_has_every_month_of_the_year_so_far(summary: SummaryData, catalog: Catalog) -> None:
    trend = summary.trend
    months = [f"2024-{m:02d}" for m in range(1, 8)]
    codes = [c for c in KEY_INDICATORS if c in catalog.indicators]
    assert list(zip(trend["month"], trend["code"], strict=True)) == [
        (m, c) for m in months for c in codes
    ]
    dt01 = trend[trend["code"] == "DT01"].set_index("month")["total"]
    assert (dt01["2024-01"], dt01["2024-06"], dt01["2024-07"]) == (6, 2 + 0, 3 + 1)
    assert dt01[["2024-02", "2024-03", "2024-04", "2024-05"]].isna().all()
    assert _by(trend, month="2024-07", code="DT01")["month_label"] == "T7/2024"


def test_trend_draws_no_month_before_the_plan_began(
    store: HistoryStore, catalog: Catalog, plan: Plan
) -> None:
    """Issue 12, item 18: a plan that began in May shows May–July, not six empty months."""
    from pcmbn.domain import Span

    late_start = plan.model_copy(
        update={"span": Span(start=Period.month(2024, 5), end=Period.month(2024, 12))}
    )
    units = catalog.registry(late_start).units
    expected = [units[code] for code in EXPECTED]
    table = completeness(expected, store.submissions(PLAN, JULY.code), late_start, JULY)
    data = build_summary_data(store, catalog, late_start, JULY, table, GENERATED)
    assert list(dict.fromkeys(data.trend["month"])) == ["2024-05", "2024-06", "2024-07"]


def test_tasks_are_plan_tasks_times_assigned_units_with_latest_status(
    summary: SummaryData, plan: Plan, catalog: Catalog
) -> None:
    tasks = summary.tasks
    units = catalog.registry(plan).units
    expected_pairs = [
        (task.code, code)
        for task in plan.tasks
        for code in EXPECTED
        if task.assigned_to(units[code].kind)
    ]
    assert list(zip(tasks["task_code"], tasks["unit_code"], strict=True)) == expected_pairs
    status = {
        (t, u): (None if pd.isna(s) else s, n)
        for t, u, s, n in zip(
            tasks["task_code"],
            tasks["unit_code"],
            tasks["status"],
            tasks["not_started"],
            strict=True,
        )
    }
    assert status[("1", "CA_TINH")] == ("Đang triển khai", False)
    assert status[("2", "CA_TINH")] == ("Hoàn thành", False)  # July's status replaces June's
    assert status[("1", "BP_TINH")] == ("Chưa triển khai", True)
    assert status[("15", "UBND_TP_SOC_TRANG")] == ("Hoàn thành", False)  # June's still holds
    assert status[("5", "SO_TTTT")] == (None, True)  # only a rejected file said it
    assert status[("6", "SO_TP")] == (None, True)


def test_task_progress_keeps_the_month_each_status_was_reported(
    store: HistoryStore, plan: Plan, catalog: Catalog
) -> None:
    units = catalog.registry(plan).units
    progress = task_progress(
        store, catalog, plan, JULY, [units["UBND_TP_SOC_TRANG"], units["CA_TINH"]]
    )
    assert _by(progress, task_code="15", unit_code="UBND_TP_SOC_TRANG")["period"] == "2024-06"
    assert _by(progress, task_code="2", unit_code="CA_TINH")["period"] == "2024-07"
    # Seen from June, CA's task 2 was still in progress.
    june = task_progress(store, catalog, plan, JULY.previous(), [units["CA_TINH"]])
    assert _by(june, task_code="2", unit_code="CA_TINH")["status"] == "Đang triển khai"


def test_narratives_only_from_current_accepted_files_with_text(summary: SummaryData) -> None:
    assert summary.narratives.to_dict("records") == [
        {
            "unit_code": "CA_TINH",
            "unit_name": "Công an tỉnh",
            "kind": "difficulties",
            "text": "Thiếu kinh phí.",
        },
        {
            "unit_code": "UBND_TP_SOC_TRANG",
            "unit_name": "Ủy ban nhân dân thành phố Sóc Trăng",
            "kind": "proposals",
            "text": "Tập huấn thêm.",
        },
    ]


def test_an_empty_store_gives_empty_tables_not_errors(
    tmp_path: Path, catalog: Catalog, plan: Plan
) -> None:
    store = HistoryStore(tmp_path / "empty.duckdb")
    units = catalog.registry(plan).units
    expected = [units["CA_TINH"]]
    table = completeness(expected, store.submissions(PLAN, JULY.code), plan, JULY)
    data = build_summary_data(store, catalog, plan, JULY, table, GENERATED)
    assert data.by_indicator[["period", "cumulative", "previous"]].isna().all().all()
    assert data.sources.empty and data.narratives.empty
    shown = _shown(catalog, plan)
    assert data.matrix.shape == (len(shown), 1) and data.matrix.isna().all().all()
    assert data.missing_units == ["CA_TINH"]
    assert data.trend["total"].isna().all()


def _shown(catalog: Catalog, plan: Plan) -> dict[str, object]:
    """The rows of a July 2024 summary: the indicators in force then, in catalog order."""
    return catalog.indicators_in_span([JULY], plan.reporting.cutoff)


def test_a_2024_summary_has_no_row_for_an_indicator_introduced_later(
    summary: SummaryData, catalog: Catalog
) -> None:
    later = [
        code
        for code, ind in catalog.indicators.items()
        if ind.valid_from is not None and ind.valid_from > date(2024, 12, 31)
    ]
    assert later, "the catalog has indicators introduced after 2024 (the 2026 programme)"
    assert not set(later) & set(summary.by_indicator["code"])
    assert not set(later) & set(summary.matrix.index)
