"""The `BieuDo` sheet of the summary workbook.

Monthly totals of the key indicators, as a table and as charts drawn from that table.
"""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from pcmbn.office.layout import (
    columns,
    finish,
    header,
)
from pcmbn.office.styles import CENTERED, PLAIN
from pcmbn.office.xlsx import chart_text, put, put_row
from pcmbn.summary.sheets.common import (
    FIRST_DATA_ROW,
    HEADER_ROW,
    SheetContext,
    SummarySheet,
    records,
    title_block,
)

#: Rows between chart anchors (a 9 cm chart plus a gap) and charts per printed page after the
#: first (portrait A4 holds two; page 1 holds the month table and one chart).
CHART_ROWS = 20
CHARTS_PER_PAGE = 2


def build(ws: Worksheet, ctx: SheetContext) -> None:
    """Monthly totals of the key indicators, as a table and as charts drawn from that table.

    A "Trong đó" indicator (NN02 children under 16) is drawn in its parent's chart, so the
    share is visible; each chart references the table, so the figures printed and plotted agree.
    """
    trend = ctx.data.trend
    codes = list(dict.fromkeys(str(c) for c in trend["code"])) if len(trend) else []
    months = (
        trend.drop_duplicates("month").sort_values("month")[["month", "month_label"]]
        if len(trend)
        else trend
    )
    width = columns(ws, (12, *([18] * len(codes))))
    title_block(ws, ctx, "DIỄN BIẾN MỘT SỐ CHỈ TIÊU CHỦ YẾU THEO THÁNG", max(width, 5))
    if not codes:
        put(ws, ctx.painter, HEADER_ROW, 1, "Chưa có số liệu theo tháng để vẽ biểu đồ.", PLAIN)
        finish(ws, header_rows=None, landscape=False)
        return
    headers = ["Tháng"]
    for code in codes:
        ind = ctx.indicator(code)
        headers.append(f"{code} – {ind.name}" if ind else code)
    header(ws, ctx.painter, HEADER_ROW, headers)
    ws.row_dimensions[HEADER_ROW].height = 96
    totals = {(str(r["month"]), str(r["code"])): r.get("total") for r in records(trend)}
    row = FIRST_DATA_ROW
    for rec in records(months):
        values = [rec["month_label"], *(totals.get((rec["month"], code)) for code in codes)]
        styles = [CENTERED, *(ctx.number_style(code) for code in codes)]
        put_row(ws, ctx.painter, row, values, styles)
        row += 1
    last_row = row - 1
    anchor_row = row + 2
    for index, chart_codes in enumerate(_chart_groups(ctx, codes)):
        if index % CHARTS_PER_PAGE == 1 or CHARTS_PER_PAGE == 1:
            # The table and the first chart fill page 1; then two charts a page, never cut.
            ws.row_breaks.append(Break(id=anchor_row - 2))
        cols = [codes.index(code) + 2 for code in chart_codes]
        chart = _chart(ctx, ws, chart_codes, cols, last_row)
        ws.add_chart(chart, f"A{anchor_row}")
        anchor_row += CHART_ROWS
    # No repeated header here: the month table never spans a page, the pages after it hold
    # only charts, and a lone repeated header above them would read as an empty table.
    finish(ws, header_rows=None, landscape=False)


def _chart_groups(ctx: SheetContext, codes: Sequence[str]) -> list[list[str]]:
    """One chart per indicator, with its "Trong đó" children (if plotted) in the same chart."""
    groups: dict[str, list[str]] = {}
    for code in codes:
        ind = ctx.indicator(code)
        parent = ind.parent if ind is not None and ind.parent in codes else None
        groups.setdefault(parent or code, [])
        groups[parent or code].append(code)
    return [groups[key] for key in groups]


def _chart(
    ctx: SheetContext, ws: Worksheet, codes: list[str], cols: list[int], last_row: int
) -> BarChart | LineChart:
    first = ctx.indicator(codes[0])
    chart: BarChart | LineChart
    # Which indicators read as a curve is data (schemas/summary.yaml `line_charts`).
    if codes[0] in ctx.data.catalog.summary.line_charts and len(codes) == 1:
        chart = LineChart()
    else:
        chart = BarChart()
        chart.type = "col"
        chart.grouping = "clustered"
    name = first.name if first else codes[0]
    chart.title = chart_text(f"{name} theo tháng", size=12, bold=True)
    if first is not None:
        chart.y_axis.title = chart_text(first.unit_of_measure, size=10)
    chart.x_axis.title = chart_text("Tháng", size=10)
    # openpyxl 3.1 marks axes deleted unless told otherwise; Excel would then hide the labels.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    # Counts start at zero: Excel's automatic minimum (e.g. 175) makes 180 look like 10 × 175.
    chart.y_axis.scaling.min = 0
    chart.legend.position = "b"
    chart.height, chart.width = 9, 18
    for col in cols:
        data = Reference(ws, min_col=col, min_row=HEADER_ROW, max_row=last_row)
        chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=FIRST_DATA_ROW, max_row=last_row))
    for series in chart.series:
        series.smooth = False  # a smoothed curve dips below zero between months: not data
    return chart


SHEET = SummarySheet(
    name="BieuDo",
    build=build,
    export="xu_huong",
    table=lambda data: data.trend,
)
