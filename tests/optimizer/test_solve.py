"""Tests of solving small problems with OR-Tools."""

import random
from collections.abc import Callable
from datetime import timedelta
from itertools import pairwise, permutations
from pathlib import Path
from typing import Any

import pytest

from optimizer import (
    Break,
    Depot,
    Facility,
    Omission,
    OmissionReason,
    OrtoolsParams,
    Problem,
    Result,
    SolveParams,
    Stop,
    Vehicle,
    VisitKind,
    check,
    solve,
)
from optimizer.read import read_vrplib
from optimizer.solve import stream_parts

StopAt = Callable[..., Stop]
Truck = Callable[..., Vehicle]
MakeProblem = Callable[..., Problem]


def check_plan(problem: Problem, result: Result) -> None:
    """Every stop is served once or omitted, and every route keeps to its vehicle's limits."""
    assert check(problem, result) == []
    served = [stop_id for route in result.routes for stop_id in route.stop_ids]
    omitted = [omission.stop_id for omission in result.omissions]
    assert sorted(served + omitted) == sorted(stop.id for stop in problem.stops)
    vehicles = {vehicle.id: vehicle for vehicle in problem.vehicles}
    demands = {stop.id: stop.demand_l for stop in problem.stops}
    for route in result.routes:
        vehicle = vehicles[route.vehicle_id]
        assert route.visits, "unused vehicles are left out"
        assert route.load_l <= vehicle.capacity_l
        assert route.end <= problem.at(vehicle.shift_end_s)
        assert route.duration_s == (route.end - route.start).total_seconds()
        load = 0.0
        for visit in route.visits:
            load += demands[visit.site_id]
            assert visit.load_after_l == pytest.approx(load)
            assert route.start <= visit.arrival <= route.end
        assert route.load_l == pytest.approx(load)


