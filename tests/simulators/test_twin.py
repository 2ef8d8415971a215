"""Tests of simulators/twin.py: bins filling, emptied by the trucks, overflowing, day by day.

A hand-made city of three bins on a straight road (km 1, 2, 3 from the depot, the tip at km
5; one km is 1000 m and 60 s apart) and one truck. Waste comes from a fixed daily amount per
bin, thrown in evenly from 07:00 to 22:00.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pytest
from numpy.typing import NDArray

from optimizer import (
    Depot,
    Facility,
    GivenMatrices,
    OrtoolsParams,
    Problem,
    Result,
    SolveParams,
    Stop,
    TravelMatrices,
    Vehicle,
    solve,
)
from simulators.city import City, SimBin, SimDepot, SimFacility, SimVehicle
from simulators.fill import LevelSource
from simulators.twin import ACTIVE_FROM_S, ACTIVE_TO_S, Twin, fill_share, midnight

MONDAY = date(2026, 3, 2)
SIX = 6 * 3600
FAST = SolveParams(backend="ortools", ortools=OrtoolsParams(solution_limit=100))


class FixedFill:
    """The same percent added to each bin every day (the injected fill seam)."""

    def __init__(self, pct: Sequence[float]) -> None:
        self.pct = np.asarray(pct, dtype=np.float64)

    def added_pct(self, day: date) -> NDArray[np.float64]:
        return self.pct.copy()


def small_city(initial: Sequence[float], volume_l: float = 200.0) -> City:
    bins = tuple(
        SimBin(
            id=f"bin-{n}",
            lat=51.0 + n / 1000,
            lon=3.7,
            address=f"Road {n}",
            waste_stream="residual",
            volume_l=volume_l,
            empty_distance_mm=1000,
            full_distance_mm=300,
            blind_zone_mm=250,
            fill_rate_pct_per_day=10.0,
            initial_fill_pct=level,
            round_weekday=0,
        )
        for n, level in enumerate(initial, start=1)
    )
    return City(
        seed=1,
        centre=(51.0, 3.7),
        bins=bins,
        devices=(),
        depots=(SimDepot("depot", "Depot", 51.0, 3.7),),
        facilities=(SimFacility("tip", "Tip", 51.005, 3.7),),
        vehicles=(SimVehicle("truck", "depot", capacity_l=1000.0),),
    )


def day_problem(day: date, bin_ids: Sequence[str], capacity_l: float = 1000.0) -> Problem:
    """Serving the given bins (at km 1, 2, 3) from the depot (km 0), unloading at km 5."""
    depots = (Depot("depot", 0.0, 0.0),)
    facilities = (Facility("tip", 5.0, 0.0, opens_s=SIX, closes_s=18 * 3600, unload_s=600),)
    stops = tuple(
        Stop(b, float(b.removeprefix("bin-")), 0.0, 50.0, service_s=60, waste_stream="residual")
        for b in bin_ids
    )
    km = np.array([site.lat for site in (*depots, *facilities, *stops)])
    apart = np.abs(km[:, None] - km[None, :])
    travel = GivenMatrices(
        TravelMatrices(np.rint(apart * 1000).astype(np.int64), np.rint(apart * 60).astype(np.int64))
    )
    vehicle = Vehicle("truck", capacity_l, 9 * 3600, 17 * 3600)
    return Problem(midnight(day), depots, (vehicle,), stops, facilities, travel)


def plan_for(problem: Problem) -> Result:
    return solve(problem, 5, 0, FAST)


def test_waste_goes_in_evenly_from_seven_to_ten_at_night() -> None:
    """None at night, half by 14:30, all by 22:00."""
    shares = fill_share([0, ACTIVE_FROM_S, (ACTIVE_FROM_S + ACTIVE_TO_S) / 2, ACTIVE_TO_S, 86_399])
    assert shares.tolist() == [0.0, 0.0, 0.5, 1.0, 1.0]


def test_litres_collected_equal_the_litres_that_left_the_bins() -> None:
    """Over days of collection, what the trucks took is what the bins lost to them: litres at
    the start plus litres thrown in equal litres collected, overflowed and left at the end."""
    city = small_city([20.0, 55.0, 90.0])
    twin = Twin(city, FixedFill([30.0, 45.0, 70.0]), MONDAY)
    collected = 0.0
    for bins in (["bin-1", "bin-2", "bin-3"], ["bin-3"], [], ["bin-2", "bin-3"]):
        if bins:
            problem = day_problem(twin.today, bins)
            outcome = twin.run_day(problem, plan_for(problem))
            collected += outcome.collected_l
            assert outcome.record.emptied.sum() == len(bins)
        else:
            twin.rest_day()

    records = twin.records
    volume = twin.volume_l / 100
    at_start = float((records[0].start_pct * volume).sum())
    thrown_in = float(sum((r.added_pct * volume).sum() for r in records))
    overflowed = float(sum((r.overflow_pct * volume).sum() for r in records))
    at_end = float((records[-1].end_pct * volume).sum())
    assert collected > 0
    assert collected == pytest.approx(at_start + thrown_in - overflowed - at_end)
    emptied_l = sum(float((r.emptied_pct * volume).sum()) for r in records)
    assert collected == pytest.approx(emptied_l)


def test_no_truck_is_ever_over_capacity_when_bins_hold_more_than_planned() -> None:
    """Planned at 50 l a bin, the bins hold 180 l each: a 400 l truck makes an extra trip."""
    city = small_city([90.0, 90.0, 90.0])
    twin = Twin(city, FixedFill([0.0, 0.0, 0.0]), MONDAY)
    problem = day_problem(MONDAY, ["bin-1", "bin-2", "bin-3"], capacity_l=400.0)
    outcome = twin.run_day(problem, plan_for(problem))

    (truck,) = outcome.trucks
    assert [e.litres for e in truck.emptyings] == [180.0, 180.0, 180.0]
    assert truck.extra_trips == 1
    assert truck.peak_load_l <= 400.0
    assert truck.unloaded_l == pytest.approx(540.0)


def test_a_bin_left_alone_counts_each_day_it_stands_full() -> None:
    """From empty at 30 % a day: full during day 4 (at 12:00); days 4, 5 and 6 count, and the
    waste past 100 % (20 + 30 + 30 % of 200 l) is overflow."""
    twin = Twin(small_city([0.0]), FixedFill([30.0]), MONDAY)
    records = [twin.rest_day() for _ in range(6)]

    assert [bool(r.overflowed[0]) for r in records] == [False] * 3 + [True] * 3
    assert [r.end_pct[0] for r in records] == pytest.approx([30, 60, 90, 100, 100, 100])
    overflow_l = sum(float(r.overflow_pct[0]) for r in records) * 200 / 100
    assert overflow_l == pytest.approx(160.0)


def test_a_bin_full_until_emptied_counts_the_day_it_is_emptied() -> None:
    """Full from 14:30 on Monday, emptied at 09:00 on Wednesday: three overflow bin-days;
    after that it fills from 0 and is not full again that day."""
    twin = Twin(small_city([70.0]), FixedFill([60.0]), MONDAY)
    monday, tuesday = twin.rest_day(), twin.rest_day()
    wednesday = twin.empty_bins([9 * 3600.0])

    assert [bool(r.overflowed[0]) for r in (monday, tuesday, wednesday)] == [True] * 3
    assert wednesday.emptied_pct[0] == 100.0
    assert wednesday.end_pct[0] == pytest.approx(60.0 * 13 / 15)


def test_an_emptied_bin_shows_the_drop_through_level_source() -> None:
    """`fill_pct` reads the level before the truck, 0 at its arrival, and the refill after."""
    city = small_city([40.0, 40.0, 40.0])
    twin = Twin(city, FixedFill([15.0, 15.0, 15.0]), MONDAY)
    problem = day_problem(MONDAY, ["bin-2"])
    outcome = twin.run_day(problem, plan_for(problem))
    (emptying,) = outcome.trucks[0].emptyings
    at = midnight(MONDAY) + timedelta(seconds=emptying.at_s)

    before = twin.fill_pct(1, at - timedelta(seconds=1))
    assert before == pytest.approx(40.0 + 15.0 * float(fill_share(emptying.at_s - 1)))
    assert emptying.litres == pytest.approx(before * 2, abs=0.01)
    assert twin.fill_pct(1, at) == 0.0
    assert twin.fill_pct(1, datetime.combine(MONDAY, time(23), UTC)) == pytest.approx(
        15.0 * (1 - float(fill_share(emptying.at_s)))
    )
    assert twin.fill_pct(0, datetime.combine(MONDAY, time(23), UTC)) == pytest.approx(55.0)


def test_level_source_covers_only_the_days_run() -> None:
    """Asking for a moment before the start or after the last day run is an error."""
    twin = Twin(small_city([10.0]), FixedFill([10.0]), MONDAY)
    source: LevelSource = twin  # what the sensor publisher reads levels from
    assert source is twin
    twin.rest_day()
    assert twin.fill_pct(0, datetime.combine(MONDAY, time(14, 30), UTC)) == pytest.approx(15.0)
    for moment in (datetime(2026, 3, 1, 23, tzinfo=UTC), datetime(2026, 3, 3, 1, tzinfo=UTC)):
        with pytest.raises(ValueError, match="outside"):
            twin.fill_pct(0, moment)


def test_a_copy_runs_on_without_touching_the_original() -> None:
    """Two policies run from one state: the copy's days do not change the original's."""
    twin = Twin(small_city([10.0]), FixedFill([10.0]), MONDAY)
    twin.rest_day()
    other = twin.copy()
    other.rest_day()
    assert (twin.today, other.today) == (MONDAY + timedelta(days=1), MONDAY + timedelta(days=2))
    assert twin.levels_before_trucks(0)[0] == pytest.approx(20.0)


@pytest.mark.parametrize(
    ("initial", "message"),
    [([10.0, 20.0], "one level per bin"), ([120.0], r"\[0, 100\]")],
)
def test_bad_start_levels_are_refused(initial: list[float], message: str) -> None:
    """Start levels must be one per bin, each within 0 to 100 %."""
    with pytest.raises(ValueError, match=message):
        Twin(small_city([10.0]), FixedFill([1.0]), MONDAY, levels_pct=initial)


def test_a_plan_for_another_day_is_refused() -> None:
    """The twin runs today's plan only."""
    twin = Twin(small_city([10.0]), FixedFill([1.0]), MONDAY)
    problem = day_problem(MONDAY + timedelta(days=1), ["bin-1"])
    with pytest.raises(ValueError, match="plan is for"):
        twin.run_day(problem, plan_for(problem))
