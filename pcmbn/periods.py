"""Reporting periods (month, quarter, half-year, nine months, year) and their data windows.

Units write the period of a report in many ways ("Tháng 7/2024", "T7/2024", "Quý III - 2024",
"6 thang dau nam 2024", an Excel date cell, 2024.0 ...), often with decomposed or missing
diacritics. `parse_period` folds all of them onto one canonical `Period` so that the rest of the
pipeline compares, groups and files reports by `Period.code` only.

A report does not cover its calendar month: under Decree 09/2019/NĐ-CP (Art. 12) the figures
run from the 15th of the previous month to the 14th of the reported month, so that reports can
travel up the hierarchy before the month ends. `data_window` encodes that rule (and the plain
calendar rule some plans use instead); `due_date` and `last_closed_month` derive deadlines and
the default period to aggregate from it.
"""

from __future__ import annotations

import calendar
import numbers
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from pcmbn.errors import PcmbnError
from pcmbn.text import fold as _fold

__all__ = [
    "CutoffRule",
    "Period",
    "PeriodError",
    "PeriodKind",
    "Window",
    "data_window",
    "due_date",
    "format_date_vi",
    "last_closed_month",
    "months_between",
    "open_month",
    "parse_period",
]


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    HALF = "half"
    NINE_MONTHS = "nine_months"
    YEAR = "year"


class CutoffRule(StrEnum):
    ND09_2019 = "nd09-2019"  # 15th of the previous month to the 14th (Decree 09/2019, Art. 12)
    CALENDAR = "calendar"  # first to last day of the calendar months


class PeriodError(PcmbnError, ValueError):
    """Raised with a Vietnamese message naming the text that could not be read.

    It is a `ValueError` so that pydantic validators turn it into a field error, and a
    `PcmbnError` so that the CLI shows it as one line the data officer can act on.
    """


# Written years outside this range are almost always typos ("2204", "204") or Excel serials.
PARSE_MIN_YEAR, PARSE_MAX_YEAR = 2000, 2100
# A constructed Period only needs its neighbours and windows to be representable as dates.
_MIN_YEAR, _MAX_YEAR = 1000, 9999
_MAX_INDEX = {
    PeriodKind.MONTH: 12,
    PeriodKind.QUARTER: 4,
    PeriodKind.HALF: 2,
    PeriodKind.NINE_MONTHS: 1,
    PeriodKind.YEAR: 1,
}
_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")