def test_capacity_is_respected(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem, fast: SolveParams
) -> None:
    """Six stops of 300 l on two 1000 l trucks: all served, three per truck at most."""
    stops = [stop_at(f"b{i}", (i % 3) - 1, (i // 3) * 2 - 1, 300.0) for i in range(6)]
    problem = make_problem(stops, [truck("t1"), truck("t2")])
    result = solve(problem, time_limit_s=5, seed=1, params=fast)
    check_plan(problem, result)
    assert not result.omissions
    assert sorted(len(route.visits) for route in result.routes) == [3, 3]


def test_too_small_fleet_omits_for_capacity(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem, fast: SolveParams
) -> None:
    """One 1000 l truck takes three of five 300 l stops; the other two are left for capacity."""
    stops = [stop_at(f"b{i}", 1.0, i - 2.0, 300.0) for i in range(5)]
    problem = make_problem(stops, [truck("t1")])
    result = solve(problem, time_limit_s=5, seed=1, params=fast)
    check_plan(problem, result)
    assert result.num_served == 3
    assert [o.reason for o in result.omissions] == [OmissionReason.CAPACITY] * 2


def test_stop_bigger_than_any_vehicle(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem, fast: SolveParams
) -> None:
    """A 1500 l stop fits no 1000 l truck and is left out for capacity; the rest are served."""
    stops = [stop_at("big", 1.0, 0.0, 1500.0), stop_at("small", 0.0, 1.0, 100.0)]
    problem = make_problem(stops, [truck("t1"), truck("t2")])
    result = solve(problem, time_limit_s=5, seed=1, params=fast)
    check_plan(problem, result)
    assert result.served_ids == {"small"}
    assert result.omission_of("big") is not None
    assert result.omission_of("big").reason is OmissionReason.CAPACITY  # type: ignore[union-attr]


def test_stop_too_far_for_the_shift(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem, fast: SolveParams
) -> None:
    """A stop two hours' drive away cannot be served in a one-hour shift."""
    stops = [stop_at("far", 40.0, 0.0), stop_at("near", 1.0, 0.0)]
    problem = make_problem(stops, [truck("t1", hours=1)])
    result = solve(problem, time_limit_s=5, seed=1, params=fast)
    check_plan(problem, result)
    assert result.served_ids == {"near"}
    assert result.omissions[0].reason is OmissionReason.SHIFT_LENGTH


def test_full_shift_omits_for_shift_length(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem, fast: SolveParams
) -> None:
    """A one-hour shift fits two of four stops 5 km out in the four directions, not three."""
    stops = [
        stop_at("n", 5.0, 0.0),
        stop_at("e", 0.0, 5.0),
        stop_at("s", -5.0, 0.0),
        stop_at("w", 0.0, -5.0),
    ]
    problem = make_problem(stops, [truck("t1", hours=1)])
    result = solve(problem, time_limit_s=5, seed=1, params=fast)
    check_plan(problem, result)
    assert result.num_served == 2
    assert [o.reason for o in result.omissions] == [OmissionReason.SHIFT_LENGTH] * 2


def test_waste_streams_choose_the_vehicle(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem, fast: SolveParams
) -> None:
    """Each stop goes to a truck of its stream; a stream no truck collects is left out."""
    stops = [
        stop_at("g1", 1.0, 0.0, waste_stream="glass"),
        stop_at("g2", 1.0, 1.0, waste_stream="glass"),
        stop_at("p1", -1.0, 0.0, waste_stream="paper"),
        stop_at("o1", 0.0, 1.0, waste_stream="organic"),
    ]
    vehicles = [
        truck("glass", waste_streams=frozenset({"glass"})),
        truck("paper", waste_streams=frozenset({"paper"})),
    ]
    problem = make_problem(stops, vehicles)
    result = solve(problem, time_limit_s=5, seed=1, params=fast)
    check_plan(problem, result)
    routes = {route.vehicle_id: set(route.stop_ids) for route in result.routes}
    assert routes == {"glass": {"g1", "g2"}, "paper": {"p1"}}
    assert result.omission_of("o1") is not None
    assert result.omission_of("o1").reason is OmissionReason.NO_VEHICLE  # type: ignore[union-attr]


def test_no_vehicles_leaves_every_stop_out(stop_at: StopAt, make_problem: MakeProblem) -> None:
    """Without a fleet every stop is omitted for want of a vehicle."""
    result = solve(make_problem([stop_at("a", 1.0, 0.0), stop_at("b", 2.0, 0.0)], []))
    assert not result.routes
    assert {o.reason for o in result.omissions} == {OmissionReason.NO_VEHICLE}
    assert len(result.omissions) == 2


def test_no_stops_gives_an_empty_plan(
    truck: Truck, make_problem: MakeProblem, fast: SolveParams
) -> None:
    """With nothing to collect the plan has no routes and no omissions."""
    result = solve(make_problem([], [truck("t1")]), time_limit_s=0.5, params=fast)
    assert (result.routes, result.omissions, result.distance_m) == ((), (), 0)


@pytest.mark.parametrize(("prize", "served"), [(1.0, False), (1000.0, True)])
def test_optional_stop_is_served_when_its_prize_pays(
    stop_at: StopAt,
    truck: Truck,
    make_problem: MakeProblem,
    fast: SolveParams,
    prize: float,
    served: bool,
) -> None:
    """An optional stop 20 km out (about 52 at 1/km) is served for a prize of 1000, not of 1."""
    stops = [stop_at("near", 1.0, 0.0), stop_at("opt", 20.0, 0.0, required=False, prize=prize)]
    problem = make_problem(stops, [truck("t1")])
    result = solve(problem, time_limit_s=5, seed=1, params=fast)
    check_plan(problem, result)
    assert ("opt" in result.served_ids) is served
    if not served:
        assert result.omissions[0].reason is OmissionReason.NOT_WORTH_IT


def test_cheaper_vehicle_is_used(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem, fast: SolveParams
) -> None:
    """Between a truck at 5 per km and one at 1 per km, the cheap one serves the stops."""
    stops = [stop_at("a", 2.0, 0.0), stop_at("b", 2.0, 1.0)]
    vehicles = [truck("dear", cost_per_km=5.0), truck("cheap", cost_per_km=1.0)]
    result = solve(make_problem(stops, vehicles), time_limit_s=5, seed=1, params=fast)
    assert [route.vehicle_id for route in result.routes] == ["cheap"]


def test_arrivals_follow_travel_and_service_times(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem, fast: SolveParams
) -> None:
    """A one-stop route arrives after the drive out and returns after service and the drive back."""
    problem = make_problem([stop_at("a", 5.0, 0.0, service_s=120)], [truck("t1")])
    matrices = problem.matrices()
    out_s, back_s = int(matrices.duration_s[0, 1]), int(matrices.duration_s[1, 0])
    (route,) = solve(problem, time_limit_s=0.5, seed=1, params=fast).routes
    assert route.visits[0].arrival == route.start + timedelta(seconds=out_s)
    assert route.end == route.visits[0].arrival + timedelta(seconds=120 + back_s)
    assert route.distance_m == matrices.distance_m[0, 1] + matrices.distance_m[1, 0]
    assert route.duration_s == out_s + 120 + back_s


def random_problem(seed: int, stop_at: StopAt, truck: Truck, make_problem: MakeProblem) -> Problem:
    """Thirty stops within 6 km on a fleet that cannot take them all."""
    rng = random.Random(seed)
    stops = [
        stop_at(
            f"b{i:02d}",
            rng.uniform(-6, 6),
            rng.uniform(-6, 6),
            rng.uniform(50, 400),
            service_s=rng.randint(30, 180),
        )
        for i in range(30)
    ]
    vehicles = [truck("t1", 2000.0, hours=2), truck("t2", 1500.0, hours=1.5), truck("t3", 800.0)]
    return make_problem(stops, vehicles)


@pytest.mark.parametrize("instance", [1, 2, 3])
def test_every_stop_is_served_once_or_omitted(
    stop_at: StopAt,
    truck: Truck,
    make_problem: MakeProblem,
    fast: SolveParams,
    instance: int,
) -> None:
    """On over-subscribed random days each stop is in one route or omitted, within all limits."""
    problem = random_problem(instance, stop_at, truck, make_problem)
    result = solve(problem, time_limit_s=5, seed=1, params=fast)
    check_plan(problem, result)
    assert result.omissions, "the fleet is too small for every stop"
    assert result.num_served > 10


def test_same_seed_same_plan(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem, fast: SolveParams
) -> None:
    """Solving the same problem with the same seed and limits gives the same plan."""
    problem = random_problem(7, stop_at, truck, make_problem)
    first = solve(problem, time_limit_s=10, seed=3, params=fast)
    second = solve(problem, time_limit_s=10, seed=3, params=fast)
    assert first == second
    assert first.routes


def test_finds_the_shortest_tour_of_a_small_instance(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem, fast: SolveParams
) -> None:
    """On seven stops the plan is as short as the best of all 5040 orders."""
    rng = random.Random(11)
    stops = [stop_at(f"b{i}", rng.uniform(-5, 5), rng.uniform(-5, 5)) for i in range(7)]
    problem = make_problem(stops, [truck("t1", capacity_l=10_000.0)])
    distance = problem.matrices().distance_m
    best = min(
        sum(int(distance[a, b]) for a, b in pairwise([0, *order, 0]))
        for order in permutations(range(1, 8))
    )
    result = solve(problem, time_limit_s=5, seed=1, params=fast)
    assert result.num_served == 7
    assert result.distance_m == best


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"time_limit_s": 0.0}, "time_limit_s"),
        ({"time_limit_s": float("nan")}, "time_limit_s"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_solve_arguments(
    truck: Truck, make_problem: MakeProblem, kwargs: dict[str, float], message: str
) -> None:
    """A time limit that is not positive, or a negative seed, is refused."""
    with pytest.raises(ValueError, match=message):
        solve(make_problem([], [truck("t1")]), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"first_solution": "NEAREST"}, "first solution"),
        ({"metaheuristic": "UNSET"}, "metaheuristic"),
        ({"solution_limit": 0}, "solution_limit"),
    ],
)
def test_bad_ortools_params(fields: dict[str, object], message: str) -> None:
    """Unknown strategies and a solution limit below one are refused."""
    with pytest.raises(ValueError, match=message):
        OrtoolsParams(**fields)  # type: ignore[arg-type]


