"""The worst workbooks we know how to build, for the `hostile` rows of `make bench`.

Each must be answered by `pcmbn check` within a few seconds and a few hundred MB: refused by
the guard's layout limits before any native reader runs, or contained by the sandbox. The
builders are the reading tests' own (`tests/helpers/hostile_files.py`, importable from the
repository root, where `make bench` runs).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.helpers.hostile_files import (
    numbers_xlsx,
    ods_repeated,
    shared_part,
    xls_far,
    xls_many_records,
)

#: name -> (what the row says, file name, builder)
CASES: dict[str, tuple[str, str, Callable[[], bytes]]] = {
    "far-cell": (
        "text cell at XFD1048576 (.xlsx)",
        "xa.xlsx",
        lambda: numbers_xlsx(far="XFD1048576"),
    ),
    "far-cell-xls": ("text cell at IV65536 (.xls)", "xa.xls", xls_far),
    "xls-records": (
        "19 MB .xls of 5 M empty BIFF records",
        "nhieu-ban-ghi.xls",
        xls_many_records,
    ),
    "shared-part": (
        "1,000 hidden sheets → one 250 KB part",
        "chung.xlsx",
        lambda: shared_part(1000, 250),
    ),
    "ods-repeat": (
        "ODS 1,500 × 1,500 repeated cells",
        "lap.ods",
        lambda: ods_repeated(1500, 1500),
    ),
    "ods-cells": ("ODS 4,000 × 150 valued cells", "nhieu.ods", lambda: ods_repeated(4000, 150)),
    "widest-allowed": (
        "5,000 × 40 numbers (at the cell cap)",
        "rong.xlsx",
        lambda: numbers_xlsx(rows=5000, columns=40),
    ),
}


#: An ordinary small workbook checked first, so the rows time the hostile file, not imports.
WARM_UP = "thuong.xlsx"


def write_cases(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    (out / WARM_UP).write_bytes(numbers_xlsx(rows=3, columns=3))
    for _, name, build in CASES.values():
        (out / name).write_bytes(build())
    return len(CASES)
