"""Tests of optimizer/pickups.py's calendar: hand-checked holidays, and agreement with
`needs.calendar_due`, the planner's own rule, day by day."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from optimizer.needs import BinInfo, calendar_due
from optimizer.pickups import Lookups, Pickup, calendar_pickups

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


def _lookups() -> Lookups:
    """Korenmarkt 1's two bins, a glass bank by need with no address, planned twice."""
    rest = BinInfo("k1-rest", 51.05, 3.72, 240.0, "residual", "calendar", 0)
    paper = BinInfo("k1-paper", 51.05, 3.72, 240.0, "paper", "calendar", 1)
    glass = BinInfo("glass-9", 51.06, 3.73, 3000.0, "glass", "need", None)
    return Lookups(
        bins={
            "k1-rest": (rest, "Korenmarkt 1"),
            "k1-paper": (paper, "korenmarkt 1"),
            "glass-9": (glass, None),
        },
        at_address={"korenmarkt 1": ["k1-paper", "k1-rest"]},
        holidays={},
        planned={"glass-9": [START - timedelta(days=1), START + timedelta(days=3)]},
        since=START - timedelta(days=1),
    )


def test_an_address_in_any_case_finds_all_its_bins_and_a_bin_its_neighbours() -> None:
    by_address = _lookups().find(START, 7, address="KORENMARKT 1")
    assert by_address is not None
    assert by_address.address == "korenmarkt 1"  # as the first bin by id spells it
    assert [b.id for b in by_address.bins] == ["k1-paper", "k1-rest"]
    by_bin = _lookups().find(START, 7, bin_id="k1-paper")
    assert by_bin is not None
    assert by_bin.address == "korenmarkt 1"
    assert [b.id for b in by_bin.bins] == ["k1-paper", "k1-rest"]
    assert [p.day for p in by_bin.pickups()] == [START, START + timedelta(days=1)]


def test_a_bin_without_an_address_stands_alone_with_its_planned_days_in_the_window() -> None:
    found = _lookups().find(START, 7, bin_id="glass-9")
    assert found is not None
    assert found.address is None
    assert [p.day for p in found.pickups()] == [START + timedelta(days=3)]
    shorter = _lookups().find(START, 3, bin_id="glass-9")
    assert shorter is not None
    assert shorter.pickups() == []


def test_nothing_found_is_none_and_a_day_before_the_copy_is_refused() -> None:
    assert _lookups().find(START, 7, address="Korenmarkt 2") is None
    assert _lookups().find(START, 7, bin_id="k9") is None
    with pytest.raises(ValueError, match="held from"):
        _lookups().find(START - timedelta(days=2), 7, bin_id="glass-9")
