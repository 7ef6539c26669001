"""Deterministic generator of realistic filled reports, with a realistic share of trouble.

For each plan and month it writes one workbook per expected unit, as that unit's clerk would:
mostly small counts and zeros, occasional cases and victims, cumulatives consistent month to
month, the peak campaign visibly busier. A few units are late or missing, a few send a correction,
and a few files are damaged in each way the spec lists, so every later step (reading, validation,
aggregation, packets) is exercised on what real offices send. The same seed gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pcmbn.catalog import Catalog
from pcmbn.domain import Plan, Unit, ValueType
from pcmbn.office.csv import to_csv_bytes
from pcmbn.periods import Period, data_window, due_date, months_between
from pcmbn.report_content import Formula, ReportContent, TaskEntry
from pcmbn.sample_text import (
    DIFFICULTIES,
    PREPARERS,
    PROPOSALS,
    TASK_DIFFICULTIES,
    TASK_RESULTS,
    pick,
)
from pcmbn.sample_values import yearly_series
from pcmbn.sheet_grid import Grid, grid_from_workbook, ods_bytes, xls_bytes, xlsx_bytes
from pcmbn.template_writer import (
    FIXED_TIMESTAMP,
    build_workbook,
    normalise_zip,
    save_workbook,
    template_file_name,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
RECEIVED_LOG = "received.csv"
ENCRYPTED_PASSWORD = "pcmbn2024"
LATE_NOTE = "Gửi muộn."


@dataclass(frozen=True)
class Quirk:
    """One kind of trouble a real file carries, and what the pipeline must make of it."""

    key: str
    expected: str  # accepted | accepted_with_warning | rejected | other_period
    description: str


QUIRKS: tuple[Quirk, ...] = (
    Quirk(
        "text_numbers",
        "accepted",
        'Số gõ dạng chữ: "1.234", " 12 ", "12 vụ", "-", "không", chữ "O" thay số 0.',
    ),
    Quirk(
        "english_thousands",
        "accepted",
        'Số đếm viết kiểu Anh "1,250" (dấu phẩy ngăn cách hàng nghìn) = 1.250.',
    ),
    Quirk(
        "money_ambiguous",
        "accepted_with_warning",
        'Kinh phí "1.500" hiểu theo cách viết Việt Nam là 1.500 triệu đồng, có cảnh báo.',
    ),
    Quirk("title_rows", "accepted", "Thêm dòng tiêu đề và ô gộp phía trên dòng tiêu đề cột."),
    Quirk(
        "shuffled_rows",
        "accepted",
        "Các dòng chỉ tiêu bị đảo thứ tự, một dòng bị ẩn, thêm một cột lạ.",
    ),
    Quirk(
        "header_no_diacritics",
        "accepted",
        "Tiêu đề cột viết không dấu, chữ hoa, thừa khoảng trắng.",
    ),
    Quirk("nfd_unicode", "accepted", "Chữ tiếng Việt dạng tổ hợp (NFD) và khoảng trắng thừa."),
    Quirk("period_written_form", "accepted", 'Kỳ báo cáo viết "Tháng 07 năm ...".'),
    Quirk("legacy_xls", "accepted", "Lưu bằng Excel cũ (.xls, Excel 97-2003)."),
    Quirk("ods", "accepted", "Lưu bằng LibreOffice (.ods)."),
    Quirk(
        "child_exceeds_parent",
        "rejected",
        'Dòng "Trong đó: trẻ em dưới 16 tuổi" (NN02) lớn hơn tổng số nạn nhân (NN01).',
    ),
    Quirk("blank_required", "rejected", "Để trống một ô bắt buộc (thiếu số liệu, không phải 0)."),
    Quirk("decimal_in_count", "rejected", 'Số đếm có phần thập phân "1,5".'),
    Quirk("negative_value", "rejected", "Số âm trong một chỉ tiêu đếm."),
    Quirk("cumulative_below_period", "rejected", "Lũy kế nhỏ hơn số liệu kỳ này."),
    Quirk(
        "formula_no_cache", "rejected", "Công thức chưa được tính giá trị (không có kết quả lưu)."
    ),
    Quirk("unknown_unit", "rejected", "Gõ sai mã đơn vị."),
    Quirk("wrong_period", "other_period", "Gửi nhầm báo cáo của kỳ trước vào kỳ này."),
    Quirk("encrypted", "rejected", f"Tệp đặt mật khẩu ({ENCRYPTED_PASSWORD})."),
    Quirk("not_a_workbook", "rejected", "Tệp PDF đổi đuôi thành .xlsx."),
    Quirk("truncated_zip", "rejected", "Tệp .xlsx bị cắt cụt khi gửi (zip hỏng)."),
)
QUIRKS_BY_KEY = {quirk.key: quirk for quirk in QUIRKS}


@dataclass(frozen=True)
class SampleFile:
    """One file written, where it sits, when the office received it and why it is there."""

    relpath: str
    plan_id: str
    unit_code: str
    period: str
    received_at: datetime
    expected: str
    note: str
    late: bool = False


@dataclass
class SampleSet:
    root: Path
    files: list[SampleFile] = field(default_factory=list)
    missing: list[tuple[str, str, str]] = field(default_factory=list)  # plan, period, unit


def generate_samples(
    catalog: Catalog,
    out: Path,
    *,
    plan_ids: list[str] | None = None,
    seed: int = 2024,
    start: Period | None = None,
    end: Period | None = None,
) -> SampleSet:
    """Write sample reports under `out/<plan>/<period>/` and a README describing them."""
    result = SampleSet(out)
    for plan_id in plan_ids or sorted(catalog.plans):
        plan = catalog.plan(plan_id)
        before = len(result.files), len(result.missing)
        _generate_plan(catalog, plan, out, seed, start, end, result)
        _write_manifest(out / plan.id, result.files[before[0] :], result.missing[before[1] :])
    write_readme(out)
    return result


def _generate_plan(
    catalog: Catalog,
    plan: Plan,
    out: Path,
    seed: int,
    start: Period | None,
    end: Period | None,
    result: SampleSet,
) -> None:
    rng = random.Random(f"{seed}:{plan.id}")
    first = max(plan.span.start.first_month, start.first_month if start else plan.span.start)
    last = min(plan.span.end.last_month, end.last_month if end else plan.span.end.last_month)
    months = months_between(first, last)
    if not months:
        return
    simulated = months_between(Period.month(plan.span.start.year, 1), plan.span.end.last_month)
    campaign = {m.code for m in simulated for c in plan.campaigns if _overlaps(m, c.start, c.end)}
    registry = catalog.registry(plan)
    series = {
        unit.code: yearly_series(
            catalog,
            unit,
            simulated,
            rng=random.Random(f"{seed}:{plan.id}:{unit.code}"),
            province=plan.province,
            campaign_months=campaign,
            rule=plan.reporting.cutoff,
        )
        for unit in registry.units.values()
    }
    slots = [(m, u) for m in months for u in registry.expected(plan, m)]
    fates = _assign_fates(
        rng, slots, first_has_previous=months[0].previous() >= plan.span.start.first_month
    )
    for month, unit in slots:
        fate = fates.get((month.code, unit.code), "normal")
        if fate == "missing":
            result.missing.append((plan.id, month.code, unit.code))
            continue
        folder = out / plan.id / month.code
        written = _write_unit_files(catalog, plan, unit, month, fate, series, rng, folder)
        result.files.extend(written)
    for month in months:
        _write_received_log(
            out / plan.id / month.code,
            [
                f
                for f in result.files
                if f.plan_id == plan.id and f.relpath.startswith(f"{plan.id}/{month.code}/")
            ],
            out,
        )


def _overlaps(month: Period, start: date, end: date) -> bool:
    first = date(month.year, month.index, 1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first <= end and start <= last


def _assign_fates(
    rng: random.Random, slots: list[tuple[Period, Unit]], *, first_has_previous: bool
) -> dict[tuple[str, str], str]:
    """Pick which unit-months are missing, late, corrected or carry a quirk (each quirk once).

    Quirks go to distinct unit-months chosen across the whole span, the months after the first
    one preferred: `wrong_period` sends the previous month's report, so it lands on the first
    month only when that month's previous one is still in the plan (`first_has_previous`), as
    when a single month is asked for. With fewer unit-months than quirks (a short range of a
    small plan), the quirks that find no unit-month are left out, never an error.
    """
    fates: dict[tuple[str, str], str] = {}
    keys = [(m.code, u.code) for m, u in slots]
    if not keys:
        return fates
    order = keys[:]
    rng.shuffle(order)
    first_month = min(m.code for m, _ in slots)
    pool = [k for k in order if k[0] != first_month] + [k for k in order if k[0] == first_month]
    for key in [quirk.key for quirk in QUIRKS] + ["correction"] * 2:
        eligible = (
            k for k in pool if key != "wrong_period" or first_has_previous or k[0] != first_month
        )
        chosen = next(eligible, None)
        if chosen is not None:
            pool.remove(chosen)
            fates[chosen] = key
    for key in keys:
        if key in fates:
            continue
        draw = rng.random()
        if draw < 0.03:
            fates[key] = "missing"
        elif draw < 0.11:
            fates[key] = "late"
    return fates


def _write_unit_files(
    catalog: Catalog,
    plan: Plan,
    unit: Unit,
    month: Period,
    fate: str,
    series: dict[str, dict[str, tuple[dict[str, Any], dict[str, Any]]]],
    rng: random.Random,
    folder: Path,
) -> list[SampleFile]:
    due = due_date(month, plan.reporting.cutoff, plan.reporting.due_days_after_cutoff)
    window = data_window(month, plan.reporting.cutoff)
    late = fate == "late"
    received = _received_time(rng, window.end, due, late=late)
    content = _content(catalog, plan, unit, month, series, rng, received.date())
    name = template_file_name(plan, unit, month)
    quirk = QUIRKS_BY_KEY.get(fate)
    if fate == "correction":
        first = _content(catalog, plan, unit, month, series, rng, received.date())
        _break_child_parent(catalog, unit, first)
        corrected_at = received + timedelta(days=rng.randint(1, 3), hours=rng.randint(1, 5))
        name2 = name.replace(".xlsx", " (ban sua).xlsx")
        wb = build_workbook(catalog, plan, unit, month, first)
        save_workbook(wb, folder / name)
        save_workbook(build_workbook(catalog, plan, unit, month, content), folder / name2)
        return [
            _record(
                plan,
                unit,
                month,
                folder / name,
                received,
                "rejected",
                "Bản gửi lần đầu có lỗi (NN02 > NN01); đơn vị gửi lại bản sửa.",
                late,
            ),
            _record(
                plan,
                unit,
                month,
                folder / name2,
                corrected_at,
                "accepted",
                "Bản sửa gửi lại, thay thế bản gửi lần đầu.",
                corrected_at.date() > due,
            ),
        ]
    if quirk is None:
        save_workbook(build_workbook(catalog, plan, unit, month, content), folder / name)
        note = LATE_NOTE if late else ""
        return [_record(plan, unit, month, folder / name, received, "accepted", note, late)]
    path = _write_quirk(catalog, plan, unit, month, quirk.key, content, series, rng, folder, name)
    return [_record(plan, unit, month, path, received, quirk.expected, quirk.description, late)]


def _record(
    plan: Plan,
    unit: Unit,
    month: Period,
    path: Path,
    received: datetime,
    expected: str,
    note: str,
    late: bool,
) -> SampleFile:
    relpath = f"{plan.id}/{month.code}/{path.name}"
    return SampleFile(relpath, plan.id, unit.code, month.code, received, expected, note, late)


def _received_time(rng: random.Random, cutoff: date, due: date, *, late: bool) -> datetime:
    if late:
        day = due + timedelta(days=rng.randint(1, 6))
    else:
        day = cutoff + timedelta(days=rng.randint(1, max(1, (due - cutoff).days)))
    clock = time(rng.randint(7, 16), rng.randint(0, 59))
    return datetime.combine(day, clock, tzinfo=TZ)


def _content(
    catalog: Catalog,
    plan: Plan,
    unit: Unit,
    month: Period,
    series: dict[str, dict[str, tuple[dict[str, Any], dict[str, Any]]]],
    rng: random.Random,
    received: date,
) -> ReportContent:
    period_values, cumulative = series[unit.code][month.code]
    values = {code: (period_values[code], cumulative[code]) for code in period_values}
    progress = plan.span.start.first_month
    elapsed = len(months_between(progress, month)) / max(
        1, len(months_between(progress, plan.span.end.last_month))
    )
    statuses = catalog.template.task_statuses
    tasks = {}
    for task in plan.tasks_for(unit.kind):
        draw = rng.random()
        if draw < elapsed * 0.8:
            status = statuses[2].label
        elif draw < 0.15 * (1 - elapsed):
            status = statuses[0].label
        else:
            status = statuses[1].label
        result = rng.choice(TASK_RESULTS).format(
            n=period_values.get("TT01", 0), m=period_values.get("TT02", 0)
        )
        tasks[task.code] = TaskEntry(status, result, rng.choice(TASK_DIFFICULTIES) or None)
    return ReportContent(
        prepared_on=received - timedelta(days=rng.randint(0, 2)),
        preparer=rng.choice(PREPARERS),
        phone=f"0{rng.choice((38, 91, 94, 98, 97))}{rng.randint(1_000_000, 9_999_999)}",
        head=rng.choice(PREPARERS),
        values=values,
        tasks=tasks,
        difficulties=pick(rng, DIFFICULTIES, rng.randint(1, 3)),
        proposals=pick(rng, PROPOSALS, rng.randint(1, 2)),
    )


# --- quirks -------------------------------------------------------------------------------------


def _first_applicable(catalog: Catalog, unit: Unit, value_type: ValueType) -> str:
    return next(
        ind.code for ind in catalog.indicators_for(unit.kind) if ind.value_type is value_type
    )


def _break_child_parent(catalog: Catalog, unit: Unit, content: ReportContent) -> None:
    """Make a "Trong đó" row exceed its parent (NN02 > NN01 where the unit reports victims)."""
    for ind in catalog.indicators_for(unit.kind):
        if ind.parent and ind.parent in content.values:
            parent_period, parent_cumulative = content.values[ind.parent]
            content.values[ind.code] = (parent_period + 2, parent_cumulative + 2)
            return
    code = _first_applicable(catalog, unit, ValueType.INTEGER)
    content.values[code] = (-1, content.values[code][1])


def _write_quirk(
    catalog: Catalog,
    plan: Plan,
    unit: Unit,
    month: Period,
    key: str,
    content: ReportContent,
    series: dict[str, dict[str, tuple[dict[str, Any], dict[str, Any]]]],
    rng: random.Random,
    folder: Path,
    name: str,
) -> Path:
    count_code = _first_applicable(catalog, unit, ValueType.INTEGER)
    money_code = _first_applicable(catalog, unit, ValueType.DECIMAL)
    values = content.values
    content_edits: dict[str, Callable[[], None]] = {
        "text_numbers": lambda: _text_numbers(catalog, unit, values),
        "english_thousands": lambda: (
            values.__setitem__("TT02", ("1,250", "1,250")) if "TT02" in values else None
        ),
        "money_ambiguous": lambda: values.__setitem__(money_code, ("1.500", "1.500")),
        "child_exceeds_parent": lambda: _break_child_parent(catalog, unit, content),
        "blank_required": lambda: values.__setitem__(count_code, (None, values[count_code][1])),
        "decimal_in_count": lambda: values.__setitem__(count_code, ("1,5", values[count_code][1])),
        "negative_value": lambda: values.__setitem__(count_code, (-3, values[count_code][1])),
        "cumulative_below_period": lambda: values.__setitem__(
            count_code, (values[count_code][0] + 5, values[count_code][0] + 4)
        ),
        "formula_no_cache": lambda: values.__setitem__(
            count_code, (Formula("=0+1"), values[count_code][1])
        ),
        "unknown_unit": lambda: content.info_overrides.update(unit_code=unit.code + "X"),
        "period_written_form": lambda: content.info_overrides.update(
            period=f"Tháng {month.index:02d} năm {month.year}"
        ),
    }
    if key in content_edits:
        content_edits[key]()
        return save_workbook(build_workbook(catalog, plan, unit, month, content), folder / name)
    if key == "wrong_period":
        previous = month.previous()
        old = _content(catalog, plan, unit, previous, series, rng, date(month.year, month.index, 1))
        old.prepared_on = None
        path = folder / template_file_name(plan, unit, previous)
        return save_workbook(build_workbook(catalog, plan, unit, previous, old), path)
    wb = build_workbook(catalog, plan, unit, month, content)
    grid = grid_from_workbook(wb)
    sheets = catalog.template.sheets
    grid_edits: dict[str, Callable[[], None]] = {
        "title_rows": lambda: _title_rows(grid, sheets.indicators, unit),
        "shuffled_rows": lambda: _shuffle_rows(grid, sheets.indicators, rng),
        "header_no_diacritics": lambda: _plain_headers(grid, sheets.indicators),
        "nfd_unicode": lambda: _nfd(grid),
    }
    path = folder / name
    if key in grid_edits:
        grid_edits[key]()
        data = normalise_zip(xlsx_bytes(grid))
    elif key == "legacy_xls":
        path, data = path.with_suffix(".xls"), xls_bytes(grid)
    elif key == "ods":
        path, data = path.with_suffix(".ods"), ods_bytes(grid)
    elif key == "encrypted":
        data = _encrypt(normalise_zip(xlsx_bytes(grid)), rng)
    elif key == "not_a_workbook":
        data = _fake_pdf(unit, month)
    elif key == "truncated_zip":
        whole = normalise_zip(xlsx_bytes(grid))
        data = whole[: len(whole) // 2]
    else:  # pragma: no cover - QUIRKS and this dispatch are kept in step by a test
        raise ValueError(f"unknown quirk {key}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _text_numbers(catalog: Catalog, unit: Unit, values: dict[str, tuple[Any, Any]]) -> None:
    """Type several counts as a clerk would: with separators, units, dashes and words."""
    spellings = [
        lambda v: f"{v:,}".replace(",", "."),  # 1.234
        lambda v: f" {v} ",
        lambda v: f"{v} vụ" if v else "-",
        lambda v: "không" if v == 0 else str(v),
        lambda v: "O" if v == 0 else f"{v}",
    ]
    integer_codes = [
        ind.code
        for ind in catalog.indicators_for(unit.kind)
        if ind.value_type is ValueType.INTEGER and ind.code in values
    ]
    for spell, code in zip(spellings, integer_codes, strict=False):
        period_value, cumulative = values[code]
        values[code] = (spell(period_value), spell(cumulative))
    if "TT02" in values:
        period_value, cumulative = values["TT02"]
        values["TT02"] = (f"{int(period_value) + 1000:,}".replace(",", "."), cumulative)
        values["TT02"] = (values["TT02"][0], f"{int(cumulative) + 1000:,}".replace(",", "."))


def _header_index(grid: Grid, sheet: str) -> int:
    rows = grid[sheet].rows
    return next(i for i, row in enumerate(rows) if any(v == "Mã chỉ tiêu" for v in row))


def _title_rows(grid: Grid, sheet: str, unit: Unit) -> None:
    g = grid[sheet]
    extra = [
        [unit.name.upper()] + [None] * 6,
        ["BIỂU TỔNG HỢP SỐ LIỆU (bản đơn vị tự lập)"] + [None] * 6,
        [None] * 7,
    ]
    g.rows[0:0] = extra
    g.merged = ["A1:G1", "A2:G2"] + [_shift(rng, len(extra)) for rng in g.merged]


def _shift(rng: str, rows: int) -> str:
    import re

    return re.sub(r"([A-Z]+)(\d+)", lambda m: f"{m.group(1)}{int(m.group(2)) + rows}", rng)


def _shuffle_rows(grid: Grid, sheet: str, rng: random.Random) -> None:
    g = grid[sheet]
    header = _header_index(grid, sheet)
    body = g.rows[header + 1 :]
    rng.shuffle(body)
    g.rows[header + 1 :] = body
    for row in g.rows[header:]:
        row.insert(3, "Nguồn số liệu" if row is g.rows[header] else "Đơn vị tự thống kê")
    g.merged = [
        rng_
        for rng_ in g.merged
        if int("".join(ch for ch in rng_.split(":")[0] if ch.isdigit())) <= header
    ]
    g.hidden_rows = {header + 3}


def _plain_headers(grid: Grid, sheet: str) -> None:
    g = grid[sheet]
    header = _header_index(grid, sheet)
    g.rows[header] = [
        f"  {_strip_marks(v).upper()} " if isinstance(v, str) else v for v in g.rows[header]
    ]


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _nfd(grid: Grid) -> None:
    for sheet in grid.values():
        sheet.rows = [
            [
                unicodedata.normalize("NFD", v) + "  "
                if isinstance(v, str) and not isinstance(v, Formula)
                else v
                for v in row
            ]
            for row in sheet.rows
        ]


def _encrypt(data: bytes, rng: random.Random) -> bytes:
    """Agile-encrypt a workbook as Excel's "Encrypt with Password" does.

    msoffcrypto draws salts and keys from `secrets` and stamps the container with the current
    time; samples must be byte-reproducible, so while encrypting both are routed through the
    generator's seeded rng and a fixed time (a sample's password protects nothing).
    """
    from msoffcrypto.format.ooxml import OOXMLFile
    from msoffcrypto.method import ecma376_agile
    from msoffcrypto.method.container import ecma376_encrypted

    fixed_time = ecma376_encrypted.datetime2filetime(FIXED_TIMESTAMP)
    swaps = [
        (ecma376_agile, "_random_buffer", rng.randbytes),
        (ecma376_encrypted, "datetime2filetime", lambda _dt: fixed_time),
    ]
    originals = [(module, name, getattr(module, name)) for module, name, _ in swaps]
    out = io.BytesIO()
    try:
        for module, name, replacement in swaps:
            setattr(module, name, replacement)
        OOXMLFile(io.BytesIO(data)).encrypt(ENCRYPTED_PASSWORD, out)
    finally:
        for module, name, original in originals:
            setattr(module, name, original)
    return out.getvalue()


def _fake_pdf(unit: Unit, month: Period) -> bytes:
    body = f"Bao cao {unit.code} {month.code}".encode()
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% " + body + b"\n%%EOF\n"


# --- logs and README ----------------------------------------------------------------------------


def _write_received_log(folder: Path, files: list[SampleFile], root: Path) -> None:
    """The office's reception log (as an e-mail gateway records it): file, time, sender."""
    if not files:
        return
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / RECEIVED_LOG).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["file", "received_at", "unit_code"])
        for f in sorted(files, key=lambda f: (f.received_at, f.relpath)):
            writer.writerow([Path(f.relpath).name, f.received_at.isoformat(), f.unit_code])


