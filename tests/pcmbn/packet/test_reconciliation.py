"""The packet shows the interagency reconciliation (đối chiếu liên ngành) over its months.

Built from a real history store: Sóc Trăng's campaign sơ kết (07–09/2024), the procuracy
prosecuting more cases than the police instituted over the span and its six months of lag, one
of those police cases counted in February (before the span: read for the lag, traced).
"""

from __future__ import annotations

from datetime import datetime

import pytest

from pcmbn.catalog import load_catalog
from pcmbn.clock import OFFICE_TZ
from pcmbn.packet.build import build_packet_data, resolve_milestone, span_months
from pcmbn.packet.bundle import build_manifest
from pcmbn.packet.model import PacketData
from pcmbn.packet.reconciliation import SHEET, ref_reconciliation
from pcmbn.packet.report import build_report
from pcmbn.packet.workbook import HEADER_ROW, SHEETS, build_workbook
from pcmbn.periods import Period
from pcmbn.store.base import RunRecord, SubmissionRecord
from pcmbn.store.history import HistoryStore

ST = "ST-KH-30-7-2024"
RULE = "truy_to_khoi_to"  # TX01 (VKS) <= DT03 (CA, BP), six months of lag


def _submission(period: str, unit: str, figures: dict[str, int]) -> SubmissionRecord:
    sha = f"{unit}{period}".lower().replace("_", "").replace("-", "").ljust(64, "0")
    return SubmissionRecord(
        sha256=sha,
        original_name=f"BaoCao_{unit}_{period}.xlsx",
        received_at=datetime(2024, int(period[-2:]), 16, 9, 0, tzinfo=OFFICE_TZ),
        archive_path=f"archive/{sha[:2]}/{sha}.xlsx",
        size=100,
        status="accepted",
        plan_id=ST,
        period=period,
        unit_code=unit,
        values=[
            {
                "indicator": code,
                "period_value": value,
                "cumulative": value,
                "sheet": "ChiTieu",
                "period_cell": f"E{row}",
                "cumulative_cell": f"F{row}",
            }
            for row, (code, value) in enumerate(figures.items(), start=10)
        ],
    )


@pytest.fixture(scope="module")
def packet(tmp_path_factory: pytest.TempPathFactory) -> PacketData:
    store = HistoryStore(tmp_path_factory.mktemp("doi_chieu") / "history.duckdb")
    months = {
        "2024-02": [_submission("2024-02", "CA_TINH", {"DT03": 1})],  # before the span: lag
        "2024-07": [_submission("2024-07", "CA_TINH", {"DT03": 1})],
        "2024-08": [_submission("2024-08", "VKS_TINH", {"TX01": 3})],
    }
    for period, records in months.items():
        when = records[0].received_at
        store.record_run(RunRecord(f"run-{period}", ST, period, None, when, records))
    catalog = load_catalog()
    plan = catalog.plan(ST)
    milestone = resolve_milestone(
        plan, "so_ket", Period.from_code("2024-09"), labels=catalog.labels
    )
    return build_packet_data(store, catalog, plan, milestone, span_months(plan, milestone))


def test_the_packet_reconciles_its_months_and_the_lag_before_them(packet: PacketData) -> None:
    table = packet.reconciliation.set_index("rule_id")
    row = table.loc[RULE]
    assert row["scope"] == "span" and row["scope_label"] == "Cả kỳ"
    assert (row["left_value"], row["right_value"], row["difference"]) == (3, 2, 1)
    assert row["right_months"] == "T1/2024 – T9/2024"
    assert row["verdict"] == "Chênh lệch — cần đối chiếu"
    assert "Công an tỉnh" in row["note"] and "6 tháng" in row["note"]
    assert table.loc["xet_xu_truy_to", "verdict"] == "Chưa có số liệu"  # the court sent nothing
    sources = packet.sources.set_index("source_id")
    right = packet.refs[ref_reconciliation(RULE, "DT03")]
    assert sorted(sources.loc[right, "period"]) == ["2024-02", "2024-07"]
    left = packet.refs[ref_reconciliation(RULE, "TX01")]
    assert list(sources.loc[left, "unit_code"]) == ["VKS_TINH"]


def test_the_appendix_has_the_reconciliation_sheet_with_traced_numbers(
    packet: PacketData,
) -> None:
    book, numbers = build_workbook(packet, [])
    assert SHEET in SHEETS and SHEET in book.sheetnames
    ws = book[SHEET]
    assert ws.cell(row=1, column=1).value == packet.catalog.labels.reconciliation.title
    headers = [ws.cell(row=HEADER_ROW, column=c).value for c in range(1, 13)]
    assert headers[1] == "Nội dung đối chiếu" and headers[9] == "Chênh lệch"
    label = packet.reconciliation.set_index("rule_id").loc[RULE, "label"]
    at = next(r for r in range(HEADER_ROW + 1, ws.max_row + 1) if ws.cell(r, 2).value == label)
    shown = [ws.cell(row=at, column=c).value for c in range(1, 13)]
    assert (shown[3], shown[6], shown[9]) == (3, 2, 1)
    assert shown[10] == "Chênh lệch — cần đối chiếu"
    assert numbers[f"{SHEET}!D{at}"] == ref_reconciliation(RULE, "TX01")
    assert numbers[f"{SHEET}!G{at}"] == ref_reconciliation(RULE, "DT03")
    manifest = build_manifest(packet, {"PhuLucSoLieu.xlsx": numbers}, {})
    assert manifest["refs"][ref_reconciliation(RULE, "DT03")]["value"] == 2
    assert manifest["refs"][ref_reconciliation(RULE, "TX01")]["value"] == 3


def test_the_report_says_which_figures_disagree(packet: PacketData) -> None:
    doc, numbers = build_report(packet, [])
    texts = [p.text for p in doc.paragraphs]
    intro = next(t for t in texts if t.startswith("Đối chiếu số liệu liên ngành"))
    assert "từ tháng 7/2024 đến tháng 9/2024" in intro
    assert "Còn chênh lệch" in intro and "vụ án được truy tố so với vụ án đã khởi tố" in intro
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert "DT03: 2" in cells and "TX01: 3" in cells
    assert numbers[f"DC/{RULE}/DT03"] == ref_reconciliation(RULE, "DT03")
