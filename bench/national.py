"""A national-scale month: thousands of filled workbooks, fast, and the straightforward pipeline.

Writing 5,000 styled workbooks with openpyxl takes minutes, so one filled workbook is built per
unit kind with the project's own template writer (placeholder unit code and name), and each
unit's copy is made by replacing those two shared strings and re-zipping (a few ms a file).
Values differ per unit kind only: enough to measure reading and validating at scale.
"""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Iterator
from pathlib import Path

from bench.history import PLAN_ID

CODE_MARK, NAME_MARK = "ZZUNITCODEZZ", "ZZUNITNAMEZZ"
PERIOD = "2026-01"


def _base_workbooks(period: str) -> dict[str, dict[str, bytes]]:
    """Per unit kind: the zip entries of one filled report with placeholder code and name."""
    from pcmbn.catalog import load_catalog
    from pcmbn.domain import Unit
    from pcmbn.periods import parse_period
    from pcmbn.report_content import ReportContent, TaskEntry
    from pcmbn.template_writer import build_workbook

    catalog = load_catalog()
    plan = catalog.plan(PLAN_ID)
    bases: dict[str, dict[str, bytes]] = {}
    kinds = {u.kind: u for u in catalog.registry(plan).units.values()}
    rng = random.Random(2026)  # same figures every month, so cumulatives add up
    month = int(period[5:7])
    in_period = parse_period(period)
    for kind, example in sorted(kinds.items()):
        unit = Unit(
            code=CODE_MARK,
            name=NAME_MARK,
            kind=kind,
            level=example.level,
            valid_from=example.valid_from,
        )
        values = {}
        for ind in catalog.indicators_for(kind, in_period, plan.reporting.cutoff):
            value = (
                round(rng.uniform(1, 40), 1) if ind.value_type == "decimal" else rng.randint(1, 9)
            )
            values[ind.code] = (value, value * month)  # year-to-date consistent month to month
        # "Trong đó" rows never above their parent
        for ind in catalog.indicators_for(kind, in_period, plan.reporting.cutoff):
            if ind.parent and ind.parent in values:
                parent = values[ind.parent]
                values[ind.code] = (
                    min(values[ind.code][0], parent[0]),
                    min(values[ind.code][1], parent[1]),
                )
        content = ReportContent(
            preparer="Nguyễn Văn A",
            values=values,
            tasks={
                t.code: TaskEntry("Đang triển khai", "Đã triển khai theo kế hoạch.", None)
                for t in plan.tasks_for(kind)
            },
            difficulties="Kinh phí còn hạn chế.",
            proposals="Đề nghị tăng cường tập huấn.",
        )
        wb = build_workbook(catalog, plan, unit, parse_period(period), content)
        buffer = io.BytesIO()
        wb.save(buffer)
        with zipfile.ZipFile(buffer) as packed:
            bases[kind] = {name: packed.read(name) for name in packed.namelist()}
    return bases


def _copy(entries: dict[str, bytes], code: str, name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as packed:
        for entry, data in entries.items():
            if CODE_MARK.encode() in data or NAME_MARK.encode() in data:
                data = data.replace(CODE_MARK.encode(), code.encode()).replace(
                    NAME_MARK.encode(), name.encode()
                )
            packed.writestr(entry, data)
    return buffer.getvalue()


def write_month(out: Path, files: int, period: str = PERIOD) -> int:
    """`files` workbooks (one per unit of the synthetic registry) under `out/<period>/`."""
    from pcmbn.catalog import load_catalog

    catalog = load_catalog()
    plan = catalog.plan(PLAN_ID)
    bases = _base_workbooks(period)
    folder = out / period
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for unit in _units(catalog.registry(plan).units.values(), files):
        data = _copy(bases[unit.kind], unit.code, unit.name)
        (folder / f"BaoCao_{unit.code}_{period}.xlsx").write_bytes(data)
        written += 1
    return written


def _units(units: object, limit: int) -> Iterator[object]:
    for index, unit in enumerate(units):  # type: ignore[arg-type]
        if index >= limit:
            return
        yield unit


def straightforward(files: list[Path], out: Path) -> int:
    """What one would write first: pandas.read_excel (openpyxl) per file, one Great
    Expectations validation per file, an openpyxl summary at the end."""
    import great_expectations as gx
    import pandas as pd
    from openpyxl import Workbook

    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_pandas("bench")
    asset = source.add_dataframe_asset("report")
    definition = asset.add_batch_definition_whole_dataframe("whole")
    suite = context.suites.add(gx.ExpectationSuite(name="report"))
    suite.add_expectation(gx.expectations.ExpectColumnToExist(column="Mã chỉ tiêu"))
    suite.add_expectation(
        gx.expectations.ExpectColumnValuesToBeBetween(column="Kỳ này", min_value=0, mostly=1.0)
    )
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name="report", data=definition, suite=suite)
    )
    totals: dict[str, float] = {}
    for path in files:
        sheets = pd.read_excel(path, sheet_name=None, engine="openpyxl", header=None)
        frame = sheets["ChiTieu"]
        header = next(i for i, row in frame.iterrows() if "Mã chỉ tiêu" in row.tolist())
        frame.columns = [str(c) for c in frame.iloc[header]]
        frame = frame.iloc[header + 1 :]
        frame = frame[frame["Mã chỉ tiêu"].notna()]
        frame["Kỳ này"] = pd.to_numeric(frame["Kỳ này"], errors="coerce")
        validation.run(batch_parameters={"dataframe": frame})
        for code, value in zip(frame["Mã chỉ tiêu"], frame["Kỳ này"], strict=True):
            if pd.notna(value):
                totals[str(code)] = totals.get(str(code), 0.0) + float(value)
    wb = Workbook()
    ws = wb.active
    ws.append(["Mã chỉ tiêu", "Tổng"])
    for code, value in sorted(totals.items()):
        ws.append([code, value])
    wb.save(out / "straightforward_summary.xlsx")
    return len(files)
