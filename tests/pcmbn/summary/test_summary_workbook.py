"""The provincial summary workbook and its CSV/Parquet exports, from hand-made `SummaryData`.

The data are built here, not from the history store, so each assertion can name the number it
expects: four Sóc Trăng units (one on time, one late, one missing, one rejected), a few
indicators with values, NaN where nobody reported, and unit text that looks like formulas.
"""

from __future__ import annotations

import hashlib
import math
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from pcmbn.catalog import load_catalog
from pcmbn.periods import months_between, parse_period
from pcmbn.summary.exports import export_tables
from pcmbn.summary.model import SummaryData
from pcmbn.summary.workbook import HEADER_ROW, SHEETS, write_summary

#: Completeness status → label, as the catalog gives it (schemas/labels.yaml).
STATUS_VI = load_catalog().labels.completeness
PLAN = "ST-KH-30-7-2024"
PERIOD = "2024-07"
GENERATED = datetime(2024, 7, 18, 0, 5, tzinfo=UTC)  # 07:05 in Hà Nội

UNITS = {
    "CA_TINH": ("Công an tỉnh", "Sở, ban, ngành tỉnh", "province_department"),
    "SO_LDTBXH": (
        "Sở Lao động - Thương binh và Xã hội",
        "Sở, ban, ngành tỉnh",
        "province_department",
    ),
    "UBND_H_KE_SACH": ("Ủy ban nhân dân huyện Kế Sách", "UBND địa phương", "local_government"),
    "UBND_TX_VINH_CHAU": (
        "Ủy ban nhân dân thị xã Vĩnh Châu",
        "UBND địa phương",
        "local_government",
    ),
}
STATUSES = {
    "CA_TINH": "on_time",
    "SO_LDTBXH": "late",
    "UBND_H_KE_SACH": "missing",
    "UBND_TX_VINH_CHAU": "rejected",
}
#: This period's accepted values: (unit, code) -> (period, cumulative).
VALUES: dict[tuple[str, str], tuple[float, float]] = {
    ("CA_TINH", "DT01"): (3, 10),
    ("CA_TINH", "NN01"): (5, 12),
    ("CA_TINH", "NN02"): (2, 4),
    ("CA_TINH", "TT02"): (1200, 5400),
    ("CA_TINH", "KP01"): (12.5, 40.25),
    ("SO_LDTBXH", "NN01"): (1, 3),
    ("SO_LDTBXH", "TT02"): (350, 900),
    ("SO_LDTBXH", "KP01"): (3.25, 9.5),
}
PREVIOUS = {"DT01": 2.0, "NN01": 4.0, "TT02": 1550.0, "KP01": 0.0}
LAST_YEAR = {"DT01": 4.0, "NN01": 6.0}

EVIL_FILE = "=cmd|' /C calc'!A0.xlsx"
EVIL_RESULT = '=HYPERLINK("http://evil.example","bấm vào đây")'
EVIL_DIFFICULTY = "+thiếu kinh phí"
EVIL_PROPOSAL = "-đề nghị bổ sung biên chế"
EVIL_NAME = "@SUM(1+1)"


def _total(code: str, column: int) -> float:
    values = [v[column] for (unit, c), v in VALUES.items() if c == code]
    return float(sum(values)) if values else math.nan


def _change(now: float, before: float) -> float:
    if math.isnan(now) or math.isnan(before) or before == 0:
        return math.nan
    return (now - before) / before


