"""Tests of the reasons given for stops a plan leaves out, against hand-made routes."""

from collections.abc import Callable

import pytest

from optimizer import OmissionReason, Problem, Stop, Vehicle
from optimizer.model import required_penalty
from optimizer.reasons import explain

StopAt = Callable[..., Stop]
Truck = Callable[..., Vehicle]
MakeProblem = Callable[..., Problem]


def _explain(problem: Problem, routes: list[list[int]], node: int) -> OmissionReason:
    matrices = problem.matrices()
    return explain(problem, matrices, routes, node, required_penalty(problem, matrices))


def test_a_stop_a_route_could_take_was_missed_by_the_search(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem
) -> None:
    """A required stop that fits in a route with room and time was left by the search."""
    problem = make_problem([stop_at("a", 1.0, 0.0), stop_at("b", 2.0, 0.0)], [truck("t1")])
    assert _explain(problem, [[1]], 2) is OmissionReason.SEARCH_LIMIT


@pytest.mark.parametrize(
    ("prize", "reason"),
    [(1.0, OmissionReason.NOT_WORTH_IT), (10_000.0, OmissionReason.SEARCH_LIMIT)],
)
def test_an_optional_stop_is_weighed_against_its_prize(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem, prize: float, reason: OmissionReason
) -> None:
    """An optional stop is not worth it when its detour costs more than its prize."""
    stops = [stop_at("a", 1.0, 0.0), stop_at("opt", 10.0, 0.0, required=False, prize=prize)]
    problem = make_problem(stops, [truck("t1")])
    assert _explain(problem, [[1]], 2) is reason


def test_a_full_vehicle_leaves_the_stop_out_for_capacity(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem
) -> None:
    """When the only vehicle that could take a stop is full, capacity is the reason."""
    stops = [stop_at("a", 1.0, 0.0, 900.0), stop_at("b", 2.0, 0.0, 200.0)]
    problem = make_problem(stops, [truck("t1", capacity_l=1000.0)])
    assert _explain(problem, [[1]], 2) is OmissionReason.CAPACITY


def test_an_unused_vehicle_with_room_counts(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem
) -> None:
    """A stop a full vehicle cannot take but an idle one can was missed by the search."""
    stops = [stop_at("a", 1.0, 0.0, 900.0), stop_at("b", 2.0, 0.0, 200.0)]
    problem = make_problem(stops, [truck("t1"), truck("t2")])
    assert _explain(problem, [[1], []], 2) is OmissionReason.SEARCH_LIMIT


def test_demand_is_rounded_up_like_the_model(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem
) -> None:
    """A 0.4 l stop does not fit in the 0.4 l left of a route: whole litres, rounded up."""
    stops = [stop_at("a", 1.0, 0.0, 999.6), stop_at("b", 2.0, 0.0, 0.4)]
    problem = make_problem(stops, [truck("t1", capacity_l=1000.0)])
    assert _explain(problem, [[1]], 2) is OmissionReason.CAPACITY