def test_result_names_the_solver(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem, fast: SolveParams
) -> None:
    """The result says which solver, strategy and status produced it."""
    problem = make_problem([stop_at("a", 1.0, 1.0)], [truck("t1")])
    result = solve(problem, time_limit_s=0.5, params=fast)
    assert result.solver.startswith("ortools 9.")
    assert result.status.startswith("ROUTING_")


# Every constraint of the model, end to end, on the straight road of `on_a_line`: a km is
# 1000 m and 60 s, the depot at km 0, vehicles (`van`) on shift from 0:00 and paying 1 per km
# unless told otherwise, so the cost of a plan is its km and the optimum is plain to see.

OnALine = Callable[..., Problem]
StopKm = Callable[..., Stop]
Van = Callable[..., Vehicle]


def checked(
    problem: Problem, params: SolveParams, seed: int = 1, time_limit_s: float = 0.5
) -> Result:
    """The plan solved, after the checker finds nothing wrong with it."""
    result = solve(problem, time_limit_s=time_limit_s, seed=seed, params=params)
    assert check(problem, result) == []
    return result


def visits(result: Result) -> dict[str, list[str]]:
    """The sites each vehicle visits, in order."""
    return {route.vehicle_id: [visit.site_id for visit in route.visits] for route in result.routes}


