"""The draft conference report (báo cáo sơ kết / tổng kết) as a Word document.

The standing office edits this draft rather than starting from a blank page, so the generator
writes what the data can say (figures with their comparisons, unit results, difficulties and
proposals) in the administrative form they already use, and marks every passage only a person
can write with the same highlighted `[Cán bộ tổng hợp viết: ...]` form so none is missed.

Every figure written is returned as `{locator: ref key}` for `manifest.json`, so a reader of the
conference report can trace a number back to the unit cells it sums. The document must be
byte-identical for the same data (its checksum is published): core-property dates follow
`PacketData.generated_at` and the zip entries get fixed timestamps.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.shared import Cm, Pt
from docx.text.paragraph import Paragraph

from pcmbn.domain import ChartSpec, Workstream
from pcmbn.office.atomic import atomic_write
from pcmbn.office.docx import (
    RED,
    add_bullet,
    add_heading,
    add_page_number,
    add_paragraph,
    add_run,
    column_widths,
    docx_bytes,
    grid,
    keep_together,
    safe_text,
    setup_styles,
)
from pcmbn.packet.model import COMPLETENESS_COUNTS, PacketData, ref_series, ref_total
from pcmbn.packet.phrases import (
    change_phrase,
    in_sentence,
    is_missing,
    is_money,
    lower_first,
    months_phrase,
    office_date,
    span_phrase,
    upper_first,
    vi_number,
)
from pcmbn.packet.reconciliation import write_paragraph as write_reconciliation
from pcmbn.packet.synthesis import (
    HIGHLIGHT_RULE,
    MAX_HIGHLIGHTS,
    MAX_POINTS,
    grouped_points,
    highlights,
    unit_texts,
)
from pcmbn.packet.targets import write_paragraph as write_targets
from pcmbn.periods import format_date_vi
from pcmbn.text import clean, fold
from pcmbn.vocabulary import Completeness

CHART_WIDTH = Cm(15)
NO_VALUE = "—"
#: A comparison cell whose span has no history in the store (issue 17, item 5).
NO_HISTORY = "Chưa có số liệu"
SECTIONS = (
    "I. KẾT QUẢ ĐẠT ĐƯỢC",
    "II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN",
    "III. BÀI HỌC KINH NGHIỆM",
    "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN TỚI",
    "V. ĐỀ XUẤT, KIẾN NGHỊ",
)
APPENDIX = "PHỤ LỤC"
#: The appendix table listing the figures that carry an unresolved warning.
WARNED_TABLE = "Biểu 5"  # after Biểu 4, the units' own texts
TOTALS_HEADERS = ("STT", "Chỉ tiêu", "Đơn vị tính", "Kết quả", "Kỳ trước", "Cùng kỳ năm trước")
#: The completeness table's counts: reports expected, then one per status (labels.yaml).
COMPLETENESS_KEYS = ("expected", *COMPLETENESS_COUNTS)
#: Zip entry time of every part: the save time would change the bytes at every rebuild.


def placeholder_text(what: str) -> str:
    """The one form every passage left to the officer takes (searchable, highlighted)."""
    return f"[Cán bộ tổng hợp viết: {what}]"


def write_report(data: PacketData, charts: list[Path], path: Path) -> dict[str, str]:
    """Write the draft report atomically; return `{locator: ref key}` of every figure in it.

    Locators: `I.<n>/<code>` (span total in subsection n of section I), `.../truoc` and
    `.../cung_ky` (the comparisons), `I.<n>/cao_diem/<code>` (campaign figures),
    `PL1/<code>[/truoc|/cung_ky]` and `PL2/<month code|tong>/<code>` (appendix tables).
    """
    doc, numbers = build_report(data, charts)
    payload = docx_bytes(doc, data.generated_at)
    atomic_write(path, payload)
    return numbers


def build_report(data: PacketData, charts: Sequence[Path]) -> tuple[DocxDocument, dict[str, str]]:
    """The whole document in memory (tests and callers can inspect it before saving)."""
    r = _Report(data, Document(), charts)
    _setup_page(r)
    setup_styles(r.doc)
    _heading_block(r)
    _title(r)
    _recipients(r)
    _legal_bases(r)
    _notices(r)
    _results(r)
    write_targets(r.doc, r.data, r.note)
    write_reconciliation(r.doc, r.data, r.note)
    _shortcomings(r)
    _placeholder_section(r, 2, "bài học kinh nghiệm rút ra trong chỉ đạo, tổ chức thực hiện")
    _placeholder_section(r, 3, _directions_hint(data))
    _proposals(r)
    _signature(r)
    _appendix(r)
    return r.doc, r.numbers


# --- formatting ---------------------------------------------------------------------------------


# --- document state and low-level writers -------------------------------------------------------


@dataclass
class _Report:
    data: PacketData
    doc: DocxDocument
    charts: Sequence[Path]
    numbers: dict[str, str] = field(default_factory=dict)
    placed_charts: set[Path] = field(default_factory=set)

    @property
    def issuer(self) -> str:
        plan = self.data.plan
        return plan.issuer or f"Ban Chỉ đạo 138 tỉnh {plan.province}"

    @property
    def issuer_lines(self) -> tuple[str, ...]:
        """The issuing body as Nghị định 30/2020 breaks it (plan data), else one upper line."""
        return self.data.plan.report.issuer_lines or (self.issuer.upper(),)

    @property
    def authority(self) -> tuple[str, ...]:
        """The lines above the signer's title: "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH"."""
        return self.data.plan.report.authority or (f"TM. {self.issuer.upper()}",)

    def note(self, locator: str, ref: str) -> None:
        self.numbers[locator] = ref

    def mark(self, ref: str) -> str:
        """The marker (" (*)") after a figure including a warned unit figure, else ""."""
        return f" {self.data.catalog.labels.warned.marker}" if self.data.is_warned(ref) else ""


