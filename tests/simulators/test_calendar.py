"""Tests of simulators/calendar.py: Easter and the Belgian public holidays."""

from datetime import date, timedelta

import pytest

from simulators import belgian_holidays, easter_sunday
from simulators.calendar import is_belgian_holiday


@pytest.mark.parametrize(
    "easter",
    [
        date(1818, 3, 22),  # the earliest possible date
        date(1943, 4, 25),  # the latest possible date
        date(2000, 4, 23),
        date(2019, 4, 21),
        date(2024, 3, 31),
        date(2025, 4, 20),
        date(2038, 4, 25),
    ],
)
def test_easter_sunday_of_known_years(easter: date) -> None:
    """The computus gives the published Easter Sundays, the earliest and latest included."""
    assert easter_sunday(easter.year) == easter
    assert easter.weekday() == 6


def test_belgian_holidays_of_2025() -> None:
    """Ten legal holidays, Easter Monday, Ascension and Whit Monday among them."""
    assert sorted(belgian_holidays(2025)) == [
        date(2025, 1, 1),
        date(2025, 4, 21),
        date(2025, 5, 1),
        date(2025, 5, 29),
        date(2025, 6, 9),
        date(2025, 7, 21),
        date(2025, 8, 15),
        date(2025, 11, 1),
        date(2025, 11, 11),
        date(2025, 12, 25),
    ]


def test_the_moving_holidays_follow_easter_every_year() -> None:
    """Easter and Whit Monday are Mondays, Ascension a Thursday; a year has ten holidays, or
    nine when Ascension falls on Labour Day (as in 2008)."""
    for year in range(1990, 2100):
        holidays = belgian_holidays(year)
        easter = easter_sunday(year)
        moving = [easter + timedelta(days=n) for n in (1, 39, 50)]
        assert set(moving) <= holidays
        assert [d.weekday() for d in moving] == [0, 3, 0]
        assert len(holidays) == (9 if date(year, 5, 1) in moving else 10)
    assert len(belgian_holidays(2008)) == 9


def test_is_a_holiday() -> None:
    """Christmas is a holiday in any year; the day after it is not in Belgium."""
    assert is_belgian_holiday(date(2031, 12, 25))
    assert not is_belgian_holiday(date(2031, 12, 26))


@pytest.mark.parametrize("year", [1500, 10_000, True])
def test_years_outside_the_gregorian_calendar_are_refused(year: int) -> None:
    """Years the computus is not valid for are a ValueError."""
    with pytest.raises(ValueError, match="year"):
        easter_sunday(year)