def test_several_disposal_trips(
    on_a_line: OnALine, stop_km: StopKm, van: Van, fast: SolveParams
) -> None:
    """Four 500 l stops, room for two: two unloadings, the last at the end, in 14 km
    (0-1-2-F-4-3-F-0)."""
    stops = [stop_km(f"s{km}", km, 500) for km in (1, 2, 3, 4)]
    result = checked(on_a_line(stops, [van()], [Facility("F", 5.0, 0.0)]), fast)
    (route,) = result.routes
    assert route.disposals == 2
    assert route.visits[-1].kind is VisitKind.DISPOSAL
    assert max(visit.load_after_l for visit in route.visits) == 1000
    assert (result.cost, result.distance_m, result.omissions) == (14.0, 14_000, ())


def test_the_vehicle_unloads_before_going_home(
    on_a_line: OnALine, stop_km: StopKm, van: Van, fast: SolveParams
) -> None:
    """After its last bin a vehicle unloads at the facility on its shortest way home."""
    facilities = [Facility("F1", -1.0, 0.0), Facility("F2", 10.0, 0.0)]
    result = checked(on_a_line([stop_km("a", 2)], [van()], facilities), fast)
    assert visits(result) == {"t": ["a", "F1"]}
    assert result.cost == 6.0


@pytest.mark.parametrize(
    ("fleet", "plan", "cost"),
    [
        ({"t": frozenset()}, {"t": ["g", "Fg", "p", "Fp"]}, 12.0),
        (
            {"tg": frozenset({"glass"}), "tp": frozenset({"paper"})},
            {"tg": ["g", "Fg"], "tp": ["p", "Fp"]},
            18.0,
        ),
    ],
)
def test_each_stream_is_unloaded_where_it_is_taken(
    on_a_line: OnALine,
    stop_km: StopKm,
    van: Van,
    fast: SolveParams,
    fleet: dict[str, frozenset[str]],
    plan: dict[str, list[str]],
    cost: float,
) -> None:
    """Glass goes to the glassworks (km 4), paper to the paper mill (km -2), though the
    glassworks is on paper's shortest way home."""
    facilities = [
        Facility("Fg", 4.0, 0.0, waste_streams=frozenset({"glass"})),
        Facility("Fp", -2.0, 0.0, waste_streams=frozenset({"paper"})),
    ]
    stops = [stop_km("g", 2, waste_stream="glass"), stop_km("p", 3, waste_stream="paper")]
    vehicles = [van(name, waste_streams=streams) for name, streams in fleet.items()]
    result = checked(on_a_line(stops, vehicles, facilities), fast)
    assert (visits(result), result.cost) == (plan, cost)


@pytest.mark.parametrize(("kg", "routes", "cost"), [(0.0, 1, 4.0), (600.0, 2, 6.0)])
def test_kilograms_bind_when_litres_do_not(
    on_a_line: OnALine,
    stop_km: StopKm,
    van: Van,
    fast: SolveParams,
    kg: float,
    routes: int,
    cost: float,
) -> None:
    """Two 100 l stops fit one 1000 l truck, but not at 600 kg each on a 1000 kg payload."""
    stops = [stop_km("a", 1, demand_kg=kg), stop_km("b", 2, demand_kg=kg)]
    vehicles = [van("t1", capacity_kg=1000.0), van("t2", capacity_kg=1000.0)]
    result = checked(on_a_line(stops, vehicles), fast)
    assert (len(result.routes), result.cost) == (routes, cost)


@pytest.mark.parametrize(
    ("a_window", "b_window", "order"),
    [((3600, 7200), (0, 1800), ("b", "a")), ((0, 1800), (3600, 7200), ("a", "b"))],
)
def test_time_windows_force_the_order(
    on_a_line: OnALine,
    stop_km: StopKm,
    van: Van,
    fast: SolveParams,
    a_window: tuple[int, int],
    b_window: tuple[int, int],
    order: tuple[str, str],
) -> None:
    """Of two orders equally long, the one the windows allow is taken."""
    stops = [stop_km("a", 1, windows=(a_window,)), stop_km("b", 2, windows=(b_window,))]
    result = checked(on_a_line(stops, [van()]), fast)
    assert (result.routes[0].stop_ids, result.cost) == (order, 4.0)


def test_a_forbidden_interval_pushes_the_service(
    on_a_line: OnALine, stop_km: StopKm, van: Van, fast: SolveParams
) -> None:
    """Service that would overlap 0:15-0:30 starts at 0:30; the vehicle leaves to be there then."""
    stop = stop_km("a", 10, service_s=400, forbidden=((900, 1800),))
    problem = on_a_line([stop], [van()])
    (route,) = checked(problem, fast).routes
    assert route.visits[0].service_start == problem.at(1800)
    assert (route.start, route.end) == (problem.at(1200), problem.at(2800))


