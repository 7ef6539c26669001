"""Tests for pcmbn.periods: parsing of every written form, windows under both cut-off rules."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pcmbn.periods import (
    PARSE_MAX_YEAR,
    PARSE_MIN_YEAR,
    CutoffRule,
    Period,
    PeriodError,
    PeriodKind,
    Window,
    data_window,
    due_date,
    format_date_vi,
    last_closed_month,
    months_between,
    open_month,
    parse_period,
)

MAX_INDEX = {
    PeriodKind.MONTH: 12,
    PeriodKind.QUARTER: 4,
    PeriodKind.HALF: 2,
    PeriodKind.NINE_MONTHS: 1,
    PeriodKind.YEAR: 1,
}


def strip_diacritics(text: str) -> str:
    """Independent of the module's folding: what a user without a Vietnamese keyboard types."""
    decomposed = unicodedata.normalize("NFD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.replace("đ", "d").replace("Đ", "D")


def P(text: str) -> Period:  # noqa: N802 - short builder for the tables below
    return parse_period(text)


@st.composite
def periods(draw: st.DrawFn) -> Period:
    kind = draw(st.sampled_from(list(PeriodKind)))
    year = draw(st.integers(2000, 2100))
    index = draw(st.integers(1, MAX_INDEX[kind]))
    return Period(year, kind, index)


rules = st.sampled_from(list(CutoffRule))
years = st.integers(2000, 2100)


# --- parsing -------------------------------------------------------------------------------

PARSE_CASES = [
    # months
    ("2024-07", "2024-07"),
    ("2024-7", "2024-07"),
    ("07/2024", "2024-07"),
    ("7/2024", "2024-07"),
    ("7-2024", "2024-07"),
    ("Tháng 7/2024", "2024-07"),
    ("Tháng 07 năm 2024", "2024-07"),
    ("tháng 7 năm 2024", "2024-07"),
    ("THÁNG 7/2024", "2024-07"),
    ("T7/2024", "2024-07"),
    ("t7/2024", "2024-07"),
    ("Thang 7/2024", "2024-07"),
    ("Tháng 12/2024", "2024-12"),
    ("Tháng 7 / 2024", "2024-07"),
    ("  Tháng   7/2024  ", "2024-07"),
    ("Tháng 7/2024 ", "2024-07"),
    ("Tháng\u00a07/2024", "2024-07"),
    (unicodedata.normalize("NFD", "Tháng 7/2024"), "2024-07"),
    (unicodedata.normalize("NFD", "tháng 07 năm 2024"), "2024-07"),
    ("2024-07-01", "2024-07"),
    ("2024-07-31 00:00:00", "2024-07"),
    ("01/07/2024", "2024-07"),
    # quarters
    ("2024-Q3", "2024-Q3"),
    ("2024-q3", "2024-Q3"),
    ("Q3/2024", "2024-Q3"),
    ("Quý III/2024", "2024-Q3"),
    ("Quý 3 năm 2024", "2024-Q3"),
    ("quý iii năm 2024", "2024-Q3"),
    ("Quý III - 2024", "2024-Q3"),
    ("Quý III – 2024", "2024-Q3"),
    ("Quy III/2024", "2024-Q3"),
    ("Quý I/2024", "2024-Q1"),
    ("Quý IV/2024", "2024-Q4"),
    (unicodedata.normalize("NFD", "Quý II/2024 "), "2024-Q2"),
    # halves
    ("2024-H1", "2024-H1"),
    ("2024-H2", "2024-H2"),
    ("6 tháng đầu năm 2024", "2024-H1"),
    ("6 tháng cuối năm 2024", "2024-H2"),
    ("6 tháng năm 2024", "2024-H1"),
    ("sáu tháng đầu năm 2024", "2024-H1"),
    ("Sáu tháng cuối năm 2024", "2024-H2"),
    ("6 thang dau nam 2024", "2024-H1"),
    ("6 THÁNG ĐẦU NĂM 2024", "2024-H1"),
    (unicodedata.normalize("NFD", "6 tháng cuối năm 2024"), "2024-H2"),
    # nine months
    ("2024-9M", "2024-9M"),
    ("2024-9m", "2024-9M"),
    ("9 tháng năm 2024", "2024-9M"),
    ("9 tháng đầu năm 2024", "2024-9M"),
    ("9 thang nam 2024", "2024-9M"),
    # years
    ("2024", "2024"),
    ("Năm 2024", "2024"),
    ("năm 2024", "2024"),
    ("NĂM 2024 ", "2024"),
    ("Nam 2024", "2024"),
    ("2024.0", "2024"),
]


@pytest.mark.parametrize(("text", "expected"), PARSE_CASES)
def test_parse_written_forms(text, expected):
    assert parse_period(text).code == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2024, "2024"),
        (2024.0, "2024"),
        (date(2024, 7, 20), "2024-07"),
        (datetime(2024, 7, 1, 0, 0), "2024-07"),
        (datetime(2024, 12, 31, 23, 59), "2024-12"),
    ],
)
def test_parse_cell_values(value, expected):
    assert parse_period(value).code == expected


