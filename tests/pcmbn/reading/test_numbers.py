"""Tests for pcmbn.reading.numbers: every way a clerk writes a figure, in a count and in money."""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pcmbn.domain import ValueType
from pcmbn.reading.numbers import (
    ParsedNumber,
    format_change_vi,
    format_money_vi,
    format_number_vi,
    format_percent_vi,
    format_value_vi,
    parse_number,
)

I = ValueType.INTEGER  # noqa: E741 - short names keep the table readable
D = ValueType.DECIMAL
NN = "value.not_number"
NI = "value.not_integer"
AMB = "value.ambiguous_decimal"

# (raw cell, value type, expected value, expected error, expected warning)
CASES: list[tuple[object, ValueType, int | float | None, str | None, str | None]] = [
    # numeric cells
    (12, I, 12, None, None),
    (12, D, 12.0, None, None),
    (3.0, I, 3, None, None),
    (2.5, I, None, NI, None),
    (2.5, D, 2.5, None, None),
    (-3, I, -3, None, None),
    (-0.0, D, 0.0, None, None),
    (float("nan"), I, None, NN, None),
    (float("nan"), D, None, NN, None),
    (float("inf"), I, None, NN, None),
    (float("-inf"), D, None, NN, None),
    (10**400, D, None, NN, None),
    # counts: a separator followed by exactly three digits groups thousands
    ("1.234", I, 1234, None, None),
    ("1,250", I, 1250, None, None),
    ("1.234.567", I, 1234567, None, None),
    ("1,234,567", I, 1234567, None, None),
    ("12 345", I, 12345, None, None),
    ("1.500", I, 1500, None, None),
    ("1,500", I, 1500, None, None),
    ("2.000.000", I, 2000000, None, None),
    # counts: anything else with a separator is a fraction, never guessed
    ("1,5", I, None, NI, None),
    ("1.5", I, None, NI, None),
    ("1.23", I, None, NI, None),
    ("1.2345", I, None, NI, None),
    ("1,25", I, None, NI, None),
    ("1.234,5", I, None, NI, None),
    ("1,234.5", I, None, NI, None),
    ("12,75", I, None, NI, None),
    ("12.5", I, None, NI, None),
    ("12,0", I, None, NI, None),
    ("0.500", I, None, NI, None),
    ("1,5 vụ", I, None, NI, None),
    # money: the Vietnamese way, warned when the English reading differs
    ("1.234,5", D, 1234.5, None, None),
    ("1,5", D, 1.5, None, None),
    ("12,75", D, 12.75, None, None),
    ("1.500", D, 1500.0, None, AMB),
    ("1,500", D, 1.5, None, AMB),
    ("1.234", D, 1234.0, None, AMB),
    ("-1.500", D, -1500.0, None, AMB),
    ("2.000.000", D, 2000000.0, None, None),
    ("1.234.567,89", D, 1234567.89, None, None),
    ("1 234,5", D, 1234.5, None, None),
    ("12 345", D, 12345.0, None, None),
    ("0,500", D, 0.5, None, None),
    # money: only the English reading is valid, so it is what was meant
    ("1,234.5", D, 1234.5, None, None),
    ("12.5", D, 12.5, None, None),
    ("1.5", D, 1.5, None, None),
    ("1.23", D, 1.23, None, None),
    ("1.2345", D, 1.2345, None, None),
    ("1,25", D, 1.25, None, None),
    ("0.500", D, 0.5, None, None),
    ("1,234,567.5", D, 1234567.5, None, None),
    # spaces, units, signs
    (" 12 ", I, 12, None, None),
    ("\u00a012\u00a0", I, 12, None, None),
    ("12\u202f345", I, 12345, None, None),
    ("12\u2009345", D, 12345.0, None, None),
    ("\ufeff12\u200b", I, 12, None, None),
    ("12  345", I, 12345, None, None),
    ("12 vụ", I, 12, None, None),
    ("12 vụ", D, 12.0, None, None),
    ("12vụ", I, 12, None, None),
    ("12 người", I, 12, None, None),
    ("5 buổi", I, 5, None, None),
    ("5 Buổi.", I, 5, None, None),
    ("1.234 người", I, 1234, None, None),
    ("12 345 vụ", I, 12345, None, None),
    (unicodedata.normalize("NFD", "12 người"), I, 12, None, None),
    ("12 triệu đồng", D, 12.0, None, None),
    ("1,5 tr", D, 1.5, None, None),
    ("12 triệu người", I, None, NN, None),
    ("1,5 tỷ", D, None, NN, None),
    ("500 nghìn", D, None, NN, None),
    ("500.000 đồng", D, None, NN, None),
    ("12 nghìn người", I, None, NN, None),
    ("12k", I, None, NN, None),
    ("+5", I, 5, None, None),
    ("+1.234", I, 1234, None, None),
    ("-5", I, -5, None, None),
    ("-5", D, -5.0, None, None),
    ("-1,5", D, -1.5, None, None),
    ("\u22125", I, -5, None, None),  # MINUS SIGN, as pasted from Word
    ("\u2212", I, 0, None, None),
    ("–5", I, None, NN, None),  # a dash before digits is not read as a sign
    ("-0", D, 0.0, None, None),
    # words and marks meaning zero
    ("-", I, 0, None, None),
    ("-", D, 0.0, None, None),
    ("–", I, 0, None, None),
    ("—", I, 0, None, None),
    (" - ", I, 0, None, None),
    ("không", I, 0, None, None),
    ("Không", I, 0, None, None),
    ("KHÔNG", D, 0.0, None, None),
    ("khong", I, 0, None, None),
    ("Không có", I, 0, None, None),
    (unicodedata.normalize("NFD", "Không"), I, 0, None, None),
    ("O", I, 0, None, None),
    ("o", D, 0.0, None, None),
    ("0", I, 0, None, None),
    # not a number
    ("abc", I, None, NN, None),
    ("abc", D, None, NN, None),
    ("12a5", I, None, NN, None),
    ("1 2 3 vụ", I, None, NN, None),
    ("1 2 3 vụ", D, None, NN, None),
    ("12 34", I, None, NN, None),
    ("1234 567", I, None, NN, None),
    ("12 vụ 5 người", I, None, NN, None),
    ("1e3", D, None, NN, None),
    ("1.2.3", I, None, NN, None),
    ("1.2.3", D, None, NN, None),
    ("1,2,3", D, None, NN, None),
    ("12.", I, None, NN, None),
    (",5", D, None, NN, None),
    ("12%", D, None, NN, None),
    ("(5)", I, None, NN, None),
    ("#N/A", I, None, NN, None),
    ("#VALUE!", D, None, NN, None),
    ("#DIV/0!", I, None, NN, None),
    ("N/A", I, None, NN, None),
    ("12/5", I, None, NN, None),
    ("12/5", D, None, NN, None),
    ("Ô", I, None, NN, None),
    ("١٢", I, None, NN, None),
    (True, I, None, NN, None),
    (False, D, None, NN, None),
    (date(2024, 5, 12), I, None, NN, None),
    (datetime(2024, 5, 12, 8, 30), D, None, NN, None),
    (time(12, 5), I, None, NN, None),
    (timedelta(days=1), D, None, NN, None),
    (b"12", I, None, NN, None),
    ("1" * 5000, I, None, NN, None),
    ("1" * 400, D, None, NN, None),
]


