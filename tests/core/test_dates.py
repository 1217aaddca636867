"""Calendar arithmetic as SPEC §4 defines it (bot.core.dates)."""

from datetime import date

import pytest

from bot.core.dates import add_months, age_on, french, last_day_of_duration


@pytest.mark.parametrize("day, months, expected", [
    (date(2026, 8, 31), 2, date(2026, 10, 31)),
    (date(2026, 9, 30), 2, date(2026, 11, 30)),
    (date(2025, 12, 31), 2, date(2026, 2, 28)),
    (date(2027, 12, 31), 2, date(2028, 2, 29)),
    (date(2025, 11, 15), 3, date(2026, 2, 15)),
    (date(2025, 9, 1), 36, date(2028, 9, 1)),
    (date(2025, 1, 31), 1, date(2025, 2, 28)),
    (date(2025, 9, 1), 0, date(2025, 9, 1)),
])
def test_n_months_after_is_the_same_day_or_the_last_day_of_that_month(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize("day, months, expected", [
    (date(2025, 9, 1), -3, date(2025, 6, 1)),
    (date(2026, 9, 1), -3, date(2026, 6, 1)),
    (date(2025, 5, 31), -3, date(2025, 2, 28)),
    (date(2025, 2, 15), -3, date(2024, 11, 15)),
])
def test_n_months_before_follows_the_same_rule(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize("start, months, last", [
    (date(2025, 9, 1), 6, date(2026, 2, 28)),
    (date(2025, 9, 1), 12, date(2026, 8, 31)),
    (date(2025, 9, 1), 36, date(2028, 8, 31)),
    (date(2025, 8, 31), 6, date(2026, 2, 27)),
    (date(2025, 11, 15), 6, date(2026, 5, 14)),
])
def test_the_last_day_of_a_contract_of_exactly_n_months_is_n_months_after_its_start_minus_a_day(
        start, months, last):
    assert last_day_of_duration(start, months) == last


@pytest.mark.parametrize("birth, day, age", [
    (date(1995, 9, 1), date(2025, 9, 1), 30),
    (date(1995, 9, 2), date(2025, 9, 1), 29),
    (date(1995, 8, 31), date(2025, 9, 1), 30),
    (date(1999, 9, 1), date(2025, 9, 1), 26),
    (date(2000, 2, 29), date(2025, 2, 28), 24),
    (date(2000, 2, 29), date(2025, 3, 1), 25),
    (date(2000, 2, 29), date(2024, 2, 29), 24),
])
def test_age_counts_whole_years_and_the_birthday_itself(birth, day, age):
    assert age_on(birth, day) == age


def test_dates_are_shown_the_french_way():
    assert french(date(2025, 9, 1)) == "01/09/2025"
