"""`pcmbn.monthly`, the monthly job's pure core, called directly (no Prefect, no GE).

The flow tests check these functions end to end on real inboxes; here each branch gets its own
small, hand-made input. Plan ST-KH-30-7-2024 reports under ND 09/2019 with 3 days' grace: the
July 2024 data window ends on 14 July, so the report is due on 17 July (office time, UTC+7).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pcmbn.approval import PENDING
from pcmbn.catalog import Catalog, load_catalog
from pcmbn.clock import OFFICE_TZ
from pcmbn.domain import Plan
from pcmbn.intake import Received
from pcmbn.monthly import (
    OTHER_PERIOD,
    SKIP_KNOWN,
    SKIP_OTHER_UNIT,
    applicable_values,
    classify,
    completeness,
    decide,
    due_moment,
    hold_spoofed,
    json_number,
    provincial_totals,
    run_id_for,
    submission_record,
    tally,
)
from pcmbn.periods import Period, parse_period
from pcmbn.reading.guard import Refused
from pcmbn.reading.numbers import ParsedNumber
from pcmbn.reading.workbook import CellValue, WorkbookRecords
from pcmbn.store.history import SubmissionRecord
from pcmbn.validation.checker import ACCEPTED, REJECTED, FileReport, Problem
from pcmbn.validation.submission import ParsedCell, Submission

PLAN = "ST-KH-30-7-2024"
OTHER_PLAN = "NA-276-KH-UBND-2021"
JULY = Period.month(2024, 7)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def plan(catalog: Catalog) -> Plan:
    return catalog.plan(PLAN)


def at(day: int, hour: int = 9, minute: int = 0, month: int = 7) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=OFFICE_TZ)


# --- run ids --------------------------------------------------------------------------------


def test_run_id_depends_on_the_inputs_not_their_order(plan: Plan, catalog: Catalog) -> None:
    base = run_id_for(plan, JULY, ["CA_TINH", "BP_TINH"], ["a" * 64, "b" * 64])
    assert len(base) == 16 and int(base, 16) >= 0
    assert run_id_for(plan, JULY, ["BP_TINH", "CA_TINH"], ["b" * 64, "a" * 64]) == base
    others = {
        "another file": run_id_for(plan, JULY, ["CA_TINH", "BP_TINH"], ["a" * 64, "c" * 64]),
        "one file fewer": run_id_for(plan, JULY, ["CA_TINH", "BP_TINH"], ["a" * 64]),
        "another unit filter": run_id_for(plan, JULY, ["CA_TINH"], ["a" * 64, "b" * 64]),
        "another month": run_id_for(plan, JULY.next(), ["CA_TINH", "BP_TINH"], ["a" * 64]),
        "another plan": run_id_for(
            catalog.plan(OTHER_PLAN), JULY, ["CA_TINH", "BP_TINH"], ["a" * 64, "b" * 64]
        ),
    }
    assert base not in others.values()
    assert len(set(others.values())) == len(others)


def test_no_unit_filter_is_the_same_run_as_an_empty_one(plan: Plan) -> None:
    assert run_id_for(plan, JULY, None, ["a" * 64]) == run_id_for(plan, JULY, [], ["a" * 64])


# --- classify -------------------------------------------------------------------------------


def _report(
    catalog: Catalog,
    *,
    plan_id: str | None = PLAN,
    period: str | None = "2024-07",
    severities: tuple[str, ...] = (),
    refused: bool = False,
) -> FileReport:
    sub = Submission(
        0,
        Path("BaoCao.xlsx"),
        "f" * 64,
        refusal=Refused("file.corrupt", {"detail": "x"}, "x") if refused else None,
        plan=catalog.plans[plan_id] if plan_id else None,
        period=parse_period(period) if period else None,
    )
    problems = [Problem(s, "ChiTieu", "E9", f"rule.{s}", "…") for s in severities]
    return FileReport(sub, problems)


@pytest.mark.parametrize(
    ("case", "kwargs", "expected"),
    [
        ("clean file of the run's month", {}, ACCEPTED),
        ("warnings only", {"severities": ("warning", "warning")}, ACCEPTED),
        ("one error among warnings", {"severities": ("warning", "error")}, REJECTED),
        ("another month, clean", {"period": "2024-06"}, OTHER_PERIOD),
        (
            "another month, with errors",
            {"period": "2024-06", "severities": ("error",)},
            OTHER_PERIOD,
        ),
        ("another plan", {"plan_id": OTHER_PLAN}, OTHER_PERIOD),
        ("a quarter is not the month", {"period": "2024-Q3"}, OTHER_PERIOD),
        ("plan unknown, period right", {"plan_id": None, "severities": ("error",)}, REJECTED),
        ("period unreadable", {"period": None, "severities": ("error",)}, REJECTED),
        (
            "unreadable file (nothing identified)",
            {"plan_id": None, "period": None, "refused": True, "severities": ("error",)},
            REJECTED,
        ),
    ],
)
def test_classify(
    case: str, kwargs: dict[str, Any], expected: str, catalog: Catalog, plan: Plan
) -> None:
    assert classify(_report(catalog, **kwargs), plan, JULY) == expected, case


# --- what a run does with a classified file --------------------------------------------------

KNOWN = "k" * 64
NEW = "n" * 64


@pytest.mark.parametrize(
    ("case", "status", "unit", "sha", "units", "locked", "expected"),
    [
        ("open period, accepted", ACCEPTED, "CA_TINH", NEW, None, False, ACCEPTED),
        ("open period, rejected", REJECTED, "CA_TINH", NEW, None, False, REJECTED),
        ("open period, rerun of a known file", ACCEPTED, "CA_TINH", KNOWN, None, False, ACCEPTED),
        ("open period, another month", OTHER_PERIOD, "CA_TINH", NEW, None, False, OTHER_PERIOD),
        ("unit filter, unit in it", ACCEPTED, "CA_TINH", NEW, ["CA_TINH"], False, ACCEPTED),
        ("unit filter, other unit", ACCEPTED, "BP_TINH", NEW, ["CA_TINH"], False, SKIP_OTHER_UNIT),
        ("unit filter, no unit known", REJECTED, None, NEW, ["CA_TINH"], False, SKIP_OTHER_UNIT),
        (
            "unit filter, other period kept",
            OTHER_PERIOD,
            "BP_TINH",
            NEW,
            ["CA_TINH"],
            False,
            OTHER_PERIOD,
        ),
        ("approved, already on record", ACCEPTED, "CA_TINH", KNOWN, None, True, SKIP_KNOWN),
        ("approved, late correction", ACCEPTED, "CA_TINH", NEW, None, True, PENDING),
        ("approved, late rejected file", REJECTED, "CA_TINH", NEW, None, True, PENDING),
        ("approved, another month", OTHER_PERIOD, "CA_TINH", NEW, None, True, OTHER_PERIOD),
        ("approved, known other month", OTHER_PERIOD, "CA_TINH", KNOWN, None, True, SKIP_KNOWN),
        (
            "approved, filter, other unit",
            ACCEPTED,
            "BP_TINH",
            NEW,
            ["CA_TINH"],
            True,
            SKIP_OTHER_UNIT,
        ),
    ],
)
def test_decide(
    case: str,
    status: str,
    unit: str | None,
    sha: str,
    units: list[str] | None,
    locked: bool,
    expected: str,
) -> None:
    assert decide(status, unit, sha, units=units, locked=locked, known={KNOWN}) == expected, case


@pytest.mark.parametrize(
    ("status", "locked", "expected"),
    [
        (ACCEPTED, False, "returned"),
        (REJECTED, False, "returned"),
        (OTHER_PERIOD, False, OTHER_PERIOD),  # another period's file is that period's business
        (ACCEPTED, True, PENDING),  # an approved period decides nothing new
    ],
)
def test_decide_a_returned_file_is_recorded_as_returned(
    status: str, locked: bool, expected: str
) -> None:
    decided = decide(status, "CA_TINH", NEW, units=None, locked=locked, known=set(), returned={NEW})
    assert decided == expected
    assert decide(status, "CA_TINH", NEW, units=None, locked=False, known=set()) == status


def _record(sha: str, status: str) -> SubmissionRecord:
    return SubmissionRecord(sha, "BaoCao.xlsx", at(16), "x", 1, status, PLAN, "2024-07", "CA_TINH")


def _stored(*rows: tuple[str, str, str | None]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["sha256", "status", "superseded_by"])


@pytest.mark.parametrize(
    ("case", "recorded", "stored", "expected"),
    [
        ("nothing", [], _stored(), (0, 0, 0, 0)),
        (
            "one accepted, one rejected",
            [_record("a", ACCEPTED), _record("b", REJECTED)],
            _stored(("a", ACCEPTED, None), ("b", REJECTED, None)),
            (1, 1, 0, 0),
        ),
        (
            "a correction supersedes the first file",
            [_record("a", ACCEPTED), _record("b", ACCEPTED)],
            _stored(("a", ACCEPTED, "b"), ("b", ACCEPTED, None)),
            (1, 0, 1, 0),
        ),
        (
            "superseded by NaN is not superseded",
            [_record("a", ACCEPTED)],
            _stored(("a", ACCEPTED, float("nan"))),
            (1, 0, 0, 0),
        ),
        (
            "files of earlier runs are not this run's",
            [_record("b", ACCEPTED)],
            _stored(("a", ACCEPTED, "b"), ("b", ACCEPTED, None)),
            (1, 0, 0, 0),
        ),
        (
            "another period counts from the records",
            [_record("o", OTHER_PERIOD)],
            _stored(),
            (0, 0, 0, 1),
        ),
        (
            "pending files are not counted",
            [_record("p", PENDING)],
            _stored(("p", PENDING, None)),
            (0, 0, 0, 0),
        ),
    ],
)
def test_tally(
    case: str,
    recorded: list[SubmissionRecord],
    stored: pd.DataFrame,
    expected: tuple[int, int, int, int],
) -> None:
    counts = tally(recorded, stored)
    assert list(counts) == ["accepted", "rejected", "superseded", "other_period"], case
    assert tuple(counts.values()) == expected, case


# --- the record kept in the store -----------------------------------------------------------


def _received(sender: str | None = "CA_TINH") -> Received:
    return Received(
        name="BaoCao_CA_TINH.xlsx",
        received_at=at(16),
        sender=sender,
        sha256="f" * 64,
        size=1234,
        archive_path="ff/" + "f" * 64 + ".xlsx",
        local_path=Path("/tmp/x.xlsx"),
    )


def test_an_unreadable_file_is_filed_under_the_run_and_its_sender(
    catalog: Catalog, plan: Plan
) -> None:
    report = _report(catalog, plan_id=None, period=None, refused=True, severities=("error",))
    record = submission_record(_received("BP_TINH"), report, REJECTED, plan, JULY)
    assert (record.plan_id, record.period, record.unit_code) == (PLAN, "2024-07", "BP_TINH")
    assert (record.sha256, record.size, record.status) == ("f" * 64, 1234, REJECTED)
    assert record.values == [] and record.tasks == []
    assert [p["seq"] for p in record.problems] == [0]


def test_a_readable_file_is_filed_under_what_it_says(catalog: Catalog, plan: Plan) -> None:
    report = _report(catalog, period="2024-06", severities=("warning",))
    sub = report.submission
    sub.unit_code = "CA_TINH"
    sub.values["DT01"] = (
        ParsedCell(CellValue(3, "ChiTieu", "E19"), ParsedNumber(3.0)),
        ParsedCell(CellValue(9, "ChiTieu", "F19"), ParsedNumber(9.0)),
    )
    record = submission_record(_received(sender="BP_TINH"), report, OTHER_PERIOD, plan, JULY)
    # The file's own identification wins over the run's month and the reception log.
    assert (record.plan_id, record.period, record.unit_code) == (PLAN, "2024-06", "CA_TINH")
    assert record.values == [
        {
            "indicator": "DT01",
            "period_value": 3.0,
            "cumulative": 9.0,
            "sheet": "ChiTieu",
            "period_cell": "E19",
            "cumulative_cell": "F19",
        }
    ]
    assert [(p["severity"], p["sheet"], p["cell"]) for p in record.problems] == [
        ("warning", "ChiTieu", "E9")
    ]


# --- the sender decides the unit (issue 19.4) -----------------------------------------------


def _declaring(catalog: Catalog, unit: str, period: str = "2024-07") -> FileReport:
    """A clean file whose ThongTin (cell C6) declares `unit`, with DT01 = 40."""
    report = _report(catalog, period=period)
    sub = report.submission
    sub.unit_code = unit
    sub.records = WorkbookRecords()
    sub.records.info["unit_code"] = CellValue(unit, "ThongTin", "C6")
    sub.values["DT01"] = (
        ParsedCell(CellValue(40, "ChiTieu", "E19"), ParsedNumber(40.0)),
        ParsedCell(CellValue(120, "ChiTieu", "F19"), ParsedNumber(120.0)),
    )
    return report


def test_a_spoofed_sender_is_rejected_under_the_sender_with_both_units_named(
    catalog: Catalog, plan: Plan
) -> None:
    report = _declaring(catalog, "CA_TINH")
    hold_spoofed(report, "BP_TINH", catalog)
    (problem,) = report.problems
    assert (problem.rule, problem.severity) == ("unit.sender_mismatch", "error")
    assert (problem.sheet, problem.cell) == ("ThongTin", "C6")  # the cell the clerk must fix
    assert "BP_TINH" in problem.message and "CA_TINH" in problem.message
    assert problem.message.startswith("Tệp được gửi từ BP_TINH nhưng trang ThongTin ghi đơn vị")
    assert classify(report, plan, JULY) == REJECTED
    record = submission_record(_received("BP_TINH"), report, REJECTED, plan, JULY)
    assert (record.unit_code, record.status) == ("BP_TINH", REJECTED)  # never counted as CA_TINH
    assert [p["rule"] for p in record.problems] == ["unit.sender_mismatch"]
    hold_spoofed(report, "BP_TINH", catalog)  # deciding twice adds nothing
    assert len(report.problems) == 1


def test_a_spoofed_file_of_another_month_is_rejected_too(catalog: Catalog, plan: Plan) -> None:
    report = _declaring(catalog, "CA_TINH", period="2024-06")
    hold_spoofed(report, "BP_TINH", catalog)
    assert classify(report, plan, JULY) == REJECTED


@pytest.mark.parametrize("sender", [None, "CA_TINH", "ca_tinh "])
def test_no_sender_or_the_same_unit_changes_nothing(
    sender: str | None, catalog: Catalog, plan: Plan
) -> None:
    report = _declaring(catalog, "CA_TINH")
    hold_spoofed(report, sender, catalog)
    assert report.problems == [] and classify(report, plan, JULY) == ACCEPTED
    record = submission_record(_received(sender), report, ACCEPTED, plan, JULY)
    assert record.unit_code == "CA_TINH"


def test_a_file_declaring_no_unit_is_filed_under_its_sender(catalog: Catalog, plan: Plan) -> None:
    report = _report(catalog, severities=("error",))
    hold_spoofed(report, "BP_TINH", catalog)
    assert [p.rule for p in report.problems] == ["rule.error"]  # info.missing says why
    record = submission_record(_received("BP_TINH"), report, REJECTED, plan, JULY)
    assert record.unit_code == "BP_TINH"


# --- completeness ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan_id", "period", "due"),
    [
        (PLAN, "2024-07", datetime(2024, 7, 18, tzinfo=OFFICE_TZ)),
        (PLAN, "2024-12", datetime(2024, 12, 18, tzinfo=OFFICE_TZ)),
        (OTHER_PLAN, "2021-05", datetime(2021, 5, 18, tzinfo=OFFICE_TZ)),
    ],
)
def test_due_moment_is_the_end_of_the_due_day_office_time(
    plan_id: str, period: str, due: datetime, catalog: Catalog
) -> None:
    assert due_moment(catalog.plan(plan_id), parse_period(period)) == due


def _submissions(*rows: tuple[str, str, datetime, str | None]) -> pd.DataFrame:
    """(unit, status, received_at, superseded_by) → the columns `completeness` reads."""
    return pd.DataFrame(
        [
            {
                "unit_code": unit,
                "status": status,
                "received_at": pd.Timestamp(when),
                "original_name": f"{unit}_{status}_{when:%d%H%M}.xlsx",
                "superseded_by": superseded,
            }
            for unit, status, when, superseded in rows
        ],
        columns=["unit_code", "status", "received_at", "original_name", "superseded_by"],
    )


@pytest.mark.parametrize(
    ("case", "rows", "status", "received", "file_name"),
    [
        ("nothing received", [], "missing", None, None),
        ("accepted well before", [("accepted", at(10), None)], "on_time", at(10), "_100900"),
        (
            "accepted in the last minute of the due day",
            [("accepted", at(17, 23, 59), None)],
            "on_time",
            at(17, 23, 59),
            "_172359",
        ),
        (
            "accepted at midnight after the due day",
            [("accepted", at(18, 0, 0), None)],
            "late",
            at(18, 0, 0),
            "_180000",
        ),
        (
            # 23:30 UTC on the due day is already 06:30 the next morning in the office.
            "accepted on the due day UTC, the next day office time",
            [("accepted", datetime(2024, 7, 17, 23, 30, tzinfo=UTC), None)],
            "late",
            at(18, 6, 30),
            "_172330",
        ),
        ("only rejected", [("rejected", at(12), None)], "rejected", at(12), "_120900"),
        (
            "two rejected: the newest is shown",
            [("rejected", at(15), None), ("rejected", at(12), None)],
            "rejected",
            at(15),
            "_150900",
        ),
        (
            "rejected, then accepted late",
            [("rejected", at(12), None), ("accepted", at(20), None)],
            "late",
            at(20),
            "_200900",
        ),
        (
            "accepted on time, then a rejected correction: still on time",
            [("accepted", at(12), None), ("rejected", at(20), None)],
            "on_time",
            at(12),
            "_120900",
        ),
        (
            "on time, superseded by a late correction: the current one counts",
            [("accepted", at(12), "newer"), ("accepted", at(20), None)],
            "late",
            at(20),
            "_200900",
        ),
        ("a file of another month only", [("other_period", at(12), None)], "missing", None, None),
        ("held while approved", [("pending", at(12), None)], "missing", None, None),
        ("returned by the office", [("returned", at(12), None)], "returned", at(12), "_120900"),
        (
            "rejected, then a file the office returned: returned",
            [("rejected", at(12), None), ("returned", at(15), None)],
            "returned",
            at(15),
            "_150900",
        ),
        (
            "accepted on time, a later file returned: the accepted one counts",
            [("accepted", at(12), None), ("returned", at(15), None)],
            "on_time",
            at(12),
            "_120900",
        ),
    ],
)
def test_completeness_status_of_one_unit(
    case: str,
    rows: list[tuple[str, datetime, str | None]],
    status: str,
    received: datetime | None,
    file_name: str | None,
    catalog: Catalog,
    plan: Plan,
) -> None:
    unit = catalog.registry(plan).units["CA_TINH"]
    table = completeness([unit], _submissions(*[("CA_TINH", *r) for r in rows]), plan, JULY)
    assert len(table) == 1
    row = table.iloc[0]
    assert row["status"] == status, case
    if received is None:
        assert row["received_at"] is None and row["file_name"] is None, case
    else:
        assert row["received_at"] == received, case
        assert row["file_name"].endswith(f"{file_name}.xlsx"), case
    assert row["due_date"] == date(2024, 7, 17)
    assert (row["unit_name"], row["email"], row["level"]) == (
        unit.name,
        unit.email,
        unit.level,
    )


def test_completeness_has_one_row_per_expected_unit_in_order(catalog: Catalog, plan: Plan) -> None:
    units = catalog.registry(plan).units
    expected = [units["SO_LDTBXH"], units["CA_TINH"], units["BP_TINH"]]
    subs = _submissions(
        ("CA_TINH", "accepted", at(12), None),
        ("BP_TINH", "rejected", at(13), None),
        ("SO_YTE", "accepted", at(12), None),  # not among the expected units
    )
    table = completeness(expected, subs, plan, JULY)
    assert table["unit_code"].tolist() == ["SO_LDTBXH", "CA_TINH", "BP_TINH"]
    assert table["status"].tolist() == ["missing", "on_time", "rejected"]
    assert completeness([], subs, plan, JULY).empty


# --- applicable values and provincial totals ------------------------------------------------


def _values(*rows: tuple[str, str, float | None, float | None]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"unit_code": u, "indicator": c, "period_value": p, "cumulative": cu}
            for u, c, p, cu in rows
        ],
        columns=["unit_code", "indicator", "period_value", "cumulative"],
    )


def test_applicable_values_drop_what_the_units_kind_does_not_report(
    catalog: Catalog, plan: Plan
) -> None:
    units = catalog.registry(plan).units
    assert units["CA_TINH"].kind == "CA" and units["SO_TTTT"].kind == "TTTT"
    values = _values(
        ("CA_TINH", "DT01", 1, 1),  # CA reports DT01
        ("CA_TINH", "TT05", 7, 7),  # TT05 is for TTTT only: filled anyway, not summed
        ("SO_TTTT", "TT05", 2, 2),
        ("SO_TTTT", "DT01", 5, 5),  # DT01 is for CA and BP only
        ("CA_TINH", "ZZ99", 1, 1),  # not in the catalog
        ("KHONG_CO", "TT01", 1, 1),  # not in the registry
    )
    kept = applicable_values(values, catalog, units)
    assert list(zip(kept["unit_code"], kept["indicator"], strict=True)) == [
        ("CA_TINH", "DT01"),
        ("SO_TTTT", "TT05"),
    ]
    empty = _values()
    assert applicable_values(empty, catalog, units) is empty


def test_provincial_totals_sum_units_and_keep_no_data_apart_from_zero(catalog: Catalog) -> None:
    assert catalog.indicators["KT03"].value_type == "decimal"
    values = _values(
        ("CA_TINH", "DT01", 3, 10),
        ("BP_TINH", "DT01", 4, 12),
        ("CA_TINH", "KT03", 1.5, 2.25),
        ("BP_TINH", "KT03", 0.1, 0.2),
        ("CA_TINH", "NN01", None, 5),  # one unit left Kỳ này blank
        ("BP_TINH", "NN01", 2, None),
        ("CA_TINH", "NN04", None, None),  # nobody gave a number
        ("CA_TINH", "TT01", 0, 0),  # zero is a number
    )
    totals = provincial_totals(values, catalog)
    assert set(totals) == set(catalog.indicators)
    assert totals["DT01"] == {"period": 7, "cumulative": 22}
    assert isinstance(totals["DT01"]["period"], int)
    assert totals["KT03"] == {"period": 1.6, "cumulative": 2.45}  # rounded, not 1.6000000000000001
    assert totals["NN01"] == {"period": 2, "cumulative": 5}
    assert totals["NN04"] == {"period": None, "cumulative": None}
    assert totals["TT01"] == {"period": 0, "cumulative": 0}
    assert totals["TX01"] == {"period": None, "cumulative": None}  # no row at all


def test_a_stock_indicator_sums_each_units_current_count(catalog: Catalog) -> None:
    """MH01 (models running) aggregates `last`: over time it is not summed, but across units it
    is — each unit's one monthly report already carries its latest count."""
    assert catalog.indicators["MH01"].aggregation == "last"
    values = _values(("CA_TINH", "MH01", 3, 3), ("BP_TINH", "MH01", 2, 2), ("SO_YTE", "MH01", 1, 1))
    assert provincial_totals(values, catalog)["MH01"] == {"period": 6, "cumulative": 6}


