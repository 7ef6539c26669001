"""Vietnamese phrases of the conference report: numbers, percentages, months, comparisons.

Kept apart from the report's outline (`pcmbn.packet.report`) and from the docx writers
(`pcmbn.office.docx`) so each can be read, and tested, on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from pcmbn.catalog import Catalog
from pcmbn.domain import ValueType
from pcmbn.office.times import naive
from pcmbn.periods import Period, format_date_vi
from pcmbn.reading.numbers import (
    CHANGE_AS_MULTIPLE,
    format_change_vi,
    format_money_vi,
    format_number_vi,
    format_percent_vi,
)


def vi_number(value: float, money: bool = False) -> str:
    """12500 → "12.500", 2.5 → "2,5"; money always with two decimals (340.45 → "340,45",
    40 → "40,00"), through the one formatter of `pcmbn.reading.numbers`."""
    return format_money_vi(float(value)) if money else format_number_vi(float(value))


def vi_percent(fraction: float) -> str:
    """0.25 → "25,0%" (the magnitude: the sentence says "tăng" or "giảm")."""
    return format_percent_vi(abs(float(fraction)))


def is_missing(value: Any) -> bool:
    """No figure: None, NaN or NA."""
    return value is None or bool(pd.isna(value))


def months_phrase(periods: Sequence[Period]) -> str:
    """ "tháng 7/2024" or "các tháng 7/2024, 8/2024" (`Period.number_label` after the word)."""
    word = "các tháng" if len(periods) > 1 else "tháng"
    return f"{word} {', '.join(p.number_label for p in periods)}"


def span_phrase(months: Sequence[Period]) -> str:
    """Contiguous months as words: "tháng 7/2024" or "từ tháng 7/2024 đến tháng 9/2024"."""
    first, last = min(months), max(months)
    if first == last:
        return first.in_sentence
    return f"từ {first.in_sentence} đến {last.in_sentence}"


def lower_first(text: str) -> str:
    """A label continued mid-sentence: "Số vụ" → "số vụ"."""
    return text[:1].lower() + text[1:]


def upper_first(text: str) -> str:
    """A phrase starting a sentence."""
    return text[:1].upper() + text[1:]


def in_sentence(label: str) -> str:
    """Period labels ("Tháng 7/2024") written mid-sentence ("tháng 7/2024")."""
    return label.replace("Tháng ", "tháng ").replace("Quý ", "quý ").replace("Năm ", "năm ")


def office_date(moment: datetime) -> str:
    """The office's calendar date of `moment` (dd/mm/yyyy)."""
    return format_date_vi(naive(moment).date())


def change_phrase(
    value: float, base: float, pct: Any, unit: str, against: str, *, money: bool = False
) -> str:
    """The comparison clause: "tăng 3 vụ (25,0%) so với cùng kỳ năm trước", "giảm …", "bằng …";
    beyond ±999 % the multiple leads: "tăng 27,7 lần (thêm 80 vụ) so với kỳ trước".

    Equal means equal once rounded: 0.1 + 0.2 money must not read "tăng 0 triệu đồng".
    """
    difference = round(value - base, 6)
    if difference == 0:
        return f"bằng {against}"
    amount = f"{vi_number(abs(difference), money)} {unit}"
    if not is_missing(pct) and abs(float(pct)) > CHANGE_AS_MULTIPLE:
        extra = "thêm" if difference > 0 else "bớt"
        return f"{format_change_vi(float(pct))} ({extra} {amount}) so với {against}"
    word = "tăng" if difference > 0 else "giảm"
    share = "" if is_missing(pct) else f" ({vi_percent(pct)})"
    return f"{word} {amount}{share} so với {against}"


def is_money(catalog: Catalog, code: Any) -> bool:
    """Whether `code` is a money indicator (two decimals); a code the catalog no longer knows
    counts as money, as the workbooks' number formats treat it."""
    indicator = catalog.indicators.get(str(code))
    return indicator is None or indicator.value_type is not ValueType.INTEGER
