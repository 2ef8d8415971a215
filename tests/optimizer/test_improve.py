"""Tests of improving a plan part by part: never worse, every stop kept, left-out stops taken.

The day: 48 stops on a ring of 5 km around the depot, 8 trucks with room for 7 each. The
bad plan deals the stops to the trucks round the ring (truck k takes every 8th stop), so
each route crosses the whole ring; a good plan gives each truck one arc.
"""

import math
import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor

import pytest

from optimizer import OrtoolsParams, Problem, SolveParams, Stop, Vehicle, solve
from optimizer.check import check
from optimizer.decompose import cut_out
from optimizer.improve import REQUIRED_MISSED, improve_by_parts, plan_objective
from optimizer.tour import Tour

StopAt = Callable[..., Stop]
Truck = Callable[..., Vehicle]
MakeProblem = Callable[..., Problem]

STOPS, TRUCKS = 48, 8
PARAMS = OrtoolsParams(solution_limit=200)


@pytest.fixture(scope="module")
def pool() -> Iterator[Executor]:
    """Two worker processes, as `solve` starts them."""
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as executor:
        yield executor


@pytest.fixture
def ring(stop_at: StopAt, truck: Truck, make_problem: MakeProblem) -> Problem:
    stops = [
        stop_at(
            f"s{i}", 5 * math.cos(2 * math.pi * i / STOPS), 5 * math.sin(2 * math.pi * i / STOPS)
        )
        for i in range(STOPS)
    ]
    trucks = [truck(f"t{k}", capacity_l=700.0, cost_per_km=1.0) for k in range(TRUCKS)]
    return make_problem(stops, trucks)


def _dealt(problem: Problem, skip: frozenset[int] = frozenset()) -> list[Tour]:
    """Truck k takes stops k, k + 8, k + 16, ...: routes across the whole ring."""
    first = problem.first_stop
    return [
        Tour(k, tuple(first + i for i in range(k, STOPS, TRUCKS) if i not in skip))
        for k in range(TRUCKS)
    ]


def test_a_bad_plan_gets_cheaper_and_keeps_every_stop(ring: Problem, pool: Executor) -> None:
    """Parts of about 18 stops, searched two at a time, untangle the dealt routes."""
    matrices = ring.matrices()
    bad = _dealt(ring)
    better = improve_by_parts(
        ring, matrices, bad, 30, PARAMS, seed=1, part_size=18, part_s=2, pool=pool
    )
    assert plan_objective(ring, matrices, better) < 0.6 * plan_objective(ring, matrices, bad)
    visited = sorted(s for tour in better for s in tour.sites)
    assert visited == list(range(ring.first_stop, ring.first_stop + STOPS))
    assert len({tour.vehicle for tour in better}) == len(better)


def test_a_left_out_required_stop_is_taken_in(ring: Problem, pool: Executor) -> None:
    """A required stop missing from the plan joins the part of the route nearest to it."""
    matrices = ring.matrices()
    missing = _dealt(ring, skip=frozenset({5}))
    assert plan_objective(ring, matrices, missing) > REQUIRED_MISSED
    better = improve_by_parts(
        ring, matrices, missing, 30, PARAMS, seed=1, part_size=18, part_s=2, pool=pool
    )
    assert ring.first_stop + 5 in {s for tour in better for s in tour.sites}
    assert plan_objective(ring, matrices, better) < REQUIRED_MISSED


def test_a_solution_limit_makes_the_improvement_repeatable(ring: Problem, pool: Executor) -> None:
    """With OR-Tools' solution limit, one pass over the routes: the same plan twice."""
    matrices = ring.matrices()
    runs = [
        improve_by_parts(
            ring, matrices, _dealt(ring), 30, PARAMS, seed=4, part_size=18, part_s=5, pool=pool
        )
        for _ in range(2)
    ]
    assert sorted(runs[0], key=lambda t: t.vehicle) == sorted(runs[1], key=lambda t: t.vehicle)


def test_a_part_maps_its_tours_both_ways(ring: Problem) -> None:
    """A part's problem holds its stops and vehicles; tours go to its numbering and back."""
    tours = _dealt(ring)
    part = cut_out(ring, ring.matrices(), [0, 8, 1, 9], [0, 1])
    assert [s.id for s in part.problem.stops] == ["s0", "s1", "s8", "s9"]
    assert [v.id for v in part.problem.vehicles] == ["t0", "t1"]
    inside = Tour(0, (ring.first_stop + 0, ring.first_stop + 8))
    assert part.to_part(inside).sites == (1, 3)
    assert part.to_whole(part.to_part(inside)) == inside
    with pytest.raises(ValueError, match="not in tuple"):
        part.to_part(tours[2])  # truck t2 is not in the part


def test_plan_objective_counts_routes_prizes_and_required_stops(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem
) -> None:
    """A route costs its kilometres; an optional stop left out its prize; a required one
    more than any plan."""
    stops = [stop_at("a", 1, 0), stop_at("b", 0, 1, required=False, prize=7.0)]
    problem = make_problem(stops, [truck("t", cost_per_km=1.0)])
    matrices = problem.matrices()
    route_a = Tour(0, (problem.first_stop,))
    km = 2 * int(matrices.distance_m[0, problem.first_stop]) / 1000
    assert plan_objective(problem, matrices, [route_a]) == pytest.approx(km + 7.0)
    assert plan_objective(problem, matrices, []) == pytest.approx(REQUIRED_MISSED + 7.0)


def test_solve_improves_a_large_day_by_parts(ring: Problem) -> None:
    """With OR-Tools alone, a day larger than a part is planned, improved and checked."""
    params = SolveParams(backend="ortools", ortools=PARAMS, part_size=18, part_s=1)
    result = solve(ring, time_limit_s=10, seed=1, params=params)
    assert "improved by parts" in result.solver
    assert result.num_served == STOPS
    assert check(ring, result) == []
