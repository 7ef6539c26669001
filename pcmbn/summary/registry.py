"""The summary workbook's sheets, in the order the office reads them: the one list.

Adding a sheet: write `pcmbn/summary/sheets/<name>.py` with `build(ws, ctx)` and a
`SHEET = SummarySheet(...)` entry, then add it here. The workbook and the exports both follow
this tuple, so they cannot drift apart.
"""

from __future__ import annotations

from pcmbn.summary.sheets import (
    bieu_do,
    canh_bao,
    day_du,
    kien_nghi,
    ma_tran,
    nguon,
    nhiem_vu,
    reconciliation,
    so_sanh,
    targets,
    theo_nhom,
    tong_hop,
)
from pcmbn.summary.sheets.common import SummarySheet

SUMMARY_SHEETS: tuple[SummarySheet, ...] = (
    tong_hop.SHEET,
    targets.SHEET,
    reconciliation.SHEET,
    theo_nhom.SHEET,
    ma_tran.SHEET,
    so_sanh.SHEET,  # comparisons by unit through lineage (issue 18)
    day_du.SHEET,
    nhiem_vu.SHEET,
    kien_nghi.SHEET,
    bieu_do.SHEET,
    nguon.SHEET,
    canh_bao.SHEET,
)
