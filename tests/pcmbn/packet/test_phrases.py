"""The report's phrases for numbers and changes (issue 12.17), table-driven."""

from __future__ import annotations

import math

import pytest

from pcmbn.catalog import load_catalog
from pcmbn.packet.phrases import change_phrase, is_money, vi_number, vi_percent


@pytest.mark.parametrize(
    ("value", "money", "text"),
    [
        (12500, False, "12.500"),
        (2.5, False, "2,5"),
        (340.45, True, "340,45"),
        (1234.5, True, "1.234,50"),
        (0, True, "0,00"),
        (40, True, "40,00"),
    ],
)
def test_vi_number(value: float, money: bool, text: str) -> None:
    assert vi_number(value, money) == text


def test_vi_percent_has_a_decimal_comma() -> None:
    assert vi_percent(0.125) == "12,5%" and vi_percent(-0.25) == "25,0%"


@pytest.mark.parametrize(
    ("value", "base", "pct", "unit", "money", "text"),
    [
        (5, 4, 0.25, "vụ", False, "tăng 1 vụ (25,0%) so với kỳ trước"),
        (83, 3, 80 / 3, "vụ", False, "tăng 27,7 lần (thêm 80 vụ) so với kỳ trước"),
        (3, 83, -80 / 83, "vụ", False, "giảm 80 vụ (96,4%) so với kỳ trước"),
        (
            340.45,
            40,
            300.45 / 40,
            "triệu đồng",
            True,
            "tăng 300,45 triệu đồng (751,1%) so với kỳ trước",
        ),
        (4, 4, 0.0, "vụ", False, "bằng kỳ trước"),
        (5, 0, math.nan, "vụ", False, "tăng 5 vụ so với kỳ trước"),
    ],
)
def test_change_phrase(
    value: float, base: float, pct: float, unit: str, money: bool, text: str
) -> None:
    assert change_phrase(value, base, pct, unit, "kỳ trước", money=money) == text
    assert "2666" not in text and "." not in text.replace("300,45", "")


def test_money_is_the_catalog_decimal_type() -> None:
    catalog = load_catalog()
    assert is_money(catalog, "KP01") and not is_money(catalog, "DT01")
    assert is_money(catalog, "XX99")  # unknown code: shown like money, as the workbooks do