@dataclass(frozen=True, order=True)
class Period:
    """One reporting period; ordering is chronological only among periods of the same kind."""

    year: int
    kind: PeriodKind
    index: int  # month 1-12, quarter 1-4, half 1-2, nine_months 1, year 1

    def __post_init__(self) -> None:
        # Accept "month" as well as PeriodKind.MONTH so YAML/JSON values can be passed through.
        try:
            kind = PeriodKind(self.kind)
        except ValueError:
            raise PeriodError(f'Loại kỳ báo cáo "{self.kind}" không hợp lệ.') from None
        object.__setattr__(self, "kind", kind)
        numbers_ok = all(type(v) is int for v in (self.year, self.index))  # no bool, no float
        if not (
            numbers_ok
            and _MIN_YEAR <= self.year <= _MAX_YEAR
            and 1 <= self.index <= _MAX_INDEX[kind]
        ):
            raise PeriodError(
                f"Kỳ báo cáo không hợp lệ: loại {kind.value}, số thứ tự {self.index!r}, "
                f"năm {self.year!r}."
            )

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(year, PeriodKind.MONTH, month)

    @property
    def code(self) -> str:
        """Canonical, sortable-within-kind text used in file names, YAML and database keys."""
        match self.kind:
            case PeriodKind.MONTH:
                return f"{self.year:04d}-{self.index:02d}"
            case PeriodKind.QUARTER:
                return f"{self.year:04d}-Q{self.index}"
            case PeriodKind.HALF:
                return f"{self.year:04d}-H{self.index}"
            case PeriodKind.NINE_MONTHS:
                return f"{self.year:04d}-9M"
        return f"{self.year:04d}"

    @property
    def label_vi(self) -> str:
        """The wording used in official Vietnamese reports (and accepted back by the parser)."""
        match self.kind:
            case PeriodKind.MONTH:
                return f"Tháng {self.index}/{self.year}"
            case PeriodKind.QUARTER:
                return f"Quý {_ROMAN[self.index - 1]}/{self.year}"
            case PeriodKind.HALF:
                part = "đầu" if self.index == 1 else "cuối"
                return f"6 tháng {part} năm {self.year}"
            case PeriodKind.NINE_MONTHS:
                return f"9 tháng năm {self.year}"
        return f"Năm {self.year}"

    @property
    def short_label(self) -> str:
        """The label of a table header or chart axis: "T7/2024" for a month (other kinds, which
        have no shorter official form, keep `label_vi`)."""
        if self.kind is PeriodKind.MONTH:
            return f"T{self.index}/{self.year}"
        return self.label_vi

    @property
    def in_sentence(self) -> str:
        """The label inside a sentence: "tháng 7/2024", "quý III/2024", "6 tháng đầu năm
        2024", "9 tháng năm 2024", "năm 2024" (`label_vi` without its capital)."""
        label = self.label_vi
        return label[:1].lower() + label[1:]

    @property
    def number_label(self) -> str:
        """A month as it follows the word "tháng" in a list ("các tháng 7/2024, 8/2024");
        other kinds keep `label_vi`, which names its own kind."""
        if self.kind is PeriodKind.MONTH:
            return f"{self.index}/{self.year}"
        return self.label_vi

    @property
    def ordinal(self) -> int:
        """Months since year 0 of the period's last month: orders periods of any kind by when
        they end (a quarter sorts with its third month), for comparisons not done on codes."""
        return self.year * 12 + self._month_span()[1]

    @classmethod
    def from_code(cls, code: str) -> Period:
        """The period of a canonical `code` ("2024-07", "2024-Q3", "2024-H1", "2024-9M",
        "2024"), as stored and exchanged inside the pipeline; anything else is a PeriodError.

        Unlike `parse_period` (for what people write) this reads only what `code` writes, so a
        code read back from the store or a file name never depends on the tolerant parser.
        """
        match = _CODE.fullmatch(str(code))
        if match is None:
            raise PeriodError(f'Mã kỳ báo cáo "{code}" không đúng dạng (ví dụ 2024-07, 2024-Q3).')
        year, rest = int(match["y"]), match["rest"]
        if rest is None:
            return cls(year, PeriodKind.YEAR, 1)
        if rest == "9M":
            return cls(year, PeriodKind.NINE_MONTHS, 1)
        if rest[0] == "Q":
            return cls(year, PeriodKind.QUARTER, int(rest[1:]))
        if rest[0] == "H":
            return cls(year, PeriodKind.HALF, int(rest[1:]))
        return cls(year, PeriodKind.MONTH, int(rest))

    def _month_span(self) -> tuple[int, int]:
        """First and last calendar month numbers (all kinds stay within one calendar year)."""
        size = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.HALF: 6}.get(self.kind)
        if size is None:
            return 1, 9 if self.kind is PeriodKind.NINE_MONTHS else 12
        return size * (self.index - 1) + 1, size * self.index

    def months(self) -> list[Period]:
        first, last = self._month_span()
        return [Period.month(self.year, m) for m in range(first, last + 1)]

    @property
    def first_month(self) -> Period:
        return Period.month(self.year, self._month_span()[0])

    @property
    def last_month(self) -> Period:
        return Period.month(self.year, self._month_span()[1])

    def previous(self) -> Period:
        """The preceding period of the same kind, used for "kỳ trước" comparisons."""
        if self.index > 1:
            return Period(self.year, self.kind, self.index - 1)
        return Period(self.year - 1, self.kind, _MAX_INDEX[self.kind])

    def next(self) -> Period:
        """The following period of the same kind (the month templates are sent out for)."""
        if self.index < _MAX_INDEX[self.kind]:
            return Period(self.year, self.kind, self.index + 1)
        return Period(self.year + 1, self.kind, 1)

    def same_period_last_year(self) -> Period:
        """Used for "so với cùng kỳ năm trước" comparisons."""
        return Period(self.year - 1, self.kind, self.index)

    def contains(self, other: Period) -> bool:
        """True when every month of `other` lies inside `self` (months are contiguous)."""
        return self.first_month <= other.first_month and other.last_month <= self.last_month

    def __str__(self) -> str:
        return self.code


_CODE = re.compile(r"(?P<y>\d{4})(?:-(?P<rest>\d{2}|Q[1-4]|H[12]|9M))?")

