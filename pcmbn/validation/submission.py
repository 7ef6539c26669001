"""One received file, from bytes to parsed records: guard, read, identify, parse numbers.

Every file ends here either with records to validate or with the reason it cannot be read
(a guard refusal, a library error turned into `file.corrupt`, a reader that died turned into
`file.reader_crashed`); nothing raises out of `load_submission`, so one bad file never stops
the others. The guard and the native parse run in the sandbox's worker processes
(`pcmbn.reading.sandbox`, in parallel, off this process's GIL) unless `$PCMBN_READER=inline`;
what comes back is compact (`reading.compact.IndicatorTable`), and the numbers are parsed here
once per file into `Figures`.
"""

from __future__ import annotations

import hashlib
import logging
import math
import stat
from array import array
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pcmbn.catalog import Catalog
from pcmbn.domain import Indicator, Plan, TemplateSpec, Unit, ValueType
from pcmbn.periods import Period, PeriodError, parse_period
from pcmbn.reading.compact import IndicatorTable, column_letters
from pcmbn.reading.guard import Limits, Refused, SheetLayout, inspect_file
from pcmbn.reading.numbers import ParsedNumber, parse_number
from pcmbn.reading.sandbox import (
    ReaderCrashed,
    ReaderFailed,
    ReaderLimits,
    ReaderPool,
    read_guarded,
    read_inline,
    shared_pool,
)
from pcmbn.reading.workbook import CellValue, WorkbookRecords
from pcmbn.settings import ReaderMode, Settings
from pcmbn.text import clean
from pcmbn.vocabulary import RuleId

log = logging.getLogger(__name__)

FORMULA_NO_CACHE = RuleId.VALUE_FORMULA_NO_CACHE


@dataclass(frozen=True)
class ParsedCell:
    cell: CellValue
    number: ParsedNumber


@dataclass(slots=True, eq=False)
class Figures:
    """The parsed numbers of a file's value cells, parallel to its `IndicatorTable` positions
    (`pos = 2 * row + col`, duplicates included): what validation, the store and the summary
    take, as one float64 array plus the few cells whose outcome is not a plain value.

    `values[pos]` is the number the clerk meant, NaN when there is none; `special[pos]` holds
    the full `ParsedNumber` of every cell that is blank, wrong, ambiguous (a warning), or a
    count a float cannot hold exactly; `integer[row]` is 1 when the row's indicator is a count
    (its values are Python ints when asked for one by one).
    """

    values: array  # array('d')
    integer: bytes
    special: dict[int, ParsedNumber]

    def __reduce__(self) -> tuple[Any, ...]:
        return (Figures, (self.values, self.integer, self.special))

    def number(self, pos: int) -> ParsedNumber:
        """The `ParsedNumber` of one cell, as `parse_cell` would have made it."""
        found = self.special.get(pos)
        if found is not None:
            return found
        value = self.values[pos]
        return ParsedNumber(int(value) if self.integer[pos >> 1] else value)


