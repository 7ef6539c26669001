"""The validation report a data officer opens in a browser: one self-contained HTML file a run.

It replaces Great Expectations' Data Docs, which are English, load scripts and fonts from
outside servers (the office network reaches none) and show a newsletter link. This file is
Vietnamese, carries its CSS inline and names no outside address at all: no `<script>`, no
`<link>`, no image, no hyperlink, so it opens the same on a machine with no network.

What it shows comes from the `CheckResult` of the one GE run: the counts, the findings per rule,
then per file (unit, period, status) every finding with its sheet and cell. Rule ids stay in
the JSON; a person reads the rule's wording (`schemas/rules.yaml`) and its severity label.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from html import escape
from pathlib import Path

from pcmbn.catalog import Catalog
from pcmbn.office.atomic import atomic_write
from pcmbn.office.times import datetime_label
from pcmbn.validation.checker import ACCEPTED, CheckResult, FileReport
from pcmbn.vocabulary import Severity

TITLE = "Kết quả kiểm tra báo cáo"
#: Placeholders of a rule's message template, shown as "…" where the rule is described.
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
CSS = """
body{font-family:"Segoe UI",Arial,"DejaVu Sans",sans-serif;margin:24px;color:#1a1a1a;
font-size:14px;line-height:1.45}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 6px}
h3{font-size:15px;margin:18px 0 4px}
p.meta{color:#555;margin:2px 0}
table{border-collapse:collapse;margin:6px 0 12px;width:100%}
th,td{border:1px solid #bfbfbf;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#1f4e79;color:#fff;font-weight:600}
tr:nth-child(even) td{background:#f5f8fc}
td.num{text-align:right;white-space:nowrap}
.error{color:#c00000;font-weight:600}.warning{color:#9c5700;font-weight:600}
.ok{color:#2e7d32;font-weight:600}
""".strip()


def rule_wording(template: str) -> str:
    """A rule described without a case: its message with each placeholder shown as "…"."""
    return " ".join(_PLACEHOLDER.sub("…", template).split())


def render_report(
    result: CheckResult,
    catalog: Catalog,
    *,
    generated_at: datetime,
    heading: str | None = None,
) -> str:
    """The whole report as one HTML document (pure: the same result gives the same text)."""
    labels = catalog.labels
    reports = result.reports
    accepted = sum(r.status == ACCEPTED for r in reports)
    problems = [p for r in reports for p in r.problems]
    errors = sum(p.severity == Severity.ERROR for p in problems)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="vi">',
        '<head><meta charset="utf-8">',
        f"<title>{escape(heading or TITLE)}</title>",
        f"<style>{CSS}</style></head>",
        "<body>",
        f"<h1>{escape(TITLE)}</h1>",
    ]
    if heading:
        parts.append(f'<p class="meta">{escape(heading)}</p>')
    parts += [
        f'<p class="meta">Lập lúc {escape(datetime_label(generated_at))}.</p>',
        f"<p>Đã kiểm tra <b>{len(reports)}</b> tệp: <b>{accepted}</b> đạt, "
        f"<b>{len(reports) - accepted}</b> bị từ chối; phát hiện <b>{errors}</b> "
        f"{escape(labels.severity[Severity.ERROR].lower())} và <b>{len(problems) - errors}</b> "
        f"{escape(labels.severity[Severity.WARNING].lower())}.</p>",
    ]
    parts += _by_rule(result, catalog)
    parts.append("<h2>Theo từng tệp báo cáo</h2>")
    if not reports:
        parts.append("<p>Không có tệp nào để kiểm tra.</p>")
    for report in reports:
        parts += _file_section(report, catalog)
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def write_report(
    result: CheckResult,
    catalog: Catalog,
    path: Path,
    *,
    generated_at: datetime,
    heading: str | None = None,
) -> Path:
    """Write the report atomically (a half-written page is never left for the officer)."""
    text = render_report(result, catalog, generated_at=generated_at, heading=heading)
    return atomic_write(path, text.encode("utf-8"))


def _by_rule(result: CheckResult, catalog: Catalog) -> list[str]:
    """One row per rule that found something: its wording, severity, files and cells."""
    cells: Counter[str] = Counter()
    files: dict[str, set[int]] = {}
    for report in result.reports:
        for p in report.problems:
            cells[p.rule] += 1
            files.setdefault(p.rule, set()).add(report.submission.index)
    out = ["<h2>Theo quy tắc kiểm tra</h2>"]
    if not cells:
        out.append('<p class="ok">Không quy tắc nào phát hiện vấn đề.</p>')
        return out
    out.append(
        "<table><thead><tr><th>Quy tắc</th><th>Mức độ</th><th>Số tệp</th>"
        "<th>Số lần phát hiện</th></tr></thead><tbody>"
    )
    ordered = sorted(
        cells, key=lambda r: (catalog.rule(r).severity != Severity.ERROR, -cells[r], r)
    )
    for rule_id in ordered:
        rule = catalog.rule(rule_id)
        out.append(
            f"<tr><td>{escape(rule_wording(rule.message))}</td>"
            f"<td>{_severity(catalog, rule.severity)}</td>"
            f'<td class="num">{len(files[rule_id])}</td>'
            f'<td class="num">{cells[rule_id]}</td></tr>'
        )
    out.append("</tbody></table>")
    return out


def _file_section(report: FileReport, catalog: Catalog) -> list[str]:
    sub = report.submission
    status_class = "ok" if report.status == ACCEPTED else "error"
    status = catalog.labels.submission[report.status]
    out = [f"<h3>{escape(sub.name)} — <span class={status_class!r}>{escape(status)}</span></h3>"]
    facts = []
    unit = _unit_label(report, catalog)
    if unit:
        facts.append(f"Đơn vị: {escape(unit)}")
    if sub.period is not None:
        facts.append(f"Kỳ báo cáo: {escape(sub.period.label_vi)}")
    if facts:
        out.append(f'<p class="meta">{" · ".join(facts)}</p>')
    if not report.problems:
        out.append('<p class="ok">Không phát hiện vấn đề.</p>')
        return out
    out.append(
        "<table><thead><tr><th>Mức độ</th><th>Trang</th><th>Ô</th><th>Nội dung</th></tr>"
        "</thead><tbody>"
    )
    for p in report.problems:
        where_sheet = escape(p.sheet) if p.sheet else "—"
        where_cell = escape(p.cell) if p.cell else "—"
        out.append(
            f"<tr><td>{_severity(catalog, p.severity)}</td><td>{where_sheet}</td>"
            f"<td>{where_cell}</td><td>{escape(p.message)}</td></tr>"
        )
    out.append("</tbody></table>")
    return out


def _unit_label(report: FileReport, catalog: Catalog) -> str | None:
    """ "Công an tỉnh (CA_TINH)" when the registry knows the code, else the code as written."""
    code = report.unit_code
    if not code:
        return None
    sub = report.submission
    if sub.unit is not None and sub.unit.code == code:
        return f"{sub.unit.name} ({code})"
    if sub.plan is not None:
        unit = catalog.registry(sub.plan).units.get(code)
        if unit is not None:
            return f"{unit.name} ({code})"
    return code


def _severity(catalog: Catalog, severity: Severity) -> str:
    css = "error" if severity == Severity.ERROR else "warning"
    return f'<span class="{css}">{escape(catalog.labels.severity[severity])}</span>'