def _placeholder(container: Any, what: str) -> Paragraph:
    """A yellow, italic `[Cán bộ tổng hợp viết: ...]` paragraph the officer must replace."""
    paragraph = add_paragraph(container)
    run = paragraph.add_run(placeholder_text(what))
    run.italic = True
    run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    return paragraph


# --- page and styles ----------------------------------------------------------------------------


def _setup_page(r: _Report) -> None:
    section = r.doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = Cm(3)
    section.right_margin = section.top_margin = section.bottom_margin = Cm(2)
    # Nghị định 30/2020: page numbers from page 2, centred at the top; the first page has none.
    section.different_first_page_header_footer = True
    first = section.first_page_header.paragraphs[0]
    first.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    add_run(first, "DỰ THẢO", bold=True, size=Pt(11), colour=RED)
    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_page_number(header, size=Pt(13))
    draft = section.header.add_paragraph()
    draft.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    add_run(draft, "DỰ THẢO", bold=True, size=Pt(11), colour=RED)


# --- front matter -------------------------------------------------------------------------------


def _heading_block(r: _Report) -> None:
    """Issuing body and number left, national motto and place/date right; no borders."""
    table = r.doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    column_widths(table, (Cm(6.5), Cm(9.5)))
    left, right = table.rows[0].cells
    centre = {"align": WD_ALIGN_PARAGRAPH.CENTER, "indent": None}
    form = r.data.plan.report
    if form.governing_body:
        add_paragraph(left, form.governing_body.upper(), size=Pt(12), **centre)
    for line in r.issuer_lines:
        add_paragraph(left, line, bold=True, size=Pt(12), **centre)
    add_paragraph(left, f"Số: ....../{form.number}", **centre)
    add_paragraph(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=Pt(12), **centre)
    motto = add_paragraph(right, **centre)
    add_run(motto, "Độc lập - Tự do - Hạnh phúc", bold=True, underline=True)
    place = f"{r.data.plan.province}, ngày ... tháng ... năm {r.data.end.year}"
    add_paragraph(right, place, italic=True, **centre)
    for cell in (left, right):
        _drop_first_empty(cell)
        for paragraph in cell.paragraphs:
            paragraph.paragraph_format.space_after = Pt(0)


def _drop_first_empty(cell: Any) -> None:
    """A new cell holds one empty paragraph; remove it so the block starts at the top."""
    first = cell.paragraphs[0]
    if not first.text and len(cell.paragraphs) > 1:
        first._element.getparent().remove(first._element)


