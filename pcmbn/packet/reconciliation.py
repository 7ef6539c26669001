"""The interagency reconciliation in a conference packet: the appendix sheet and the report's
paragraph.

Police, procuracy and court co-sign a review's figures, so the packet they review shows where
those figures disagree over its own months (the same pure `pcmbn.reconciliation` rules as the
monthly summary's `DoiChieuLienNganh` sheet, on one scope: the span, the right side extended by
each rule's lag). Each side's number carries a reference key (`doi_chieu/<rule>/<code>`) whose
sources `manifest.json` lists; the difference is a warning for the officer, never a rejection.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd
from docx.document import Document as DocxDocument

from pcmbn.catalog import Catalog
from pcmbn.domain import Aggregation, Plan, Unit
from pcmbn.office.docx import add_paragraph, grid
from pcmbn.office.layout import columns, finish, fit_row, footnote
from pcmbn.office.styles import CENTERED, NOT_STARTED, TEXT, TEXT_SMALL
from pcmbn.packet.phrases import lower_first, span_phrase
from pcmbn.periods import Period
from pcmbn.reading.numbers import format_number_vi
from pcmbn.reconciliation import Side, reconcile_span, rules_in_force, span_window
from pcmbn.targets import span_figures

SHEET = "DoiChieuLienNganh"


def ref_reconciliation(rule_id: str, code: str) -> str:
    """`doi_chieu/truy_to_khoi_to/TX01`: one side of one rule (ends in its indicator code)."""
    return f"doi_chieu/{rule_id}/{code}"


def reconciliation_months(catalog: Catalog, plan: Plan, months: Sequence[Period]) -> list[Period]:
    """Every month the packet's reconciliation reads: its own months and, before them, each
    rule's lag (inside the plan), oldest first."""
    wanted = set(months)
    if months:
        for rule in rules_in_force(catalog, plan, months):
            wanted.update(span_window(plan, months[0], months[-1], rule.lag_months)[1])
    return sorted(wanted, key=lambda p: p.ordinal)


def packet_reconciliation(
    values: pd.DataFrame,
    catalog: Catalog,
    plan: Plan,
    months: Sequence[Period],
    units: Mapping[str, Unit],
    expected: Sequence[Unit],
    refs: dict[str, list[int]],
) -> pd.DataFrame:
    """`reconciliation.RECONCILIATION_COLUMNS` over the packet's months (scope `span`).

    `values` are the current values read for `reconciliation_months`, with their `source_id`;
    the sources of each side's number are recorded in `refs`.
    """
    # The rules read only their own two indicators, window by window (the same window for
    # several rules): the figures of those indicators, once per window (seconds → milliseconds
    # for a 170-unit year).
    used = {
        side.indicator for r in rules_in_force(catalog, plan, months) for side in (r.left, r.right)
    }
    mine = values[values["indicator"].isin(used)] if not values.empty else values
    seen: dict[tuple[str, ...], dict[str, dict[str, float]]] = {}

    def figures_of(window: Sequence[Period]) -> dict[str, dict[str, float]]:
        key = tuple(m.code for m in window)
        if key not in seen:
            seen[key] = span_figures(mine, catalog, key)
        return seen[key]

    table = reconcile_span(catalog, plan, months, figures_of, units, expected)
    if table.empty:
        return table
    for rule in rules_in_force(catalog, plan, months):
        left, right, _clipped = span_window(plan, months[0], months[-1], rule.lag_months)
        for side, window in ((rule.left, left), (rule.right, right)):
            ids = _source_ids(values, catalog, units, side, window)
            if ids:
                refs[ref_reconciliation(rule.id, side.indicator)] = ids
    return table


def _source_ids(
    values: pd.DataFrame,
    catalog: Catalog,
    units: Mapping[str, Unit],
    side: Side,
    window: Sequence[Period],
) -> list[int]:
    """The source ids one side sums, as `span_figures` and `summed` count them: the months of
    a flow, each unit's latest month of a stock, only units of the side's kinds."""
    if values.empty:
        return []
    codes = {m.code for m in window}
    rows = values[
        (values["indicator"] == side.indicator)
        & values["period"].isin(codes)
        & values["period_value"].notna()
    ]
    counted = rows["unit_code"].map(lambda u: u in units and side.counts(units[u].kind))
    rows = rows.loc[counted.astype(bool)]
    ind = catalog.indicators.get(side.indicator)
    if ind is not None and ind.aggregation is Aggregation.LAST and not rows.empty:
        rows = rows.sort_values("period").groupby("unit_code", sort=False).tail(1)
    return sorted(int(i) for i in rows["source_id"])