@dataclass
class Submission:
    """A file and what could be read from it; `refusal` set when it could not be read.

    The figures are compact (`records.table` for the cells, `figures` for their parsed
    numbers); `values` gives the first occurrence of each code as `ParsedCell` pairs, built on
    first use in the process that asks (never pickled when `figures` can rebuild it).
    """

    index: int
    path: Path
    sha256: str
    refusal: Refused | None = None
    records: WorkbookRecords | None = None
    unit_code: str | None = None
    plan: Plan | None = None
    plan_text: str | None = None
    unit: Unit | None = None
    period: Period | None = None
    period_error: str | None = None
    template_version: str | None = None
    #: the name the unit gave the file (the archive names copies by content)
    original_name: str | None = None
    figures: Figures | None = None
    _values: dict[str, tuple[ParsedCell, ParsedCell]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def values(self) -> dict[str, tuple[ParsedCell, ParsedCell]]:
        """code -> (Kỳ này, Lũy kế) for indicator rows present in the sheet (first occurrence)."""
        if self._values is None:
            self._values = self._cells()
        return self._values

    @values.setter
    def values(self, values: dict[str, tuple[ParsedCell, ParsedCell]]) -> None:
        self._values = values

    def _cells(self) -> dict[str, tuple[ParsedCell, ParsedCell]]:
        table = self.records.table if self.records is not None else None
        figures = self.figures
        if table is None or figures is None:
            return {}
        sheet, rows, raw, numbers = table.sheet, table.rows, table.raw, table.numbers
        # the addresses as `table.cell` makes them, the column letters found once per file
        period_letters = column_letters(table.period_column)
        cumulative_letters = column_letters(table.cumulative_column)
        number = figures.number
        cells: dict[str, tuple[ParsedCell, ParsedCell]] = {}
        for code, i in table.first_rows().items():
            period, cumulative, row = 2 * i, 2 * i + 1, rows[i]
            cells[code] = (
                ParsedCell(
                    CellValue(
                        raw[period] if period in raw else numbers[period],
                        sheet,
                        f"{period_letters}{row}",
                    ),
                    number(period),
                ),
                ParsedCell(
                    CellValue(
                        raw[cumulative] if cumulative in raw else numbers[cumulative],
                        sheet,
                        f"{cumulative_letters}{row}",
                    ),
                    number(cumulative),
                ),
            )
        return cells

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        if self.figures is not None:
            state["_values"] = None  # derived from the compact figures on the other side
        return state

    @property
    def name(self) -> str:
        return self.original_name or self.path.name

    @property
    def readable(self) -> bool:
        return self.refusal is None and self.records is not None

    def applicable(self, indicator: Indicator) -> bool | None:
        """Whether the unit must report it; None when the unit is unknown.

        With the period known, the indicator's validity and the kind's start date count (a 2026
        indicator is not owed for 2024). Without it, a dated one is unknown too (None): the file
        already carries the period problem, and "missing TG01" would only add noise.
        """
        if self.unit is None:
            return None
        if self.period is None or self.plan is None:
            if indicator.dated_for(self.unit.kind):
                return None
            return indicator.applies(self.unit.kind)
        return indicator.applies(self.unit.kind, self.period, self.plan.reporting.cutoff)


def sha256_of(path: Path, limit: int | None = None) -> str:
    """sha256 of the file, or of its first `limit` bytes (an over-sized file, refused anyway)."""
    digest = hashlib.sha256()
    left = limit if limit is not None else -1
    with path.open("rb") as handle:
        while left != 0:
            chunk = handle.read(1 << 20 if left < 0 else min(1 << 20, left))
            if not chunk:
                break
            digest.update(chunk)
            if left > 0:
                left -= len(chunk)
    return digest.hexdigest()


#: Reads one admitted workbook: (path, template, hidden rows) -> records.
Reader = Callable[[Path, TemplateSpec, SheetLayout | None], WorkbookRecords]


def _pool(settings: Settings | None) -> ReaderPool | None:
    """The sandbox's shared pool with the settings' limits; None with `PCMBN_READER=inline`.
    Without settings (tests, scripts): the isolated reader with its default limits."""
    if settings is None:
        return shared_pool()
    if settings.reader is ReaderMode.INLINE:
        return None
    return shared_pool(ReaderLimits.from_settings(settings))


#: Guards and reads one file: (path, template, guard limits) -> the guard's refusal or records.
GuardedReader = Callable[[Path, TemplateSpec, Limits], WorkbookRecords | Refused]


def default_reader(settings: Settings | None = None) -> Reader:
    """The sandbox's shared worker pool, or the in-process reader with `PCMBN_READER=inline`
    (as the entry point's `settings` say)."""
    pool = _pool(settings)
    return read_inline if pool is None else pool.read


def default_guarded_reader(settings: Settings | None = None) -> GuardedReader:
    """Guard and read in the sandbox's workers (in parallel, off this process's GIL), or both
    in this process with `PCMBN_READER=inline`."""
    pool = _pool(settings)
    return read_guarded if pool is None else pool.read_guarded


def prestart_readers(settings: Settings | None = None) -> None:
    """Boot the sandbox's workers for these settings now (nothing with `PCMBN_READER=inline`):
    a worker interpreter takes a second or more to start, better spent while the inbox is
    archived than on the first file read."""
    pool = _pool(settings)
    if pool is not None:
        pool.prestart()


def load_submissions(
    items: Sequence[tuple[int, Path, str | None]],
    catalog: Catalog,
    limits: Limits,
    reader: Reader | None = None,
    *,
    settings: Settings | None = None,
) -> list[Submission]:
    """`load_submission` for (index, path, original name) items, as many at a time as the
    sandbox has workers (threads only wait on the workers' pipes: the guard and the read both
    run in the workers); order is kept. `settings` choose the reader (`PCMBN_READER`, its
    limits) unless `reader` is given (then the guard runs here, before it)."""
    pool = _pool(settings)
    guarded = None if reader is not None else (read_guarded if pool is None else pool.read_guarded)
    workers = pool.size if pool is not None and len(items) > 1 else 1

    def load(item: tuple[int, Path, str | None]) -> Submission:
        index, path, name = item
        return load_submission(index, path, catalog, limits, name, reader=reader, guarded=guarded)

    if workers == 1:
        return [load(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers) as threads:
        return list(threads.map(load, items))


def load_submission(
    index: int,
    path: Path,
    catalog: Catalog,
    limits: Limits,
    original_name: str | None = None,
    *,
    reader: Reader | None = None,
    guarded: GuardedReader | None = None,
) -> Submission:
    """Guard, read and identify one file; never raises.

    The entry is looked at (stat) before any byte is read: a FIFO or device named like a
    workbook would block or never end, and a file over the size cap is hashed by its head only.
    With a `reader`, the guard runs here and the reader gets what it admits; otherwise both run
    in `guarded` (default: the sandbox's workers, `default_guarded_reader`).
    """
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            kind = "thư mục" if stat.S_ISDIR(info.st_mode) else "tệp đặc biệt (FIFO, thiết bị)"
            return Submission(
                index,
                path,
                "",
                refusal=Refused(
                    RuleId.FILE_NOT_REGULAR,
                    {"name": original_name or path.name, "kind": kind},
                    f"mode {info.st_mode:o}",
                ),
                original_name=original_name,
            )
        sha = sha256_of(path, limit=limits.max_bytes if info.st_size > limits.max_bytes else None)
    except OSError as exc:
        log.warning("cannot read %s: %s", path, exc)
        return Submission(
            index,
            path,
            "",
            refusal=Refused(RuleId.FILE_CORRUPT, {"detail": "không mở được tệp"}, str(exc)),
        )
    sub = Submission(index, path, sha, original_name=original_name)
    try:
        if reader is not None:
            verdict = inspect_file(path, limits)
            outcome: WorkbookRecords | Refused = (
                verdict
                if isinstance(verdict, Refused)
                else reader(path, catalog.template, verdict.layout)
            )
        else:
            outcome = (guarded or default_guarded_reader())(path, catalog.template, limits)
        if isinstance(outcome, Refused):
            sub.refusal = outcome
            log.info("refused %s: %s (%s)", path, outcome.rule, outcome.detail)
            return sub
        sub.records = outcome
    except ReaderCrashed as crash:
        log.warning("reader crashed on %s: %s", path, crash.log)
        sub.refusal = Refused(
            RuleId.FILE_READER_CRASHED, {"name": sub.name, "detail": crash.detail}, crash.log
        )
        return sub
    except ReaderFailed as exc:
        log.info("unreadable %s: %s", path, exc.log)
        sub.refusal = Refused(RuleId.FILE_CORRUPT, {"detail": _library_detail(exc)}, exc.log)
        return sub
    except Exception as exc:  # noqa: BLE001 - any library error on a malformed file is a refusal
        log.info("unreadable %s: %r", path, exc)
        sub.refusal = Refused(RuleId.FILE_CORRUPT, {"detail": _library_detail(exc)}, repr(exc))
        return sub
    _identify(sub, catalog)
    _parse_values(sub, catalog)
    return sub


def _library_detail(exc: Exception) -> str:
    text = str(exc).lower()
    if "password" in text or "encrypt" in text:
        return "tệp được đặt mật khẩu"
    if "cell" in text and ("limit" in text or "too many" in text):
        return "số ô vượt giới hạn"
    return "cấu trúc bảng tính không hợp lệ"


def _text(cell: CellValue | None) -> str | None:
    if cell is None or cell.blank:
        return None
    raw = cell.raw
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return clean(str(raw)) or None


def _identify(sub: Submission, catalog: Catalog) -> None:
    """Unit, plan, period and template version from ThongTin, as far as they can be known."""
    info = sub.records.info if sub.records else {}
    sub.plan_text = _text(info.get("plan_id"))
    sub.plan = catalog.plans.get(sub.plan_text) if sub.plan_text else None
    code = _text(info.get("unit_code"))
    sub.unit_code = code.upper().replace(" ", "") if code else None
    if sub.plan and sub.unit_code:
        sub.unit = catalog.registry(sub.plan).get(sub.unit_code)
    period_cell = info.get("period")
    if period_cell is not None and not period_cell.blank:
        try:
            sub.period = parse_period(period_cell.raw)
        except PeriodError as exc:
            sub.period_error = str(exc)
    sub.template_version = _text(info.get("template_version"))


def _parse_values(sub: Submission, catalog: Catalog) -> None:
    """Every value cell's number, once: a clean number straight from the float array, a text
    through the parser once per distinct (text, value type) of the process."""
    assert sub.records is not None
    table = sub.records.table
    if table is None:
        return
    sub.figures = parse_figures(table, catalog, sub.records.uncached_formulas)


def parse_figures(
    table: IndicatorTable,
    catalog: Catalog,
    uncached: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
) -> Figures:
    """The parsed numbers of a compact table (see `Figures`)."""
    numbers, raw = table.numbers, table.raw
    values = array("d", numbers)
    integer = bytearray(len(table.codes))
    special: dict[int, ParsedNumber] = {}
    indicators = catalog.indicators
    sheet = table.sheet
    for i, code in enumerate(table.codes):
        indicator = indicators.get(code)
        value_type = indicator.value_type if indicator is not None else ValueType.DECIMAL
        counts = value_type is ValueType.INTEGER
        integer[i] = counts
        for pos in (2 * i, 2 * i + 1):
            if pos not in raw:
                number = numbers[pos]
                if counts and not number.is_integer():
                    values[pos] = math.nan
                    special[pos] = _NOT_INTEGER_CELL
                else:
                    values[pos] = number + 0.0  # + 0.0 turns -0.0 into 0.0
                continue
            cell_raw = raw[pos]
            formula = bool(uncached) and (sheet, table.cell(pos)) in uncached
            parsed = (
                _parse_text(cell_raw, value_type)
                if type(cell_raw) is str and not formula
                else parse_cell(cell_raw, value_type, formula)
            )
            value = parsed.value
            plain = (
                value is not None
                and parsed.warning is None
                and type(value) is (int if counts else float)
                and (not counts or -(2**53) <= value <= 2**53)
            )
            if plain:
                values[pos] = value
            else:
                values[pos] = math.nan
                special[pos] = parsed
    return Figures(values, bytes(integer), special)


@lru_cache(maxsize=8192)
def _parse_text(raw: str, value_type: ValueType) -> ParsedNumber:
    """`parse_cell` of a text, once per distinct text and type (`""`, `"-"`, `"12 vụ"` repeat
    across thousands of files); a `ParsedNumber` is frozen, so the result is shared."""
    return parse_cell(raw, value_type)


_NOT_INTEGER_CELL = ParsedNumber(None, error=RuleId.VALUE_NOT_INTEGER)


def parse_cell(raw: Any, value_type: ValueType, uncached_formula: bool = False) -> ParsedNumber:
    """A number as the clerk meant it; a formula with no cached value is its own error."""
    if uncached_formula or (isinstance(raw, str) and raw.lstrip().startswith("=")):
        return ParsedNumber(value=None, blank=False, error=FORMULA_NO_CACHE)
    return parse_number(raw, value_type)
