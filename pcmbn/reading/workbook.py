"""Read a report workbook into canonical records, every value keeping its sheet and cell.

Layout is found, never assumed: sheets by folded name, the indicator and task tables by their
header row (wherever it is, whatever its case, spacing or diacritics, in whatever column order),
identification fields by their labels. Rows may be shuffled or preceded by title rows; extra
columns are ignored. What is counted must be what the clerk sees: two sheets whose names fold
to the same (hidden or not) are an error naming both (the visible one is read), a required
sheet that is hidden is an error, and an identification label written twice or on a hidden row
of ThongTin is an error (a hidden row must not decide which unit a file counts for). Hidden
indicator rows are still read: a repeated code is `indicator.duplicate` wherever it hides.
python-calamine reads every format (.xlsx, .xlsm, .xls, .ods) and gives the cached value of
formulas; a formula with nothing cached comes back as its text.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from python_calamine import CalamineWorkbook

from pcmbn.domain import Column, TemplateSpec
from pcmbn.reading.compact import CUMULATIVE, PERIOD, IndicatorTable, column_letters
from pcmbn.reading.guard import SheetLayout
from pcmbn.text import clean, fold, fold_key, task_code
from pcmbn.vocabulary import RuleId

#: How far down a sheet the header row is searched for (title rows above it are tolerated).
HEADER_SEARCH_ROWS = 40
_CODE = re.compile(r"^[A-Z]{2}\d{2}$")


@dataclass(frozen=True)
class CellValue:
    """A raw cell value with its provenance (actual sheet name in the file, A1 address)."""

    raw: Any
    sheet: str
    cell: str | None

    @property
    def blank(self) -> bool:
        return self.raw is None or (isinstance(self.raw, str) and not self.raw.strip())

    def __reduce__(self) -> tuple[Any, ...]:
        # A plain tuple: a dataclass's default reduction (state dict) costs several times more
        # per object, and every identification, task and narrative cell crosses a pipe.
        return (CellValue, (self.raw, self.sheet, self.cell))


@dataclass(frozen=True)
class IndicatorRow:
    code: str  # as written, cleaned and upper-cased
    row: int  # 1-based row in the sheet
    period: CellValue
    cumulative: CellValue
    code_cell: str = ""  # A1 address of the code itself (for unknown or duplicate codes)


@dataclass(frozen=True)
class TaskRow:
    code: str
    status: CellValue
    result: str | None
    difficulty: str | None

    def __reduce__(self) -> tuple[Any, ...]:
        return (TaskRow, (self.code, self.status, self.result, self.difficulty))


@dataclass(frozen=True)
class ReadProblem:
    """A structural problem found while reading (missing sheet or column)."""

    rule: str
    sheet: str | None
    cell: str | None
    params: dict[str, str] = field(default_factory=dict)

    def __reduce__(self) -> tuple[Any, ...]:
        return (ReadProblem, (self.rule, self.sheet, self.cell, self.params))


@dataclass
class WorkbookRecords:
    """What one workbook says. The indicator table is compact (`table`, flat arrays with the
    layout stored once); `indicators` gives it as one `IndicatorRow` per row for code that
    wants objects, built on first use and never pickled."""

    info: dict[str, CellValue] = field(default_factory=dict)
    table: IndicatorTable | None = None
    tasks: list[TaskRow] = field(default_factory=list)
    narratives: dict[str, CellValue] = field(default_factory=dict)
    problems: list[ReadProblem] = field(default_factory=list)
    indicator_sheet: str | None = None
    #: (sheet, A1) of formulas saved without a computed value (calamine reads them as empty)
    uncached_formulas: set[tuple[str, str]] = field(default_factory=set)
    _rows: list[IndicatorRow] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def indicators(self) -> list[IndicatorRow]:
        """The indicator rows as objects with their cells' provenance (derived from `table`)."""
        if self._rows is None:
            self._rows = indicator_rows(self.table) if self.table is not None else []
        return self._rows

    def __reduce__(self) -> tuple[Any, ...]:
        # A plain tuple of the fields (not a state dict); `_rows` is derived, rebuilt on demand
        # on the other side. Every file's records cross the sandbox's pipe.
        return (
            WorkbookRecords,
            (
                self.info,
                self.table,
                self.tasks,
                self.narratives,
                self.problems,
                self.indicator_sheet,
                self.uncached_formulas,
            ),
        )


def indicator_rows(table: IndicatorTable) -> list[IndicatorRow]:
    """One `IndicatorRow` per row of a compact table."""
    sheet = table.sheet
    return [
        IndicatorRow(
            code=code,
            row=table.rows[i],
            period=CellValue(table.value(2 * i), sheet, table.cell(2 * i)),
            cumulative=CellValue(table.value(2 * i + 1), sheet, table.cell(2 * i + 1)),
            code_cell=table.code_cell(i),
        )
        for i, code in enumerate(table.codes)
    ]


