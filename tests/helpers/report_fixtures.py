"""Test helpers: tiny report workbooks built by code, one quirk each, named after the quirk.

`quirk_batch` writes every fixture once and checks them all in ONE call (one GE run), as the
pipeline does; each test then looks up its own file's report by name.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pcmbn.catalog import Catalog
from pcmbn.periods import parse_period
from pcmbn.report_content import ReportContent, TaskEntry
from pcmbn.sheet_grid import Grid, grid_from_workbook, ods_bytes, xls_bytes, xlsx_bytes
from pcmbn.template_writer import build_workbook, normalise_zip, save_workbook
from pcmbn.validation.checker import CheckResult, FileReport, check_files

PLAN = "ST-KH-30-7-2024"
PERIOD = "2024-07"


def valid_content(catalog: Catalog, unit_code: str = "CA_TINH") -> ReportContent:
    """Every applicable indicator filled consistently: children ≤ parents, cumulative ≥ period."""
    plan = catalog.plan(PLAN)
    unit = catalog.registry(plan).units[unit_code]
    values: dict[str, tuple[Any, Any]] = {}
    for ind in catalog.indicators_for(unit.kind):
        base = 2.5 if ind.value_type == "decimal" else 4
        values[ind.code] = (base, base * 3)
    tasks = {
        t.code: TaskEntry("Đang triển khai", "Đã triển khai.", None)
        for t in plan.tasks_for(unit.kind)
    }
    return ReportContent(
        preparer="Nguyễn Văn A",
        values=values,
        tasks=tasks,
        difficulties="Kinh phí hạn chế.",
        proposals="Đề nghị tập huấn.",
    )


@dataclass
class Fixture:
    name: str
    unit: str = "CA_TINH"
    period: str = PERIOD
    edit: Callable[[ReportContent], None] | None = None
    grid_edit: Callable[[Grid], None] | None = None
    fmt: str = "xlsx"
    raw: bytes | None = None
    extension: str = ".xlsx"
    bytes_edit: Callable[[bytes], bytes] | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def write_fixture(fx: Fixture, folder: Path, catalog: Catalog) -> Path:
    path = folder / f"{fx.name}{fx.extension if fx.raw is not None else '.' + fx.fmt}"
    if fx.raw is not None:
        path.write_bytes(fx.raw)
        return path
    plan = catalog.plan(PLAN)
    unit = catalog.registry(plan).units[fx.unit]
    content = valid_content(catalog, fx.unit)
    if fx.edit:
        fx.edit(content)
    wb = build_workbook(catalog, plan, unit, parse_period(fx.period), content)
    if fx.grid_edit is None and fx.fmt == "xlsx" and fx.bytes_edit is None:
        return save_workbook(wb, path)
    grid = grid_from_workbook(wb)
    if fx.grid_edit:
        fx.grid_edit(grid)
    data = {
        "xlsx": lambda: normalise_zip(xlsx_bytes(grid)),
        "xls": lambda: xls_bytes(grid),
        "ods": lambda: ods_bytes(grid),
        "xlsm": lambda: normalise_zip(xlsx_bytes(grid)),
    }[fx.fmt]()
    if fx.bytes_edit:
        data = fx.bytes_edit(data)
    path.write_bytes(data)
    return path


# --- edits ----------------------------------------------------------------------------------


def set_value(
    code: str, period: Any = ..., cumulative: Any = ...
) -> Callable[[ReportContent], None]:
    def edit(content: ReportContent) -> None:
        old = content.values.get(code, (None, None))
        content.values[code] = (
            old[0] if period is ... else period,
            old[1] if cumulative is ... else cumulative,
        )

    return edit


def set_info(**overrides: Any) -> Callable[[ReportContent], None]:
    def edit(content: ReportContent) -> None:
        content.info_overrides.update(overrides)

    return edit


def header_row(grid: Grid, sheet: str = "ChiTieu", label: str = "Mã chỉ tiêu") -> int:
    return next(i for i, row in enumerate(grid[sheet].rows) if label in row)


def row_of(grid: Grid, code: str, sheet: str = "ChiTieu") -> int:
    """0-based index of the row whose code column holds `code`."""
    return next(i for i, row in enumerate(grid[sheet].rows) if len(row) > 1 and row[1] == code)


def add_formula_cache(cell: str, value: str) -> Callable[[bytes], bytes]:
    """Give a formula cell a cached value, as Excel would have saved it."""

    def edit(data: bytes) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
            for item in src.infolist():
                payload = src.read(item.filename)
                if item.filename == "xl/worksheets/sheet2.xml":
                    payload = re.sub(
                        rb'(<c r="' + cell.encode() + rb'"[^>]*>)<f>([^<]*)</f>(<v\s*/>|<v></v>)?',
                        lambda m: (
                            m.group(1) + b"<f>" + m.group(2) + b"</f><v>" + value.encode() + b"</v>"
                        ),
                        payload,
                    )
                dst.writestr(item, payload)
        return out.getvalue()

    return edit


def nfd_everything(grid: Grid) -> None:
    for sheet in grid.values():
        sheet.rows = [
            [unicodedata.normalize("NFD", v) + "  " if isinstance(v, str) else v for v in row]
            for row in sheet.rows
        ]


@dataclass
class Batch:
    result: CheckResult
    paths: dict[str, Path]

    def report(self, name: str) -> FileReport:
        path = self.paths[name]
        return next(r for r in self.result.reports if r.submission.path == path)

    def problems(self, name: str) -> set[tuple[str, str | None, str | None]]:
        return {(p.rule, p.sheet, p.cell) for p in self.report(name).problems}


def run_batch(fixtures: list[Fixture], folder: Path, catalog: Catalog, **kwargs: Any) -> Batch:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {fx.name: write_fixture(fx, folder, catalog) for fx in fixtures}
    return Batch(check_files(list(paths.values()), catalog, **kwargs), paths)
