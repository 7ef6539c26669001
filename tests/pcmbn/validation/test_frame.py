"""`pcmbn.validation.frame` without Great Expectations: the rows per kind and their contexts.

The rules only ever see the frame, and a failed row is only ever mapped back through its
`RowContext`; so each test here builds submissions from small fixture workbooks (one quirk
each, `report_fixtures`) and asserts what the frame says about them and where it points.
`valid_content` fills integer indicators with 4 (period) and 12 (cumulative).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from report_fixtures import PERIOD, PLAN, Fixture, row_of, set_info, set_value, write_fixture

from pcmbn.catalog import Catalog, load_catalog
from pcmbn.reading.guard import Limits, Refused
from pcmbn.sheet_grid import Grid
from pcmbn.validation.frame import FAR_FUTURE, RowContext, build_frame
from pcmbn.validation.history import HistoryContext
from pcmbn.validation.submission import Submission, load_submission

Frame = tuple[pd.DataFrame, list[RowContext]]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("frame")


def load(fx: Fixture, folder: Path, catalog: Catalog, index: int = 0) -> Submission:
    return load_submission(index, write_fixture(fx, folder, catalog), catalog, Limits())


@pytest.fixture(scope="module")
def ordinary(folder: Path, catalog: Catalog) -> Submission:
    return load(Fixture("ordinary"), folder, catalog)


@pytest.fixture(scope="module")
def ordinary_frame(ordinary: Submission, catalog: Catalog) -> Frame:
    return build_frame([ordinary], catalog)


def rows(frame: pd.DataFrame, **where: object) -> pd.DataFrame:
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        mask &= frame[column] == value
    return frame[mask]


def one(frame: pd.DataFrame, **where: object) -> pd.Series:
    found = rows(frame, **where)
    assert len(found) == 1, (where, len(found))
    return found.iloc[0]


def indicator_cells(sub: Submission, code: str) -> tuple[str, str, str]:
    """(code cell, Kỳ này cell, Lũy kế cell) as the reader found them."""
    assert sub.records is not None
    row = next(r for r in sub.records.indicators if r.code == code)
    return row.code_cell, str(row.period.cell), str(row.cumulative.cell)


# --- shape ----------------------------------------------------------------------------------


def test_row_ids_index_the_contexts_and_dtypes_are_fixed(ordinary_frame: Frame) -> None:
    frame, contexts = ordinary_frame
    assert list(frame["row_id"]) == list(range(len(frame))) == list(range(len(contexts)))
    assert {c.file_index for c in contexts} == {0} == set(frame["file_idx"])
    for column in ("value", "parent_value", "period_value", "unit_from", "plan_end"):
        assert frame[column].dtype == "float64", column
    for column in ("present", "blank", "applicable", "plan_known"):
        assert str(frame[column].dtype) == "boolean", column


def test_rows_per_kind_follow_the_catalog(
    ordinary: Submission, ordinary_frame: Frame, catalog: Catalog
) -> None:
    frame, _ = ordinary_frame
    assert ordinary.records is not None and ordinary.plan is not None and ordinary.unit
    n_indicators = len(ordinary.records.indicators)
    counts = frame["kind"].value_counts().to_dict()
    assert counts == {
        "structure": 4,  # one per required sheet, no missing column
        "info": len(catalog.template.info_fields),
        "indicator": n_indicators,
        "value": 2 * n_indicators,  # Kỳ này and Lũy kế
        "task": len(ordinary.plan.tasks_for(ordinary.unit.kind)),
    }
    # The template writes every indicator in force for its period, applicable or not.
    in_force = catalog.indicators_in_force(ordinary.period, ordinary.plan.reporting.cutoff)
    assert set(rows(frame, kind="indicator")["code"]) == {ind.code for ind in in_force}


# --- structure ------------------------------------------------------------------------------


def test_structure_rows_name_each_required_sheet(ordinary_frame: Frame, catalog: Catalog) -> None:
    frame, contexts = ordinary_frame
    structure = rows(frame, kind="structure")
    assert structure["present"].tolist() == [True] * 4
    sheets = catalog.template.sheets
    expected = [sheets.info, sheets.indicators, sheets.tasks, sheets.narrative]
    assert [contexts[i].params["sheet"] for i in structure["row_id"]] == expected
    assert all(contexts[i].sheet is None and contexts[i].cell is None for i in structure["row_id"])


def _drop_task_sheet(grid: Grid) -> None:
    del grid["NhiemVu"]


def _rename_period_header(grid: Grid) -> None:
    sheet = grid["ChiTieu"]
    sheet.rows = [["Số" if v == "Kỳ này" else v for v in row] for row in sheet.rows]


def test_a_missing_sheet_is_a_structure_row_not_present(folder: Path, catalog: Catalog) -> None:
    sub = load(Fixture("no_tasks", grid_edit=_drop_task_sheet), folder, catalog)
    frame, contexts = build_frame([sub], catalog)
    sheet_rows = rows(frame, kind="structure", key="sheet")
    absent = sheet_rows[sheet_rows["present"] == False]  # noqa: E712 - nullable boolean
    assert [contexts[i].params["sheet"] for i in absent["row_id"]] == ["NhiemVu"]
    assert rows(frame, kind="task").empty
    assert len(rows(frame, kind="indicator")) > 0  # the other sheets are still read


def test_a_missing_column_is_a_structure_row_and_no_value_rows(
    folder: Path, catalog: Catalog
) -> None:
    sub = load(Fixture("no_period_column", grid_edit=_rename_period_header), folder, catalog)
    frame, contexts = build_frame([sub], catalog)
    column = one(frame, kind="structure", key="column")
    assert not column["present"]
    context = contexts[column["row_id"]]
    assert (context.sheet, context.cell) == ("ChiTieu", None)
    assert context.params == {"sheet": "ChiTieu", "column": "Kỳ này"}
    # Without a readable table, "missing row" would only repeat the missing column.
    assert rows(frame, kind="value").empty and rows(frame, kind="indicator").empty


# --- info -----------------------------------------------------------------------------------


def test_info_rows_point_at_the_cells_read(
    ordinary: Submission, ordinary_frame: Frame, catalog: Catalog
) -> None:
    frame, contexts = ordinary_frame
    info = rows(frame, kind="info")
    assert info["key"].tolist() == [f.key for f in catalog.template.info_fields]
    assert ordinary.records is not None
    for row_id, key in zip(info["row_id"], info["key"], strict=True):
        cell = ordinary.records.info[key]
        context = contexts[row_id]
        assert (context.sheet, context.cell) == (cell.sheet, cell.cell), key
        assert context.params["cell"] == f"{cell.sheet}!{cell.cell}"
    unit = one(frame, kind="info", key="unit_code")
    assert unit["text"] == "CA_TINH" and not unit["blank"] and unit["required"]
    assert unit["plan_unit"] == f"{PLAN}|CA_TINH"
    # `valid_content` leaves the phone blank; it is optional.
    phone = one(frame, kind="info", key="phone")
    assert phone["blank"] and not phone["required"]


def test_unit_row_carries_validity_and_data_window_as_ordinals(
    ordinary_frame: Frame, catalog: Catalog
) -> None:
    frame, contexts = ordinary_frame
    unit = catalog.registry(catalog.plan(PLAN)).units["CA_TINH"]
    row = one(frame, kind="info", key="unit_code")
    assert row["unit_from"] == unit.valid_from.toordinal()
    assert unit.valid_to is not None and row["unit_to"] == unit.valid_to.toordinal()
    # ND 09/2019: the July report covers 15 June – 14 July.
    assert row["window_start"] == date(2024, 6, 15).toordinal()
    assert row["window_end"] == date(2024, 7, 14).toordinal()
    assert row["window_start"] >= row["unit_from"] and row["window_end"] <= row["unit_to"]
    assert contexts[row["row_id"]].params["valid"] == "01/01/2020 – 30/06/2025"


def test_unit_without_end_date_is_valid_far_into_the_future(
    ordinary: Submission, catalog: Catalog
) -> None:
    assert ordinary.unit is not None
    open_ended = replace(ordinary, unit=ordinary.unit.model_copy(update={"valid_to": None}))
    frame, contexts = build_frame([open_ended], catalog)
    row = one(frame, kind="info", key="unit_code")
    assert row["unit_to"] == FAR_FUTURE
    assert contexts[row["row_id"]].params["valid"] == "01/01/2020 – nay"


def test_period_row_compares_months_with_the_plan_span(ordinary_frame: Frame) -> None:
    frame, contexts = ordinary_frame
    row = one(frame, kind="info", key="period")
    # Months as year * 12 + month: July 2024 inside the plan's January – December 2024.
    assert row["period_first"] == row["period_last"] == 2024 * 12 + 7
    assert (row["plan_start"], row["plan_end"]) == (2024 * 12 + 1, 2024 * 12 + 12)
    assert contexts[row["row_id"]].params["span"] == "Tháng 1/2024 – Tháng 12/2024"


@pytest.mark.parametrize(
    ("name", "overrides", "known"),
    [
        ("unknown_plan", {"plan_id": "KH-KHONG-CO"}, {"plan": False, "unit": False}),
        ("unknown_unit", {"unit_code": "KHONG_CO"}, {"plan": True, "unit": False}),
    ],
)
def test_unknown_plan_or_unit_leaves_the_comparisons_empty(
    name: str,
    overrides: dict[str, str],
    known: dict[str, bool],
    folder: Path,
    catalog: Catalog,
) -> None:
    sub = load(Fixture(name, edit=set_info(**overrides)), folder, catalog)
    frame, _ = build_frame([sub], catalog)
    row = one(frame, kind="info", key="unit_code")
    assert bool(row["plan_known"]) is known["plan"]
    assert bool(row["unit_known"]) is known["unit"]
    assert pd.isna(row["unit_from"]) and pd.isna(row["window_start"])
    if not known["plan"]:
        assert pd.isna(row["plan_unit"])
        assert pd.isna(one(frame, kind="info", key="period")["plan_start"])
        assert rows(frame, kind="task")["plan_task"].isna().all()
        # No unit: nothing is "missing", and applicability is unknown.
        assert rows(frame, kind="value", present=False).empty
        assert rows(frame, kind="value")["applicable"].isna().all()


# --- values ---------------------------------------------------------------------------------


def test_value_rows_point_at_the_clerks_cells(
    ordinary: Submission, ordinary_frame: Frame, catalog: Catalog
) -> None:
    frame, contexts = ordinary_frame
    code_cell, period_cell, cumulative_cell = indicator_cells(ordinary, "DT01")
    indicator = one(frame, kind="indicator", code="DT01")
    assert (contexts[indicator["row_id"]].sheet, contexts[indicator["row_id"]].cell) == (
        "ChiTieu",
        code_cell,
    )
    period = one(frame, kind="value", code="DT01", col="period")
    cumulative = one(frame, kind="value", code="DT01", col="cumulative")
    assert (period["value"], cumulative["value"]) == (4.0, 12.0)
    assert cumulative["period_value"] == 4.0 and pd.isna(period["period_value"])
    for row, cell, column in ((period, period_cell, 5), (cumulative, cumulative_cell, 6)):
        context = contexts[row["row_id"]]
        assert (context.sheet, context.cell) == ("ChiTieu", cell)
        assert context.params["cell"] == f"ChiTieu!{cell}"
        assert context.order == (int(cell[1:]), column)  # sorts by row, then column
    name = catalog.indicators["DT01"].name
    assert contexts[period["row_id"]].params["label"] == f"DT01 – {name}, Kỳ này"
    assert contexts[cumulative["row_id"]].params["label"] == f"DT01 – {name}, Lũy kế từ đầu năm"
    assert contexts[cumulative["row_id"]].params["period_value"] == "4"


def test_children_carry_their_parents_value_column_by_column(ordinary_frame: Frame) -> None:
    frame, contexts = ordinary_frame
    for col, parent_value in (("period", 4.0), ("cumulative", 12.0)):
        child = one(frame, kind="value", code="NN02", col=col)  # "Trong đó" under NN01
        assert child["parent_value"] == parent_value
        assert contexts[child["row_id"]].params["parent"] == "NN01"
        assert pd.isna(one(frame, kind="value", code="NN01", col=col)["parent_value"])


@pytest.mark.parametrize(
    ("code", "applicable"),
    [("DT01", True), ("NN01", True), ("TT05", False), ("TX01", False), ("MH01", True)],
)
def test_applicability_follows_the_units_kind(
    code: str, applicable: bool, ordinary_frame: Frame, catalog: Catalog
) -> None:
    """CA_TINH is of kind CA; TT05 is for TTTT only and TX01 for VKS only."""
    assert catalog.indicators[code].applies("CA") is applicable
    frame, _ = ordinary_frame
    assert rows(frame, kind="value", code=code)["applicable"].tolist() == [applicable] * 2


def _drop_dt01(grid: Grid) -> None:
    del grid["ChiTieu"].rows[row_of(grid, "DT01")]


def _duplicate_tt01(grid: Grid) -> None:
    sheet = grid["ChiTieu"]
    copy = list(sheet.rows[row_of(grid, "TT01")])
    copy[4], copy[5] = 9, 99
    sheet.rows.append(copy)


def test_a_missing_applicable_row_gives_two_rows_not_present(
    folder: Path, catalog: Catalog
) -> None:
    sub = load(Fixture("dt01_missing", grid_edit=_drop_dt01), folder, catalog)
    frame, contexts = build_frame([sub], catalog)
    assert rows(frame, kind="indicator", code="DT01").empty
    missing = rows(frame, kind="value", code="DT01")
    assert missing["col"].tolist() == ["period", "cumulative"]
    assert missing["present"].tolist() == [False, False]
    assert missing["blank"].tolist() == [True, True]
    for row_id in missing["row_id"]:
        context = contexts[row_id]
        assert (context.sheet, context.cell) == ("ChiTieu", None)  # no cell to point at
        assert context.params["cell"] == "ChiTieu"
        assert context.order == (10**6, 0)  # after every cell of the file
    # Only DT01 is missing: no other indicator gets a not-present row.
    assert set(rows(frame, kind="value", present=False)["code"]) == {"DT01"}


def test_a_duplicate_row_reads_its_own_cells_and_names_the_other(
    folder: Path, catalog: Catalog
) -> None:
    sub = load(Fixture("tt01_twice", grid_edit=_duplicate_tt01), folder, catalog)
    assert sub.records is not None
    first, second = [r for r in sub.records.indicators if r.code == "TT01"]
    frame, contexts = build_frame([sub], catalog)
    indicators = rows(frame, kind="indicator", code="TT01")
    assert [contexts[i].params["other"] for i in indicators["row_id"]] == [
        second.code_cell,
        first.code_cell,
    ]
    periods = rows(frame, kind="value", code="TT01", col="period")
    assert periods["value"].tolist() == [4.0, 9.0]
    assert [contexts[i].cell for i in periods["row_id"]] == [first.period.cell, second.period.cell]
    # The first occurrence is what counts: `Submission.values` keeps it.
    assert sub.values["TT01"][0].number.value == 4.0


@pytest.mark.parametrize(
    ("raw", "value", "blank", "error"),
    [
        pytest.param("", None, True, None, id="blank"),
        pytest.param("ba", None, False, "value.not_number", id="words"),
        pytest.param("=E5+1", None, False, "value.formula_no_cache", id="formula-text"),
        pytest.param("1.234", 1234.0, False, None, id="thousands-dot"),
        pytest.param(0, 0.0, False, None, id="zero"),
    ],
)
def test_value_row_carries_what_the_number_reader_decided(
    raw: object,
    value: float | None,
    blank: bool,
    error: str | None,
    request: pytest.FixtureRequest,
    folder: Path,
    catalog: Catalog,
) -> None:
    name = f"tt01_{request.node.callspec.id}"
    sub = load(Fixture(name, edit=set_value("TT01", raw)), folder, catalog)
    frame, _ = build_frame([sub], catalog)
    row = one(frame, kind="value", code="TT01", col="period")
    assert (None if pd.isna(row["value"]) else row["value"]) == value
    assert bool(row["blank"]) is blank
    assert (None if pd.isna(row["parse_error"]) else row["parse_error"]) == error
    assert bool(row["nonzero"]) is (value is not None and value != 0)


def test_history_gives_expected_cumulative_and_outlier_bound(
    ordinary: Submission, catalog: Catalog
) -> None:
    history = HistoryContext(
        previous_cumulative={("CA_TINH", "DT01"): 7.0},
        bounds={("CA_TINH", "DT01"): (0.0, 3.0), ("SO_YTE", "TT01"): (0.0, 1.0)},
    )
    frame, contexts = build_frame([ordinary], catalog, history)
    cumulative = one(frame, kind="value", code="DT01", col="cumulative")
    assert cumulative["expected_cumulative"] == 7.0 + 4.0
    assert pd.isna(cumulative["outlier_high"])  # bounds judge Kỳ này only
    params = contexts[cumulative["row_id"]].params
    assert (params["previous"], params["expected"], params["difference"]) == ("7", "11", "1")
    period = one(frame, kind="value", code="DT01", col="period")
    assert period["outlier_high"] == 3.0 and pd.isna(period["expected_cumulative"])
    assert (
        contexts[period["row_id"]].params["low"],
        contexts[period["row_id"]].params["high"],
    ) == (
        "0",
        "3",
    )
    # Another unit's bounds and indicators without history stay empty.
    assert rows(frame, kind="value", code="TT01")["outlier_high"].isna().all()
    assert rows(frame, kind="value", code="NN01")["expected_cumulative"].isna().all()


# --- tasks and several files ----------------------------------------------------------------


def test_task_rows_fold_the_status_and_key_the_plan(
    ordinary: Submission, ordinary_frame: Frame
) -> None:
    frame, contexts = ordinary_frame
    assert ordinary.records is not None
    tasks = rows(frame, kind="task")
    assert tasks["code"].tolist() == [t.code for t in ordinary.records.tasks]
    assert set(tasks["status_key"]) == {"dang trien khai"}  # "Đang triển khai", folded
    assert tasks["plan_task"].tolist() == [f"{PLAN}|{t.code}" for t in ordinary.records.tasks]
    for row_id, task in zip(tasks["row_id"], ordinary.records.tasks, strict=True):
        assert (contexts[row_id].sheet, contexts[row_id].cell) == (
            task.status.sheet,
            task.status.cell,
        )


def test_unreadable_files_add_no_rows_and_indexes_are_kept(
    ordinary: Submission, folder: Path, catalog: Catalog
) -> None:
    refused = Submission(
        1, folder / "x.pdf", "0" * 64, refusal=Refused("file.not_workbook", {}, "a PDF")
    )
    second = load(Fixture("second", unit="BP_TINH", period=PERIOD), folder, catalog, index=2)
    frame, contexts = build_frame([ordinary, refused, second], catalog)
    assert set(frame["file_idx"]) == {0, 2}
    assert all(c.file_index == f for c, f in zip(contexts, frame["file_idx"], strict=True))
    bp = one(frame, kind="info", key="unit_code", file_idx=2)
    assert bp["plan_unit"] == f"{PLAN}|BP_TINH"
    alone, _ = build_frame([ordinary], catalog)
    assert len(rows(frame, file_idx=0)) == len(alone)


def test_message_parameters_are_made_only_when_asked(
    ordinary: Submission, catalog: Catalog
) -> None:
    """Issue 15: a national batch has hundreds of thousands of rows and few failures, so a
    value row's message parameters are a function until the checker renders a failure."""
    frame, contexts = build_frame([ordinary], catalog)
    value_rows = rows(frame, kind="value")
    assert len(value_rows) > 20
    pending = [contexts[i] for i in value_rows["row_id"] if callable(contexts[i]._params)]
    assert len(pending) == len(value_rows)
    first = pending[0]
    assert first.params["cell"] == f"{first.sheet}!{first.cell}"  # made on first use
    assert not callable(first._params)


def test_frame_columns_are_arrays_not_objects_per_row(
    ordinary: Submission, catalog: Catalog
) -> None:
    frame, _ = build_frame([ordinary], catalog)
    assert frame["value"].dtype == "float64"
    assert frame["row_id"].tolist() == list(range(len(frame)))
    assert str(frame["blank"].dtype) == "boolean"