def test_a_lunch_break_inside_the_route(
    on_a_line: OnALine, stop_km: StopKm, van: Van, fast: SolveParams
) -> None:
    """Two half-hour services with a half-hour break due from 0:30 to 1:00: the break comes
    between them, when the first is over."""
    stops = [stop_km("a", 1, service_s=1800), stop_km("b", 2, service_s=1800)]
    problem = on_a_line(stops, [van(lunch=Break(1800, 3600, 1800))])
    (route,) = checked(problem, fast).routes
    assert route.break_after == 1
    assert route.break_start == route.visits[0].service_start + timedelta(seconds=1800)
    assert route.duration_s == 240 + 2 * 1800 + 1800


@pytest.mark.parametrize(("max_duration_s", "cost"), [(None, 40.0), (1800, 60.0)])
def test_max_duration_binds(
    on_a_line: OnALine,
    stop_km: StopKm,
    van: Van,
    fast: SolveParams,
    max_duration_s: int | None,
    cost: float,
) -> None:
    """The cheap truck serves km 10 and km -10 in 40 min, unless limited to 30: then the dear
    one (2 per km) takes one of them."""
    vehicles = [van("cheap", max_duration_s=max_duration_s), van("dear", cost_per_km=2.0)]
    result = checked(on_a_line([stop_km("a", 10), stop_km("b", -10)], vehicles), fast)
    assert result.cost == cost
    assert len(result.routes) == (1 if max_duration_s is None else 2)


@pytest.mark.parametrize(("fixed_cost", "routes", "cost"), [(0.0, 2, 64.0), (100.0, 1, 218.0)])
def test_a_fixed_cost_makes_one_vehicle_cheaper_than_two(
    on_a_line: OnALine,
    stop_km: StopKm,
    van: Van,
    fast: SolveParams,
    fixed_cost: float,
    routes: int,
    cost: float,
) -> None:
    """At 36 an hour, one truck serving a at 0:10 and b at 2:00 costs 40 + 78 (it waits);
    two cost 2 x (20 + 12), but also two fixed costs."""
    stops = [stop_km("a", 10, windows=((600, 601),)), stop_km("b", -10, windows=((7200, 8000),))]
    vehicles = [van(name, cost_per_hour=36.0, fixed_cost=fixed_cost) for name in ("t1", "t2")]
    result = checked(on_a_line(stops, vehicles), fast)
    assert len(result.routes) == routes
    assert result.cost == pytest.approx(cost)


@pytest.mark.parametrize(
    ("per_hour", "vehicle", "cost"), [(0.0, "hourly", 20.0), (100.0, "dear", 40.0)]
)
def test_cost_per_hour(
    on_a_line: OnALine,
    stop_km: StopKm,
    van: Van,
    fast: SolveParams,
    per_hour: float,
    vehicle: str,
    cost: float,
) -> None:
    """A one-hour service 10 km out costs 20 at 1 per km, but 153 when the hour costs 100: the
    truck at 2 per km and nothing per hour does it for 40."""
    vehicles = [van("hourly", cost_per_hour=per_hour), van("dear", cost_per_km=2.0)]
    result = checked(on_a_line([stop_km("a", 10, service_s=3600)], vehicles), fast)
    assert ([route.vehicle_id for route in result.routes], result.cost) == ([vehicle], cost)


@pytest.mark.parametrize(("facilities", "cost"), [((), 8.0), (("FA", "FB"), 12.0)])
def test_each_vehicle_works_from_its_own_depot(
    on_a_line: OnALine,
    stop_km: StopKm,
    van: Van,
    fast: SolveParams,
    facilities: tuple[str, ...],
    cost: float,
) -> None:
    """Depots 100 km apart: each vehicle serves the stops near its own and returns there
    (through the facility just behind it, when there are facilities)."""
    depots = [Depot("A", 0.0, 0.0), Depot("B", 100.0, 0.0)]
    plants = [Facility(name, km, 0.0) for name, km in zip(facilities, (-1.0, 101.0), strict=False)]
    stops = [stop_km("a1", 1), stop_km("a2", 2), stop_km("b1", 99), stop_km("b2", 98)]
    vehicles = [van("tb", start_depot="B"), van("ta", start_depot="A")]
    result = checked(on_a_line(stops, vehicles, plants, depots), fast)
    served = {
        route.vehicle_id: (route.depot_id, route.returns_to, set(route.stop_ids))
        for route in result.routes
    }
    assert served == {"ta": ("A", "A", {"a1", "a2"}), "tb": ("B", "B", {"b1", "b2"})}
    assert result.cost == cost


