"""`pcmbn.warned`: warnings of current submissions mapped onto the figures they concern, and
the history rules `pcmbn check` reports as not applied (issue 12, items 7 and 8)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from pcmbn.catalog import load_catalog
from pcmbn.monthly import completeness
from pcmbn.office.marks import marked_format, marked_style
from pcmbn.office.styles import INTEGER
from pcmbn.periods import Period
from pcmbn.store.base import RunRecord, SubmissionRecord
from pcmbn.store.duckdb_store import DuckDBStore
from pcmbn.store.sql import VALUES_COLUMNS, WARNINGS_COLUMNS
from pcmbn.summary.build import build_summary_data
from pcmbn.summary.workbook import build_summary_workbook
from pcmbn.validation.history import HistoryContext, rules_without_history
from pcmbn.warned import FigureKey, warned_figures

AT = datetime(2024, 7, 16, 8, tzinfo=UTC)
MESSAGE = 'Ô ChiTieu!E41 (KP01 – Kinh phí) = "1.500" được hiểu theo cách viết Việt Nam là 1500'


def _values(rows: list[tuple[str, str, str, str, str]]) -> pd.DataFrame:
    """(sha, unit, period, indicator, row) → a current_values frame, cells E<row>/F<row>."""
    return pd.DataFrame(
        [
            {
                "unit_code": unit,
                "period": period,
                "indicator": code,
                "period_value": 1.0,
                "cumulative": 2.0,
                "sha256": sha,
                "sheet": "ChiTieu",
                "period_cell": f"E{row}",
                "cumulative_cell": f"F{row}",
                "original_name": f"{unit}.xlsx",
                "archive_path": "/a",
            }
            for sha, unit, period, code, row in rows
        ],
        columns=VALUES_COLUMNS,
    )


def _warnings(rows: list[tuple[str, str, str | None, str]]) -> pd.DataFrame:
    """(sha, unit, cell, rule) → a current_warnings frame for July."""
    return pd.DataFrame(
        [
            {
                "unit_code": unit,
                "period": "2024-07",
                "sha256": sha,
                "original_name": f"{unit}.xlsx",
                "seq": i,
                "rule": rule,
                "sheet": "ChiTieu",
                "cell": cell,
                "message": MESSAGE,
            }
            for i, (sha, unit, cell, rule) in enumerate(rows)
        ],
        columns=WARNINGS_COLUMNS,
    )


def test_warnings_land_on_the_figure_whose_cell_they_name() -> None:
    values = _values(
        [
            ("a", "CA_TINH", "2024-07", "KP01", "41"),
            ("a", "CA_TINH", "2024-07", "DT01", "19"),
            ("b", "BP_TINH", "2024-07", "KP01", "41"),
        ]
    )
    warnings = _warnings(
        [
            ("a", "CA_TINH", "E41", "value.ambiguous_decimal"),
            ("a", "CA_TINH", "F19", "value.cumulative_discontinuity"),
            ("a", "CA_TINH", "C60", "task.unknown"),  # no figure in that cell: marks nothing
            ("a", "CA_TINH", None, "value.outlier"),  # no cell at all
            ("z", "BP_TINH", "E41", "value.outlier"),  # another file's cell
        ]
    )
    warned = warned_figures(values, warnings)
    assert set(warned.by_figure) == {
        FigureKey("CA_TINH", "KP01", "2024-07"),
        FigureKey("CA_TINH", "DT01", "2024-07"),
    }
    (money,) = warned.warnings("CA_TINH", "KP01", "2024-07")
    assert (money.column, money.cell, money.rule) == ("period", "E41", "value.ambiguous_decimal")
    assert warned.warnings("CA_TINH", "DT01", "2024-07")[0].column == "cumulative"
    assert warned.units_warned("KP01", ["2024-07"]) == ["CA_TINH"]
    assert warned.units_warned("KP01", ["2024-07"], ["BP_TINH"]) == []
    assert warned.units_warned("KP01", ["2024-06"]) == []
    table = warned.table({"CA_TINH": "Công an tỉnh"}, {"KP01": "Kinh phí"})
    assert list(table["code"]) == ["DT01", "KP01"]
    assert set(table["unit_name"]) == {"Công an tỉnh"} and set(table["period"]) == {"T7/2024"}
    assert not warned_figures(values, _warnings([])) and not warned_figures(
        values.iloc[0:0], warnings
    )


def test_a_marked_style_keeps_the_number_and_adds_the_marker() -> None:
    assert marked_format("#,##0", "(*)") == '#,##0" (*)"'
    assert marked_format("#,##0;-#,##0", "(*)") == '#,##0" (*)";-#,##0" (*)"'
    assert marked_style(INTEGER, "(*)") is marked_style(INTEGER, "(*)")  # the painter's cache


def test_history_rules_not_applied_without_earlier_months() -> None:
    july, january = Period.month(2024, 7), Period.month(2024, 1)
    rules = ["value.cumulative_discontinuity", "value.outlier"]
    assert rules_without_history(HistoryContext(), july) == rules
    assert rules_without_history(HistoryContext(), january) == ["value.outlier"]
    june_known = HistoryContext(months_known=frozenset({"2024-06"}))
    assert rules_without_history(june_known, july) == []
    may_only = HistoryContext(months_known=frozenset({"2024-05"}))
    assert rules_without_history(may_only, july) == ["value.cumulative_discontinuity"]
    assert rules_without_history(HistoryContext(), Period.from_code("2024-Q3")) == []


def _record(sha: str, received: datetime, problems: list[dict[str, object]]) -> SubmissionRecord:
    return SubmissionRecord(
        sha256=sha.ljust(64, "0"),
        original_name=f"{sha}.xlsx",
        received_at=received,
        archive_path=f"/archive/{sha}",
        size=1,
        status="accepted",
        plan_id="ST-KH-30-7-2024",
        period="2024-07",
        unit_code="CA_TINH",
        values=[
            {
                "indicator": "KP01",
                "period_value": 1500.0,
                "cumulative": 1500.0,
                "sheet": "ChiTieu",
                "period_cell": "E41",
                "cumulative_cell": "F41",
            },
            {
                "indicator": "DT01",
                "period_value": 4.0,
                "cumulative": 12.0,
                "sheet": "ChiTieu",
                "period_cell": "E19",
                "cumulative_cell": "F19",
            },
        ],
        problems=problems,
    )


def test_the_summary_marks_a_warned_figure_until_a_correction_clears_it(tmp_path: Path) -> None:
    catalog = load_catalog()
    plan = catalog.plan("ST-KH-30-7-2024")
    july = Period.month(2024, 7)
    store = DuckDBStore(tmp_path / "history.duckdb")
    warning = {
        "seq": 0,
        "severity": "warning",
        "rule": "value.ambiguous_decimal",
        "sheet": "ChiTieu",
        "cell": "E41",
        "message": MESSAGE,
    }
    store.record_run(
        RunRecord("r1", plan.id, july.code, None, AT, [_record("first", AT, [warning])])
    )
    units = catalog.registry(plan).units
    expected = [units["CA_TINH"], units["BP_TINH"]]

    def summary_book():
        table = completeness(expected, store.submissions(plan.id, july.code), plan, july)
        data = build_summary_data(store, catalog, plan, july, table, AT)
        return data, build_summary_workbook(data)

    data, book = summary_book()
    assert data.warned.units_warned("KP01", [july.code]) == ["CA_TINH"]
    ws = book["TongHop"]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 2).value == "KP01")
    assert ws.cell(row, 5).number_format.endswith('" (*)"')
    assert MESSAGE in ws.cell(row, 5).comment.text
    dt01 = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 2).value == "DT01")
    assert ws.cell(dt01, 5).comment is None
    assert book["CanhBao"].cell(8, 8).value == MESSAGE

    later = datetime(2024, 7, 17, 8, tzinfo=UTC)  # the unit's correction, without the warning
    store.record_run(RunRecord("r2", plan.id, july.code, None, later, [_record("fix", later, [])]))
    data, book = summary_book()
    assert not data.warned
    assert book["TongHop"].cell(row, 5).comment is None
    assert book["CanhBao"].cell(8, 2).value == catalog.labels.warned.none
