"""A conference packet over a generated history: every number recomputed and traced.

History (plan ST-KH-30-7-2024, units CA_TINH and BP_TINH): March (the previous span), April
and June; May has no report at all. CA_TINH corrects its June report. The packet spans
April–June (`start=2024-04`, milestone "Sơ kết 6 tháng đầu năm").
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import docx
import fsspec
import openpyxl
import pytest
from report_fixtures import Fixture, write_fixture

from flows.conference_packet import conference_packet
from flows.monthly_aggregation import monthly_aggregation
from pcmbn.approval import approve_period
from pcmbn.catalog import load_catalog
from pcmbn.periods import parse_period
from pcmbn.report_content import ReportContent, TaskEntry
from pcmbn.settings import outputs_dir, store_path
from pcmbn.store.history import HistoryStore

PLAN = "ST-KH-30-7-2024"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
HOSTILE_TEXT = '=HYPERLINK("http://x","bấm")'
HOSTILE_RESULT = "+84 912 345 678 đã gọi"

#: (unit, month, file name) → (DT01, NN01, NN02, MH01); the last file of a unit and month wins.
REPORTS: list[tuple[str, str, str, tuple[int, int, int, int]]] = [
    ("CA_TINH", "2024-03", "BaoCao_CA_TINH_T3", (2, 3, 1, 4)),
    ("CA_TINH", "2024-04", "BaoCao_CA_TINH_T4", (3, 5, 2, 4)),
    ("BP_TINH", "2024-04", "BaoCao_BP_TINH_T4", (1, 2, 0, 2)),
    ("CA_TINH", "2024-06", "BaoCao_CA_TINH_T6", (4, 6, 3, 5)),
    ("BP_TINH", "2024-06", "BaoCao_BP_TINH_T6", (2, 1, 1, 3)),
    ("CA_TINH", "2024-06", "BaoCao_CA_TINH_T6_ban_sua", (7, 6, 3, 6)),  # the correction
]
CODES = ("DT01", "NN01", "NN02", "MH01")


def _current() -> dict[tuple[str, str], tuple[int, int, int, int]]:
    """Newest report per unit and month, as the test itself understands it."""
    current: dict[tuple[str, str], tuple[int, int, int, int]] = {}
    for unit, month, _name, values in REPORTS:
        current[(unit, month)] = values
    return current


def _write_month(inbox: Path, month: str) -> None:
    catalog = load_catalog()
    folder = inbox / month
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for index, (unit, m, name, values) in enumerate(REPORTS):
        if m != month:
            continue

        def edit(
            content: ReportContent, values: tuple[int, ...] = values, unit: str = unit
        ) -> None:
            for code, value in zip(CODES, values, strict=True):
                content.values[code] = (value, value * 4)
            content.values["NN03"] = (0, 0)  # "Trong đó: nữ" never above NN01
            content.difficulties = HOSTILE_TEXT if unit == "BP_TINH" else "Kinh phí hạn chế."
            first = next(iter(content.tasks))
            content.tasks[first] = TaskEntry("Đang triển khai", HOSTILE_RESULT, None)

        path = write_fixture(Fixture(name, unit=unit, period=month, edit=edit), folder, catalog)
        year, number = int(month[:4]), int(month[5:])
        received = datetime(year, number, 15, 8, tzinfo=TZ).replace(hour=8 + index)
        rows.append([path.name, received.isoformat(), unit])
    with (folder / "received.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "received_at", "unit_code"])
        writer.writerows(rows)


def _expected_span_sum(code: str, months: list[str]) -> int:
    i = CODES.index(code)
    return sum(v[i] for (_unit, m), v in _current().items() if m in months)


def _cell_value(book: Any, sheet: str, cell: str) -> Any:
    return book[sheet][cell].value


@pytest.mark.slow
def test_packet_numbers_are_recomputed_and_traced(prefect_harness: None, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    for month in ("2024-03", "2024-04", "2024-06"):
        _write_month(inbox, month)
        monthly_aggregation(plan=PLAN, period=month, inbox=str(inbox / month))
    catalog = load_catalog()
    plan = catalog.plan(PLAN)
    store = HistoryStore(store_path())
    approve_period(
        store,
        catalog,
        plan,
        parse_period("2024-04"),
        outputs_dir(PLAN, "2024-04") / f"TongHop_{PLAN}_2024-04.xlsx",
        None,
        by="can-bo-tong-hop",
    )

    document = conference_packet(plan=PLAN, milestone="so_ket", period="2024-H1", start="2024-04")
    span = ["2024-04", "2024-05", "2024-06"]
    assert document["span"] == {"start": "2024-04", "end": "2024-06"}
    assert document["missing_periods"] == ["2024-05"]
    for code in ("DT01", "NN01", "NN02"):  # JSON totals: flows are the span's sums
        assert document["totals"][code] == _expected_span_sum(code, span)
    # a stock (MH01, aggregation `last`) is each unit's latest month, never a sum over months
    assert document["totals"]["MH01"] == 6 + 3 != _expected_span_sum("MH01", span)
    zip_path = Path(document["packet"])
    with zipfile.ZipFile(zip_path) as packed:
        names = set(packed.namelist())
        manifest = json.loads(packed.read("manifest.json"))
        book = openpyxl.load_workbook(io.BytesIO(packed.read("PhuLucSoLieu.xlsx")))
        report_bytes = packed.read("BaoCao_so_ket.docx")
        readme = packed.read("README.txt").decode("utf-8")
    assert {"README.txt", "manifest.json", "PhuLucSoLieu.xlsx", "BaoCao_so_ket.docx"} <= names
    assert any(n.startswith("BieuDo_") and n.endswith(".png") for n in names)
    assert "2024-05" in readme

    # The workbook's totals equal the test's own recomputation (MH01, a stock: latest month).
    totals_sheet = book["TongHop"]
    by_code = {
        row[1].value: row for row in totals_sheet.iter_rows(min_row=7) if row[1].value in CODES
    }
    for code in ("DT01", "NN01", "NN02"):
        assert by_code[code][4].value == _expected_span_sum(code, span)
        assert by_code[code][5].value == _expected_span_sum(code, ["2024-01", "2024-02", "2024-03"])
    assert by_code["MH01"][4].value == 6 + 3  # CA_TINH's and BP_TINH's June values
    monthly = book["TheoThang"]
    header = [c.value for c in monthly[6]]
    dt01_row = next(r for r in monthly.iter_rows(min_row=7) if r[0].value == "DT01")
    assert dt01_row[header.index("T6/2024")].value == 7 + 2  # the correction replaced 4
    assert dt01_row[header.index("T5/2024")].value is None  # missing, not zero

    # Cover page and manifest say May is missing and June is not approved; May, with no run,
    # has no figures to approve: "chưa có số liệu", never "chưa phê duyệt" (issue 12, item 19).
    cover = " ".join(str(c.value) for row in book["BiaPhuLuc"].iter_rows() for c in row if c.value)
    assert "CHƯA ĐỦ SỐ LIỆU" in cover and "CHƯA PHÊ DUYỆT" in cover
    assert manifest["missing_periods"] == ["2024-05"]
    assert manifest["unapproved_periods"] == ["2024-06"]

    # Every number in the workbook resolves to its sources, and they sum to it.
    sources = {s["id"]: s for s in manifest["sources"]}
    workbook_numbers = manifest["numbers"]["PhuLucSoLieu.xlsx"]
    assert len(workbook_numbers) > 100
    for where, ref in workbook_numbers.items():
        sheet, cell = where.split("!")
        shown = _cell_value(book, sheet, cell)
        entry = manifest["refs"][ref]
        assert shown == pytest.approx(entry["value"]), (where, ref)
        assert entry["value"] == pytest.approx(sum(sources[i]["value"] for i in entry["sources"]))
    assert manifest["numbers"]["BaoCao_so_ket.docx"]
    for ref in manifest["numbers"]["BaoCao_so_ket.docx"].values():
        assert ref in manifest["refs"]

    # Every source resolves to an archived original and the cell holds that value.
    archived = {f["sha256"]: f for f in manifest["files"]}
    originals: dict[str, Any] = {}
    for source in sources.values():
        location = archived[source["sha256"]]["archive_path"]
        if location not in originals:
            with fsspec.open(location, "rb") as handle:
                originals[location] = openpyxl.load_workbook(io.BytesIO(handle.read()))
        assert originals[location][source["sheet"]][source["cell"]].value == source["value"]
    corrected = [f for f in manifest["files"] if f["original_name"] == "BaoCao_CA_TINH_T6.xlsx"]
    assert corrected == []  # the superseded June report sums into nothing

    # Text from units stays text (never a formula) in the workbook.
    texts = [c for row in book["KhoKhanKienNghi"].iter_rows() for c in row if c.value]
    hostile = [c for c in texts if c.value == HOSTILE_TEXT]
    assert hostile and all(c.data_type == "s" and c.quotePrefix for c in hostile)
    results = [c for row in book["NhiemVu"].iter_rows() for c in row if c.value == HOSTILE_RESULT]
    assert results and all(c.data_type == "s" for c in results)

    # The draft report: five sections in order, appendix tables, the DT01 total in a sentence.
    report = docx.Document(io.BytesIO(report_bytes))
    paragraphs = [p.text for p in report.paragraphs]
    headings = [
        "I. KẾT QUẢ ĐẠT ĐƯỢC",
        "II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN",
        "III. BÀI HỌC KINH NGHIỆM",
        "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN TỚI",
        "V. ĐỀ XUẤT, KIẾN NGHỊ",
    ]
    positions = [next(i for i, p in enumerate(paragraphs) if p.strip() == h) for h in headings]
    assert positions == sorted(positions)
    assert len(report.tables) >= 3

    # Rebuilding from the same history gives the same packet, archived with its checksum.
    again = conference_packet(plan=PLAN, milestone="so_ket", period="2024-H1", start="2024-04")
    assert Path(again["packet"]).read_bytes() == zip_path.read_bytes()
    packets = store.query("SELECT sha256, archive_url FROM packets ORDER BY built_at")
    assert len(packets) == 2 and packets["sha256"].nunique() == 1
    with fsspec.open(packets["archive_url"].iloc[0], "rb") as handle:
        assert handle.read() == zip_path.read_bytes()

    # The command line prints exactly the documented JSON document.
    result = subprocess.run(
        [sys.executable, "-m", "pcmbn", "packet", "--plan", PLAN, "--milestone", "so_ket"]
        + ["--period", "2024-H1", "--start", "2024-04", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    printed = json.loads(result.stdout)
    assert set(printed) == {
        "packet",
        "plan_id",
        "milestone",
        "span",
        "missing_periods",
        "totals",
        "warned_totals",  # issue 12.7: totals including a figure with an unresolved warning
    }
    # every month's cumulative here is value × 4, so the rules that compare with the month
    # before warn, and those totals are listed
    assert printed["warned_totals"] and set(printed["warned_totals"]) <= set(printed["totals"])
    assert printed["totals"] == document["totals"] and printed["packet"] == document["packet"]