def make_data(catalog: Any = None) -> SummaryData:
    catalog = catalog or load_catalog()
    plan = catalog.plan(PLAN)
    period = parse_period(PERIOD)
    codes = list(catalog.indicators)
    by_indicator = pd.DataFrame(
        [
            {
                "code": code,
                "group": ind.group,
                "name": ind.name,
                "unit_of_measure": ind.unit_of_measure,
                "period": _total(code, 0),
                "cumulative": _total(code, 1),
                "previous": PREVIOUS.get(code, math.nan),
                "last_year": LAST_YEAR.get(code, math.nan),
                "change_prev_pct": _change(_total(code, 0), PREVIOUS.get(code, math.nan)),
                "change_year_pct": _change(_total(code, 0), LAST_YEAR.get(code, math.nan)),
            }
            for code, ind in catalog.indicators.items()
        ]
    )
    by_group_rows = []
    for code, ind in catalog.indicators.items():
        for key, label in (
            ("province_department", "Sở, ban, ngành tỉnh"),
            ("local_government", "UBND địa phương"),
        ):
            rows = [v for (u, c), v in VALUES.items() if c == code and UNITS[u][2] == key]
            by_group_rows.append(
                {
                    "code": code,
                    "name": ind.name,
                    "group_key": key,
                    "group_label": label,
                    "period": float(sum(r[0] for r in rows)) if rows else math.nan,
                    "cumulative": float(sum(r[1] for r in rows)) if rows else math.nan,
                }
            )
    matrix = pd.DataFrame(index=codes, columns=list(UNITS), dtype="float64")
    for (unit, code), (value, _cum) in VALUES.items():
        matrix.loc[code, unit] = value
    units = pd.DataFrame(
        [{"unit_code": c, "unit_name": n, "group_label": g} for c, (n, g, _k) in UNITS.items()]
    )
    due = date(2024, 7, 17)
    completeness = pd.DataFrame(
        {
            "unit_code": list(UNITS),
            "unit_name": [UNITS[c][0] for c in UNITS],
            "group_label": [UNITS[c][1] for c in UNITS],
            "status": [STATUSES[c] for c in UNITS],
            "received_at": pd.to_datetime(
                ["2024-07-16T02:30:00Z", "2024-07-19T09:45:00Z", None, "2024-07-17T03:00:00Z"],
                utc=True,
            ),
            "due_date": [due] * 4,
            "file_name": ["BaoCao_CA_TINH_2024-07.xlsx", EVIL_FILE, None, "bao cao.xlsx"],
            "email": ["ca.tinh@soc-trang.example.org", None, None, None],
        }
    )
    ldtbxh = UNITS["SO_LDTBXH"][0]
    task_1, task_2 = "Hưởng ứng Ngày 30/7", "Công an tỉnh: cao điểm"
    tasks = pd.DataFrame(
        [
            ("1", task_1, "CA_TINH", "Công an tỉnh", "Hoàn thành", "Đã tổ chức.", None, False),
            ("1", task_1, "SO_LDTBXH", ldtbxh, "Chưa triển khai", None, EVIL_DIFFICULTY, True),
            ("2", task_2, "CA_TINH", "Công an tỉnh", "Đang triển khai", EVIL_RESULT, None, False),
        ],
        columns=[
            "task_code",
            "task_text",
            "unit_code",
            "unit_name",
            "status",
            "result",
            "difficulty",
            "not_started",
        ],
    )
    narratives = pd.DataFrame(
        [
            ("CA_TINH", "Công an tỉnh", "difficulties", "Địa bàn rộng, lực lượng mỏng."),
            ("CA_TINH", "Công an tỉnh", "proposals", EVIL_PROPOSAL),
            ("SO_LDTBXH", EVIL_NAME, "difficulties", "Thiếu cán bộ chuyên trách."),
        ],
        columns=["unit_code", "unit_name", "kind", "text"],
    )
    months = months_between(parse_period("2024-01"), period)
    trend_rows = []
    for i, month in enumerate(months):
        for code in ("DT01", "NN01", "NN02", "TT02"):
            total = math.nan if (code == "NN02" and i == 0) else float((i + 1) * len(code))
            if month == period:
                total = _total(code, 0)
            trend_rows.append(
                {
                    "month": month.code,
                    "month_label": f"T{month.index}/{month.year}",
                    "code": code,
                    "total": total,
                }
            )
    sources = pd.DataFrame(
        [
            {
                "code": code,
                "column": column,
                "unit_code": unit,
                "value": pair[i],
                "file_name": EVIL_FILE if unit == "SO_LDTBXH" else f"BaoCao_{unit}_2024-07.xlsx",
                "sha256": hashlib.sha256(unit.encode()).hexdigest(),
                "sheet": "ChiTieu",
                "cell": f"{'EF'[i]}{10 + n}",
                "archive_path": f"archive/{unit[:2]}/{unit}.xlsx",
            }
            for n, ((unit, code), pair) in enumerate(VALUES.items())
            for i, column in enumerate(("period", "cumulative"))
        ]
    )
    return SummaryData(
        plan=plan,
        period=period,
        catalog=catalog,
        generated_at=GENERATED,
        by_indicator=by_indicator,
        by_group=pd.DataFrame(by_group_rows),
        matrix=matrix,
        units=units,
        completeness=completeness,
        tasks=tasks,
        narratives=narratives,
        trend=pd.DataFrame(trend_rows),
        sources=sources,
        missing_units=["UBND_H_KE_SACH", "UBND_TX_VINH_CHAU"],
    )


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("summary")
    return write_summary(make_data(), out / "TongHop_ST-KH-30-7-2024_2024-07.xlsx")


