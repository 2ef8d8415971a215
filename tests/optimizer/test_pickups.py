"""Tests of optimizer/pickups.py's calendar: hand-checked holidays, and agreement with
`needs.calendar_due`, the planner's own rule, day by day."""

from __future__ import annotations

import random
from datetime import date, timedelta

from optimizer.needs import BinInfo, calendar_due
from optimizer.pickups import Pickup, calendar_pickups

TUESDAY_BIN = BinInfo("b", 51.05, 3.72, 240.0, "paper", "calendar", 1)
START = date(2026, 12, 21)  # a Monday


def test_a_holiday_moves_to_the_next_day_and_a_dropped_one_is_gone() -> None:
    """Tuesday the 22nd's round moves to the Wednesday; the 29th's is dropped."""
    holidays = {date(2026, 12, 22): date(2026, 12, 23), date(2026, 12, 29): None}
    found = calendar_pickups(TUESDAY_BIN, holidays, START, 21)
    assert found == [
        Pickup("b", "paper", date(2026, 12, 23), moved_from=date(2026, 12, 22)),
        Pickup("b", "paper", date(2027, 1, 5)),
    ]


def test_a_holiday_of_another_weekday_moves_nothing_of_this_bin() -> None:
    holidays = {date(2026, 12, 21): date(2026, 12, 22)}  # Monday's round moves to Tuesday
    found = calendar_pickups(TUESDAY_BIN, holidays, START, 7)
    assert found == [Pickup("b", "paper", date(2026, 12, 22))]


def test_the_window_ends_before_start_plus_days() -> None:
    assert [p.day for p in calendar_pickups(TUESDAY_BIN, {}, START, 8)] == [date(2026, 12, 22)]
    assert calendar_pickups(TUESDAY_BIN, {}, date(2026, 12, 23), 6) == []


def test_the_pickups_are_the_days_the_planner_collects() -> None:
    """Random holidays, moved within the week or dropped: the pickups are exactly the days
    `calendar_due` says, and each moved one names a holiday of the bin's weekday."""
    draw = random.Random(7)
    for _ in range(200):
        info = BinInfo("b", 51.05, 3.72, 240.0, "bio", "calendar", draw.randrange(5))
        start = START + timedelta(days=draw.randrange(14))
        holidays: dict[date, date | None] = {}
        for _ in range(draw.randrange(6)):
            holiday = start + timedelta(days=draw.randrange(-7, 40))
            holidays[holiday] = draw.choice([None, holiday + timedelta(days=draw.randrange(1, 6))])
        found = calendar_pickups(info, holidays, start, 35)
        due = [start + timedelta(days=k) for k in range(35)]
        assert [p.day for p in found] == [d for d in due if calendar_due(info, d, holidays)]
        for pickup in found:
            if pickup.moved_from is not None:
                assert holidays[pickup.moved_from] == pickup.day
                assert pickup.moved_from.weekday() == info.round_weekday