def write_sheet(s: Any) -> None:
    """The appendix sheet (`s` is the workbook's `_Sheet`: put, title, header, data)."""
    d = s.data
    words = d.catalog.labels.reconciliation
    labels = words.columns.table("rule")
    width = columns(s.ws, (6, 34, 28, 9, 24, 28, 9, 14, 24, 10, 16, 40))
    s.title(words.title, width)
    s.header(labels)
    row = 7
    for number, rec in enumerate(d.reconciliation.to_dict("records"), start=1):
        differs = rec["status"] == "differs"
        left = f"{rec['left_name']} ({rec['left_code']})"
        right = f"{rec['right_name']} ({rec['right_code']})"
        s.row(row, [number, rec["label"]], [CENTERED, TEXT])
        for col, side, name in ((3, "left", left), (6, "right", right)):
            code = rec[f"{side}_code"]
            s.put(row, col, name, TEXT)
            ref = ref_reconciliation(rec["rule_id"], code)
            s.put(row, col + 1, rec[f"{side}_value"], s.number_style(code), ref)
        s.put(row, 5, rec["left_units"], TEXT_SMALL)
        s.put(row, 8, rec["right_months"], CENTERED)
        s.put(row, 9, rec["right_units"], TEXT_SMALL)
        s.put(row, 10, rec["difference"], s.number_style(rec["left_code"]))
        s.put(row, 11, rec["verdict"], NOT_STARTED["center"] if differs else CENTERED)
        s.put(row, 12, rec["note"], NOT_STARTED["text"] if differs else TEXT)
        fit_row(s.ws, row, {2: rec["label"], 5: rec["left_units"], 9: rec["right_units"]})
        row += 1
    if d.reconciliation.empty:
        s.put(row, 2, words.none, TEXT)
        row += 1
    footnote(s.ws, s.painter, row + 1, words.footnote, len(labels))
    finish(s.ws, header_rows=(6, 6), freeze="C7")


def write_paragraph(doc: DocxDocument, data: Any, note: Callable[[str, str], None]) -> None:
    """A short paragraph and table in the draft report (nothing when no rule applies)."""
    table = data.reconciliation
    if table.empty:
        return
    words = data.catalog.labels.reconciliation
    consistent = int((table["status"] == "consistent").sum())
    sentences = [
        words.report.format(span=span_phrase(data.months), consistent=consistent, total=len(table))
    ]
    for status, template in (("differs", words.report_differs), ("no_data", words.report_no_data)):
        labels = [str(label) for label in table.loc[table["status"] == status, "label"]]
        if labels:
            sentences.append(template.format(rules="; ".join(lower_first(t) for t in labels)))
    add_paragraph(doc, " ".join(sentences))
    c = words.columns
    rows = []
    for number, rec in enumerate(table.to_dict("records"), start=1):
        sides = []
        for code, value in (
            (rec["left_code"], rec["left_value"]),
            (rec["right_code"], rec["right_value"]),
        ):
            ref = ref_reconciliation(rec["rule_id"], code)
            if not _missing(value):
                note(f"DC/{rec['rule_id']}/{code}", ref)
            marker = f" {data.catalog.labels.warned.marker}" if data.is_warned(ref) else ""
            sides.append(f"{code}: {_number(value)}{marker}")
        rows.append([str(number), rec["label"], *sides, _number(rec["difference"]), rec["verdict"]])
    headers = (c.number, c.rule, c.left, c.right, c.difference, c.verdict)
    grid(doc, headers, rows, (1.2, 7.5, 3.0, 3.0, 2.3, 3.5), numeric_from=6)


def _missing(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def _number(value: Any) -> str:
    return "—" if _missing(value) else format_number_vi(float(value))