def test_provincial_totals_of_nothing_are_all_none(catalog: Catalog) -> None:
    totals = provincial_totals(_values(), catalog)
    assert all(t == {"period": None, "cumulative": None} for t in totals.values())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (float("nan"), None),
        (pd.NA, None),
        (3.0, 3),
        (0.0, 0),
        (-2.0, -2),
        (2.5, 2.5),
        (1 / 3, 0.333333),
        (0.1 + 0.2, 0.3),
    ],
)
def test_json_number(value: Any, expected: int | float | None) -> None:
    result = json_number(value)
    assert result == expected
    assert type(result) is type(expected)


def test_due_date_column_is_the_day_before_the_due_moment(catalog: Catalog, plan: Plan) -> None:
    unit = catalog.registry(plan).units["CA_TINH"]
    table = completeness([unit], _submissions(), plan, JULY)
    assert table.iloc[0]["due_date"] == (due_moment(plan, JULY) - timedelta(days=1)).date()


@pytest.mark.parametrize(("today", "asks"), [(date(2021, 8, 1), "chậm nhất ngày 17/07/2021")])
def test_reminder_list_names_the_plan_and_a_past_due_date_asks_asap(today: date, asks: str) -> None:
    """Issue 12.14: NhacNho names the plan by number and title, and asks a late unit for the
    report "sớm nhất có thể" once the due date has passed."""
    from pcmbn.monthly import reminder_list

    catalog = load_catalog()
    plan = catalog.plan("NA-276-KH-UBND-2021")
    table = pd.DataFrame(
        [
            {
                "unit_code": code,
                "unit_name": f"Đơn vị {code}",
                "status": status,
                "email": None,
                "contact": None,
                "due_date": date(2021, 7, 17),
            }
            for code, status in (("A", "missing"), ("B", "rejected"))
        ]
    )
    period = parse_period("2021-07")
    late = reminder_list(table, plan, period, catalog.labels, date(2021, 8, 1))
    in_time = reminder_list(table, plan, period, catalog.labels, date(2021, 7, 16))
    missing, rejected = late["message"]
    assert "Kế hoạch 276/KH-UBND triển khai chỉ đạo điểm" in missing
    assert plan.id not in missing and "(đã quá hạn gửi ngày 17/07/2021)" in missing
    assert missing.endswith("gửi báo cáo sớm nhất có thể.")
    assert rejected.endswith("sửa và gửi lại sớm nhất có thể.")
    assert all(m.endswith("chậm nhất ngày 17/07/2021.") for m in in_time["message"])


