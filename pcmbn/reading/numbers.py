"""Reading one cell as the number a Vietnamese clerk meant, or saying precisely why not.

Units type figures by hand: `1.234` (Vietnamese thousands dot), `1,5` (decimal comma), `12 vụ`,
`-` or `không` for zero, the letter `O` for 0, and English habits (`1,250`) mixed in. The
indicator's value type decides how a separator is read, because the same text means different
things in a count and in money:

- a count (INTEGER) is whole, so `.` or `,` followed by exactly three digits can only group
  thousands; any other separator means the clerk wrote a fraction, which is an error: we never
  round or guess a count;
- money (DECIMAL, triệu đồng) is read the Vietnamese way (`.` groups, `,` is the decimal mark).
  When the English reading is also valid and differs (`1.500`: 1500 or 1.5?), the Vietnamese
  reading wins and a warning asks the unit to check; when only the English reading is valid
  (`12.5`, `1,234.5`) it is used silently, since nothing else was meant.

A blank cell is missing data, never zero: the caller decides whether that is an error.
"""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import SupportsFloat

from pcmbn.domain import ValueType
from pcmbn.vocabulary import RuleId

__all__ = [
    "CHANGE_AS_MULTIPLE",
    "ParsedNumber",
    "format_change_vi",
    "format_money_vi",
    "format_number_vi",
    "format_percent_vi",
    "format_value_vi",
    "parse_number",
]

#: A change beyond ±999 % (as a fraction) reads as "tăng x lần": "2666,7%" says nothing.
CHANGE_AS_MULTIPLE = 9.99
#: Money (triệu đồng) is always shown to the đồng's two decimals: "340,45", "1.234,50", "0,00".
MONEY_DECIMALS = 2

NOT_NUMBER = RuleId.VALUE_NOT_NUMBER
NOT_INTEGER = RuleId.VALUE_NOT_INTEGER
AMBIGUOUS_DECIMAL = RuleId.VALUE_AMBIGUOUS_DECIMAL

# Characters that render as nothing but break a match (zero-width space, BOM, word joiner).
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_SPACES = re.compile(r"\s+")
# Sign, digit groups joined by single separators, then an optional unit word ("12 vụ", "5 buổi").
# The unit may hold no digit: "12 vụ 5 người" or "1e3" must not lose part of what was written.
_NUMBER = re.compile(
    r"(?P<sign>[+-]?)(?P<body>[0-9]+(?:[., ][0-9]+)*)(?P<unit>\s*[^\W\d_]\D*)?",
)
_SEPARATOR = re.compile(r"[., ]")
# What clerks type for "none happened"; compared after NFKC and casefolding.
_ZERO_WORDS = frozenset({"-", "–", "—", "o", "không", "khong", "không có", "khong co"})
# Unit words that scale the figure: stripping them would silently be off by 1000x or more.
_SCALE_WORDS = frozenset({"ty", "ti", "nghin", "ngan", "k", "dong", "d", "vnd", "usd"})
# The money column is in triệu đồng, so these restate the unit; in a count they scale it.
_MILLION_WORDS = frozenset({"trieu", "tr", "trd"})


@dataclass(frozen=True)
class ParsedNumber:
    """The outcome of reading one cell.

    Exactly one of `value is not None`, `blank` and `error` holds, so the caller can branch on
    them without re-inspecting the raw cell. `reading` is filled only with `warning`: it is the
    value as we understood it, formatted the way the unit would write it, for the message.
    """

    value: int | float | None
    blank: bool = False
    error: str | None = None
    warning: str | None = None
    reading: str | None = None

    def __reduce__(self) -> tuple[object, ...]:
        # A plain tuple (the figures of every file cross the process pool)
        return (ParsedNumber, (self.value, self.blank, self.error, self.warning, self.reading))


_BLANK = ParsedNumber(None, blank=True)
_NOT_NUMBER = ParsedNumber(None, error=NOT_NUMBER)
_NOT_INTEGER = ParsedNumber(None, error=NOT_INTEGER)