def _rows_by(ws: Worksheet, column: int) -> dict[Any, int]:
    """First-column-match → row number, below the header (find by code, not by position)."""
    return {
        ws.cell(row=r, column=column).value: r
        for r in range(HEADER_ROW + 1, ws.max_row + 1)
        if ws.cell(row=r, column=column).value is not None
    }


def _header_cols(ws: Worksheet, row: int = HEADER_ROW) -> dict[str, int]:
    return {
        ws.cell(row=row, column=c).value: c
        for c in range(1, ws.max_column + 1)
        if ws.cell(row=row, column=c).value
    }


def _all_text(ws: Worksheet) -> list[str]:
    return [c for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]


def test_sheets_in_order_with_title_block_and_print_setup(summary: Path) -> None:
    wb = load_workbook(summary)
    assert wb.sheetnames == list(SHEETS)
    plan = load_catalog().plan(PLAN)
    for ws in wb.worksheets:
        block = [ws.cell(row=r, column=1).value for r in range(1, 6)]
        assert block[1] == plan.title
        assert block[2] == "Kỳ báo cáo: Tháng 7/2024"
        assert block[3] == "Số liệu tính từ ngày 15/06/2024 đến ngày 14/07/2024"
        assert block[4] == "Ngày lập: 18/07/2024 07:05"
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
        if ws.title != "BieuDo":  # charts only after the month table: nothing to repeat
            assert ws.print_title_rows and ws.print_title_rows.startswith(f"${HEADER_ROW}:")
        assert ws.oddFooter.center.text == "Trang &P/&N"
    assert wb["TongHop"].page_setup.orientation == "landscape"
    assert wb["TongHop"].sheet_properties.pageSetUpPr.fitToPage
    assert wb.properties.created == datetime(2024, 7, 18, 0, 5)


def test_tong_hop_totals_blanks_and_percentages(summary: Path) -> None:
    ws = load_workbook(summary)["TongHop"]
    cols = _header_cols(ws)
    assert list(cols) == [
        "STT",
        "Mã",
        "Chỉ tiêu",
        "Đơn vị tính",
        "Kỳ này",
        "Lũy kế từ đầu năm",
        "Kỳ trước",
        "Cùng kỳ năm trước",
        "So kỳ trước (%)",
        "So cùng kỳ (%)",
    ]
    rows = _rows_by(ws, cols["Mã"])

    def cell(code: str, label: str) -> Any:
        return ws.cell(row=rows[code], column=cols[label])

    assert cell("DT01", "Kỳ này").value == 3
    assert cell("DT01", "Lũy kế từ đầu năm").value == 10
    assert cell("NN01", "Kỳ này").value == 6
    assert cell("TT02", "Kỳ này").value == 1550
    assert cell("KP01", "Kỳ này").value == pytest.approx(15.75)
    assert cell("KP01", "Lũy kế từ đầu năm").value == pytest.approx(49.75)
    assert cell("DT01", "Kỳ này").number_format == "#,##0"
    assert cell("KP01", "Kỳ này").number_format == "#,##0.00"
    # Percentages are fractions formatted as percent.
    assert cell("DT01", "So kỳ trước (%)").value == pytest.approx(0.5)
    assert cell("DT01", "So cùng kỳ (%)").value == pytest.approx(-0.25)
    assert cell("DT01", "So kỳ trước (%)").number_format == "0.0%"
    assert cell("TT02", "So kỳ trước (%)").value == pytest.approx(0.0)
    # NaN is blank, never zero: nobody reported TX01; KP01's previous is 0 (no % base).
    assert cell("TX01", "Kỳ này").value is None
    assert cell("TX01", "Lũy kế từ đầu năm").value is None
    assert cell("KP01", "Kỳ trước").value == 0
    assert cell("KP01", "So kỳ trước (%)").value is None
    # Group headings like the template: roman numeral and the group name.
    assert ws.cell(row=HEADER_ROW + 1, column=1).value == "I"
    assert ws.cell(row=HEADER_ROW + 1, column=3).value == "Tuyên truyền"
    assert ws.cell(row=rows["NN02"], column=3).value.strip() == "Trong đó: trẻ em dưới 16 tuổi"