@pytest.mark.parametrize(("raw", "value_type", "value", "error", "warning"), CASES)
def test_parse_number_table(
    raw: object,
    value_type: ValueType,
    value: int | float | None,
    error: str | None,
    warning: str | None,
) -> None:
    parsed = parse_number(raw, value_type)
    assert parsed.error == error
    assert parsed.warning == warning
    assert parsed.blank is False
    if value is None:
        assert parsed.value is None
    else:
        expected_type = int if value_type is ValueType.INTEGER else float
        assert type(parsed.value) is expected_type
        assert parsed.value == pytest.approx(value)
        assert math.copysign(1, parsed.value) == math.copysign(1, value) or value == 0
    assert (parsed.reading is not None) == (warning is not None)


@pytest.mark.parametrize("raw", [None, "", "   ", "\u00a0\u2009", "\u200b", "\n\t"])
@pytest.mark.parametrize("value_type", list(ValueType))
def test_blank_is_missing_not_zero(raw: object, value_type: ValueType) -> None:
    assert parse_number(raw, value_type) == ParsedNumber(
        value=None, blank=True, error=None, warning=None, reading=None
    )


@pytest.mark.parametrize(
    ("raw", "reading"),
    [("1.500", "1.500"), ("1,500", "1,5"), ("12,345", "12,345"), ("-1.234", "-1.234")],
)
def test_ambiguous_money_names_the_vietnamese_reading(raw: str, reading: str) -> None:
    parsed = parse_number(raw, ValueType.DECIMAL)
    assert parsed.warning == "value.ambiguous_decimal"
    assert parsed.reading == reading


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (0, None, "0"),
        (999, None, "999"),
        (1234, None, "1.234"),
        (1234567, None, "1.234.567"),
        (-1234, None, "-1.234"),
        (1234.5, None, "1.234,5"),
        (1500.0, None, "1.500"),
        (12.75, None, "12,75"),
        (0.125, None, "0,13"),
        (2.675, None, "2,68"),
        (1.999, None, "2"),
        (-0.001, None, "0"),
        (1234.5, 2, "1.234,50"),
        (1234, 2, "1.234,00"),
        (1234.5678, 3, "1.234,568"),
        (1234.5, 0, "1.235"),
        (-1234567.891, 1, "-1.234.567,9"),
        (10**15, None, "1.000.000.000.000.000"),
    ],
)
def test_format_number_vi(value: int | float, decimals: int | None, text: str) -> None:
    assert format_number_vi(value, decimals) == text


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_format_number_vi_refuses_non_finite(value: float) -> None:
    with pytest.raises(ValueError):
        format_number_vi(value)