def test_parse_returns_period_unchanged():
    p = Period(2024, PeriodKind.QUARTER, 3)
    assert parse_period(p) is p


@pytest.mark.parametrize(
    "text",
    [
        "Tháng 13/2024",
        "Tháng 0/2024",
        "2024-13",
        "Quý V/2024",
        "2024-Q5",
        "2024-Q0",
        "",
        "   ",
        "abc",
        "1999",
        "Năm 2101",
        "Tháng 7/1999",
        "2024-H3",
        "Tháng 7",
        "31/02/2024",
        "2024.5",
    ],
)
def test_parse_rejects_bad_text(text):
    with pytest.raises(PeriodError) as info:
        parse_period(text)
    message = str(info.value)
    assert f'"{text.strip()}"' in message
    assert "kỳ báo cáo" in message.lower()


def test_month_13_message_names_the_range():
    with pytest.raises(PeriodError) as info:
        parse_period("Tháng 13/2024")
    message = str(info.value)
    assert message == 'Không hiểu kỳ báo cáo "Tháng 13/2024": tháng phải từ 1 đến 12.'
    assert "1" in message and "12" in message


def test_unrecognised_text_lists_accepted_forms():
    message = str(pytest.raises(PeriodError, parse_period, "abc").value)
    assert "2024-07" in message and "Quý III/2024" in message and "6 tháng đầu năm 2024" in message


@pytest.mark.parametrize("text", ["Quý V/2024", "2024-Q5"])
def test_bad_quarter_message(text):
    message = str(pytest.raises(PeriodError, parse_period, text).value)
    assert "quý phải từ 1 đến 4" in message


def test_bad_year_message():
    message = str(pytest.raises(PeriodError, parse_period, "Năm 1999").value)
    assert "2000" in message and "2100" in message


@pytest.mark.parametrize("value", [True, [2024], 2024.5, float("nan"), 45474])
def test_parse_rejects_bad_cell_values(value):
    with pytest.raises(PeriodError):
        parse_period(value)


def test_none_is_an_empty_cell():
    message = str(pytest.raises(PeriodError, parse_period, None).value)
    assert '""' in message and "trống" in message


def test_period_error_is_value_error():
    assert issubclass(PeriodError, ValueError)


@pytest.mark.parametrize(
    ("year", "kind", "index"),
    [
        (2024, PeriodKind.MONTH, 13),
        (2024, PeriodKind.QUARTER, 0),
        (2024, "half", 3),
        (2024, "week", 1),
        (2024.0, PeriodKind.YEAR, 1),
    ],
)
def test_period_constructor_validates(year, kind, index):
    with pytest.raises(PeriodError):
        Period(year, kind, index)


def test_period_constructor_accepts_kind_as_text():
    assert Period(2024, "quarter", 2) == Period(2024, PeriodKind.QUARTER, 2)


@given(periods())
def test_round_trip_code(p):
    assert parse_period(p.code) == p
    assert str(p) == p.code


@given(periods())
def test_round_trip_label(p):
    assert parse_period(p.label_vi) == p
    assert parse_period(unicodedata.normalize("NFD", p.label_vi)) == p


@given(periods())
def test_round_trip_label_without_diacritics(p):
    plain = strip_diacritics(p.label_vi)
    assert plain.isascii()
    assert parse_period(plain) == p
    assert parse_period(plain.upper()) == p


# --- Period behaviour ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("2024-07", "Tháng 7/2024"),
        ("2024-Q3", "Quý III/2024"),
        ("2024-H1", "6 tháng đầu năm 2024"),
        ("2024-H2", "6 tháng cuối năm 2024"),
        ("2024-9M", "9 tháng năm 2024"),
        ("2024", "Năm 2024"),
    ],
)
def test_labels(code, label):
    assert P(code).label_vi == label