def milestone_heading(data: PacketData) -> str:
    """The report's subject line: "Sơ kết … thực hiện Kế hoạch …, từ tháng 7/2024 đến …".

    The milestone's own name leads (it says which sơ kết); "Hội nghị" is dropped because the
    report is not the conference itself.
    """
    label = data.catalog.labels.milestones[data.milestone.kind].label
    name = clean(data.milestone.name).removeprefix("Hội nghị ").strip()
    if not fold(name).startswith(fold(label)):
        name = f"{label} {lower_first(name)}"
    return f"{upper_first(name)} thực hiện {_title_plan(data)}, {in_sentence(data.span_label)}"


def _title_plan(data: PacketData) -> str:
    """The plan named once in a title: its `short_title`, else its full title."""
    return clean(data.plan.short_title) if data.plan.short_title else _plan_phrase(data)


def _plan_phrase(data: PacketData) -> str:
    """The plan's title as written (a document title keeps its capital: "Kế hoạch ...")."""
    plan = data.plan
    title = clean(plan.title)
    if plan.number and plan.number not in title:
        title = title.replace("Kế hoạch", f"Kế hoạch số {plan.number}", 1)
    return title


def _title(r: _Report) -> None:
    centre = {"align": WD_ALIGN_PARAGRAPH.CENTER, "indent": None}
    draft = add_paragraph(r.doc, "DỰ THẢO", bold=True, colour=RED, **centre)
    draft.paragraph_format.space_before = Pt(18)
    add_paragraph(r.doc, "BÁO CÁO", bold=True, size=Pt(14), **centre)
    add_paragraph(r.doc, milestone_heading(r.data), bold=True, **centre)
    generated = office_date(r.data.generated_at)
    note = f"(Dự thảo do hệ thống PCMBN lập từ số liệu tổng hợp đến ngày {generated})"
    add_paragraph(r.doc, note, italic=True, size=Pt(11), **centre)


def _recipients(r: _Report) -> None:
    """ "Kính gửi:" when the report goes up to named bodies (plan data), one line or a list."""
    recipients = r.data.plan.report.recipients
    if not recipients:
        return
    centre = {"align": WD_ALIGN_PARAGRAPH.CENTER, "indent": None}
    if len(recipients) == 1:
        add_paragraph(r.doc, f"Kính gửi: {recipients[0]}.", **centre)
        return
    add_paragraph(r.doc, "Kính gửi:", **centre)
    for i, body in enumerate(recipients):
        end = "." if i == len(recipients) - 1 else ";"
        line = add_paragraph(r.doc, f"- {body}{end}", align=WD_ALIGN_PARAGRAPH.LEFT, indent=None)
        line.paragraph_format.left_indent = Cm(5)


def _legal_bases(r: _Report) -> None:
    plan = r.data.plan
    for basis in plan.legal_bases:
        add_paragraph(r.doc, f"Căn cứ {clean(basis)};")
    own = _plan_phrase(r.data)
    if plan.issued:
        own += f" ngày {format_date_vi(plan.issued)}"
    add_paragraph(r.doc, f"Căn cứ {own};")
    heading = lower_first(milestone_heading(r.data))
    add_paragraph(r.doc, f"{upper_first(r.issuer)} báo cáo {heading} như sau:")


def _notices(r: _Report) -> None:
    """Red italic warnings: a report read at a conference must say when its figures are partial."""
    data = r.data
    style = {"italic": True, "colour": RED}
    if data.missing_periods:
        text = f"Số liệu chưa đầy đủ: chưa có báo cáo của {months_phrase(data.missing_periods)}."
        add_paragraph(r.doc, text, **style)
    if data.unapproved_periods:
        months = months_phrase(data.unapproved_periods)
        add_paragraph(r.doc, f"Số liệu {months} chưa được phê duyệt.", **style)
    if data.warned_refs:
        labels = data.catalog.labels.warned
        where = f"{WARNED_TABLE} của Phụ lục"
        add_paragraph(r.doc, labels.note.format(marker=labels.marker, where=where), **style)


# --- I. results ---------------------------------------------------------------------------------