_SEP = r"(?:\s*[/.-]\s*|\s*,?\s*nam\s+|\s+)"  # "/", "-", " năm ", or a space before the year
_Y = r"(?P<y>\d{4})"
_WORDS_TAIL = r"(?:\s*nam)?\s*[/-]?\s*" + _Y  # "... năm 2024", "... 2024", "... /2024"
_PATTERNS: tuple[tuple[PeriodKind, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        (PeriodKind.YEAR, rf"(?:nam\s*)?{_Y}(?:\.0+)?"),  # before months: "2024.0" is a year
        (PeriodKind.MONTH, rf"{_Y}\s*[/-]\s*(?P<m>\d{{1,2}})"),
        (PeriodKind.MONTH, rf"(?P<m>\d{{1,2}})\s*[/.-]\s*{_Y}"),
        (PeriodKind.MONTH, rf"(?:thang|t)\.?\s*(?P<m>\d{{1,2}}){_SEP}{_Y}"),
        # Date text from exported cells: 2024-07-01, 2024-07-01 00:00:00, 01/07/2024.
        (PeriodKind.MONTH, rf"{_Y}-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}})(?:[ t][\d:.]+)?"),
        (PeriodKind.MONTH, rf"(?P<d>\d{{1,2}})/(?P<m>\d{{1,2}})/{_Y}"),
        (PeriodKind.QUARTER, rf"{_Y}\s*-?\s*q\s*(?P<q>\d+|[ivx]+)"),
        (PeriodKind.QUARTER, rf"(?:quy|q)\s*(?P<q>\d+|[ivx]+){_SEP}{_Y}"),
        (PeriodKind.HALF, rf"{_Y}\s*-?\s*h\s*(?P<h>\d+)"),
        (PeriodKind.HALF, rf"h\s*(?P<h>\d+){_SEP}{_Y}"),
        (PeriodKind.HALF, rf"(?:6|sau)\s*thang(?:\s*(?P<part>dau|cuoi))?{_WORDS_TAIL}"),
        (PeriodKind.NINE_MONTHS, rf"{_Y}\s*-?\s*9\s*m"),
        (PeriodKind.NINE_MONTHS, r"9\s*m" + _SEP + _Y),
        (PeriodKind.NINE_MONTHS, rf"(?:9|chin)\s*thang(?:\s*dau)?{_WORDS_TAIL}"),
    )
)
_ACCEPTED = (
    "Cách ghi được chấp nhận: tháng (2024-07, 07/2024, Tháng 7/2024), quý (2024-Q3, Quý III/2024), "
    "6 tháng (2024-H1, 6 tháng đầu năm 2024, 6 tháng cuối năm 2024), 9 tháng (2024-9M, "
    "9 tháng năm 2024), năm (2024, Năm 2024)."
)


def _build(kind: PeriodKind, groups: dict[str, str | None], shown: str) -> Period:
    """Check the numbers a pattern captured and explain, in the user's terms, what is wrong."""

    def fail(reason: str) -> PeriodError:
        return PeriodError(f'Không hiểu kỳ báo cáo "{shown}": {reason}.')

    year = int(groups["y"] or 0)
    if kind is PeriodKind.MONTH:
        index = int(groups["m"] or 0)
        if not 1 <= index <= 12:
            raise fail("tháng phải từ 1 đến 12")
        if groups.get("d") is not None:
            try:
                date(year, index, int(groups["d"] or 0))
            except ValueError:
                raise fail("ngày không có thật") from None
    elif kind is PeriodKind.QUARTER:
        raw = (groups["q"] or "").upper()
        index = int(raw) if raw.isdigit() else (_ROMAN.index(raw) + 1 if raw in _ROMAN else 0)
        if not 1 <= index <= 4:
            raise fail("quý phải từ 1 đến 4 (I đến IV)")
    elif kind is PeriodKind.HALF:
        if groups.get("h") is not None:
            index = int(groups["h"] or 0)
            if index not in (1, 2):
                raise fail("chỉ có H1 (6 tháng đầu năm) và H2 (6 tháng cuối năm)")
        else:
            index = 2 if groups.get("part") == "cuoi" else 1  # "6 tháng năm 2024" means H1
    else:
        index = 1
    if not PARSE_MIN_YEAR <= year <= PARSE_MAX_YEAR:
        raise fail(f"năm phải từ {PARSE_MIN_YEAR} đến {PARSE_MAX_YEAR}")
    return Period(year, kind, index)


def parse_period(text: str | int | float | date | datetime) -> Period:
    """Read a period as written in a report cell, a file name or the catalog.

    Dates (and pandas timestamps) mean their month; integral numbers (Excel gives 2024.0) mean
    a year. Anything else raises `PeriodError` quoting the input and the accepted forms.
    """
    if isinstance(text, Period):
        return text
    if text is None:  # an empty cell read without a dtype
        text = ""
    if isinstance(text, date):  # datetime and pandas.Timestamp are dates too
        try:
            value = Period.month(int(text.year), int(text.month))
        except (TypeError, ValueError):  # NaT: an empty date cell
            raise PeriodError(f'Kỳ báo cáo "" đang để trống. {_ACCEPTED}') from None
        return _build(PeriodKind.MONTH, {"y": str(value.year), "m": str(value.index)}, str(text))
    if isinstance(text, numbers.Real) and not isinstance(text, bool):
        number = float(text)
        text = str(int(number)) if number.is_integer() else str(text)
    elif not isinstance(text, str):
        kind_name = type(text).__name__
        raise PeriodError(f'Không hiểu kỳ báo cáo "{text}" (kiểu {kind_name}). {_ACCEPTED}')
    shown = text.strip()
    folded = _fold(text)
    if not folded:
        raise PeriodError(f'Kỳ báo cáo "{shown}" đang để trống. {_ACCEPTED}')
    for kind, pattern in _PATTERNS:
        match = pattern.fullmatch(folded)
        if match:
            return _build(kind, match.groupdict(), shown)
    raise PeriodError(f'Không hiểu kỳ báo cáo "{shown}". {_ACCEPTED}')