@pytest.mark.parametrize(
    ("code", "previous", "last_year"),
    [
        ("2024-01", "2023-12", "2023-01"),
        ("2024-07", "2024-06", "2023-07"),
        ("2024-Q1", "2023-Q4", "2023-Q1"),
        ("2024-Q3", "2024-Q2", "2023-Q3"),
        ("2024-H1", "2023-H2", "2023-H1"),
        ("2024-H2", "2024-H1", "2023-H2"),
        ("2024-9M", "2023-9M", "2023-9M"),
        ("2024", "2023", "2023"),
    ],
)
def test_previous_and_same_period_last_year(code, previous, last_year):
    assert P(code).previous() == P(previous)
    assert P(code).same_period_last_year() == P(last_year)


@pytest.mark.parametrize(
    ("code", "first", "last", "count"),
    [
        ("2024-07", "2024-07", "2024-07", 1),
        ("2024-Q3", "2024-07", "2024-09", 3),
        ("2024-H1", "2024-01", "2024-06", 6),
        ("2024-H2", "2024-07", "2024-12", 6),
        ("2024-9M", "2024-01", "2024-09", 9),
        ("2024", "2024-01", "2024-12", 12),
    ],
)
def test_months(code, first, last, count):
    p = P(code)
    assert p.first_month == P(first)
    assert p.last_month == P(last)
    assert len(p.months()) == count
    assert p.months()[0] == p.first_month and p.months()[-1] == p.last_month


def test_month_months_is_self():
    p = Period.month(2024, 7)
    assert p.months() == [p]


def test_contains():
    assert P("2024").contains(P("2024-Q3"))
    assert P("2024-H2").contains(P("2024-Q3"))
    assert P("2024-9M").contains(P("2024-H1"))
    assert not P("2024-H1").contains(P("2024-Q3"))
    assert not P("2024-9M").contains(P("2024-Q4"))
    assert not P("2024").contains(P("2025-01"))
    assert P("2024-07").contains(P("2024-07"))


@given(periods(), periods())
def test_contains_matches_month_sets(a, b):
    assert a.contains(b) == set(b.months()).issubset(a.months())


def test_months_between():
    months = months_between(P("2021-05"), P("2022-06"))
    assert len(months) == 14
    assert months[0] == P("2021-05") and months[-1] == P("2022-06")
    assert months_between(P("2024-Q3"), P("2024-Q3")) == P("2024-Q3").months()
    assert months_between(P("2024-H2"), P("2025")) == [*P("2024-H2").months(), *P("2025").months()]
    assert months_between(P("2024-07"), P("2024-06")) == []


@given(periods(), periods())
def test_months_between_is_consecutive(a, b):
    months = months_between(a, b)
    for earlier, later in zip(months, months[1:], strict=False):
        assert later.previous() == earlier


# --- windows ---------------------------------------------------------------------------------


def W(start: str, end: str) -> Window:  # noqa: N802
    def d(text: str) -> date:
        day, month, year = map(int, text.split("/"))
        return date(year, month, day)

    return Window(d(start), d(end))


@pytest.mark.parametrize(
    ("code", "rule", "expected"),
    [
        ("2024-07", "nd09-2019", W("15/06/2024", "14/07/2024")),
        ("2024-01", CutoffRule.ND09_2019, W("15/12/2023", "14/01/2024")),
        ("2024-Q3", CutoffRule.ND09_2019, W("15/06/2024", "14/09/2024")),
        ("2024-H1", CutoffRule.ND09_2019, W("15/12/2023", "14/06/2024")),
        ("2024-H2", CutoffRule.ND09_2019, W("15/06/2024", "14/12/2024")),
        ("2024-9M", CutoffRule.ND09_2019, W("15/12/2023", "14/09/2024")),
        ("2024", CutoffRule.ND09_2019, W("15/12/2023", "14/12/2024")),
        ("2024-02", CutoffRule.CALENDAR, W("01/02/2024", "29/02/2024")),
        ("2023-02", "calendar", W("01/02/2023", "28/02/2023")),
        ("2024-Q4", CutoffRule.CALENDAR, W("01/10/2024", "31/12/2024")),
        ("2024-9M", CutoffRule.CALENDAR, W("01/01/2024", "30/09/2024")),
        ("2024", CutoffRule.CALENDAR, W("01/01/2024", "31/12/2024")),
    ],
)
def test_known_windows(code, rule, expected):
    assert data_window(P(code), rule) == expected


