"""Tests of the PyVRP backend: what it supports, how it scales costs, the tours it finds.

Problems lie on a plane (`_plane`): sites at (x, y) in km, a km being 1000 m and 60 s apart,
the depot at the origin, vehicles on shift from 0:00 to 10:00, so times are plain seconds.
Every plan found is scheduled and checked against all the rules of its problem.
"""

import math
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from optimizer import (
    Break,
    Depot,
    Facility,
    GivenMatrices,
    Omission,
    OmissionReason,
    Problem,
    Result,
    Stop,
    Tour,
    TravelMatrices,
    Vehicle,
)
from optimizer.backends.pyvrp_backend import (
    FALLBACK_SCALE,
    PyvrpModel,
    cost_scale,
    solve_pyvrp,
    start_ranges,
    supports,
    unit_costs,
)
from optimizer.check import verify
from optimizer.errors import PyvrpError
from optimizer.schedule import Scheduler

DAY = datetime(2025, 3, 3, tzinfo=UTC)
DEPOT = Depot("depot", 0.0, 0.0)


def _stop(stop_id: str, x: float, y: float, demand_l: float = 100.0, **fields: Any) -> Stop:
    return Stop(stop_id, x, y, demand_l, **fields)


def _truck(vehicle_id: str = "t", capacity_l: float = 1000.0, **fields: Any) -> Vehicle:
    return Vehicle(vehicle_id, capacity_l, 0, 36_000, **fields)


def _plane(
    stops: list[Stop],
    vehicles: list[Vehicle],
    facilities: tuple[Facility, ...] = (),
    depots: tuple[Depot, ...] = (DEPOT,),
) -> Problem:
    """The problem on the plane, with straight-line distances in metres and seconds."""
    points = np.array([site.point for site in (*depots, *facilities, *stops)])
    km = np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))
    matrices = TravelMatrices(
        distance_m=np.rint(km * 1000).astype(np.int64),
        duration_s=np.rint(km * 60).astype(np.int64),
    )
    return Problem(DAY, depots, tuple(vehicles), tuple(stops), facilities, GivenMatrices(matrices))


def _solve(problem: Problem, seed: int = 1, iterations: int = 1000) -> list[Tour]:
    """PyVRP's tours, after checking the plan they make keeps every rule."""
    matrices = problem.matrices()
    tours = solve_pyvrp(problem, matrices, 2.0, seed, max_iterations=iterations)
    scheduler = Scheduler(problem, matrices)
    routes = tuple(scheduler.route(tour) for tour in tours)
    served = {site for tour in tours for site in tour.sites}
    omitted = tuple(
        Omission(stop.id, OmissionReason.NOT_WORTH_IT)
        for i, stop in enumerate(problem.stops)
        if problem.first_stop + i not in served
    )
    cost = sum(route.cost for route in routes)
    verify(problem, Result(routes, omitted, "pyvrp", "DONE", 0, cost=cost), matrices)
    return tours


def _ids(problem: Problem, tour: Tour) -> list[str]:
    return [problem.sites[site].id for site in tour.sites]


# -- what PyVRP can express -------------------------------------------------------------------


def test_a_rich_problem_is_supported() -> None:
    """Windows, forbidden intervals, streams, optional stops and facilities are all fine."""
    stops = [
        _stop("a", 1, 0, windows=((0, 600), (900, 1200)), forbidden=((100, 200),)),
        _stop("b", 2, 0, waste_stream="bio", required=False, prize=3.0, demand_kg=40.0),
    ]
    vehicles = [_truck("t1", waste_streams=frozenset({"bio", "residual"})), _truck("t2")]
    facilities = (Facility("f", 3, 0, opens_s=300, unload_s=60),)
    assert supports(_plane(stops, vehicles, facilities)) is None