@pytest.mark.parametrize(("facilities", "cost"), [((), 10.0), ((Facility("F", 12.0, 0.0),), 14.0)])
def test_a_vehicle_may_end_at_another_depot(
    on_a_line: OnALine,
    stop_km: StopKm,
    van: Van,
    fast: SolveParams,
    facilities: tuple[Facility, ...],
    cost: float,
) -> None:
    """From A (km 0) through km 3 and 7 to B (km 10), unloading at km 12 first if it must."""
    depots = [Depot("A", 0.0, 0.0), Depot("B", 10.0, 0.0)]
    problem = on_a_line(
        [stop_km("a", 3), stop_km("b", 7)], [van(end_depot="B")], facilities, depots
    )
    (route,) = checked(problem, fast).routes
    assert (route.depot_id, route.end_depot_id, route.stop_ids) == ("A", "B", ("a", "b"))
    assert route.cost == cost


def test_vehicles_cross_between_two_depots(
    on_a_line: OnALine, stop_km: StopKm, van: Van, fast: SolveParams
) -> None:
    """One vehicle goes from A to B, the other from B to A, each with room for one stop."""
    depots = [Depot("A", 0.0, 0.0), Depot("B", 10.0, 0.0)]
    vehicles = [
        van("ab", 100.0, start_depot="A", end_depot="B"),
        van("ba", 100.0, start_depot="B", end_depot="A"),
    ]
    problem = on_a_line([stop_km("a", 2), stop_km("b", 8)], vehicles, depots=depots)
    result = checked(problem, fast)
    assert {(route.vehicle_id, route.depot_id, route.returns_to) for route in result.routes} == {
        ("ab", "A", "B"),
        ("ba", "B", "A"),
    }
    assert (result.served_ids, result.cost) == (frozenset({"a", "b"}), 20.0)


def test_opening_hours_of_depot_and_facility(
    on_a_line: OnALine, stop_km: StopKm, van: Van, fast: SolveParams
) -> None:
    """The depot opens at 1:00 and a's window at km 5 closes at 1:06:40: the vehicle leaves at
    1:01:39, waits for the facility to open at 2:00, unloads for five minutes and is back
    before the depot closes at 2:30; a stop at km 50 is too far for that."""
    depot = Depot("depot", 0.0, 0.0, opens_s=3600, closes_s=9000)
    plant = Facility("F", 10.0, 0.0, opens_s=7200, unload_s=300)
    stops = [stop_km("a", 5, windows=((3600, 4000),)), stop_km("far", 50)]
    problem = on_a_line(stops, [van()], [plant], [depot])
    result = checked(problem, fast)
    (route,) = result.routes
    assert route.start == problem.at(3699)
    unloading = route.visits[1]
    assert (unloading.arrival, unloading.start) == (problem.at(4299), problem.at(7200))
    assert route.end == problem.at(7200 + 300 + 600)
    assert [(o.stop_id, o.reason) for o in result.omissions] == [
        ("far", OmissionReason.SHIFT_LENGTH)
    ]


@pytest.mark.parametrize(("prize", "served", "cost"), [(15.0, False, 2.0), (25.0, True, 20.0)])
def test_an_optional_stop_is_worth_its_prize(
    on_a_line: OnALine,
    stop_km: StopKm,
    van: Van,
    fast: SolveParams,
    prize: float,
    served: bool,
    cost: float,
) -> None:
    """An optional stop at km 10 adds 18 km to the route: served for a prize of 25, not 15."""
    stops = [stop_km("a", 1), stop_km("opt", 10, required=False, prize=prize)]
    result = checked(on_a_line(stops, [van()]), fast)
    assert ("opt" in result.served_ids, result.cost) == (served, cost)
    if not served:
        assert result.omissions == (Omission("opt", OmissionReason.NOT_WORTH_IT),)