def _results(r: _Report) -> None:
    add_heading(r.doc, SECTIONS[0], 1)
    add_paragraph(r.doc, _comparison_intro(r.data))
    workstreams = r.data.catalog.packet.workstreams
    campaign_at = _campaign_workstream(workstreams)
    for number, workstream in enumerate(workstreams, start=1):
        add_heading(r.doc, f"{number}. {workstream.title}", 2)
        wrote = _indicator_sentences(r, number, workstream)
        if campaign_at == number - 1 and r.data.campaign_name:
            _campaign_paragraph(r, number, workstream)
            wrote = True
        wrote = _task_results(r, workstream) or wrote
        if not wrote:
            _placeholder(r.doc, f"kết quả {lower_first(workstream.title)}")
        _charts_for(r, workstream)
    _charts_for(r, None)


def _comparison_intro(data: PacketData) -> str:
    text = (
        f"Số liệu tổng hợp từ báo cáo của các đơn vị {in_sentence(data.span_label)}; "
        f"so sánh với kỳ trước ({in_sentence(data.previous.label)}) và cùng kỳ năm trước "
        f"({in_sentence(data.last_year.label)})."
    )
    for word, comparison in (("Kỳ trước", data.previous), ("Cùng kỳ năm trước", data.last_year)):
        expected = len(comparison.months)
        if expected and comparison.months_with_data == 0:
            text += f" {word} chưa có số liệu."
        elif expected and comparison.months_with_data < expected:
            text += (
                f" {word} chỉ có số liệu của {comparison.months_with_data}/{expected} tháng, "
                "cần lưu ý khi so sánh."
            )
    return text


def _workstream_rows(data: PacketData, workstream: Workstream) -> list[Any]:
    totals = data.totals
    if totals.empty or not workstream.groups:
        return []
    return list(totals[totals["group"].isin(workstream.groups)].itertuples(index=False))


def _indicator_sentences(r: _Report, number: int, workstream: Workstream) -> bool:
    """One line per indicator with data, then the names of those nobody reported."""
    rows = _workstream_rows(r.data, workstream)
    if not rows:
        return False
    with_data = [row for row in rows if not is_missing(row.value)]
    if with_data:
        add_paragraph(r.doc, f"Trong kỳ, kết quả {lower_first(workstream.title)} như sau:")
    for i, row in enumerate(with_data):
        end = "." if i == len(with_data) - 1 else ";"
        level = 1 if _parent(r.data, row.code) else 0
        add_bullet(r.doc, _indicator_sentence(r, number, row) + end, level)
    without = [_display_name(row.name) for row in rows if is_missing(row.value)]
    if without:
        names = "; ".join(lower_first(name) for name in without)
        add_paragraph(r.doc, f"Chưa có số liệu: {names}.", italic=True)
    return True


def _parent(data: PacketData, code: str) -> str | None:
    indicator = data.catalog.indicators.get(code)
    return indicator.parent if indicator else None


def _display_name(name: str) -> str:
    """Child rows ("Trong đó: trẻ em …") read as "Trong đó, trẻ em …" inside a sentence."""
    name = clean(str(name))
    if name.startswith("Trong đó:"):
        return "Trong đó, " + name.removeprefix("Trong đó:").strip()
    return name


def _indicator_sentence(r: _Report, number: int, row: Any) -> str:
    unit = str(row.unit_of_measure)
    locator = f"I.{number}/{row.code}"
    r.note(locator, ref_total(row.code))
    money = is_money(r.data.catalog, row.code)
    mark = r.mark(ref_total(row.code))
    text = f"{_display_name(row.name)}: {vi_number(row.value, money)}{mark} {unit}"
    comparisons = (
        (row.previous, row.change_prev_pct, "kỳ trước", "truoc"),
        (row.last_year, row.change_year_pct, "cùng kỳ năm trước", "cung_ky"),
    )
    for base, pct, against, key in comparisons:
        if is_missing(base):
            continue
        r.note(f"{locator}/{key}", f"{key}/{row.code}")
        text += ", " + change_phrase(float(row.value), float(base), pct, unit, against, money=money)
    return text


def _campaign_workstream(workstreams: Sequence[Workstream]) -> int:
    """Where the campaign paragraph goes: the workstream about peak campaigns, else the 2nd."""
    for i, workstream in enumerate(workstreams):
        if "cao diem" in {fold(k) for k in workstream.task_keywords}:
            return i
    return min(1, len(workstreams) - 1)


