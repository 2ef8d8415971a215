"""Tests of simulators/observations.py: noisy morning readings and the fill rates from them."""

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import pytest
from numpy.typing import NDArray

from simulators.city import City, SimBin, SimDepot, SimFacility, SimVehicle
from simulators.observations import (
    NOISE_PCT,
    READING_S,
    Observations,
    is_working_day,
    next_working_day,
)
from simulators.twin import Twin

MONDAY = date(2026, 3, 2)


class FixedFill:
    """The same percent added to each bin every day (the injected fill seam)."""

    def __init__(self, pct: Sequence[float]) -> None:
        self.pct = np.asarray(pct, dtype=np.float64)

    def added_pct(self, day: date) -> NDArray[np.float64]:
        return self.pct.copy()


def city_of(initial: Sequence[float], streams: Sequence[str] | None = None) -> City:
    streams = streams or ["residual"] * len(initial)
    bins = tuple(
        SimBin(
            id=f"bin-{n}",
            lat=51.0 + n / 1000,
            lon=3.7,
            address=f"Road {n}",
            waste_stream=stream,
            volume_l=240.0,
            empty_distance_mm=1000,
            full_distance_mm=300,
            blind_zone_mm=250,
            fill_rate_pct_per_day=10.0,
            initial_fill_pct=level,
        )
        for n, (level, stream) in enumerate(zip(initial, streams, strict=True), start=1)
    )
    return City(
        seed=1,
        centre=(51.0, 3.7),
        bins=bins,
        devices=(),
        depots=(SimDepot("depot", "Depot", 51.0, 3.7),),
        facilities=(SimFacility("tip", "Tip", 51.005, 3.7),),
        vehicles=(SimVehicle("truck", "depot"),),
    )


def run(twin: Twin, observations: Observations, emptied_s: Sequence[Sequence[float]]) -> None:
    """One day per row: read the sensors at 05:00, then empty bins at the given seconds."""
    for times in emptied_s:
        observations.read(twin.today, twin.levels_before_trucks(READING_S))
        observations.emptied(twin.empty_bins(list(times)))


def test_the_rate_of_a_bin_read_without_noise_is_exact() -> None:
    """Emptied at 10:00 and read on the next mornings, a bin filling 24 % a day reads 24 %."""
    city = city_of([50.0, 10.0])
    twin = Twin(city, FixedFill([24.0, 12.0]), MONDAY)
    observations = Observations(city, seed=1, noise_pct=0.0)
    nan = float("nan")
    run(twin, observations, [[10 * 3600.0, nan], [nan, nan], [nan, nan]])

    assert observations.rates() == pytest.approx([24.0, 12.0])


def test_a_full_bin_s_readings_do_not_pull_its_rate_down() -> None:
    """Readings of a full bin are left out: the rate comes from the readings before."""
    city = city_of([0.0])
    twin = Twin(city, FixedFill([40.0]), MONDAY)
    observations = Observations(city, seed=1, noise_pct=0.0)
    run(twin, observations, [[float("nan")]] * 6)  # full from the fourth day on

    assert observations.rates() == pytest.approx([40.0])


def test_a_bin_without_usable_readings_takes_its_stream_s_median() -> None:
    """Emptied late on its first evening, a bin has no rate of its own the next morning: it
    takes the median of its stream's (bio: 10 and 20, so 15); a glass bank keeps its own."""
    city = city_of([10.0, 10.0, 10.0, 10.0], ["bio", "bio", "bio", "glass"])
    twin = Twin(city, FixedFill([10.0, 20.0, 60.0, 3.0]), MONDAY)
    observations = Observations(city, seed=1, noise_pct=0.0)
    nan = float("nan")
    run(twin, observations, [[nan, nan, 86_000.0, nan]])
    observations.read(twin.today, twin.levels_before_trucks(READING_S))

    assert observations.rates() == pytest.approx([10.0, 20.0, 15.0, 3.0])


def test_an_emptied_bin_keeps_its_rate_until_it_has_new_readings() -> None:
    """Emptied just before midnight, a bin's first reading after is too close to tell: the
    rate from before its emptying stands."""
    city = city_of([10.0])
    twin = Twin(city, FixedFill([30.0]), MONDAY)
    observations = Observations(city, seed=1, noise_pct=0.0)
    run(twin, observations, [[float("nan")], [86_000.0]])
    observations.read(twin.today, twin.levels_before_trucks(READING_S))

    assert observations.rates() == pytest.approx([30.0])


def test_nothing_read_yet_means_no_rate() -> None:
    """A single reading tells nothing about a rate: 0 % a day until more come."""
    city = city_of([10.0, 50.0])
    observations = Observations(city, seed=1, noise_pct=0.0)
    observations.read(MONDAY, np.array([10.0, 50.0]))
    assert observations.rates() == pytest.approx([0.0, 0.0])


def test_readings_carry_the_sensor_noise_and_repeat_for_a_seed() -> None:
    """Readings differ from the truth by about NOISE_PCT, and the same seed reads the same."""
    city = city_of([50.0] * 400)
    truth = np.full(400, 50.0)
    first = Observations(city, seed=7).read(MONDAY, truth)
    again = Observations(city, seed=7).read(MONDAY, truth)
    other_day = Observations(city, seed=7).read(MONDAY + timedelta(days=1), truth)

    assert np.array_equal(first, again)
    assert not np.array_equal(first, other_day)
    assert np.std(first - truth) == pytest.approx(NOISE_PCT, rel=0.15)


def test_collection_days_are_monday_to_friday() -> None:
    """Friday's next collection day is Monday; Monday's is Tuesday."""
    friday = MONDAY + timedelta(days=4)
    assert [is_working_day(MONDAY + timedelta(days=k)) for k in range(7)] == [True] * 5 + [
        False
    ] * 2
    assert next_working_day(friday) == MONDAY + timedelta(days=7)
    assert next_working_day(MONDAY) == MONDAY + timedelta(days=1)