def test_missing_units_named_in_the_header_note(summary: Path) -> None:
    wb = load_workbook(summary)
    for name in ("TongHop", "TheoNhom", "MaTran"):
        note = wb[name].cell(row=HEADER_ROW - 1, column=1).value
        assert note.startswith("Chưa có báo cáo hợp lệ của 2/4 đơn vị — ")
        # issue 12.16: a unit that never sent and one whose report was rejected, told apart
        never, rejected = note.split("; ")
        assert never.endswith("chưa gửi: Ủy ban nhân dân huyện Kế Sách (UBND_H_KE_SACH)")
        assert rejected.startswith("bị từ chối: ") and "(UBND_TX_VINH_CHAU)" in rejected
        assert "UBND_H_KE_SACH" not in rejected


def test_theo_nhom_splits_the_two_groups(summary: Path) -> None:
    ws = load_workbook(summary)["TheoNhom"]
    assert ws.cell(row=HEADER_ROW, column=5).value == "Sở, ban, ngành tỉnh"
    assert ws.cell(row=HEADER_ROW, column=7).value == "UBND địa phương"
    assert [ws.cell(row=HEADER_ROW + 1, column=c).value for c in range(5, 9)] == [
        "Kỳ này",
        "Lũy kế từ đầu năm",
    ] * 2
    rows = _rows_by(ws, 2)
    assert [ws.cell(row=rows["NN01"], column=c).value for c in range(5, 9)] == [6, 15, None, None]
    assert ws.cell(row=rows["KP01"], column=5).value == pytest.approx(15.75)


def test_ma_tran_unit_by_indicator(summary: Path) -> None:
    ws = load_workbook(summary)["MaTran"]
    names = _header_cols(ws)
    assert ws.cell(row=HEADER_ROW, column=names["Công an tỉnh"]).alignment.textRotation == 90
    rows = _rows_by(ws, 2)
    assert ws.cell(row=rows["DT01"], column=names["Công an tỉnh"]).value == 3
    assert ws.cell(row=rows["NN01"], column=names[UNITS["SO_LDTBXH"][0]]).value == 1
    assert ws.cell(row=rows["DT01"], column=names[UNITS["SO_LDTBXH"][0]]).value is None
    assert ws.cell(row=rows["KP01"], column=names["Công an tỉnh"]).number_format == "#,##0.00"
    codes = {ws.cell(row=HEADER_ROW + 1, column=c).value for c in range(4, 8)}
    assert codes == set(UNITS)