def _campaign_paragraph(r: _Report, number: int, workstream: Workstream) -> None:
    data = r.data
    name = clean(data.campaign_name or "")
    lead = name if fold(name).startswith("dot ") else f"đợt {lower_first(name)}"
    when = f" ({span_phrase(data.campaign_months)})" if data.campaign_months else ""
    values = _campaign_values(data)
    parts = []
    for row in _workstream_rows(data, workstream):
        value = values.get(row.code)
        if value is None:
            continue
        r.note(f"I.{number}/cao_diem/{row.code}", ref_series("cao_diem", "cao_diem", row.code))
        name = lower_first(_display_name(row.name))
        money = is_money(data.catalog, row.code)
        mark = r.mark(ref_series("cao_diem", "cao_diem", row.code))
        parts.append(f"{name} {vi_number(value, money)}{mark} {row.unit_of_measure}")
    body = "; ".join(parts) if parts else "chưa có số liệu của các chỉ tiêu thuộc lĩnh vực này"
    add_paragraph(r.doc, f"Trong {lead}{when}, kết quả: {body}.")


def _campaign_values(data: PacketData) -> dict[str, float]:
    frame = data.by_campaign
    if frame is None or frame.empty:
        return {}
    rows = frame[frame["key"] == "cao_diem"]
    return {
        str(code): float(value)
        for code, value in zip(rows["code"], rows["value"], strict=True)
        if not is_missing(value)
    }


def _task_results(r: _Report, workstream: Workstream) -> bool:
    """A few unit results of the workstream's plan tasks, picked by the rule the text states."""
    picked = highlights(r.data.tasks, workstream.task_keywords)
    if not picked:
        return False
    rule = HIGHLIGHT_RULE.format(limit=MAX_HIGHLIGHTS)
    add_paragraph(r.doc, f"Một số kết quả của các đơn vị (chọn {rule}):")
    for unit, result in picked:
        add_bullet(r.doc, f"{unit}: {result.rstrip(' .;')}.")
    return True


def matching_results(tasks: pd.DataFrame, keywords: Iterable[str]) -> dict[str, list[str]]:
    """`{unit name: [results]}` of tasks whose folded text contains a folded keyword."""
    wanted = [fold(k) for k in keywords if k.strip()]
    by_unit: dict[str, list[str]] = {}
    if not wanted or tasks is None or tasks.empty:
        return by_unit
    for row in tasks.itertuples(index=False):
        task = fold(safe_text(row.task_text))
        result = safe_text(row.result)
        if not result or not any(k in task for k in wanted):
            continue
        results = by_unit.setdefault(safe_text(row.unit_name) or safe_text(row.unit_code), [])
        if result not in results:
            results.append(result)
    return by_unit


def _charts_for(r: _Report, workstream: Workstream | None) -> None:
    """Charts after the first workstream whose groups they show; the rest end section I."""
    for path in r.charts:
        if path in r.placed_charts or not path.is_file():
            continue
        spec = _chart_spec(r.data, path)
        if workstream is not None and _chart_home(r.data, spec) != workstream.key:
            continue
        r.placed_charts.add(path)
        r.doc.add_picture(str(path), width=CHART_WIDTH)
        r.doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        caption = f"Biểu đồ {len(r.placed_charts)}: {spec.title if spec else path.stem}"
        add_paragraph(r.doc, caption, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER, indent=None)


def _chart_spec(data: PacketData, path: Path) -> ChartSpec | None:
    key = path.stem.removeprefix("BieuDo_")
    return next((spec for spec in data.catalog.packet.charts if spec.key == key), None)


def _chart_home(data: PacketData, spec: ChartSpec | None) -> str | None:
    """The key of the first workstream covering one of the chart's indicator groups."""
    if spec is None:
        return None
    indicators = data.catalog.indicators
    groups = {indicators[c].group for c in spec.indicators if c in indicators}
    return next((w.key for w in data.catalog.packet.workstreams if groups & set(w.groups)), None)


# --- II-V ---------------------------------------------------------------------------------------


