"""Public holidays: the days a city's waste behaves like a Sunday, and the day after heavier.

Belgium has ten legal public holidays; three of them follow Easter, whose date comes from the
Gregorian computus (the anonymous algorithm published by Meeus, valid for every Gregorian
year). Easter Sunday and Whit Sunday are Sundays anyway and are not listed.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

ASCENSION_AFTER_EASTER = 39
WHIT_MONDAY_AFTER_EASTER = 50
_FIXED_BELGIAN_HOLIDAYS = (
    (1, 1),  # New Year's Day
    (5, 1),  # Labour Day
    (7, 21),  # National Day
    (8, 15),  # Assumption
    (11, 1),  # All Saints' Day
    (11, 11),  # Armistice Day
    (12, 25),  # Christmas Day
)


def easter_sunday(year: int) -> date:
    """Easter Sunday of a Gregorian year (Western churches)."""
    if isinstance(year, bool) or not isinstance(year, int) or not 1583 <= year <= 9999:
        raise ValueError(f"year must be a Gregorian year from 1583 to 9999, got {year!r}")
    golden = year % 19
    century, of_century = divmod(year, 100)
    leap_centuries, century_rest = divmod(century, 4)
    moon_correction = (century + 8) // 25
    lunar_correction = (century - moon_correction + 1) // 3
    epact = (19 * golden + century - leap_centuries - lunar_correction + 15) % 30
    leap_years, year_rest = divmod(of_century, 4)
    weekday_offset = (32 + 2 * century_rest + 2 * leap_years - epact - year_rest) % 7
    late = (golden + 11 * epact + 22 * weekday_offset) // 451
    month, day = divmod(epact + weekday_offset - 7 * late + 114, 31)
    return date(year, month, day + 1)


@cache
def belgian_holidays(year: int) -> frozenset[date]:
    """Belgium's ten legal public holidays of a year, Easter Monday, Ascension and Whit
    Monday included (nine days when Ascension falls on 1 May, as in 2008)."""
    easter = easter_sunday(year)
    moving = (
        easter + timedelta(days=1),
        easter + timedelta(days=ASCENSION_AFTER_EASTER),
        easter + timedelta(days=WHIT_MONDAY_AFTER_EASTER),
    )
    return frozenset((*(date(year, m, d) for m, d in _FIXED_BELGIAN_HOLIDAYS), *moving))


def is_belgian_holiday(day: date) -> bool:
    """Whether `day` is a Belgian public holiday, for any Gregorian year."""
    return day in belgian_holidays(day.year)