def test_day_du_statuses_colours_and_counts(summary: Path) -> None:
    ws = load_workbook(summary)["DayDu"]
    cols = _header_cols(ws)
    assert list(cols) == [
        "STT",
        "Mã đơn vị",
        "Tên đơn vị",
        "Nhóm",
        "Tình trạng",
        "Thời điểm nhận",
        "Hạn gửi",
        "Tệp",
        "Email",
    ]
    rows = _rows_by(ws, cols["Mã đơn vị"])
    colours = {}
    for code, status in STATUSES.items():
        cell = ws.cell(row=rows[code], column=cols["Tình trạng"])
        assert cell.value == STATUS_VI[status]
        colours[status] = cell.fill.fgColor.rgb[-6:]
    assert colours == {
        "on_time": "C6EFCE",
        "late": "FFEB9C",
        "missing": "FFC7CE",
        "rejected": "FFC7CE",
    }
    received = ws.cell(row=rows["CA_TINH"], column=cols["Thời điểm nhận"])
    assert received.value == datetime(2024, 7, 16, 9, 30)  # office time (UTC+7)
    assert received.number_format == "dd/mm/yyyy hh:mm"
    assert ws.cell(row=rows["UBND_H_KE_SACH"], column=cols["Thời điểm nhận"]).value is None
    due = ws.cell(row=rows["CA_TINH"], column=cols["Hạn gửi"])
    assert due.value.date() == date(2024, 7, 17)
    assert due.number_format == "dd/mm/yyyy"
    counts = {
        ws.cell(row=r, column=3).value: ws.cell(row=r, column=4).value
        for r in range(max(rows.values()) + 1, ws.max_row + 1)
    }
    assert counts["Tổng số đơn vị phải báo cáo"] == 4
    assert all(counts[STATUS_VI[status]] == 1 for status in STATUSES.values())
    assert counts[STATUS_VI["returned"]] == 0  # issue 14: every status is counted, returns too


def test_nhiem_vu_flags_not_started_rows(summary: Path) -> None:
    ws = load_workbook(summary)["NhiemVu"]
    flagged, plain = [], []
    for r in range(HEADER_ROW + 1, ws.max_row + 1):
        unit = ws.cell(row=r, column=2).value
        if unit not in UNITS:
            continue
        fill = ws.cell(row=r, column=5).fill.fgColor.rgb[-6:]
        (flagged if fill == "FCE4D6" else plain).append((unit, ws.cell(row=r, column=4).value))
    assert flagged == [("SO_LDTBXH", "Chưa triển khai")]
    assert len(plain) == 2
    headings = [ws.cell(row=r, column=2).value for r in range(HEADER_ROW + 1, ws.max_row + 1)]
    assert "Nhiệm vụ 1: Hưởng ứng Ngày 30/7" in headings


def test_kien_nghi_one_row_per_unit(summary: Path) -> None:
    ws = load_workbook(summary)["KienNghi"]
    assert [ws.cell(row=HEADER_ROW, column=c).value for c in range(1, 5)] == [
        "STT",
        "Đơn vị",
        "Khó khăn, vướng mắc",
        "Đề xuất, kiến nghị",
    ]
    row = HEADER_ROW + 1
    assert ws.cell(row=row, column=2).value == "Công an tỉnh"
    assert ws.cell(row=row, column=3).value == "Địa bàn rộng, lực lượng mỏng."
    assert ws.cell(row=row, column=4).value == EVIL_PROPOSAL
    assert ws.cell(row=row, column=3).alignment.wrap_text
    assert ws.cell(row=row + 1, column=2).value == EVIL_NAME
    assert ws.cell(row=row + 1, column=4).value is None


def test_bieu_do_has_charts_and_the_table_they_plot(summary: Path) -> None:
    ws = load_workbook(summary)["BieuDo"]
    # DT01, NN01 with its child NN02, TT02: three charts.
    assert len(ws._charts) == 3
    headers = [ws.cell(row=HEADER_ROW, column=c).value for c in range(1, 6)]
    assert headers[0] == "Tháng"
    assert headers[1].startswith("DT01 – Số vụ mua bán người")
    labels = [ws.cell(row=HEADER_ROW + i, column=1).value for i in range(1, 8)]
    assert labels == [f"T{m}/2024" for m in range(1, 8)]
    july = HEADER_ROW + 7
    assert ws.cell(row=july, column=2).value == 3  # DT01 this period
    assert ws.cell(row=HEADER_ROW + 1, column=4).value is None  # NN02 NaN in January
    with zipfile.ZipFile(summary) as zf:
        charts = [n for n in zf.namelist() if n.startswith("xl/charts/chart")]
        titles = b"".join(zf.read(n) for n in charts).decode()
    assert len(charts) == 3
    assert "Số vụ mua bán người được phát hiện theo tháng" in titles


