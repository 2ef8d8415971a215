"""Tests of the reasons given for stops a plan leaves out, against hand-made tours."""

from collections.abc import Callable
from datetime import datetime

import pytest

from optimizer import Depot, Facility, OmissionReason, Problem, Stop, Tour, Vehicle
from optimizer.reasons import TOTAL_INSERTION_BUDGET, explain
from optimizer.schedule import Scheduler

StopAt = Callable[..., Stop]
Truck = Callable[..., Vehicle]
MakeProblem = Callable[..., Problem]


def _explain(problem: Problem, stop_index: int, *tours: Tour) -> OmissionReason:
    return explain(problem, problem.matrices(), stop_index, tours)


def test_a_stop_a_route_could_take_was_missed_by_the_search(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem
) -> None:
    """A required stop that fits in a route with room and time was left by the search."""
    problem = make_problem([stop_at("a", 1.0, 0.0), stop_at("b", 2.0, 0.0)], [truck("t1")])
    assert _explain(problem, 1, Tour(0, (1,))) is OmissionReason.SEARCH_LIMIT


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
    assert _explain(problem, 1, Tour(0, (1,))) is reason


def test_past_the_budget_the_search_limit_is_the_reason(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem
) -> None:
    """Trying insertions stops when the scheduler shared by the explanations has done its
    total work: a stop not worth its detour is then only said to be past the search."""
    stops = [stop_at("a", 1.0, 0.0), stop_at("opt", 10.0, 0.0, required=False, prize=1.0)]
    problem = make_problem(stops, [truck("t1")])
    matrices = problem.matrices()
    scheduler = Scheduler(problem, matrices)
    assert explain(problem, matrices, 1, [Tour(0, (1,))], scheduler) is OmissionReason.NOT_WORTH_IT
    scheduler.visits_scheduled = TOTAL_INSERTION_BUDGET
    assert explain(problem, matrices, 1, [Tour(0, (1,))], scheduler) is OmissionReason.SEARCH_LIMIT


def test_a_full_vehicle_leaves_the_stop_out_for_capacity(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem
) -> None:
    """When the only vehicle that could take a stop is full, capacity is the reason."""
    stops = [stop_at("a", 1.0, 0.0, 900.0), stop_at("b", 2.0, 0.0, 200.0)]
    problem = make_problem(stops, [truck("t1", capacity_l=1000.0)])
    assert _explain(problem, 1, Tour(0, (1,))) is OmissionReason.CAPACITY


def test_an_unused_vehicle_with_room_counts(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem
) -> None:
    """A stop a full vehicle cannot take but an idle one can was missed by the search."""
    stops = [stop_at("a", 1.0, 0.0, 900.0), stop_at("b", 2.0, 0.0, 200.0)]
    problem = make_problem(stops, [truck("t1"), truck("t2")])
    assert _explain(problem, 1, Tour(0, (1,))) is OmissionReason.SEARCH_LIMIT


def test_a_full_shift_leaves_the_stop_out_for_shift_length(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem
) -> None:
    """A stop the lone vehicle could reach on its own, but not after its busy route, is late."""
    stops = [stop_at("busy", 0.0, 9.0, service_s=2400), stop_at("b", 0.0, -9.0)]
    problem = make_problem(stops, [truck("t1", hours=1.5)])
    assert _explain(problem, 1, Tour(0, (1,))) is OmissionReason.SHIFT_LENGTH


def test_a_stop_outside_every_window_is_left_for_its_time_window(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem
) -> None:
    """A stop open only at night cannot be served by a day shift."""
    night = ((22 * 3600, 23 * 3600),)
    problem = make_problem([stop_at("night", 1.0, 0.0, windows=night)], [truck("t1")])
    assert _explain(problem, 0) is OmissionReason.TIME_WINDOW


def test_no_facility_for_the_stream(
    stop_at: StopAt, truck: Truck, day_start: datetime, depot: Depot
) -> None:
    """With facilities, a stream none of them accepts cannot be collected."""
    glass_only = Facility("glassworks", 45.01, 7.01, waste_streams=frozenset({"glass"}))
    problem = Problem(
        day_start,
        (depot,),
        (truck("t1"),),
        (stop_at("bio", 1.0, 0.0, waste_stream="bio"),),
        (glass_only,),
    )
    assert _explain(problem, 0) is OmissionReason.NO_FACILITY