MANIFEST = "manifest.csv"
_MANIFEST_FIELDS = ["file", "unit_code", "period", "received_at", "late", "expected", "note"]


def _write_manifest(
    folder: Path, files: list[SampleFile], missing: list[tuple[str, str, str]]
) -> None:
    """What each generated file is meant to demonstrate, for people and for tests."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        {
            "file": f.relpath,
            "unit_code": f.unit_code,
            "period": f.period,
            "received_at": f.received_at.isoformat(),
            "late": int(f.late),
            "expected": f.expected,
            "note": f.note,
        }
        for f in sorted(files, key=lambda f: f.relpath)
    ]
    rows += [
        {
            "file": "",
            "unit_code": unit,
            "period": period,
            "received_at": "",
            "late": 0,
            "expected": "missing",
            "note": "",
        }
        for _plan, period, unit in missing
    ]
    # UTF-8 without a BOM, as it always was (tests and people read it as plain text).
    (folder / MANIFEST).write_bytes(to_csv_bytes(rows, _MANIFEST_FIELDS, bom=False))


def read_manifests(root: Path) -> list[dict[str, str]]:
    """Every row of every plan's manifest under `root`, in file order."""
    rows: list[dict[str, str]] = []
    for path in sorted(root.glob(f"*/{MANIFEST}")):
        with path.open(encoding="utf-8", newline="") as handle:
            rows.extend(csv.DictReader(handle))
    return rows


