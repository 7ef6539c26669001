"""The plan's targets in a conference packet: the appendix sheet and the report's paragraph.

The packet measures the targets on the months it covers (the same pure `pcmbn.targets`
function as the monthly summary), so a sơ kết reads "Giải quyết trên 90% tố giác, tin báo: đạt
92,5% (37/40) — Đạt" with the two numbers behind it; each of those numbers carries a reference
key (`chi_tieu/<target>/<code>`) whose sources `manifest.json` lists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
from docx.document import Document as DocxDocument

from pcmbn.catalog import Catalog
from pcmbn.domain import Plan, Unit
from pcmbn.office.docx import add_paragraph, grid
from pcmbn.office.layout import columns, finish
from pcmbn.office.styles import CENTERED, NOT_STARTED, PERCENT, TEXT
from pcmbn.packet.phrases import span_phrase
from pcmbn.reading.numbers import format_number_vi
from pcmbn.targets import span_figures, target_table

SHEET = "ChiTieuPhanDau"
DOCX_HEADERS = ("STT", "Chỉ tiêu phấn đấu", "Yêu cầu", "Kết quả (tử số/mẫu số)", "Đánh giá")


def ref_target(target_id: str, code: str) -> str:
    return f"chi_tieu/{target_id}/{code}"


def packet_targets(
    span_values: pd.DataFrame,
    catalog: Catalog,
    plan: Plan,
    units: Mapping[str, Unit],
    refs: dict[str, list[int]],
) -> pd.DataFrame:
    """`targets.TARGETS_COLUMNS` over the packet's months; records each number's sources."""
    months = sorted(set(span_values["period"])) if not span_values.empty else []
    # A target reads only its own indicators: the figures of those alone.
    codes = {code for target in plan.targets for code in target.codes}
    mine = span_values[span_values["indicator"].isin(codes)] if months else span_values
    table = target_table(plan, catalog, span_figures(mine, catalog, months), units)
    for target in plan.targets:
        for code in target.codes:
            rows = span_values[span_values["indicator"] == code] if months else span_values
            counted = [
                int(i)
                for unit, i in zip(rows["unit_code"], rows["source_id"], strict=True)
                if unit in units and target.counts(units[unit].kind)
            ]
            if counted:
                refs[ref_target(target.id, code)] = sorted(counted)
    return table


def write_sheet(s: Any) -> None:
    """The appendix sheet (`s` is the workbook's `_Sheet`: put, title, header, data)."""
    d = s.data
    labels = ["STT", "Chỉ tiêu phấn đấu", "Yêu cầu", "Tử số", "Mẫu số", "Kết quả", "Đánh giá"]
    width = columns(s.ws, (6, 50, 14, 34, 34, 11, 15))
    s.title("KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU PHẤN ĐẤU", width)
    s.header(labels)
    row = 7
    not_met = d.catalog.review.targets.not_met
    for number, rec in enumerate(d.targets.to_dict("records"), start=1):
        ratio = rec["kind"] == "ratio"
        s.row(row, [number, rec["label"], rec["threshold_text"]], [CENTERED, TEXT, CENTERED])
        top = f"{rec['numerator_name']}: {_number(rec['numerator'])}"
        s.put(row, 4, top, TEXT, ref_target(rec["target_id"], rec["numerator_code"]))
        if ratio:
            bottom = f"{rec['denominator_name']}: {_number(rec['denominator'])}"
            s.put(row, 5, bottom, TEXT, ref_target(rec["target_id"], rec["denominator_code"]))
        s.put(row, 6, rec["value"], PERCENT if ratio else s.number_style(rec["numerator_code"]))
        s.put(
            row, 7, rec["verdict"], NOT_STARTED["center"] if rec["verdict"] == not_met else CENTERED
        )
        s.ws.row_dimensions[row].height = 48
        row += 1
    if d.targets.empty:
        s.put(row, 2, "Kế hoạch không đặt chỉ tiêu phấn đấu.", TEXT)
    finish(s.ws, header_rows=(6, 6), freeze="C7")


def write_paragraph(doc: DocxDocument, data: Any, note: Callable[[str, str], None]) -> None:
    """A short paragraph and table in the draft report (nothing for a plan without targets)."""
    table = data.targets
    if table.empty:
        return
    words = data.catalog.review.targets
    met = int((table["verdict"] == words.met).sum())
    add_paragraph(
        doc,
        f"Kết quả thực hiện các chỉ tiêu phấn đấu của Kế hoạch (số liệu "
        f"{span_phrase(data.months)}): {met}/{len(table)} chỉ tiêu đạt yêu cầu.",
    )
    rows = []
    for number, rec in enumerate(table.to_dict("records"), start=1):
        locator = f"CT/{rec['target_id']}"
        note(locator, ref_target(rec["target_id"], rec["numerator_code"]))
        value = rec["value_text"] if isinstance(rec["value_text"], str) else "—"
        if rec["kind"] == "ratio":
            value += f" ({_number(rec['numerator'])}/{_number(rec['denominator'])})"
        rows.append([str(number), rec["label"], rec["threshold_text"], value, rec["verdict"]])
    grid(doc, DOCX_HEADERS, rows, (1.2, 8.5, 3.0, 4.5, 3.3), numeric_from=5)


def _number(value: Any) -> str:
    return "—" if value is None or pd.isna(value) else format_number_vi(float(value))