def test_reminder_list_names_a_return_its_date_and_reason() -> None:
    """The run's NhacNho list asks a returned unit for the corrected report, as its email does
    (it used to leave returned units out)."""
    from pcmbn.monthly import reminder_list
    from pcmbn.reminders import ReturnedReport

    catalog = load_catalog()
    plan = catalog.plan("NA-276-KH-UBND-2021")
    row = {"unit_name": "Công an tỉnh", "email": None, "contact": None, "file_name": "CA.xlsx"}
    table = pd.DataFrame(
        [
            {**row, "unit_code": "CA", "status": "returned", "due_date": date(2021, 8, 17)},
            {**row, "unit_code": "OK", "status": "accepted", "due_date": date(2021, 8, 17)},
        ]
    )
    back = ReturnedReport(
        receipt_id="BN-202107-3",
        file_name="BaoCao_CA_T7.xlsx",
        reason="Thiếu số liệu DT01.",
        returned_on=date(2021, 8, 3),
        received_at=datetime(2021, 8, 1, 8, 0, tzinfo=UTC),
    )
    period = parse_period("2021-07")
    listed = reminder_list(table, plan, period, catalog.labels, date(2021, 8, 4), {"CA": back})
    assert list(listed["unit_code"]) == ["CA"]
    assert listed.iloc[0]["status_vi"] == "Bị trả lại"
    assert listed.iloc[0]["message"] == (
        "Kính gửi Công an tỉnh: ngày 03/08/2021, Cơ quan Thường trực đã trả lại báo cáo tháng "
        "7/2021 của đơn vị (tệp “BaoCao_CA_T7.xlsx”, số biên nhận BN-202107-3). Lý do: Thiếu "
        "số liệu DT01. Đề nghị đơn vị sửa và gửi lại báo cáo chậm nhất ngày 17/08/2021."
    )
    # Without the receipt (a store that lost it) the line still asks, naming the file.
    bare = reminder_list(table, plan, period, catalog.labels, date(2021, 8, 4))
    assert "(tệp “CA.xlsx”, số biên nhận —)" in bare.iloc[0]["message"]