def months_between(start: Period, end: Period) -> list[Period]:
    """All months from `start.first_month` to `end.last_month` inclusive ([] if end is earlier)."""
    first, last = start.first_month, end.last_month
    return [
        Period.month(y, m)
        for y in range(first.year, last.year + 1)
        for m in range(1, 13)
        if first <= Period.month(y, m) <= last
    ]


@dataclass(frozen=True)
class Window:
    """The days whose events a report counts; both ends inclusive."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"Khoảng thời gian sai: {self.label_vi} (ngày cuối trước ngày đầu).")

    def __contains__(self, d: date) -> bool:
        day = d.date() if isinstance(d, datetime) else d  # datetime vs date compare raises
        return self.start <= day <= self.end

    @property
    def label_vi(self) -> str:
        return f"{format_date_vi(self.start)} – {format_date_vi(self.end)}"


def _rule(rule: CutoffRule | str) -> CutoffRule:
    try:
        return CutoffRule(rule)
    except ValueError:
        allowed = ", ".join(f'"{r.value}"' for r in CutoffRule)
        raise PeriodError(f'Quy tắc chốt số liệu "{rule}" không hợp lệ; dùng {allowed}.') from None


def data_window(period: Period, rule: CutoffRule | str = CutoffRule.ND09_2019) -> Window:
    """Days covered by `period` under `rule`.

    ND09: from the 15th of the month before the first month to the 14th of the last month, which
    gives exactly Art. 12's monthly/quarterly/6-month/9-month/yearly windows (e.g. the year runs
    15/12 of the previous year to 14/12). Calendar: first to last day of the covered months.
    """
    first, last = period.first_month, period.last_month
    if _rule(rule) is CutoffRule.CALENDAR:
        days = calendar.monthrange(last.year, last.index)[1]
        return Window(date(first.year, first.index, 1), date(last.year, last.index, days))
    before = first.previous()
    return Window(date(before.year, before.index, 15), date(last.year, last.index, 14))


def due_date(
    period: Period, rule: CutoffRule | str = CutoffRule.ND09_2019, due_days_after_cutoff: int = 3
) -> date:
    """Last day to send the report: the window's end plus `due_days_after_cutoff` calendar days."""
    if due_days_after_cutoff < 0:
        raise ValueError("Số ngày gửi báo cáo sau ngày chốt số liệu không được âm.")
    return data_window(period, rule).end + timedelta(days=due_days_after_cutoff)


def last_closed_month(
    today: date, rule: CutoffRule | str = CutoffRule.ND09_2019, due_days_after_cutoff: int = 3
) -> Period:
    """The latest month whose data window ended strictly before `today`.

    This is the default month to collect: its figures can no longer change. The choice depends
    on the cut-off only; `due_days_after_cutoff` is accepted (and checked) so callers can pass a
    plan's whole reporting settings, but reports arriving before the due date are still
    collected for that month, so it does not move the result.
    """
    if due_days_after_cutoff < 0:
        raise ValueError("Số ngày gửi báo cáo sau ngày chốt số liệu không được âm.")
    day = today.date() if isinstance(today, datetime) else today
    candidate = Period.month(day.year, day.month)  # no later month can have closed yet
    while data_window(candidate, rule).end >= day:
        candidate = candidate.previous()
    return candidate


def open_month(today: date, rule: CutoffRule | str = CutoffRule.ND09_2019) -> Period:
    """The month whose data window contains `today`: the one units are reporting on now."""
    return last_closed_month(today, rule).next()


def format_date_vi(d: date) -> str:
    """dd/mm/yyyy, the only date format used in Vietnamese administrative documents."""
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def resend_by_vi(due: date, today: date) -> str:
    """When to send (again), as a reminder asks it: "chậm nhất ngày 17/08/2024", or, once that
    day has passed, "sớm nhất có thể" (a date already gone is no deadline)."""
    return deadline_vi(due) if today <= due else "sớm nhất có thể"


def deadline_vi(d: date) -> str:
    """A deadline as official letters write it: "chậm nhất ngày 17/11/2021" (never "trước
    hết ngày", which reads as "first of all")."""
    return f"chậm nhất ngày {format_date_vi(d)}"