def cell_address(row: int, col: int) -> str:
    """1-based row and column to A1 form (no `$`)."""
    return f"{column_letters(col)}{row}"


def read_workbook(
    data: bytes, spec: TemplateSpec, layout: SheetLayout | None = None
) -> WorkbookRecords:
    """Read all four sheets; raises the library's own error for unreadable content.

    The caller (the checker) has already passed the bytes through the guard (whose `layout`
    says which rows are hidden) and turns any exception from here into a rejection.
    """
    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    records = WorkbookRecords()
    hidden_rows = layout.hidden_rows if layout else {}
    sheets = _sheets_by_key(wb, records)
    grids: dict[str, tuple[str, list[list[Any]]]] = {}
    for key in ("info", "indicators", "tasks", "narrative"):
        wanted = getattr(spec.sheets, key)
        found = sheets.get(fold_key(wanted))
        if found is None:
            records.problems.append(
                ReadProblem(
                    RuleId.SHEET_MISSING,
                    None,
                    None,
                    {"sheet": wanted, "version": str(spec.version)},
                )
            )
            continue
        actual, visible = found
        if not visible:
            records.problems.append(
                ReadProblem(RuleId.SHEET_HIDDEN, actual, None, {"sheet": actual})
            )
        grids[key] = (actual, wb.get_sheet_by_name(actual).to_python(skip_empty_area=False))
    if "info" in grids:
        sheet = grids["info"][0]
        records.info = _read_info(
            *grids["info"], spec, hidden_rows.get(sheet, frozenset()), records
        )
    if "indicators" in grids:
        records.indicator_sheet = grids["indicators"][0]
        _read_indicators(*grids["indicators"], spec, records)
    if "tasks" in grids:
        _read_tasks(*grids["tasks"], spec, records)
    if "narrative" in grids:
        records.narratives = _read_narratives(*grids["narrative"], spec)
    table = records.table
    formulas = layout is None or layout.formulas  # the guard saw no `<f` in the package
    if table is not None and formulas and any(_blank(v) for v in table.raw.values()):
        # Only a blank value cell can hide a formula saved without its value, and only the
        # indicator sheet's matter; the sheet XML is scanned only when it could matter.
        records.uncached_formulas = uncached_formulas(data, sheets={table.sheet})
    return records


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _sheets_by_key(wb: CalamineWorkbook, records: WorkbookRecords) -> dict[str, tuple[str, bool]]:
    """Folded name -> (actual name, visible); names folding alike are `sheet.duplicate`.

    The visible sheet wins over a hidden one of the same folded name (a veryHidden "ChiTieu"
    must never be read instead of the one the clerk filled in); the first wins among equals.
    """
    found: dict[str, tuple[str, bool]] = {}
    for meta in wb.sheets_metadata:
        name, visible = meta.name, _visible(meta)
        key = fold_key(name)
        if key not in found:
            found[key] = (name, visible)
            continue
        kept, kept_visible = found[key]
        if visible and not kept_visible:
            found[key] = (name, visible)
        first, second = (kept, name) if kept_visible or not visible else (name, kept)
        records.problems.append(
            ReadProblem(RuleId.SHEET_DUPLICATE, first, None, {"sheet": first, "other": second})
        )
    return found


def _visible(meta: Any) -> bool:
    """calamine's SheetVisibleEnum: Visible, Hidden, VeryHidden."""
    return str(getattr(meta, "visible", "Visible")).rsplit(".", 1)[-1].lower() == "visible"


_FORMULA = re.compile(rb"<f[\s>/]")  # a cell's formula (not `<formula1>`, `<fill>`)
_CELL_OPEN = re.compile(rb"<c\b")
_REF = re.compile(rb'\br="([A-Z]+[0-9]+)"')
_VALUE = re.compile(rb"<v>[^<]+</v>|<is>")
_SHEET = re.compile(rb'<sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"')
_REL = re.compile(rb'<Relationship\b[^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"')
_REL_ALT = re.compile(rb'<Relationship\b[^>]*?Target="([^"]*)"[^>]*?Id="([^"]*)"')