@pytest.mark.parametrize(
    ("stops", "vehicles", "facilities", "reason"),
    [
        ([_stop("a", 1, 0)], [], (), "no vehicles"),
        (
            [_stop("a", 1, 0)],
            [_truck(lunch=Break(3600, 7200, 1800))],
            (),
            "lunch break",
        ),
        (
            [_stop("a", 1, 0, waste_stream="bio"), _stop("b", 2, 0, waste_stream="glass")],
            [_truck()],
            (
                Facility("f1", 3, 0, waste_streams=frozenset({"bio"})),
                Facility("f2", 4, 0, waste_streams=frozenset({"glass"})),
            ),
            "takes only some",
        ),
        (
            [_stop("a", 1, 0, waste_stream="glass")],
            [_truck(waste_streams=frozenset({"bio"}))],
            (),
            "required stop a",
        ),
        ([_stop("a", 1, 0, demand_l=1200.0)], [_truck()], (), "required stop a"),
        (
            [_stop("a", 1, 0, service_s=60, windows=((0, 100),), forbidden=((50, 200),))],
            [_truck()],
            (),
            "required stop a",
        ),
    ],
)
def test_unsupported_problems_say_why(
    stops: list[Stop], vehicles: list[Vehicle], facilities: tuple[Facility, ...], reason: str
) -> None:
    """A problem PyVRP cannot express gets a one-line reason, and solving it is refused."""
    problem = _plane(stops, vehicles, facilities)
    said = supports(problem)
    assert said is not None
    assert reason in said
    assert "\n" not in said
    with pytest.raises(PyvrpError, match=reason):
        solve_pyvrp(problem, problem.matrices(), 1.0, 0)


@pytest.mark.parametrize(
    ("fields", "ranges"),
    [
        ({}, [(0, None)]),
        ({"windows": ((100, 200), (300, 400))}, [(100, 199), (300, 399)]),
        ({"forbidden": ((100, 200),)}, [(0, 100), (200, None)]),
        ({"service_s": 30, "forbidden": ((100, 200),)}, [(0, 70), (200, None)]),
        ({"service_s": 30, "windows": ((0, 150),), "forbidden": ((100, 200),)}, [(0, 70)]),
        ({"windows": ((120, 180),), "forbidden": ((100, 200),)}, []),
    ],
)
def test_start_ranges(fields: dict[str, Any], ranges: list[tuple[int, int | None]]) -> None:
    """Service may start inside a window, where it overlaps no forbidden interval."""
    assert start_ranges(_stop("a", 1, 0, **fields)) == ranges


@pytest.mark.parametrize(
    ("rates", "scale", "units"),
    [
        ((1.0, 0.0), 1000, (1, 0)),
        ((1.0, 30.0), 3000, (3, 25)),
        ((1.25, 36.0), 4000, (5, 40)),
        ((0.37, 33.33), 600_000, (222, 5555)),
    ],
)
def test_costs_are_whole_units_in_their_ratio(
    rates: tuple[float, float], scale: int, units: tuple[int, int]
) -> None:
    """The scale is the least that makes every rate per metre and per second whole."""
    vehicle = _truck(cost_per_km=rates[0], cost_per_hour=rates[1])
    assert cost_scale((vehicle,)) == scale
    assert unit_costs(vehicle, scale) == units


def test_odd_rates_fall_back_to_rounding() -> None:
    """Rates whose exact scale would be huge are rounded at the fallback scale."""
    vehicles = (_truck("a", cost_per_km=0.997), _truck("b", cost_per_hour=0.991))
    assert cost_scale(vehicles) == FALLBACK_SCALE
    assert unit_costs(vehicles[0], FALLBACK_SCALE) == (3589, 0)


def test_identical_vehicles_share_a_vehicle_type() -> None:
    """Vehicles with the same data are one vehicle type with as many available."""
    problem = _plane([_stop("a", 1, 0)], [_truck("t1"), _truck("t2"), _truck("t3", 500.0)])
    model = PyvrpModel(problem, problem.matrices())
    assert [t.num_available for t in model.vehicle_types] == [2, 1]
    assert model.type_vehicles == [[0, 1], [2]]


# -- tours -------------------------------------------------------------------------------------


def test_four_stops_are_visited_around_their_hull() -> None:
    """With room for all, one truck goes round the stops in their convex order."""
    stops = [_stop("a", 0, 1), _stop("b", 0.5, 1.5), _stop("c", 1, 1), _stop("d", 1, 0)]
    problem = _plane(stops, [_truck()])
    (tour,) = _solve(problem)
    assert _ids(problem, tour) in (["a", "b", "c", "d"], ["d", "c", "b", "a"])