def test_every_chart_value_axis_starts_at_zero(summary: Path) -> None:
    """Issue 12, item 18: Excel's automatic minimum (175) exaggerates small changes."""
    ws = load_workbook(summary)["BieuDo"]
    kinds = set()
    for chart in ws._charts:
        kinds.add(type(chart).__name__)
        assert chart.y_axis.scaling.min == 0, chart.tagname
    assert kinds == {"BarChart", "LineChart"}  # TT02 is a line (schemas/summary.yaml)
    with zipfile.ZipFile(summary) as zf:
        for name in (n for n in zf.namelist() if n.startswith("xl/charts/chart")):
            xml = zf.read(name).decode()
            value_axis = xml[xml.index("<valAx>") : xml.index("</valAx>")]
            assert '<min val="0"/>' in value_axis, name


def test_nguon_one_row_per_source(summary: Path) -> None:
    ws = load_workbook(summary)["Nguon"]
    cols = _header_cols(ws)
    assert list(cols) == [
        "Mã chỉ tiêu",
        "Cột",
        "Mã đơn vị",
        "Giá trị",
        "Tệp",
        "SHA-256",
        "Trang",
        "Ô",
        "Lưu trữ",
    ]
    rows = [
        [ws.cell(row=r, column=c).value for c in range(1, 10)]
        for r in range(HEADER_ROW + 1, ws.max_row + 1)
    ]
    data = make_data()
    assert len(rows) == len(data.sources)
    first = rows[0]
    assert first[:4] == ["DT01", "Kỳ này", "CA_TINH", 3]
    assert first[5] == hashlib.sha256(b"CA_TINH").hexdigest()
    # One name per column, the template's (issue 11: "Lũy kế" and "Lũy kế từ đầu năm" were two).
    assert {r[1] for r in rows} == {"Kỳ này", "Lũy kế từ đầu năm"}
    # Every aggregate traces: the sources of a total sum to it.
    total = sum(r[3] for r in rows if r[0] == "NN01" and r[1] == "Kỳ này")
    assert total == 6


def test_same_data_gives_same_bytes(tmp_path: Path, summary: Path) -> None:
    again = write_summary(make_data(), tmp_path / "again.xlsx")
    assert (
        hashlib.sha256(again.read_bytes()).digest() == hashlib.sha256(summary.read_bytes()).digest()
    )
    assert not list(tmp_path.glob("*.part")) and not list(summary.parent.glob(".*.part"))


