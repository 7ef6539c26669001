"""The leader's one page ("Tóm tắt số liệu"): the key figures of the span with comparisons.

A leader chairing the conference reads one page: per workstream its headline indicators (those
without a parent row), the span's figure, and how it compares with the previous span and the
same span last year, or "chưa có số liệu" where the store has no history. Every figure is
traced like the report's (`TT/<code>[/truoc|/cung_ky]`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from pcmbn.office.atomic import atomic_write
from pcmbn.office.docx import add_paragraph, docx_bytes, grid, setup_styles
from pcmbn.packet.model import PacketData, ref_total
from pcmbn.packet.phrases import change_phrase, in_sentence, is_missing, vi_number

SUMMARY_PAGE = "TomTatSoLieu.docx"
NO_HISTORY = "chưa có số liệu"
HEADERS = ("Chỉ tiêu", "Kết quả", "So với kỳ trước", "So với cùng kỳ năm trước")


def write_summary_page(data: PacketData, path: Path) -> dict[str, str]:
    """Write the one-page summary atomically; return `{locator: ref key}` of its figures."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = Cm(2.5)
    section.right_margin = section.top_margin = section.bottom_margin = Cm(1.5)
    setup_styles(doc)
    centre = {"align": WD_ALIGN_PARAGRAPH.CENTER, "indent": None}
    add_paragraph(doc, "TÓM TẮT SỐ LIỆU", bold=True, size=Pt(14), **centre)
    add_paragraph(doc, f"{data.milestone.name} — {in_sentence(data.span_label)}", **centre)
    numbers: dict[str, str] = {}
    rows: list[list[str]] = []
    for workstream in data.catalog.packet.workstreams:
        lines = _lines(data, workstream.groups, numbers)
        if lines:
            rows.append([workstream.title, "", "", ""])
            rows.extend(lines)
    table = grid(doc, HEADERS, rows, (7.0, 2.6, 3.7, 3.7), numeric_from=1)
    for row, values in zip(table.rows[1:], rows, strict=True):
        if not values[1]:
            for run in row.cells[0].paragraphs[0].runs:
                run.bold = True
    note = (
        "Chỉ tiêu chính của từng lĩnh vực (không gồm các dòng “trong đó”); số liệu đầy đủ "
        "tại Biểu 1 của báo cáo và tệp PhuLucSoLieu.xlsx."
    )
    add_paragraph(doc, note, italic=True, size=Pt(10), indent=None)
    atomic_write(path, docx_bytes(doc, data.generated_at))
    return numbers


def _lines(data: PacketData, groups: tuple[str, ...], numbers: dict[str, str]) -> list[list[str]]:
    totals = data.totals
    if totals.empty or not groups:
        return []
    lines = []
    for row in totals[totals["group"].isin(groups)].itertuples(index=False):
        indicator = data.catalog.indicators.get(row.code)
        if (indicator and indicator.parent) or is_missing(row.value):
            continue
        numbers[f"TT/{row.code}"] = ref_total(row.code)
        unit = str(row.unit_of_measure)
        lines.append(
            [
                str(row.name),
                f"{vi_number(row.value)} {unit}",
                _compare(row, row.previous, row.change_prev_pct, "truoc", numbers),
                _compare(row, row.last_year, row.change_year_pct, "cung_ky", numbers),
            ]
        )
    return lines


def _compare(row: Any, base: Any, pct: Any, key: str, numbers: dict[str, str]) -> str:
    if is_missing(base):
        return NO_HISTORY
    numbers[f"TT/{row.code}/{key}"] = f"{key}/{row.code}"
    phrase = change_phrase(float(row.value), float(base), pct, str(row.unit_of_measure), "")
    phrase = phrase.removesuffix(" so với ").strip()
    return "không đổi" if phrase == "bằng" else phrase
