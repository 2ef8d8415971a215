"""Tests of simulators/dispatch.py: a policy's selection as the day's routing problem."""

from datetime import UTC, date, datetime, time

import numpy as np
import pytest

from simulators import KIND_OF_STREAM, generate_city
from simulators.city import SimVehicle
from simulators.dispatch import DispatchParams, assign_streams, day_problem
from simulators.observations import next_working_day
from simulators.policies import DayView, Selection

MONDAY = date(2026, 3, 2)


def vehicle(vehicle_id: str, streams: tuple[str, ...] = ()) -> SimVehicle:
    return SimVehicle(vehicle_id, "depot", waste_streams=streams)


def test_the_most_specialised_truck_chooses_first() -> None:
    """The crane truck takes the glass, so both general trucks go to residual waste."""
    fleet = [vehicle("a"), vehicle("b"), vehicle("crane", ("glass",))]
    streams = assign_streams(fleet, {"residual": 10 * 3600.0, "glass": 2 * 3600.0})
    assert streams == [frozenset({"residual"})] * 2 + [frozenset({"glass"})]


def test_trucks_are_shared_by_workload() -> None:
    """3.5 hours of residual and one of glass among four 8 h trucks: three to one."""
    fleet = [vehicle(f"t{n}") for n in range(4)]
    streams = assign_streams(fleet, {"residual": 3.5 * 3600.0, "glass": 3600.0})
    assert sorted(next(iter(s)) for s in streams) == ["glass", "residual", "residual", "residual"]


def test_a_truck_with_nothing_to_collect_keeps_its_first_stream() -> None:
    """A litter van on a day without litter work stays on litter (and home)."""
    streams = assign_streams([vehicle("van", ("litter",))], {"residual": 3600.0})
    assert streams == [frozenset({"litter"})]


def test_a_selection_becomes_stops_with_expected_demand_and_prizes() -> None:
    """Required stops have no prize, optional ones theirs; demand is the level expected at
    mid-shift times the volume, in kilograms by the stream's density; emptying takes the
    service time of the vehicle kind collecting the stream."""
    city = generate_city(bins=30, seed=2)
    measured = np.full(len(city.bins), 50.0)
    rates = np.zeros(len(city.bins))
    view = DayView(MONDAY, city, measured, rates, next_working_day(MONDAY), 14 * 3600)
    problem = day_problem(city, view, Selection((0, 5), ((7, 2.5),)), DispatchParams())

    assert problem.day_start == datetime.combine(MONDAY, time(0), UTC)
    assert [s.id for s in problem.stops] == [city.bins[i].id for i in (0, 5, 7)]
    assert [(s.required, s.prize) for s in problem.stops] == [(True, 0), (True, 0), (False, 2.5)]
    first = problem.stops[0]
    assert first.demand_l == pytest.approx(city.bins[0].volume_l / 2, abs=0.1)
    assert first.demand_kg > 0
    assert first.waste_stream == city.bins[0].waste_stream
    for stop in problem.stops:
        assert stop.service_s == KIND_OF_STREAM[stop.waste_stream or ""].service_s
    assert {v.id for v in problem.vehicles} == {v.id for v in city.vehicles}
    assert all(len(v.waste_streams) == 1 for v in problem.vehicles)
    assert {f.id for f in problem.facilities} == {f.id for f in city.facilities}


@pytest.mark.parametrize("name", ["service_s", "hop_s", "trip_s"])
def test_bad_dispatch_params_are_refused(name: str) -> None:
    """Negative seconds raise ValueError."""
    with pytest.raises(ValueError, match=name):
        DispatchParams(**{name: -1})  # type: ignore[arg-type]