def test_formula_like_unit_text_stays_text(summary: Path) -> None:
    with zipfile.ZipFile(summary) as zf:
        sheets = [n for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == len(SHEETS)
        for name in sheets:
            xml = zf.read(name)
            assert b"<f>" not in xml and b"<f " not in xml, name
    wb = load_workbook(summary)
    texts = {sheet: _all_text(wb[sheet]) for sheet in ("DayDu", "NhiemVu", "KienNghi", "Nguon")}
    assert EVIL_FILE in texts["DayDu"]
    assert EVIL_FILE in texts["Nguon"]
    assert EVIL_RESULT in texts["NhiemVu"] and EVIL_DIFFICULTY in texts["NhiemVu"]
    assert EVIL_PROPOSAL in texts["KienNghi"] and EVIL_NAME in texts["KienNghi"]
    cell = next(c for row in wb["NhiemVu"].iter_rows() for c in row if c.value == EVIL_RESULT)
    assert cell.data_type == "s"
    assert cell.quotePrefix  # Excel keeps it text even after F2 + Enter


def test_control_characters_and_empty_tables_do_not_break_the_workbook(tmp_path: Path) -> None:
    data = make_data()
    data.narratives.loc[0, "text"] = "Dòng 1\x00\x07 hết"
    data.tasks = data.tasks.iloc[0:0]
    data.trend = data.trend.iloc[0:0]
    data.sources = data.sources.iloc[0:0]
    data.missing_units = []
    path = write_summary(data, tmp_path / "empty.xlsx")
    wb = load_workbook(path)
    assert wb["KienNghi"].cell(row=HEADER_ROW + 1, column=3).value == "Dòng 1 hết"
    assert wb["BieuDo"]._charts == []
    note = wb["TongHop"].cell(row=HEADER_ROW - 1, column=1).value
    assert note == "Đã nhận đủ báo cáo của 4/4 đơn vị."


def test_wide_matrix_prints_one_page_tall_with_indicator_columns_repeated(
    tmp_path: Path,
) -> None:
    data = make_data()
    extra = {f"UBND_X_{i:02d}": float(i) for i in range(30)}
    data.matrix = data.matrix.assign(**extra)
    data.missing_units = list(extra)
    wb = load_workbook(write_summary(data, tmp_path / "wide.xlsx"))
    ws = wb["MaTran"]
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (0, 1)
    assert ws.print_title_cols == "$A:$C"
    assert "Tháng 7/2024" in ws.oddHeader.center.text
    assert ws.cell(row=HEADER_ROW, column=4 + 4 + 29).value == "UBND_X_29"  # name unknown: code
    # Thirty missing units: TongHop names them all, the other sheets count them.
    assert "UBND_X_29" in wb["TongHop"].cell(row=HEADER_ROW - 1, column=1).value
    note = ws.cell(row=HEADER_ROW - 1, column=1).value
    assert note.startswith("Chưa có báo cáo hợp lệ của 30/") and "danh sách ở trang TongHop" in note
    assert "chưa gửi: 30" in note  # none of the thirty is in the table as rejected


def test_all_tables_empty(tmp_path: Path) -> None:
    data = make_data()
    tables = ("by_indicator", "by_group", "units", "completeness", "tasks", "narratives")
    for name in (*tables, "trend", "sources"):
        setattr(data, name, getattr(data, name).iloc[0:0])
    data.matrix = data.matrix.iloc[0:0, 0:0]
    data.missing_units = []
    wb = load_workbook(write_summary(data, tmp_path / "empty.xlsx"))
    assert wb.sheetnames == list(SHEETS)
    assert wb["TongHop"].cell(row=HEADER_ROW, column=1).value == "STT"
    paths = export_tables(data, tmp_path / "exports")
    assert all(p.is_file() for p in paths)
    assert pd.read_parquet(tmp_path / "exports" / "nguon.parquet").empty


# --- exports ------------------------------------------------------------------------------------

TABLES = (
    "tong_hop",
    "chi_tieu_phan_dau",  # issue 18.4: the plan's targets
    "doi_chieu_lien_nganh",  # issue 18.5: interagency reconciliation
    "theo_nhom",
    "ma_tran",
    "so_sanh_don_vi",  # issue 18: comparisons by unit through lineage
    "day_du",
    "nhiem_vu",
    "kien_nghi",
    "xu_huong",
    "nguon",
    "canh_bao",
)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("exports")
    return out, export_tables(make_data(), out)


def test_every_export_written_atomically(exported: tuple[Path, list[Path]]) -> None:
    out, paths = exported
    expected = [out / f"{name}.{ext}" for name in TABLES for ext in ("csv", "parquet")]
    assert paths == expected
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in expected)


def test_csv_has_bom_iso_dates_and_reads_back(exported: tuple[Path, list[Path]]) -> None:
    out, _ = exported
    data = make_data()
    for name in TABLES:
        assert (out / f"{name}.csv").read_bytes().startswith(b"\xef\xbb\xbf"), name
    tong_hop = pd.read_csv(out / "tong_hop.csv", encoding="utf-8-sig")
    assert list(tong_hop.columns) == list(data.by_indicator.columns)
    pd.testing.assert_frame_equal(tong_hop, data.by_indicator, check_dtype=False)
    matrix = pd.read_csv(out / "ma_tran.csv", encoding="utf-8-sig").set_index("code")
    pd.testing.assert_frame_equal(
        matrix, data.matrix, check_dtype=False, check_names=False, check_index_type=False
    )
    day_du = pd.read_csv(out / "day_du.csv", encoding="utf-8-sig", keep_default_na=False)
    assert day_du.loc[0, "received_at"] == "2024-07-16T09:30:00+07:00"
    assert day_du.loc[2, "received_at"] == ""
    assert set(day_du["due_date"]) == {"2024-07-17"}
    assert day_du.loc[0, "unit_name"] == "Công an tỉnh"