def uncached_formulas(data: bytes, sheets: set[str] | None = None) -> set[tuple[str, str]]:
    """Cells of an .xlsx/.xlsm holding a formula but no cached value (of `sheets`, or all).

    Excel and LibreOffice always save the computed value; a file written by a script (or an
    export that skipped recalculation) may not, and calamine then reports the cell as empty,
    which would read as missing data instead of the formula the clerk actually typed. The guard
    has already refused any DTD, so a plain scan of the sheet XML is safe. Only the cells
    around each `<f>` are looked at, not every cell of the sheet.
    """
    if not data.startswith(b"PK"):
        return set()
    found: set[tuple[str, str]] = set()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            if "xl/workbook.xml" not in names:
                return set()
            rels_xml = zf.read("xl/_rels/workbook.xml.rels")
            targets = {rid: target for rid, target in _REL.findall(rels_xml)}
            targets.update({rid: target for target, rid in _REL_ALT.findall(rels_xml)})
            for name, rid in _SHEET.findall(zf.read("xl/workbook.xml")):
                sheet = html.unescape(name.decode("utf-8"))
                if sheets is not None and sheet not in sheets:
                    continue
                target = targets.get(rid, b"").decode()
                part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                if part not in names:
                    continue
                found.update((sheet, ref) for ref in _uncached_cells(zf.read(part)))
    except (zipfile.BadZipFile, KeyError, OSError, UnicodeDecodeError):
        return set()
    return found


def _uncached_cells(xml: bytes) -> set[str]:
    """A1 refs of the cells of one sheet's XML whose formula has no cached `<v>`/`<is>`."""
    refs: set[str] = set()
    done = 0  # formulas before this offset belong to a cell already looked at
    for formula in _FORMULA.finditer(xml):
        at = formula.start()
        if at < done:
            continue
        start = _cell_start(xml, at)
        if start is None:
            continue
        close = xml.find(b">", start)
        end = xml.find(b"</c>", close)
        if close < 0 or end < 0 or xml[close - 1 : close] == b"/":
            continue
        done = end
        if not _VALUE.search(xml, close + 1, end):
            ref = _REF.search(xml, start, close)
            if ref:
                refs.add(ref.group(1).decode())
    return refs


def _cell_start(xml: bytes, at: int) -> int | None:
    """Offset of the `<c` element enclosing offset `at`, or None when `at` is in no cell."""
    end = at
    while (start := xml.rfind(b"<c", 0, end)) >= 0:
        if _CELL_OPEN.match(xml, start):
            # still open at `at`: no `</c>` between its start and the formula
            return start if xml.find(b"</c>", start, at) < 0 else None
        end = start
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = clean(str(value))
    return text or None


def _read_info(
    sheet: str,
    rows: list[list[Any]],
    spec: TemplateSpec,
    hidden: frozenset[int] = frozenset(),
    records: WorkbookRecords | None = None,
) -> dict[str, CellValue]:
    """Find each label anywhere in the sheet; its value is the next non-empty cell to the right.

    A label found twice is `info.duplicate` and a label on a hidden row `info.hidden_row`
    (both errors when `records` collects problems); a visible occurrence wins over a hidden one.
    """
    labels = {fold(f.label): f for f in spec.info_fields}
    seen: dict[str, list[tuple[int, CellValue]]] = {}
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            field_spec = labels.get(fold(value)) if isinstance(value, str) else None
            if field_spec is None:
                continue
            target = next(
                (cc for cc in range(c + 1, len(row) + 1) if _text(row[cc - 1]) is not None),
                c + 1,
            )
            raw = row[target - 1] if target <= len(row) else None
            seen.setdefault(field_spec.key, []).append(
                (r, CellValue(raw, sheet, cell_address(r, target)))
            )
    found: dict[str, CellValue] = {}
    for key, places in seen.items():
        visible = [cell for r, cell in places if r not in hidden]
        found[key] = visible[0] if visible else places[0][1]
        if records is None:
            continue
        label = next(f.label for f in spec.info_fields if f.key == key)
        first_row, first = places[0]
        for _, other in places[1:]:
            records.problems.append(
                ReadProblem(
                    RuleId.INFO_DUPLICATE,
                    sheet,
                    other.cell,
                    {"cell": other.cell or "", "label": label, "other": first.cell or ""},
                )
            )
        for r, cell in places:
            if r in hidden:
                records.problems.append(
                    ReadProblem(
                        RuleId.INFO_HIDDEN_ROW,
                        sheet,
                        cell.cell,
                        {"cell": cell.cell or "", "label": label},
                    )
                )
    return found


def _header(
    rows: list[list[Any]], columns: tuple[Column, ...]
) -> tuple[int, dict[str, int]] | None:
    """The first row naming every required column; returns its index and key -> column index."""
    names = {fold(name): col.key for col in columns for name in (col.label, *col.aliases)}
    required = {col.key for col in columns if col.required}
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        positions: dict[str, int] = {}
        for c, value in enumerate(row):
            key = names.get(fold(value)) if isinstance(value, str) else None
            if key is not None and key not in positions:
                positions[key] = c
        if required <= set(positions):
            return index, positions
    return None