def parse_number(raw: object, value_type: ValueType) -> ParsedNumber:
    """Read a cell value (as python-calamine returns it) according to the indicator's type."""
    if raw is None:
        return _BLANK
    # bool is an int and dates are what Excel shows for a mistyped "12/5": neither is a figure.
    if isinstance(raw, bool | date | time | timedelta):
        return _NOT_NUMBER
    if isinstance(raw, numbers.Real):
        return _from_cell_number(raw, value_type)
    if isinstance(raw, str):
        return _from_text(raw, value_type)
    return _NOT_NUMBER


def _from_cell_number(raw: numbers.Real, value_type: ValueType) -> ParsedNumber:
    """A numeric cell is taken as it is; only a count with a fraction is refused."""
    if isinstance(raw, numbers.Integral):
        if value_type is ValueType.INTEGER:
            return ParsedNumber(int(raw))
        return _finite_float(raw)
    number = float(raw)
    if not math.isfinite(number):
        return _NOT_NUMBER
    if value_type is ValueType.INTEGER:
        return ParsedNumber(int(number)) if number.is_integer() else _NOT_INTEGER
    return ParsedNumber(number + 0.0)  # + 0.0 turns -0.0 into 0.0


def _finite_float(number: SupportsFloat) -> ParsedNumber:
    """A float for money, refusing what a float cannot hold (a 400-digit paste is not money)."""
    try:
        value = float(number)
    except (OverflowError, ValueError):
        return _NOT_NUMBER
    return ParsedNumber(value + 0.0) if math.isfinite(value) else _NOT_NUMBER


def _from_text(raw: str, value_type: ValueType) -> ParsedNumber:
    """Read typed text: normalise Unicode and spaces, then apply the column's separator rules."""
    # NFKC composes NFD diacritics, and maps NBSP, narrow and full-width spaces/digits to ASCII.
    text = _SPACES.sub(" ", _INVISIBLE.sub("", unicodedata.normalize("NFKC", raw))).strip()
    text = text.replace("\u2212", "-")  # MINUS SIGN, as pasted from Word; a dash stays a dash
    if not text:
        return _BLANK
    if text.casefold() in _ZERO_WORDS:
        return ParsedNumber(0 if value_type is ValueType.INTEGER else 0.0)
    match = _NUMBER.fullmatch(text)
    if match is None or not _unit_allowed(match["unit"], value_type):
        return _NOT_NUMBER
    groups = _SEPARATOR.split(match["body"])
    separators = _SEPARATOR.findall(match["body"])
    vietnamese = _read(groups, separators, grouping=".", decimal_mark=",")
    english = _read(groups, separators, grouping=",", decimal_mark=".")
    negative = match["sign"] == "-"
    if value_type is ValueType.INTEGER:
        if _only_grouping(groups, separators):
            try:
                count = int("".join(groups))
            except ValueError:  # beyond Python's int-from-text limit: a paste, not a count
                return _NOT_NUMBER
            return ParsedNumber(-count if negative else count)
        return _NOT_INTEGER if vietnamese is not None or english is not None else _NOT_NUMBER
    chosen = vietnamese if vietnamese is not None else english
    if chosen is None:
        return _NOT_NUMBER
    signed = -chosen if negative else chosen
    parsed = _finite_float(signed)
    if parsed.error or vietnamese is None or english is None or vietnamese == english:
        return parsed
    exponent = signed.normalize().as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 0
    reading = format_number_vi(signed, places)
    return ParsedNumber(parsed.value, warning=AMBIGUOUS_DECIMAL, reading=reading)


def _unit_allowed(unit: str | None, value_type: ValueType) -> bool:
    """A unit word is dropped only when it cannot change the magnitude of the figure."""
    if not unit:
        return True
    first = _fold(unit).split()[0].strip(".:;,")
    if first in _SCALE_WORDS:
        return False
    return value_type is ValueType.DECIMAL or first not in _MILLION_WORDS