def _shortcomings(r: _Report) -> None:
    add_heading(r.doc, SECTIONS[1], 1)
    add_heading(r.doc, "1. Tồn tại, hạn chế", 2)
    if not _narrative_lines(r, "difficulties"):
        add_paragraph(r.doc, "Các đơn vị chưa phản ánh khó khăn, vướng mắc trong kỳ.")
    _not_started(r)
    _placeholder(r.doc, "đánh giá chung về tồn tại, hạn chế")
    add_heading(r.doc, "2. Nguyên nhân", 2)
    _placeholder(r.doc, "nguyên nhân của tồn tại, hạn chế (khách quan, chủ quan)")


def _narrative_lines(r: _Report, kind: str) -> bool:
    """The points units raised, each once, most-raised first; every unit's text is in Biểu 4."""
    points = grouped_points(r.data.narratives, kind)
    if not points:
        return False
    what = "khó khăn, vướng mắc" if kind == "difficulties" else "đề xuất, kiến nghị"
    shown = points[:MAX_POINTS]
    lead = f"Các đơn vị nêu {vi_number(len(points))} nội dung {what}"
    if len(points) > len(shown):
        lead += f"; {vi_number(len(shown))} nội dung được nhiều đơn vị nêu nhất"
    add_paragraph(r.doc, lead + " (ý kiến của từng đơn vị tại Biểu 4 phần Phụ lục):")
    for point in shown:
        add_bullet(r.doc, f"{point.text.rstrip(' .;')} ({_who(point.units, point.groups)}).")
    return True


def _who(units: Sequence[str], groups: Sequence[str]) -> str:
    """ "Công an tỉnh" or "12 đơn vị thuộc nhóm UBND địa phương; Sở, ban, ngành tỉnh"."""
    if len(units) <= 2:
        return "; ".join(units)
    return f"{vi_number(len(units))} đơn vị thuộc nhóm {'; '.join(groups)}"


def _not_started(r: _Report) -> None:
    tasks = r.data.tasks
    if tasks is None or tasks.empty:
        return
    pending = tasks[tasks["not_started"].fillna(False).astype(bool)]
    if pending.empty:
        return
    add_paragraph(r.doc, "Nhiệm vụ chưa triển khai:")
    for code, rows in pending.groupby("task_code", sort=False):
        units = ", ".join(dict.fromkeys(safe_text(u) for u in rows["unit_name"]))
        task = safe_text(rows["task_text"].iloc[0])
        add_bullet(r.doc, f"Nhiệm vụ {safe_text(code)} ({task}): {units}.")


def _placeholder_section(r: _Report, index: int, what: str) -> None:
    add_heading(r.doc, SECTIONS[index], 1)
    _placeholder(r.doc, what)


def _directions_hint(data: PacketData) -> str:
    end = data.plan.span.end
    if data.end.last_month < end.last_month:
        until = in_sentence(end.label_vi)
        return f"phương hướng, nhiệm vụ trọng tâm từ nay đến hết {until}"
    return "phương hướng, nhiệm vụ trọng tâm thời gian tới"


def _proposals(r: _Report) -> None:
    add_heading(r.doc, SECTIONS[4], 1)
    if not _narrative_lines(r, "proposals"):
        add_paragraph(r.doc, "Các đơn vị chưa có đề xuất, kiến nghị trong kỳ.")
    _placeholder(r.doc, "đề xuất, kiến nghị của Ban Chỉ đạo tỉnh với cấp trên")


def _signature(r: _Report) -> None:
    """Nơi nhận left, authority, title and name right (Nghị định 30/2020), on one page.

    The row cannot split across pages and the closing paragraphs keep with it, so the block
    never stands alone on a page.
    """
    form = r.data.plan.report
    for paragraph in r.doc.paragraphs[-2:]:
        paragraph.paragraph_format.keep_with_next = True
    table = r.doc.add_table(rows=1, cols=2)
    column_widths(table, (Cm(7.5), Cm(8.5)))
    keep_together(table)
    left, right = table.rows[0].cells
    plain = {"align": WD_ALIGN_PARAGRAPH.LEFT, "indent": None}
    add_paragraph(left, "Nơi nhận:", bold=True, italic=True, size=Pt(12), **plain)
    lines = ["Như trên"] if form.recipients else []
    lines += list(form.copies) or ["Các thành viên Ban Chỉ đạo"]
    for line in lines:
        add_paragraph(left, f"- {line};", size=Pt(11), **plain)
    add_paragraph(left, "- Lưu: VT.", size=Pt(11), **plain)
    centre = {"align": WD_ALIGN_PARAGRAPH.CENTER, "indent": None}
    for line in r.authority:
        add_paragraph(right, line, bold=True, **centre)
    if form.signer_title:
        add_paragraph(right, form.signer_title, bold=True, **centre)
    signed = add_paragraph(right, "(Ký, ghi rõ họ tên, đóng dấu)", italic=True, **centre)
    signed.paragraph_format.space_after = Pt(48)
    name = add_paragraph(right, **centre)
    if form.signer_name:
        add_run(name, form.signer_name, bold=True)
    else:
        run = name.add_run("[Họ và tên người ký]")
        run.bold = True
        run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    for cell in (left, right):
        _drop_first_empty(cell)
        for paragraph in cell.paragraphs:
            paragraph.paragraph_format.keep_with_next = True
            if paragraph._p is not signed._p:
                paragraph.paragraph_format.space_after = Pt(0)


