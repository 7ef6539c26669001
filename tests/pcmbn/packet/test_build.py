"""Choosing a packet's milestone and span, and aggregating months (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from pcmbn.catalog import load_catalog
from pcmbn.domain import Aggregation, MilestoneKind
from pcmbn.errors import PcmbnError
from pcmbn.packet.build import _aggregate, resolve_milestone, span_months
from pcmbn.periods import Period

ST = "ST-KH-30-7-2024"
NA = "NA-276-KH-UBND-2021"
LABELS = load_catalog().labels


def test_several_milestones_of_a_kind_are_chosen_by_period() -> None:
    plan = load_catalog().plan(ST)
    chosen = resolve_milestone(plan, "so_ket", Period.from_code("2024-09"), labels=LABELS)
    assert chosen.name.startswith("Sơ kết đợt cao điểm")
    # The campaign's sơ kết reviews the campaign (its own `start` in plans.yaml), issue 12.19.
    assert [m.code for m in span_months(plan, chosen)] == ["2024-07", "2024-08", "2024-09"]
    assert [m.code for m in span_months(plan, chosen, Period.from_code("2024-01"))][0] == "2024-01"
    assert [m.code for m in span_months(plan, chosen, Period.from_code("2024-07"))] == [
        "2024-07",
        "2024-08",
        "2024-09",
    ]


def test_default_milestone_is_the_latest_already_reached() -> None:
    plan = load_catalog().plan(ST)
    in_august = datetime(2024, 8, 20, tzinfo=UTC)
    assert (
        resolve_milestone(plan, "so_ket", None, in_august, labels=LABELS).period.code == "2024-H1"
    )
    later = datetime(2024, 12, 1, tzinfo=UTC)
    assert resolve_milestone(plan, "so_ket", None, later, labels=LABELS).period.code == "2024-09"


def test_nghe_an_so_ket_spans_may_to_november_2021() -> None:
    plan = load_catalog().plan(NA)
    milestone = resolve_milestone(plan, MilestoneKind.SO_KET, None, labels=LABELS)
    months = span_months(plan, milestone)
    assert (months[0].code, months[-1].code, len(months)) == ("2021-05", "2021-11", 7)


def test_period_outside_the_plan_and_reversed_span_are_refused() -> None:
    plan = load_catalog().plan(NA)
    with pytest.raises(PcmbnError):
        resolve_milestone(plan, "tong_ket", Period.from_code("2023-01"), labels=LABELS)
    milestone = resolve_milestone(plan, "so_ket", None, labels=LABELS)
    with pytest.raises(PcmbnError):
        span_months(plan, milestone, Period.from_code("2022-01"))


def test_sum_adds_months_and_last_takes_each_units_latest_month() -> None:
    rows = pd.DataFrame(
        {
            "unit_code": ["A", "A", "B", "B"],
            "period": ["2024-04", "2024-06", "2024-04", "2024-05"],
            "period_value": [2.0, 5.0, 3.0, 1.0],
            "source_id": [1, 2, 3, 4],
        }
    )
    refs: dict[str, list[int]] = {}
    assert _aggregate(rows, Aggregation.SUM, refs, "s") == 11
    assert _aggregate(rows, Aggregation.LAST, refs, "l") == 5 + 1
    assert refs == {"s": [1, 2, 3, 4], "l": [2, 4]}
    assert pd.isna(_aggregate(rows.iloc[0:0], Aggregation.SUM, refs, "none"))
    assert "none" not in refs


def test_a_2024_packet_shows_only_indicators_in_force_in_its_span(make_packet) -> None:
    data = make_packet()
    shown = data.indicators
    assert "DT01" in shown
    assert "TG01" not in shown  # introduced by the 2026–2030 programme
    assert list(shown) == [c for c in data.catalog.indicators if c in shown]


def _record_month(store: object, period: str, value: int) -> None:
    """One run of `period` with one accepted CA_TINH report (DT01 = `value`)."""
    from pcmbn.clock import OFFICE_TZ
    from pcmbn.store.base import RunRecord, SubmissionRecord

    sha = f"ca{period}".ljust(64, "0")
    when = datetime(2024, int(period[-2:]), 16, 9, 0, tzinfo=OFFICE_TZ)
    record = SubmissionRecord(
        sha256=sha,
        original_name=f"BaoCao_{period}.xlsx",
        received_at=when,
        archive_path=f"archive/{sha[:2]}/{sha}.xlsx",
        size=100,
        status="accepted",
        plan_id=ST,
        period=period,
        unit_code="CA_TINH",
        values=[
            {
                "indicator": "DT01",
                "period_value": value,
                "cumulative": value,
                "sheet": "ChiTieu",
                "period_cell": "E10",
                "cumulative_cell": "F10",
            }
        ],
    )
    store.record_run(RunRecord(f"run-{period}", ST, period, None, when, [record]))  # type: ignore[attr-defined]


def test_the_campaign_so_ket_covers_the_campaign_and_calls_a_month_without_data_so(
    tmp_path,  # noqa: ANN001
) -> None:
    """Issue 12, item 19: the campaign sơ kết spans 07–09/2024 by default; September, with no
    run in the store, is "chưa có số liệu", never "chưa (được) phê duyệt"."""
    from pcmbn.packet.build import build_packet_data
    from pcmbn.packet.report import build_report
    from pcmbn.packet.workbook import build_workbook
    from pcmbn.store.history import HistoryStore

    catalog = load_catalog()
    plan = catalog.plan(ST)
    store = HistoryStore(tmp_path / "history.duckdb")
    _record_month(store, "2024-07", 3)
    _record_month(store, "2024-08", 2)
    milestone = resolve_milestone(plan, "so_ket", Period.from_code("2024-09"), labels=LABELS)
    months = span_months(plan, milestone)
    data = build_packet_data(store, catalog, plan, milestone, months)
    assert [m.code for m in data.months] == ["2024-07", "2024-08", "2024-09"]
    assert [m.code for m in data.missing_periods] == ["2024-09"]
    assert [m.code for m in data.unapproved_periods] == ["2024-07", "2024-08"]
    book, _ = build_workbook(data, [])
    cover = {
        str(row[0].value): str(row[1].value)
        for row in book["BiaPhuLuc"].iter_rows()
        if row[0].value and len(row) > 1
    }
    assert cover["Tháng chưa có số liệu"] == "tháng 9/2024"
    assert cover["Tháng chưa phê duyệt"] == "tháng 7/2024, tháng 8/2024"
    report, _ = build_report(data, [])
    texts = [p.text for p in report.paragraphs]
    unapproved = [t for t in texts if "phê duyệt" in t]
    assert unapproved and not any("9/2024" in t for t in unapproved), unapproved
