"""Tests of simulators/trucks.py: a planned route driven against what the bins really hold.

Sites stand on a straight road at km `lat` (one km is 1000 m and 60 s apart), trucks leave
at 06:00, before any waste goes in (07:00), so every figure is worked out by hand.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from optimizer import (
    Depot,
    Facility,
    GivenMatrices,
    OrtoolsParams,
    Problem,
    Result,
    Route,
    SolveParams,
    Stop,
    TravelMatrices,
    Vehicle,
    Visit,
    VisitKind,
    solve,
)
from simulators.trucks import drive

DAY = datetime(2026, 3, 2, tzinfo=UTC)
SIX = 6 * 3600


class FixedContents:
    """Bins holding a fixed number of litres each, whatever the time (the injected seam)."""

    def __init__(self, litres: dict[str, float]) -> None:
        self.ids = list(litres)
        self.litres = litres

    def bin_index(self, bin_id: str) -> int:
        return self.ids.index(bin_id)

    def contents_l(self, bin_index: int, seconds: float) -> float:
        return self.litres[self.ids[bin_index]]


def on_a_line(stops: Sequence[Stop], vehicle: Vehicle, facilities: Sequence[Facility]) -> Problem:
    depots = (Depot("depot", 0.0, 0.0),)
    km = np.array([site.lat for site in (*depots, *facilities, *stops)])
    apart = np.abs(km[:, None] - km[None, :])
    matrices = TravelMatrices(
        np.rint(apart * 1000).astype(np.int64), np.rint(apart * 60).astype(np.int64)
    )
    return Problem(
        DAY, depots, (vehicle,), tuple(stops), tuple(facilities), GivenMatrices(matrices)
    )


def planned_route(problem: Problem, sites: Sequence[str]) -> Route:
    """The route visiting `sites` in order from 06:00, timed as the plan would be."""
    places = {site.id: site for site in problem.sites}
    at, where, visits, distance = SIX, 0.0, [], 0
    for site_id in sites:
        site = places[site_id]
        at += round(abs(site.lat - where) * 60)
        distance += round(abs(site.lat - where) * 1000)
        where = site.lat
        if isinstance(site, Facility):
            visits.append(Visit(site_id, DAY + timedelta(seconds=at), 0.0, kind=VisitKind.DISPOSAL))
            at += site.unload_s
        else:
            visits.append(Visit(site_id, DAY + timedelta(seconds=at), 0.0))
            at += site.service_s if isinstance(site, Stop) else 0
    at += round(where * 60)
    distance += round(where * 1000)
    start, end = DAY + timedelta(seconds=SIX), DAY + timedelta(seconds=at)
    return Route("truck", "depot", start, end, tuple(visits), distance, at - SIX, 0.0)


def three_bins(planned_l: float = 50.0) -> list[Stop]:
    return [
        Stop(f"bin-{n}", float(n), 0.0, planned_l, service_s=60, waste_stream="residual")
        for n in (1, 2, 3)
    ]


TIP = Facility("tip", 5.0, 0.0, opens_s=SIX, closes_s=18 * 3600, unload_s=600)


def test_a_load_that_would_not_fit_makes_one_counted_extra_trip() -> None:
    """Three bins of 100 l in a 250 l truck planned for 150 l: it unloads before the third."""
    vehicle = Vehicle("truck", 250.0, SIX, 14 * 3600)
    problem = on_a_line(three_bins(), vehicle, [TIP])
    route = planned_route(problem, ["bin-1", "bin-2", "bin-3", "tip"])
    bins = FixedContents({"bin-1": 100.0, "bin-2": 100.0, "bin-3": 100.0})

    day = drive(route, vehicle, problem, problem.matrices(), bins)

    assert day.extra_trips == 1
    assert day.disposal_trips == 1
    assert [(e.bin_index, e.at_s, e.litres) for e in day.emptyings] == [
        (0, SIX + 60, 100.0),
        (1, SIX + 180, 100.0),
        (2, SIX + 300 + 120 + 600 + 120, 100.0),  # to the tip, unload, back
    ]
    assert day.distance_m == 3000 + 2000 + 2000 + 2000 + 5000
    assert day.duration_s == 2220
    assert day.peak_load_l == 200.0
    assert day.peak_load_l <= vehicle.capacity_l
    assert day.unloaded_l == 300.0


def test_the_weight_limit_also_forces_an_extra_trip() -> None:
    """Residual waste weighs 0.12 kg/l: three 100 l bins (36 kg) overload a 30 kg payload."""
    vehicle = Vehicle("truck", 10_000.0, SIX, 14 * 3600, capacity_kg=30.0)
    problem = on_a_line(three_bins(), vehicle, [TIP])
    route = planned_route(problem, ["bin-1", "bin-2", "bin-3", "tip"])
    bins = FixedContents({"bin-1": 100.0, "bin-2": 100.0, "bin-3": 100.0})

    day = drive(route, vehicle, problem, problem.matrices(), bins)

    assert day.extra_trips == 1
    assert day.peak_load_kg == pytest.approx(24.0)


def test_an_extra_trip_goes_to_a_facility_that_takes_the_load() -> None:
    """The glass plant at km 4 is nearer, but the residual waste goes to the plant at km 8."""
    vehicle = Vehicle("truck", 250.0, SIX, 14 * 3600)
    glass = Facility("glass", 4.0, 0.0, waste_streams=frozenset({"glass"}))
    plant = Facility("plant", 8.0, 0.0, waste_streams=frozenset({"residual"}))
    problem = on_a_line(three_bins(), vehicle, [glass, plant])
    route = planned_route(problem, ["bin-1", "bin-2", "bin-3", "plant"])
    bins = FixedContents({"bin-1": 100.0, "bin-2": 100.0, "bin-3": 100.0})

    day = drive(route, vehicle, problem, problem.matrices(), bins)

    assert day.extra_trips == 1
    assert day.distance_m == 3000 + 5000 + 5000 + 5000 + 8000


def test_a_bin_too_large_for_an_empty_truck_is_refused() -> None:
    """A bin holding more than the whole truck takes cannot be emptied into it."""
    vehicle = Vehicle("truck", 250.0, SIX, 14 * 3600)
    problem = on_a_line(three_bins(), vehicle, [TIP])
    route = planned_route(problem, ["bin-1", "tip"])

    with pytest.raises(ValueError, match="bin-1"):
        drive(route, vehicle, problem, problem.matrices(), FixedContents({"bin-1": 300.0}))


def test_a_plan_whose_loads_are_right_is_driven_exactly_as_planned() -> None:
    """When the bins hold what the plan expects, the truck keeps the plan's times and km."""
    vehicle = Vehicle("truck", 250.0, SIX, 14 * 3600)
    stops = [
        Stop(f"bin-{n}", float(n), 0.0, 90.0, service_s=60, waste_stream="residual")
        for n in (1, 2, 3, 4)
    ]
    problem = on_a_line(stops, vehicle, [TIP])
    fast = SolveParams(backend="ortools", ortools=OrtoolsParams(solution_limit=100))
    plan: Result = solve(problem, 5, 0, fast)
    (route,) = plan.routes
    bins = FixedContents({stop.id: 90.0 for stop in stops})

    day = drive(route, vehicle, problem, problem.matrices(), bins)

    planned = [
        round((v.service_start - DAY).total_seconds())
        for v in route.visits
        if v.kind is VisitKind.BIN
    ]
    assert [e.at_s for e in day.emptyings] == planned
    assert (day.distance_m, day.duration_s) == (route.distance_m, route.duration_s)
    assert day.disposal_trips == route.disposals >= 1
    assert day.extra_trips == 0
    assert day.peak_load_l <= vehicle.capacity_l
