"""One received file, from bytes to parsed records: guard, read, identify, parse numbers.

Every file ends here either with records to validate or with the reason it cannot be read
(a guard refusal, a library error turned into `file.corrupt`, a reader that died turned into
`file.reader_crashed`); nothing raises out of `load_submission`, so one bad file never stops
the others. The native parse runs in the sandbox's worker processes (`pcmbn.reading.sandbox`)
unless `$PCMBN_READER=inline`.
"""

from __future__ import annotations

import hashlib
import logging
import stat
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pcmbn.catalog import Catalog
from pcmbn.domain import Indicator, Plan, TemplateSpec, Unit, ValueType
from pcmbn.periods import Period, PeriodError, parse_period
from pcmbn.reading.guard import Limits, Refused, SheetLayout, inspect_file
from pcmbn.reading.numbers import ParsedNumber, parse_number
from pcmbn.reading.sandbox import (
    ReaderCrashed,
    ReaderFailed,
    ReaderLimits,
    ReaderPool,
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


@dataclass
class Submission:
    """A file and what could be read from it; `refusal` set when it could not be read."""

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
    #: code -> (Kỳ này, Lũy kế) for indicator rows present in the sheet (first occurrence)
    values: dict[str, tuple[ParsedCell, ParsedCell]] = field(default_factory=dict)
    #: the name the unit gave the file (the archive names copies by content)
    original_name: str | None = None

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


def default_reader(settings: Settings | None = None) -> Reader:
    """The sandbox's shared worker pool, or the in-process reader with `PCMBN_READER=inline`
    (as the entry point's `settings` say)."""
    pool = _pool(settings)
    return read_inline if pool is None else pool.read


def load_submissions(
    items: Sequence[tuple[int, Path, str | None]],
    catalog: Catalog,
    limits: Limits,
    reader: Reader | None = None,
    *,
    settings: Settings | None = None,
) -> list[Submission]:
    """`load_submission` for (index, path, original name) items, as many at a time as the
    sandbox has workers (threads only wait on the workers' pipes); order is kept. `settings`
    choose the reader (`PCMBN_READER`, its limits) unless `reader` is given."""
    pool = _pool(settings)
    reader = reader or (read_inline if pool is None else pool.read)
    workers = pool.size if pool is not None and len(items) > 1 else 1
    if workers == 1:
        return [load_submission(i, p, catalog, limits, name, reader=reader) for i, p, name in items]
    with ThreadPoolExecutor(max_workers=workers) as threads:
        return list(
            threads.map(
                lambda item: load_submission(*item[:2], catalog, limits, item[2], reader=reader),
                items,
            )
        )


def load_submission(
    index: int,
    path: Path,
    catalog: Catalog,
    limits: Limits,
    original_name: str | None = None,
    *,
    reader: Reader | None = None,
) -> Submission:
    """Guard, read and identify one file; never raises.

    The entry is looked at (stat) before any byte is read: a FIFO or device named like a
    workbook would block or never end, and a file over the size cap is hashed by its head only.
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
    verdict = inspect_file(path, limits)
    if isinstance(verdict, Refused):
        sub.refusal = verdict
        log.info("refused %s: %s (%s)", path, verdict.rule, verdict.detail)
        return sub
    try:
        sub.records = (reader or default_reader())(path, catalog.template, verdict.layout)
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
    assert sub.records is not None
    for row in sub.records.indicators:
        if row.code in sub.values:
            continue  # a duplicate: the first occurrence counts, validation flags the rest
        indicator = catalog.indicators.get(row.code)
        value_type = indicator.value_type if indicator else ValueType.DECIMAL
        formulas = sub.records.uncached_formulas
        sub.values[row.code] = (
            ParsedCell(
                row.period,
                parse_cell(
                    row.period.raw, value_type, (row.period.sheet, row.period.cell) in formulas
                ),
            ),
            ParsedCell(
                row.cumulative,
                parse_cell(
                    row.cumulative.raw,
                    value_type,
                    (row.cumulative.sheet, row.cumulative.cell) in formulas,
                ),
            ),
        )


def parse_cell(raw: Any, value_type: ValueType, uncached_formula: bool = False) -> ParsedNumber:
    """A number as the clerk meant it; a formula with no cached value is its own error."""
    if uncached_formula or (isinstance(raw, str) and raw.lstrip().startswith("=")):
        return ParsedNumber(value=None, blank=False, error=FORMULA_NO_CACHE)
    return parse_number(raw, value_type)