@pytest.mark.parametrize(
    ("stop", "vehicle", "facilities", "reason"),
    [
        (
            {"waste_stream": "glass"},
            {"waste_streams": frozenset({"paper"})},
            (),
            OmissionReason.NO_VEHICLE,
        ),
        (
            {"waste_stream": "glass"},
            {},
            (Facility("F", 3.0, 0.0, waste_streams=frozenset({"paper"})),),
            OmissionReason.NO_FACILITY,
        ),
        ({"demand_l": 1500.0}, {}, (), OmissionReason.CAPACITY),
        ({"demand_kg": 2000.0}, {"capacity_kg": 1000.0}, (), OmissionReason.CAPACITY),
        ({"km": 400.0}, {}, (), OmissionReason.SHIFT_LENGTH),
        ({"km": 299.5}, {}, (Facility("F", -1.0, 0.0),), OmissionReason.SHIFT_LENGTH),
        ({"windows": ((40_000, 50_000),)}, {}, (), OmissionReason.TIME_WINDOW),
        ({"windows": ((0, 100),)}, {}, (Facility("F", 3.0, 0.0),), OmissionReason.TIME_WINDOW),
        (
            {"windows": ((1000, 2000),), "forbidden": ((0, 3000),)},
            {},
            (),
            OmissionReason.TIME_WINDOW,
        ),
    ],
    ids=[
        "no vehicle",
        "no facility",
        "litres",
        "kilograms",
        "too far",
        "too far to unload",
        "window after the shift",
        "window too early",
        "window forbidden",
    ],
)
def test_a_stop_that_cannot_be_served_is_omitted_with_its_reason(
    on_a_line: OnALine,
    stop_km: StopKm,
    van: Van,
    fast: SolveParams,
    stop: dict[str, Any],
    vehicle: dict[str, Any],
    facilities: tuple[Facility, ...],
    reason: OmissionReason,
) -> None:
    """The stop the fleet cannot serve is left out with the reason; the other is served."""
    fields = {"km": 2.0, "demand_l": 100.0, **stop}
    stops = [stop_km("near", 1, waste_stream="paper"), stop_km("x", **fields)]
    result = checked(on_a_line(stops, [van(**vehicle)], facilities), fast)
    assert result.omissions == (Omission("x", reason),)
    assert result.served_ids == {"near"}


def test_same_seed_same_plan_with_every_constraint(
    on_a_line: OnALine, stop_km: StopKm, van: Van
) -> None:
    """With facilities, streams, windows, a break, weights and two depots, the same seed gives
    the same plan (the search stops at its solution limit, long before the time limit)."""
    depots = [Depot("A", 0.0, 0.0), Depot("B", 30.0, 0.0)]
    facilities = [
        Facility("Fg", 12.0, 0.0, waste_streams=frozenset({"glass"}), unload_s=300),
        Facility("F", 18.0, 0.0, opens_s=3600, unload_s=600),
    ]
    stops = []
    for km in range(1, 29, 2):
        opens = 3600 * (km % 4)
        fields = {"service_s": 120, "demand_kg": 10 * km, "windows": ((opens, opens + 4 * 3600),)}
        stream = "glass" if km % 3 == 0 else "residual"
        stops.append(stop_km(f"s{km}", km, 300 + 20 * km, waste_stream=stream, **fields))
    lunch = Break(3 * 3600, 5 * 3600, 1800)
    vehicles = [
        van("t1", lunch=lunch, cost_per_hour=20.0),
        van("t2", start_depot="B", end_depot="A", capacity_kg=800.0, fixed_cost=200.0),
        van("glass", waste_streams=frozenset({"glass"}), max_duration_s=4 * 3600),
    ]
    problem = on_a_line(stops, vehicles, facilities, depots)
    params = SolveParams(backend="ortools", ortools=OrtoolsParams(solution_limit=50))
    first, second = (checked(problem, params, seed=5, time_limit_s=30) for _ in range(2))
    assert first == second
    assert first.routes


def test_auto_falls_back_to_ortools_when_the_fleet_is_too_small(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem
) -> None:
    """PyVRP cannot leave a required stop out; OR-Tools plans the day and says why."""
    stops = [stop_at(f"b{i}", 1.0, i - 2.0, 300.0) for i in range(5)]
    problem = make_problem(stops, [truck("t1")])
    result = solve(problem, time_limit_s=3, seed=1)
    check_plan(problem, result)
    assert result.solver.startswith("ortools ")
    assert [o.reason for o in result.omissions] == [OmissionReason.CAPACITY] * 2