_EXPECTED_VI = {
    "accepted": "nhận",
    "accepted_with_warning": "nhận, có cảnh báo",
    "rejected": "từ chối",
    "other_period": "kỳ khác, không tính",
}


def write_readme(root: Path) -> Path:
    """`README.md` beside the samples, from every plan's manifest: what each file shows."""
    rows = read_manifests(root)
    files = [r for r in rows if r["file"]]
    missing = [r for r in rows if r["expected"] == "missing"]
    late = [r for r in files if r["late"] == "1"]
    lines = [
        "# Báo cáo mẫu (sample reports)",
        "",
        "Generated by `pcmbn samples`; regenerate rather than edit. Each plan has one folder per "
        "reporting month holding the workbooks units sent and `received.csv`, the reception log "
        "(file, time received, unit), and a `manifest.csv` saying what each file is meant to "
        "show. Most files are ordinary; the table lists those that demonstrate something.",
        "",
        f"Files: {len(files)}; late: {len(late)}; unit-months with no report: {len(missing)}.",
        "",
        "| file | unit | kỳ | kết quả mong đợi | minh họa |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| `{r['file']}` | {r['unit_code']} | {r['period']} | {_EXPECTED_VI[r['expected']]} | "
        f"{r['note']} |"
        for r in files
        if r["note"] and r["note"] != LATE_NOTE
    ]
    lines += ["", "## Gửi muộn (late)", ""]
    lines += [
        f"- `{r['file']}` ({datetime.fromisoformat(r['received_at']):%d/%m/%Y %H:%M})" for r in late
    ]
    lines += ["", "## Không gửi (missing)", ""]
    lines += [f"- {r['period']} · {r['unit_code']}" for r in missing]
    path = root / "README.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