def test_capacity_forces_two_vehicles() -> None:
    """Two clusters that each fill a truck are served by two trucks, one cluster each."""
    stops = [_stop("w1", -5, 0), _stop("w2", -5, 1), _stop("e1", 5, 0), _stop("e2", 5, 1)]
    problem = _plane(stops, [_truck("t1", 200.0), _truck("t2", 200.0)])
    tours = _solve(problem)
    assert sorted(t.vehicle for t in tours) == [0, 1]
    assert sorted(sorted(_ids(problem, t)) for t in tours) == [["e1", "e2"], ["w1", "w2"]]


def test_weight_binds_when_volume_does_not() -> None:
    """Room for every litre but for two stops' kilograms: two trucks, though one costs less."""
    stops = [
        _stop(name, x, y, demand_kg=50.0)
        for name, x, y in (("w1", -5, 0), ("w2", -5, 1), ("e1", 5, 0), ("e2", 5, 1))
    ]
    trucks = [_truck(f"t{i}", 10_000.0, capacity_kg=100.0, fixed_cost=100.0) for i in (1, 2)]
    tours = _solve(_plane(stops, trucks))
    assert len(tours) == 2
    assert all(len(t.sites) == 2 for t in tours)
    light = _solve(_plane([_stop(s.id, s.lat, s.lon) for s in stops], trucks))
    assert len(light) == 1


def test_a_time_window_forces_the_order() -> None:
    """A stop due within 90 s is served first, though going round the square is shorter."""
    stops = [_stop("a", 1, 0), _stop("b", 1, 1, windows=((0, 90),)), _stop("c", 0, 1)]
    problem = _plane(stops, [_truck()])
    (tour,) = _solve(problem)
    assert _ids(problem, tour)[0] == "b"


def test_several_windows_and_forbidden_intervals() -> None:
    """A stop out of reach in its first window is served in its second, not while forbidden."""
    stops = [
        _stop(
            "far", 10, 0, service_s=60, windows=((0, 300), (1000, 2000)), forbidden=((1000, 1500),)
        ),
        _stop("near", 1, 0),
    ]
    problem = _plane(stops, [_truck()])
    (tour,) = _solve(problem)
    timing = Scheduler(problem, problem.matrices()).timing(tour)
    far = next(v for v in timing.visits if v.site == problem.first_stop)
    assert 1500 <= far.start_s < 2000


def test_optional_stops_are_served_when_worth_their_detour() -> None:
    """An optional stop whose prize is below its detour is skipped, one above it is served."""
    stops = [
        _stop("a", 1, 0),
        _stop("cheap", 1, 1, required=False, prize=0.5),  # a 1.41 km detour
        _stop("dear", -1, 0, required=False, prize=5.0),  # a 2 km detour
    ]
    problem = _plane(stops, [_truck()])
    (tour,) = _solve(problem)
    assert sorted(_ids(problem, tour)) == ["a", "dear"]


def test_vehicles_collect_only_their_streams() -> None:
    """Each truck serves the stops of its own stream, however close the others are."""
    stops = [
        _stop("r1", 1, 0, waste_stream="residual"),
        _stop("b1", 1, 0.1, waste_stream="bio"),
        _stop("r2", 2, 0, waste_stream="residual"),
        _stop("b2", 2, 0.1, waste_stream="bio"),
    ]
    trucks = [
        _truck("bio", waste_streams=frozenset({"bio"})),
        _truck("res", waste_streams=frozenset({"residual"})),
    ]
    problem = _plane(stops, trucks)
    tours = {t.vehicle: _ids(problem, t) for t in _solve(problem)}
    assert sorted(tours[0]) == ["b1", "b2"]
    assert sorted(tours[1]) == ["r1", "r2"]


def test_each_vehicle_starts_at_its_own_depot() -> None:
    """Trucks of two depots serve the stops near their own."""
    depots = (DEPOT, Depot("east", 20.0, 0.0))
    stops = [_stop("w", -1, 0), _stop("e", 21, 0)]
    trucks = [_truck("west"), _truck("east", start_depot="east")]
    problem = _plane(stops, trucks, depots=depots)
    tours = {t.vehicle: _ids(problem, t) for t in _solve(problem)}
    assert tours == {0: ["w"], 1: ["e"]}