def _fold(text: str) -> str:
    """Casefold and strip Vietnamese diacritics so `Tỷ`, `tỷ` and `ty` compare equal."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _only_grouping(groups: list[str], separators: list[str]) -> bool:
    """True when every separator groups thousands, as a count requires (`1.234`, `1,250`)."""
    return not separators or (len(set(separators)) == 1 and _valid_groups(groups))


def _valid_groups(groups: list[str]) -> bool:
    """Thousands grouping: a first group of 1-3 digits not starting with 0, then groups of 3."""
    first = groups[0]
    return 1 <= len(first) <= 3 and (first[0] != "0") and all(len(g) == 3 for g in groups[1:])


def _read(
    groups: list[str], separators: list[str], *, grouping: str, decimal_mark: str
) -> Decimal | None:
    """The value under one convention, or None if the text is not valid in it.

    The decimal mark may appear once, last; before it every separator is the same thousands
    separator (the convention's own, or a space) with valid three-digit groups.
    """
    fraction = ""
    if separators and separators[-1] == decimal_mark:
        groups, separators, fraction = groups[:-1], separators[:-1], groups[-1]
    if separators and (
        len(set(separators)) != 1
        or separators[0] not in (grouping, " ")
        or not _valid_groups(groups)
    ):
        return None
    return Decimal("".join(groups) + ("." + fraction if fraction else ""))


def format_number_vi(value: int | float | Decimal, decimals: int | None = None) -> str:
    """Format the Vietnamese way: `1.234.567`, `1.234,5`, `-1.234`.

    With `decimals=None`, money is shown to at most 2 decimals without trailing zeros (what the
    summaries print); with a number, exactly that many decimals. Half rounds up, as in Excel.
    """
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"cannot format {value!r} as a number")
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    places = 2 if decimals is None else decimals
    with localcontext() as context:
        context.prec = max(28, number.adjusted() + places + 5)
        rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if rounded.is_zero():
        rounded = abs(rounded)
    text = f"{rounded:,.{places}f}"
    if decimals is None and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.translate(str.maketrans({",": ".", ".": ","}))


# --- what a person reads: the one place numbers are written for people -------------------------


def format_money_vi(value: int | float | Decimal) -> str:
    """Money (triệu đồng) with exactly two decimals: 340.45 → "340,45", 1234.5 → "1.234,50",
    0 → "0,00" (never "0.0" or "340.45")."""
    return format_number_vi(value, MONEY_DECIMALS)


def format_value_vi(value: int | float | Decimal, value_type: ValueType | str | None) -> str:
    """A figure as its indicator's value type reads: counts whole ("12.500"), money with two
    decimals; no type known (a code the catalog no longer has) is treated as money, as the
    workbooks' number formats do."""
    if value_type is not None and ValueType(value_type) is ValueType.INTEGER:
        return format_number_vi(value)
    return format_money_vi(value)


def format_percent_vi(fraction: float, decimals: int = 1) -> str:
    """A fraction as a percentage with the decimal comma: 0.125 → "12,5%", -0.25 → "-25,0%"."""
    return format_number_vi(float(fraction) * 100, decimals) + "%"


def format_change_vi(fraction: float) -> str:
    """A relative change in words: "tăng 12,5%", "giảm 25,0%", "không đổi"; beyond ±999 %
    (`CHANGE_AS_MULTIPLE`) as a multiple of the base, "tăng 27,7 lần" (26.67 = ×27.7), since
    "tăng 2.666,7%" helps no reader. A fall below −100 % needs a negative base and is said as
    "giảm x lần" with x = |fraction|."""
    change = float(fraction)
    if not math.isfinite(change):
        raise ValueError(f"cannot word the change {fraction!r}")
    if round(change, 3) == 0:
        return "không đổi"
    word = "tăng" if change > 0 else "giảm"
    if abs(change) > CHANGE_AS_MULTIPLE:
        multiple = 1 + change if change > 0 else abs(change)
        return f"{word} {format_number_vi(multiple, 1)} lần"
    return f"{word} {format_percent_vi(abs(change))}"