def test_csv_neutralises_formula_text_only(exported: tuple[Path, list[Path]]) -> None:
    out, _ = exported
    day_du = pd.read_csv(out / "day_du.csv", encoding="utf-8-sig")
    assert day_du.loc[1, "file_name"] == "'" + EVIL_FILE
    tasks = pd.read_csv(out / "nhiem_vu.csv", encoding="utf-8-sig")
    assert "'" + EVIL_RESULT in set(tasks["result"])
    assert "'" + EVIL_DIFFICULTY in set(tasks["difficulty"])
    kien_nghi = pd.read_csv(out / "kien_nghi.csv", encoding="utf-8-sig")
    assert "'" + EVIL_PROPOSAL in set(kien_nghi["text"])
    assert "'" + EVIL_NAME in set(kien_nghi["unit_name"])
    assert set(tasks["not_started"]) == {True, False}
    raw = (out / "nguon.csv").read_text(encoding="utf-8-sig")
    assert "\n=" not in raw and ",=" not in raw


def test_parquet_reads_back_equal(exported: tuple[Path, list[Path]]) -> None:
    out, _ = exported
    data = make_data()
    originals = {
        "tong_hop": data.by_indicator,
        "theo_nhom": data.by_group,
        "nhiem_vu": data.tasks,
        "kien_nghi": data.narratives,
        "xu_huong": data.trend,
        "nguon": data.sources,
    }
    for name, frame in originals.items():
        back = pd.read_parquet(out / f"{name}.parquet")
        pd.testing.assert_frame_equal(back, frame, check_dtype=False, obj=name)
    assert pd.read_parquet(out / "nhiem_vu.parquet").loc[2, "result"] == EVIL_RESULT
    matrix = pd.read_parquet(out / "ma_tran.parquet")
    assert list(matrix.columns) == ["code", *UNITS]
    np.testing.assert_array_equal(matrix.drop(columns="code").to_numpy(), data.matrix.to_numpy())
    day_du = pd.read_parquet(out / "day_du.parquet")
    pd.testing.assert_series_equal(day_du["received_at"], data.completeness["received_at"])
    assert [pd.Timestamp(d).date() for d in day_du["due_date"]] == list(
        data.completeness["due_date"]
    )


def test_money_has_two_decimals_and_a_huge_change_is_a_multiple(tmp_path: Path) -> None:
    """Issue 12.17: money cells `#,##0.00` (never "0.0" / "340.45" one decimal short); a change
    beyond ±999 % is written "tăng 27,7 lần", not "2666.7%"; smaller ones stay numbers."""
    data = make_data()
    frame = data.by_indicator
    frame.loc[frame["code"] == "DT01", "change_prev_pct"] = 80 / 3  # 3 → 83 is ×27,7
    frame.loc[frame["code"] == "DT01", "change_year_pct"] = 9.99  # still a percentage
    ws = load_workbook(write_summary(data, tmp_path / "x.xlsx"))["TongHop"]
    cols = _header_cols(ws)
    rows = _rows_by(ws, cols["Mã"])
    big = ws.cell(row=rows["DT01"], column=cols["So kỳ trước (%)"])
    assert big.value == "tăng 27,7 lần" and big.alignment.horizontal == "right"
    near = ws.cell(row=rows["DT01"], column=cols["So cùng kỳ (%)"])
    assert near.value == pytest.approx(9.99) and near.number_format == "0.0%"
    for label in ("Kỳ này", "Lũy kế từ đầu năm", "Kỳ trước", "Cùng kỳ năm trước"):
        assert ws.cell(row=rows["KP01"], column=cols[label]).number_format == "#,##0.00"