def test_default_rule_is_nd09():
    assert data_window(P("2024-07")) == W("15/06/2024", "14/07/2024")


def test_unknown_rule_rejected():
    with pytest.raises(PeriodError, match="xyz"):
        data_window(P("2024-07"), "xyz")


def test_window_contains_and_label():
    window = data_window(P("2024-07"))
    assert window.label_vi == "15/06/2024 – 14/07/2024"
    assert date(2024, 6, 15) in window and date(2024, 7, 14) in window
    assert date(2024, 6, 14) not in window and date(2024, 7, 15) not in window
    assert datetime(2024, 7, 14, 23, 59) in window
    with pytest.raises(ValueError):
        Window(date(2024, 7, 2), date(2024, 7, 1))


def _assert_tiles(windows: list[Window], whole: Window) -> None:
    assert windows == sorted(windows, key=lambda w: w.start)
    assert windows[0].start == whole.start
    assert windows[-1].end == whole.end
    for before, after in zip(windows, windows[1:], strict=False):
        assert after.start == before.end + timedelta(days=1)


@given(rules, years)
def test_months_tile_the_year(rule, year):
    whole = data_window(Period(year, PeriodKind.YEAR, 1), rule)
    months = [data_window(Period.month(year, m), rule) for m in range(1, 13)]
    _assert_tiles(months, whole)


@given(rules, years)
def test_quarters_and_halves_tile_the_year(rule, year):
    whole = data_window(Period(year, PeriodKind.YEAR, 1), rule)
    quarters = [data_window(Period(year, PeriodKind.QUARTER, q), rule) for q in range(1, 5)]
    halves = [data_window(Period(year, PeriodKind.HALF, h), rule) for h in (1, 2)]
    _assert_tiles(quarters, whole)
    _assert_tiles(halves, whole)


@given(rules, years)
def test_nine_months_is_union_of_first_nine_months(rule, year):
    nine = data_window(Period(year, PeriodKind.NINE_MONTHS, 1), rule)
    months = [data_window(Period.month(year, m), rule) for m in range(1, 10)]
    _assert_tiles(months, nine)


@given(rules, st.integers(2000, 2099))
def test_month_windows_chain_across_years(rule, year):
    december = data_window(Period.month(year, 12), rule)
    january = data_window(Period.month(year + 1, 1), rule)
    assert january.start == december.end + timedelta(days=1)


@given(rules, periods())
def test_window_covers_its_month_windows(rule, p):
    window = data_window(p, rule)
    _assert_tiles([data_window(m, rule) for m in p.months()], window)


# --- deadlines -------------------------------------------------------------------------------


def test_due_date():
    assert due_date(P("2024-07")) == date(2024, 7, 17)
    assert due_date(P("2024-07"), CutoffRule.ND09_2019, 0) == date(2024, 7, 14)
    assert due_date(P("2024-12"), "calendar", 5) == date(2025, 1, 5)
    with pytest.raises(ValueError):
        due_date(P("2024-07"), CutoffRule.ND09_2019, -1)


@pytest.mark.parametrize(
    ("today", "rule", "expected"),
    [
        (date(2026, 11, 23), CutoffRule.ND09_2019, "2026-11"),
        (date(2026, 11, 14), CutoffRule.ND09_2019, "2026-10"),
        (date(2026, 11, 15), CutoffRule.ND09_2019, "2026-11"),
        (date(2026, 1, 10), CutoffRule.ND09_2019, "2025-12"),
        (date(2026, 12, 31), CutoffRule.ND09_2019, "2026-12"),
        (datetime(2026, 11, 23, 8, 0), "nd09-2019", "2026-11"),
        (date(2026, 11, 30), CutoffRule.CALENDAR, "2026-10"),
        (date(2026, 12, 1), CutoffRule.CALENDAR, "2026-11"),
        (date(2026, 1, 1), CutoffRule.CALENDAR, "2025-12"),
    ],
)
def test_last_closed_month(today, rule, expected):
    assert last_closed_month(today, rule) == P(expected)


