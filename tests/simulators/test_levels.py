"""Tests of simulators/levels.py: the true levels the sensors measure when nothing empties bins."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from numpy.typing import NDArray

from simulators import (
    FilledLevels,
    FillModel,
    LevelSource,
    LinearLevels,
    fill_at,
    generate_city,
)

CITY = generate_city(bins=30, seed=2)
START = datetime(2025, 3, 3, 6, tzinfo=UTC)  # a Monday, 06:00


class SteadyFill:
    """24 % a day into every bin: one percent an hour; counts the days asked for."""

    def __init__(self) -> None:
        self.days: list[date] = []

    def added_pct(self, day: date) -> NDArray[np.float64]:
        self.days.append(day)
        return np.full(len(CITY.bins), 24.0)


def test_linear_levels_are_fill_at() -> None:
    """The linear source grows each bin at its mean rate from its initial level."""
    levels = LinearLevels(CITY, START)
    for index in (0, 7, 29):
        at = START + timedelta(hours=17)
        assert levels.fill_pct(index, at) == fill_at(CITY.bins[index], 17)


def test_filled_levels_add_each_days_waste_evenly_over_the_day() -> None:
    """From a 06:00 start: 12 h later 12 % more, across midnight on, a day's amount per day."""
    fill = SteadyFill()
    levels = FilledLevels(CITY, fill, START)
    low = min(range(len(CITY.bins)), key=lambda i: CITY.bins[i].initial_fill_pct)
    initial = CITY.bins[low].initial_fill_pct
    assert levels.fill_pct(low, START) == pytest.approx(initial)
    assert levels.fill_pct(low, START + timedelta(hours=12)) == pytest.approx(initial + 12)
    assert levels.fill_pct(low, START + timedelta(hours=26)) == pytest.approx(initial + 26)
    assert fill.days == [date(2025, 3, 3), date(2025, 3, 4)]
    assert levels.fill_pct(low, START + timedelta(days=10)) == 100.0


def test_filled_levels_follow_the_fill_model_and_never_fall() -> None:
    """With the city's own fill model, every bin's level rises or stays, within 0..100."""
    levels = FilledLevels(CITY, FillModel(CITY, seed=2), START)
    for index in range(len(CITY.bins)):
        series = [levels.fill_pct(index, START + timedelta(hours=h)) for h in range(0, 24 * 9, 5)]
        assert series == sorted(series)
        assert series[0] >= 0
        assert series[-1] <= 100


def linear(start: datetime) -> LevelSource:
    return LinearLevels(CITY, start)


def filled(start: datetime) -> LevelSource:
    return FilledLevels(CITY, SteadyFill(), start)


@pytest.mark.parametrize("source", [linear, filled])
def test_a_time_before_the_start_or_without_a_zone_is_refused(
    source: Callable[[datetime], LevelSource],
) -> None:
    """There is no level before the simulation starts; the start needs a time zone."""
    with pytest.raises(ValueError, match="before the start"):
        source(START).fill_pct(0, START - timedelta(seconds=1))
    with pytest.raises(ValueError, match="timezone"):
        source(datetime(2025, 3, 3))