def test_streams_no_vehicle_links_are_solved_apart(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem, fast: SolveParams
) -> None:
    """Glass and paper trucks share nothing but the depot: two parts, one plan of both."""
    stops = [
        stop_at("g1", 1.0, 0.0, waste_stream="glass"),
        stop_at("p1", -1.0, 0.0, waste_stream="paper"),
        stop_at("b1", 0.0, 1.0, waste_stream="bio"),
        stop_at("p2", -1.0, 1.0, waste_stream="paper"),
    ]
    vehicles = [
        truck("glass", waste_streams=frozenset({"glass"})),
        truck("paper-bio", waste_streams=frozenset({"paper", "bio"})),
        truck("bio", waste_streams=frozenset({"bio"})),
    ]
    problem = make_problem(stops, vehicles)
    parts = stream_parts(problem)
    assert sorted(parts) == [([0], [0]), ([1, 2, 3], [1, 2])]
    result = solve(problem, time_limit_s=5, seed=1, params=fast)
    check_plan(problem, result)
    assert result.served_ids == {"g1", "p1", "b1", "p2"}
    assert result.status == "2 STREAM PARTS"
    assert {s for r in result.routes if r.vehicle_id == "glass" for s in r.stop_ids} == {"g1"}


def test_one_part_when_a_truck_takes_every_stream(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem
) -> None:
    stops = [stop_at("g1", 1.0, 0.0, waste_stream="glass"), stop_at("p1", -1.0, 0.0)]
    glass = truck("glass", waste_streams=frozenset({"glass"}))
    problem = make_problem(stops, [truck("any"), glass])
    assert stream_parts(problem) == [([0, 1], [0, 1])]


def test_a_large_day_is_searched_by_pyvrp_in_sectors(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem
) -> None:
    """Beyond `pyvrp_sector_size` stops PyVRP searches sectors, one per core: every stop of
    both halves of the ring is served, each route stays within its own sector."""
    rng = random.Random(3)
    stops = [stop_at(f"s{i}", rng.uniform(-3, 3), rng.uniform(-3, 3), 50.0) for i in range(24)]
    problem = make_problem(stops, [truck(f"t{k}") for k in range(6)])
    result = solve(problem, time_limit_s=6, seed=1, params=SolveParams(pyvrp_sector_size=12))
    check_plan(problem, result)
    assert result.served_ids == {stop.id for stop in stops}
    assert result.solver.startswith("pyvrp ")
    assert result.solver.endswith(" by sectors")
    assert result.status == "SECTORS"


def test_a_sector_pyvrp_cannot_serve_hands_the_day_to_ortools(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem
) -> None:
    """A truck per sector, each with more to carry than it holds: PyVRP cannot leave a
    required stop out, so OR-Tools plans the whole day, leaving out what does not fit."""
    stops = [stop_at(f"s{i}", 1.0, i - 2.0, 300.0) for i in range(4)]
    stops += [stop_at(f"w{i}", -1.0, i - 2.0, 300.0) for i in range(4)]
    problem = make_problem(stops, [truck("t1"), truck("t2")])
    result = solve(problem, time_limit_s=6, seed=1, params=SolveParams(pyvrp_sector_size=4))
    check_plan(problem, result)
    assert result.solver.startswith("ortools ")
    assert [o.reason for o in result.omissions] == [OmissionReason.CAPACITY] * 2


def test_a_stop_locked_to_a_vehicle_is_served_by_it(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem
) -> None:
    """Two stops beside each other, each locked to its own truck: both trucks go out,
    although one could serve both for one fixed cost. PyVRP cannot say this: OR-Tools
    plans."""
    stops = [
        stop_at("a", 1.0, 0.0, 100.0, vehicle_id="t1"),
        stop_at("b", 1.0, 0.1, 100.0, vehicle_id="t2"),
    ]
    problem = make_problem(stops, [truck("t1", fixed_cost=50.0), truck("t2", fixed_cost=50.0)])
    result = solve(problem, time_limit_s=3, seed=1)
    check_plan(problem, result)
    assert result.solver.startswith("ortools ")
    on = {stop_id: route.vehicle_id for route in result.routes for stop_id in route.stop_ids}
    assert on == {"a": "t1", "b": "t2"}


def test_an_untimed_day_gets_its_first_ortools_plan_by_smaller_sectors() -> None:
    """OR-Tools' iterated local search, slow in its first descent on many stops, finds the
    first plan of an untimed day (X-n101-k25) by sectors beyond `ils_sector_size` stops
    even when `sector_size` would search it whole; every stop is served within capacity."""
    instance = read_vrplib(Path(__file__).resolve().parents[1] / "data" / "X-n101-k25.vrp")
    problem = instance.problem
    params = SolveParams(
        backend="ortools", ortools=OrtoolsParams(solution_limit=300), sector_size=500,
        ils_sector_size=50, part_size=30,
    )  # fmt: skip
    result = solve(problem, time_limit_s=8, seed=1, params=params)
    check_plan(problem, result)
    assert result.served_ids == {stop.id for stop in problem.stops}
    assert "by sectors" in result.solver