counts = st.integers(min_value=0, max_value=10**12 - 1)


@given(counts)
def test_count_with_vietnamese_dots(n: int) -> None:
    assert parse_number(f"{n:,}".replace(",", "."), ValueType.INTEGER).value == n


@given(counts)
def test_count_with_english_commas(n: int) -> None:
    assert parse_number(f"{n:,}", ValueType.INTEGER).value == n


@given(counts)
def test_count_with_unit_word(n: int) -> None:
    assert parse_number(f"{n:,}".replace(",", ".") + " vụ", ValueType.INTEGER).value == n
    assert parse_number(f"{n:,} vụ", ValueType.INTEGER).value == n


@given(counts)
def test_count_as_float_cell(n: int) -> None:
    parsed = parse_number(float(n), ValueType.INTEGER)
    assert parsed.value == n
    assert type(parsed.value) is int


@given(counts)
def test_count_round_trips_through_vietnamese_format(n: int) -> None:
    assert parse_number(format_number_vi(n), ValueType.INTEGER).value == n


ONE_GROUPING_OR_MARK = re.compile(r"-?[1-9][0-9]{0,2}[.,][0-9]{3}")


@given(st.integers(min_value=-(10**14), max_value=10**14))
def test_money_round_trips_through_vietnamese_format(cents: int) -> None:
    value = cents / 100
    text = format_number_vi(value)
    parsed = parse_number(text, ValueType.DECIMAL)
    assert parsed.error is None
    assert parsed.value == pytest.approx(value)
    # Only "1.500"-like text reads differently in English; everything else must pass quietly.
    assert (parsed.warning is not None) == bool(ONE_GROUPING_OR_MARK.fullmatch(text))
    if parsed.warning:
        assert parsed.reading == text


cells = st.one_of(
    st.text(),
    st.text(alphabet="0123456789.,  +-–vụOo\u00a0"),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    st.dates(),
)


@given(cells, st.sampled_from(list(ValueType)))
def test_parse_number_never_raises_and_always_decides(raw: object, value_type: ValueType) -> None:
    parsed = parse_number(raw, value_type)
    outcomes = [parsed.value is not None, parsed.blank, parsed.error is not None]
    assert outcomes.count(True) == 1
    assert parsed.error in (None, "value.not_number", "value.not_integer")
    if parsed.value is not None:
        expected_type = int if value_type is ValueType.INTEGER else float
        assert type(parsed.value) is expected_type
        assert isinstance(parsed.value, int) or math.isfinite(parsed.value)
    if parsed.warning is not None:
        assert value_type is ValueType.DECIMAL
        assert parsed.warning == "value.ambiguous_decimal"
        assert parsed.reading


# --- issue 12.17: numbers as a person reads them ---------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (340.45, "340,45"),
        (1234.5, "1.234,50"),
        (0, "0,00"),
        (0.0, "0,00"),
        (40.0, "40,00"),
        (1_000_000.005, "1.000.000,01"),
        (-12.3, "-12,30"),
    ],
)
def test_money_has_vietnamese_separators_and_two_decimals(value: float, text: str) -> None:
    assert format_money_vi(value) == text
    assert format_value_vi(value, ValueType.DECIMAL) == text
    assert format_value_vi(value, None) == text  # a code the catalog no longer knows


def test_counts_stay_whole() -> None:
    assert format_value_vi(12500.0, ValueType.INTEGER) == "12.500"
    assert format_value_vi(0, "integer") == "0"


@pytest.mark.parametrize(
    ("fraction", "text"),
    [(0.125, "12,5%"), (-0.25, "-25,0%"), (0, "0,0%"), (9.99, "999,0%")],
)
def test_percent_has_a_decimal_comma(fraction: float, text: str) -> None:
    assert format_percent_vi(fraction) == text


@pytest.mark.parametrize(
    ("fraction", "text"),
    [
        (0.125, "tăng 12,5%"),
        (-0.25, "giảm 25,0%"),
        (9.99, "tăng 999,0%"),  # the last change written as a percentage
        (26.667, "tăng 27,7 lần"),  # 2666,7 %: the figure is 27,7 times its base
        (10.0, "tăng 11,0 lần"),
        (-12.5, "giảm 12,5 lần"),
        (0.0, "không đổi"),
    ],
)
def test_change_beyond_999_percent_is_a_multiple(fraction: float, text: str) -> None:
    assert format_change_vi(fraction) == text