def _missing_columns(
    rows: list[list[Any]], columns: tuple[Column, ...], sheet: str, records: WorkbookRecords
) -> None:
    """Name the required columns absent from the best candidate header row."""
    names = {fold(name): col.key for col in columns for name in (col.label, *col.aliases)}
    best: set[str] = set()
    for row in rows[:HEADER_SEARCH_ROWS]:
        keys = {names[fold(v)] for v in row if isinstance(v, str) and fold(v) in names}
        if len(keys) > len(best):
            best = keys
    for col in columns:
        if col.required and col.key not in best:
            records.problems.append(
                ReadProblem(
                    RuleId.COLUMN_MISSING, sheet, None, {"sheet": sheet, "column": col.label}
                )
            )


def _table_rows(
    sheet: str, rows: list[list[Any]], columns: tuple[Column, ...], records: WorkbookRecords
) -> Iterator[tuple[int, list[Any], dict[str, int], str]]:
    """Rows under a table's header that carry a code: (index, row, column positions, code)."""
    found = _header(rows, columns)
    if found is None:
        _missing_columns(rows, columns, sheet, records)
        return
    header, pos = found
    for r in range(header + 1, len(rows)):
        row = rows[r]
        code = _text(row[pos["code"]]) if pos["code"] < len(row) else None
        if code is not None:
            yield r, row, pos, code


def _read_indicators(
    sheet: str, rows: list[list[Any]], spec: TemplateSpec, records: WorkbookRecords
) -> None:
    """The indicator table as flat arrays: codes, rows, two raw value cells per row."""
    codes: list[str] = []
    numbers: list[int] = []
    cells: list[Any] = []
    columns: tuple[int, int, int] | None = None
    for r, row, pos, written in _table_rows(sheet, rows, spec.indicator_columns, records):
        code = written.upper().replace(" ", "")
        if not _CODE.match(code):
            continue  # group headings ("I", "Tuyên truyền"), totals, notes below the table
        if columns is None:
            columns = (pos["code"], pos["period_value"], pos["cumulative"])
        _, period, cumulative = columns
        codes.append(code)
        numbers.append(r + 1)
        width = len(row)
        cells.append(row[period] if period < width else None)
        cells.append(row[cumulative] if cumulative < width else None)
    if columns is None:
        return  # no table, or a table without a row: nothing to hold
    one_based = (columns[0] + 1, columns[PERIOD + 1] + 1, columns[CUMULATIVE + 1] + 1)
    records.table = IndicatorTable.build(sheet, one_based, codes, numbers, cells)


def _cell(rows: list[list[Any]], r: int, c: int, sheet: str) -> CellValue:
    row = rows[r]
    raw = row[c] if c < len(row) else None
    return CellValue(raw, sheet, cell_address(r + 1, c + 1))


def _read_tasks(
    sheet: str, rows: list[list[Any]], spec: TemplateSpec, records: WorkbookRecords
) -> None:
    for r, row, pos, code in _table_rows(sheet, rows, spec.task_columns, records):
        records.tasks.append(
            TaskRow(
                code=task_code(code),
                status=_cell(rows, r, pos["status"], sheet),
                result=_optional(row, pos, "result"),
                difficulty=_optional(row, pos, "difficulty"),
            )
        )


def _optional(row: list[Any], pos: dict[str, int], key: str) -> str | None:
    """Text of an optional column (absent column or short row: None)."""
    return _text(row[pos[key]]) if key in pos and pos[key] < len(row) else None


def _read_narratives(sheet: str, rows: list[list[Any]], spec: TemplateSpec) -> dict[str, CellValue]:
    """Each block's text is the first non-empty cell below its label (or beside it)."""
    labels = {fold(block.label): block.key for block in spec.narrative_blocks}
    positions: list[tuple[int, int, str]] = []
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            key = labels.get(fold(value)) if isinstance(value, str) else None
            if key is not None and all(k != key for _, _, k in positions):
                positions.append((r, c, key))
    found: dict[str, CellValue] = {}
    for index, (r, c, key) in enumerate(positions):
        stop = positions[index + 1][0] if index + 1 < len(positions) else len(rows)
        beside = [(r, cc) for cc in range(c + 1, len(rows[r]))]
        below = [(rr, cc) for rr in range(r + 1, stop) for cc in range(len(rows[rr]))]
        texts = [
            (rr, cc, t)
            for rr, cc in beside + below
            if (t := _text(rows[rr][cc])) is not None and fold(t) not in labels
        ]
        if texts:
            rr, cc, _ = texts[0]
            joined = "\n".join(t for _, _, t in texts)
            found[key] = CellValue(joined, sheet, cell_address(rr + 1, cc + 1))
        else:
            found[key] = CellValue(None, sheet, cell_address(r + 2, c + 1))
    return found