@given(rules, st.dates(date(2001, 1, 1), date(2100, 12, 31)))
def test_last_closed_month_is_latest_closed(rule, today):
    closed = last_closed_month(today, rule)
    assert closed.kind is PeriodKind.MONTH
    assert data_window(closed, rule).end < today
    following = Period.month(closed.year + closed.index // 12, closed.index % 12 + 1)
    assert data_window(following, rule).end >= today


def test_format_date_vi():
    assert format_date_vi(date(2024, 7, 5)) == "05/07/2024"
    assert format_date_vi(date(2024, 12, 31)) == "31/12/2024"


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 11, 14), "2026-11"),
        (date(2026, 11, 15), "2026-12"),
        (date(2026, 12, 20), "2027-01"),
        (date(2026, 1, 3), "2026-01"),
    ],
)
def test_open_month_is_the_window_containing_today(today: date, expected: str) -> None:
    assert open_month(today).code == expected
    assert today in data_window(open_month(today))


@given(periods())
def test_next_undoes_previous(p: Period) -> None:
    assert p.previous().next() == p


# --- labels, codes and ordinals (issue 11: one vocabulary) ---------------------------------------

LABELS = [
    # period, short label, in-sentence label, after the word "tháng"
    (Period.month(2024, 7), "T7/2024", "tháng 7/2024", "7/2024"),
    (Period.month(2025, 12), "T12/2025", "tháng 12/2025", "12/2025"),
    (Period(2024, PeriodKind.QUARTER, 2), "Quý II/2024", "quý II/2024", "Quý II/2024"),
    (
        Period(2024, PeriodKind.HALF, 1),
        "6 tháng đầu năm 2024",
        "6 tháng đầu năm 2024",
        "6 tháng đầu năm 2024",
    ),
    (
        Period(2024, PeriodKind.HALF, 2),
        "6 tháng cuối năm 2024",
        "6 tháng cuối năm 2024",
        "6 tháng cuối năm 2024",
    ),
    (
        Period(2024, PeriodKind.NINE_MONTHS, 1),
        "9 tháng năm 2024",
        "9 tháng năm 2024",
        "9 tháng năm 2024",
    ),
    (Period(2024, PeriodKind.YEAR, 1), "Năm 2024", "năm 2024", "Năm 2024"),
]


@pytest.mark.parametrize(("period", "short", "sentence", "number"), LABELS, ids=str)
def test_period_labels(period: Period, short: str, sentence: str, number: str) -> None:
    assert period.short_label == short
    assert period.in_sentence == sentence
    assert period.number_label == number
    # Every label reads back as the same period (people copy them into reports).
    assert parse_period(period.label_vi) == period
    assert parse_period(period.short_label) == period


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("2024-07", Period.month(2024, 7)),
        ("2024-12", Period.month(2024, 12)),
        ("2024-Q3", Period(2024, PeriodKind.QUARTER, 3)),
        ("2024-H2", Period(2024, PeriodKind.HALF, 2)),
        ("2024-9M", Period(2024, PeriodKind.NINE_MONTHS, 1)),
        ("2024", Period(2024, PeriodKind.YEAR, 1)),
    ],
)
def test_from_code_reads_what_code_writes(code: str, expected: Period) -> None:
    assert Period.from_code(code) == expected
    assert Period.from_code(code).code == code


@pytest.mark.parametrize(
    "text", ["Tháng 7/2024", "2024-7", "2024-13", "2024-00", "2024-Q5", "2024-H3", "07/2024", ""]
)
def test_from_code_refuses_anything_but_a_canonical_code(text: str) -> None:
    """Written forms are for `parse_period`; `from_code` only reads stored codes."""
    with pytest.raises(PeriodError):
        Period.from_code(text)


@given(
    year=st.integers(PARSE_MIN_YEAR, PARSE_MAX_YEAR - 1),
    kind=st.sampled_from(list(PeriodKind)),
    data=st.data(),
)
def test_code_round_trip_and_ordinal_follows_the_last_month(
    year: int, kind: PeriodKind, data: st.DataObject
) -> None:
    period = Period(year, kind, data.draw(st.integers(1, MAX_INDEX[kind])))
    assert Period.from_code(period.code) == period
    assert period.ordinal == period.last_month.ordinal
    assert period.next().ordinal > period.ordinal
    assert period.previous().ordinal < period.ordinal


def test_ordinal_orders_kinds_by_when_they_end() -> None:
    july, q3, year = (
        Period.month(2024, 7),
        Period(2024, PeriodKind.QUARTER, 3),
        Period.month(2023, 12),
    )
    assert Period(2023, PeriodKind.YEAR, 1).ordinal == year.ordinal
    assert july.ordinal < q3.ordinal == Period.month(2024, 9).ordinal
    assert sorted([q3, year, july], key=lambda p: p.ordinal) == [year, july, q3]