# --- appendix -----------------------------------------------------------------------------------


def _appendix(r: _Report) -> None:
    """Landscape pages: the monthly table can be 12+ columns wide."""
    section = r.doc.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21)
    section.different_first_page_header_footer = False  # numbered: it is not page 1
    centre = {"align": WD_ALIGN_PARAGRAPH.CENTER, "indent": None}
    add_paragraph(r.doc, APPENDIX, bold=True, **centre)
    add_paragraph(
        r.doc,
        f"(Kèm theo Báo cáo {lower_first(milestone_heading(r.data))})",
        italic=True,
        **centre,
    )
    _caption(r, f"Biểu 1. Kết quả thực hiện các chỉ tiêu, {in_sentence(r.data.span_label)}")
    _totals_table(r)
    _caption(r, "Biểu 2. Số liệu theo tháng của các chỉ tiêu trên biểu đồ")
    _monthly_table(r)
    _caption(r, "Biểu 3. Tình hình gửi báo cáo của các đơn vị")
    _completeness_table(r)
    _unit_texts_table(r)
    _warned_figures_table(r)


def _unit_texts_table(r: _Report) -> None:
    """Biểu 4: every unit's difficulties and proposals, one row per unit, by unit group."""
    rows = unit_texts(r.data.narratives)
    if not rows:
        return
    _caption(r, "Biểu 4. Khó khăn, vướng mắc và đề xuất, kiến nghị của các đơn vị")
    body = [
        [str(i), unit, group, difficulties or NO_VALUE, proposals or NO_VALUE]
        for i, (group, unit, difficulties, proposals) in enumerate(rows, start=1)
    ]
    headers = ("STT", "Đơn vị", "Nhóm đơn vị", "Khó khăn, vướng mắc", "Đề xuất, kiến nghị")
    grid(r.doc, headers, body, (1.2, 4.5, 3.0, 8.0, 8.0), numeric_from=5)


def _warned_figures_table(r: _Report) -> None:
    """The last appendix table: every number that includes a warned unit figure."""
    if r.data.warned_refs:
        _caption(r, f"{WARNED_TABLE}. {r.data.catalog.labels.warned.title}")
        _warned_table(r)


def _caption(r: _Report, text: str) -> None:
    paragraph = add_paragraph(r.doc, text, bold=True, align=WD_ALIGN_PARAGRAPH.LEFT, indent=None)
    paragraph.paragraph_format.space_before = Pt(12)
    paragraph.paragraph_format.keep_with_next = True


def _cell_number(r: _Report, value: Any, locator: str, ref: str, missing: str = NO_VALUE) -> str:
    """A figure's cell; every reference key ends in its indicator code (money: two decimals)."""
    if is_missing(value):
        return missing
    r.note(locator, ref)
    return vi_number(value, is_money(r.data.catalog, ref.rsplit("/", 1)[-1])) + r.mark(ref)


