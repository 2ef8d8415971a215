"""Tests of solving small problems with OR-Tools."""

import random
from collections.abc import Callable
from datetime import timedelta
from itertools import pairwise, permutations

import pytest

from optimizer import (
    OmissionReason,
    Problem,
    Result,
    SolveParams,
    Stop,
    Vehicle,
    solve,
)

StopAt = Callable[..., Stop]
Truck = Callable[..., Vehicle]
MakeProblem = Callable[..., Problem]


def check_plan(problem: Problem, result: Result) -> None:
    """Every stop is served once or omitted, and every route keeps to its vehicle's limits."""
    served = [stop_id for route in result.routes for stop_id in route.stop_ids]
    omitted = [omission.stop_id for omission in result.omissions]
    assert sorted(served + omitted) == sorted(stop.id for stop in problem.stops)
    vehicles = {vehicle.id: vehicle for vehicle in problem.vehicles}
    demands = {stop.id: stop.demand_l for stop in problem.stops}
    for route in result.routes:
        vehicle = vehicles[route.vehicle_id]
        assert route.visits, "unused vehicles are left out"
        assert route.load_l <= vehicle.capacity_l
        assert route.start == problem.at(vehicle.shift_start_s)
        assert route.end <= problem.at(vehicle.shift_end_s)
        assert route.duration_s == (route.end - route.start).total_seconds()
        load = 0.0
        for visit in route.visits:
            load += demands[visit.stop_id]
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
def test_bad_solve_params(fields: dict[str, object], message: str) -> None:
    """Unknown strategies and a solution limit below one are refused."""
    with pytest.raises(ValueError, match=message):
        SolveParams(**fields)  # type: ignore[arg-type]


def test_result_names_the_solver(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem, fast: SolveParams
) -> None:
    """The result says which solver, strategy and status produced it."""
    problem = make_problem([stop_at("a", 1.0, 1.0)], [truck("t1")])
    result = solve(problem, time_limit_s=0.5, params=fast)
    assert result.solver.startswith("ortools ")
    assert "PATH_CHEAPEST_ARC+GUIDED_LOCAL_SEARCH" in result.solver
    assert result.status.startswith("ROUTING_")
