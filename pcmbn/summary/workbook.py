"""Write the provincial summary workbook that the standing office prints and files.

The workbook is read by people who were not in the room: a deputy head signing the monthly
report, an inspector two years later. So every sheet carries its own title block (plan, period,
data window, when it was made), prints on A4 with its header repeated, shows blanks rather than
zeros where nobody reported, names the units whose reports are missing next to the totals, and
the `Nguon` sheet traces every aggregate back to the files and cells it sums.

Text typed by units (file names, task results, narratives) ends up in cells here. A cell that
starts with "=" would become a live formula in the office's Excel, so every such text is written
as a string with Excel's quote prefix; nothing in this workbook is a formula.

Same `SummaryData` (including `generated_at`) gives the same bytes: zip entries and core
properties are stamped from fixed values / `generated_at`, never from the clock.

The sheets are in `pcmbn.summary.sheets` (one module each) and listed once in
`pcmbn.summary.registry`; the cell, style and layout helpers are the office toolkit's
(`pcmbn.office`).
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from pcmbn.office.atomic import atomic_write
from pcmbn.office.styles import Painter
from pcmbn.office.times import UTC, datetime_label, naive
from pcmbn.office.xlsx import xlsx_bytes
from pcmbn.periods import data_window, format_date_vi
from pcmbn.summary.model import SummaryData
from pcmbn.summary.registry import SUMMARY_SHEETS
from pcmbn.summary.sheets.common import HEADER_ROW, SheetContext

__all__ = ["HEADER_ROW", "SHEETS", "build_summary_workbook", "write_summary"]

#: Sheet names, in the order the office reads them.
SHEETS = tuple(sheet.name for sheet in SUMMARY_SHEETS)


def write_summary(data: SummaryData, path: Path) -> Path:
    """Write the summary workbook to `path` atomically and deterministically; return `path`.

    The file appears complete or not at all (temp name beside the target, then `replace`), so a
    Prefect retry or a user opening the folder never sees half a workbook.
    """
    payload = xlsx_bytes(build_summary_workbook(data), data.generated_at)
    return atomic_write(path, payload, crash_point="summary")


def build_summary_workbook(data: SummaryData) -> Workbook:
    """The styled workbook, not yet saved (tests and callers that embed it use this)."""
    window = data_window(data.period, data.plan.reporting.cutoff)
    ctx = SheetContext(
        data=data,
        painter=Painter(),
        unit_names=data.unit_names(),
        window_label=(
            f"Số liệu tính từ ngày {format_date_vi(window.start)} "
            f"đến ngày {format_date_vi(window.end)}"
        ),
        generated_label=f"Ngày lập: {datetime_label(data.generated_at)}",
    )
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in SUMMARY_SHEETS:
        sheet.build(wb.create_sheet(sheet.name), ctx)
    wb.properties.creator = "PCMBN"
    wb.properties.title = f"Tổng hợp PCMBN {data.plan.id} {data.period.label_vi}"
    wb.properties.created = naive(data.generated_at, UTC)
    return wb