def _totals_table(r: _Report) -> None:
    """Biểu 1; a comparison span without any history says so instead of a column of dashes."""
    previous = NO_HISTORY if r.data.previous.months_with_data == 0 else NO_VALUE
    year = NO_HISTORY if r.data.last_year.months_with_data == 0 else NO_VALUE
    rows = []
    for i, row in enumerate(r.data.totals.itertuples(index=False), start=1):
        code, locator = row.code, f"PL1/{row.code}"
        rows.append(
            [
                str(i),
                _display_name(row.name),
                str(row.unit_of_measure),
                _cell_number(r, row.value, locator, ref_total(code)),
                _cell_number(r, row.previous, f"{locator}/truoc", f"truoc/{code}", previous),
                _cell_number(r, row.last_year, f"{locator}/cung_ky", f"cung_ky/{code}", year),
            ]
        )
    grid(r.doc, TOTALS_HEADERS, rows, (1.2, 11.0, 2.8, 2.8, 3.4, 3.4), numeric_from=3)


def _chart_codes(data: PacketData) -> list[str]:
    codes = (code for spec in data.catalog.packet.charts for code in spec.indicators)
    return list(dict.fromkeys(codes))


def _monthly_table(r: _Report) -> None:
    data = r.data
    found = {}
    if not data.by_month.empty:
        for key, code, value in zip(
            data.by_month["key"], data.by_month["code"], data.by_month["value"], strict=True
        ):
            found[(str(key), str(code))] = value
    months = [m.code for m in data.months]
    # Landscape A4 less margins: 24.7 cm. A month label that does not fit on one line breaks
    # after its "/" ("T10/" over "2021"), never inside the year.
    month_width = max(1.3, min(2.2, 15.2 / max(len(months) + 1, 1)))
    labels = [m.short_label for m in data.months]
    if month_width < 2.0:
        labels = [label.replace("/", "/\n", 1) for label in labels]
    headers = ["Chỉ tiêu", "Đơn vị tính", *labels, "Cộng"]
    rows = []
    for code in _chart_codes(data):
        indicator = data.catalog.indicators.get(code)
        cells = [_display_name(indicator.name) if indicator else code]
        cells.append(indicator.unit_of_measure if indicator else "")
        for month in months:
            locator, ref = f"PL2/{month}/{code}", ref_series("thang", month, code)
            cells.append(_cell_number(r, found.get((month, code)), locator, ref))
        cells.append(_cell_number(r, data.total(code), f"PL2/tong/{code}", ref_total(code)))
        rows.append(cells)
    name_width = max(4.0, 24.7 - 2.5 - month_width * (len(months) + 1))
    widths = (name_width, 2.5, *([month_width] * (len(months) + 1)))
    grid(r.doc, headers, rows, widths, numeric_from=2)


def _completeness_table(r: _Report) -> None:
    frame = r.data.completeness
    rows = []
    sums = dict.fromkeys(COMPLETENESS_KEYS, 0)
    for row in frame.itertuples(index=False):
        counts = [_count(getattr(row, key)) for key in COMPLETENESS_KEYS]
        for key, count in zip(COMPLETENESS_KEYS, counts, strict=True):
            sums[key] += count
        rows.append([safe_text(row.unit_name) or safe_text(row.unit_code), *map(vi_number, counts)])
    if rows:
        rows.append(["Tổng cộng", *(vi_number(sums[k]) for k in COMPLETENESS_KEYS)])
    status_labels = r.data.catalog.labels.completeness
    headers = (
        "Đơn vị",
        "Số báo cáo phải gửi",
        *(status_labels[Completeness(key)] for key in COMPLETENESS_COUNTS),
    )
    grid(r.doc, headers, rows, (9.0, 3.5, 3.0, 3.0, 3.0, 3.0), numeric_from=1)


def _warned_table(r: _Report) -> None:
    """The unit figures behind every number marked (*): unit, month, indicator, message."""
    data = r.data
    names = {code: unit.name for code, unit in data.catalog.registry(data.plan).units.items()}
    indicators = {code: ind.name for code, ind in data.catalog.indicators.items()}
    rows = [
        [str(i), safe_text(rec.unit_name), rec.period, safe_text(rec.name), safe_text(rec.message)]
        for i, rec in enumerate(data.warned.table(names, indicators).itertuples(), start=1)
    ]
    headers = ("STT", "Đơn vị", "Tháng", "Chỉ tiêu", "Nội dung cảnh báo")
    grid(r.doc, headers, rows, (1.2, 5.0, 2.0, 6.0, 11.3), numeric_from=5)


def _count(value: Any) -> int:
    return 0 if is_missing(value) else int(value)