def test_a_full_truck_unloads_and_ends_its_day_at_the_facility() -> None:
    """Room for two stops, four stops: two trips, each ending at the facility."""
    stops = [_stop(f"s{i}", i, 1) for i in range(1, 5)]
    facility = Facility("f", 5, 0, opens_s=600, unload_s=300)
    problem = _plane(stops, [_truck(capacity_l=200.0)], (facility,))
    (tour,) = _solve(problem)
    fac = len(problem.depots)
    assert len(tour.sites) == 6
    assert tour.sites[2] == fac
    assert tour.sites[-1] == fac
    timing = Scheduler(problem, problem.matrices()).timing(tour)
    assert timing.visits[2].start_s >= 600  # it waits for the facility to open


def test_the_last_unloading_is_on_the_way_home() -> None:
    """Of two facilities, a route ends at the one on the shortest way back to its depot."""
    stops = [_stop("a", 4, 0), _stop("b", 5, 0)]
    facilities = (Facility("far", 10, 0), Facility("home", 0.5, 0))
    problem = _plane(stops, [_truck()], facilities)
    (tour,) = _solve(problem)
    assert _ids(problem, tour)[-1] == "home"


def test_trucks_unload_where_their_stream_is_taken() -> None:
    """A bio truck passes the nearer incinerator by for the compost plant that takes bio."""
    stops = [_stop("r", 1, 0, waste_stream="residual"), _stop("b", 1, 0.1, waste_stream="bio")]
    facilities = (
        Facility("incinerator", 1.5, 0, waste_streams=frozenset({"residual"})),
        Facility("compost", 5, 0, waste_streams=frozenset({"bio"})),
    )
    trucks = [
        _truck("bio", waste_streams=frozenset({"bio"})),
        _truck("res", waste_streams=frozenset({"residual"})),
    ]
    problem = _plane(stops, trucks, facilities)
    tours = {t.vehicle: _ids(problem, t) for t in _solve(problem)}
    assert tours == {0: ["b", "compost"], 1: ["r", "incinerator"]}


def test_the_same_seed_gives_the_same_tours() -> None:
    """Two runs from one seed, stopped after as many iterations, find the same plan."""
    rng = np.random.default_rng(3)
    points = rng.uniform(-5, 5, (25, 2))
    stops = [_stop(f"s{i}", float(x), float(y)) for i, (x, y) in enumerate(points)]
    problem = _plane(stops, [_truck("t1"), _truck("t2"), _truck("t3")])
    assert _solve(problem, seed=7, iterations=300) == _solve(problem, seed=7, iterations=300)


@pytest.mark.parametrize(
    ("limit_s", "seed", "message"),
    [
        (0.0, 0, "time_limit_s"),
        (math.nan, 0, "time_limit_s"),
        (1.0, -1, "seed"),
        (1.0, 2**32, "seed"),
    ],
)
def test_bad_limits_are_refused(limit_s: float, seed: int, message: str) -> None:
    """A time limit must be positive and a seed fit PyVRP's 32 bits."""
    problem = _plane([_stop("a", 1, 0)], [_truck()])
    with pytest.raises(ValueError, match=message):
        solve_pyvrp(problem, problem.matrices(), limit_s, seed)


def test_no_feasible_plan_is_an_error() -> None:
    """A required stop no truck reaches within its window makes the search fail, clearly."""
    problem = _plane([_stop("a", 10, 0, windows=((0, 100),))], [_truck()])
    with pytest.raises(PyvrpError, match="no feasible plan"):
        solve_pyvrp(problem, problem.matrices(), 0.2, 0, max_iterations=200)


def test_no_stop_to_serve_no_tours() -> None:
    """When no stop can be served at all, no vehicle goes out."""
    never = _stop(
        "x",
        1,
        0,
        service_s=10,
        required=False,
        prize=1.0,
        windows=((0, 99),),
        forbidden=((0, 200),),
    )
    problem = _plane([never], [_truck()])
    assert solve_pyvrp(problem, problem.matrices(), 0.2, 0) == []
