"""Tests of optimizer/amend.py on a straight road, where every answer can be worked out."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from optimizer import Facility, Problem, Stop, Vehicle
from optimizer.amend import (
    AmendError,
    add,
    insert_urgent,
    move,
    plan_of,
    remove,
    served_stops,
    tours_of,
)
from optimizer.result import OmissionReason
from optimizer.tour import Tour

OnALine = Callable[..., Problem]
StopKm = Callable[..., Stop]
Van = Callable[..., Vehicle]


@pytest.fixture
def road(on_a_line: OnALine, stop_km: StopKm, van: Van) -> Problem:
    """Stops at km 1 to 6 on the road, two vans of 1,000 l, a disposal site at km 10."""
    stops = [stop_km(f"s{k}", float(k), 200.0) for k in range(1, 7)]
    tip = Facility("tip", 10.0, 0.0)
    return on_a_line(stops, [van("a"), van("b")], facilities=[tip])


def _node(problem: Problem, stop_id: str) -> int:
    return problem.first_stop + [s.id for s in problem.stops].index(stop_id)


def _tour(problem: Problem, vehicle: int, *stop_ids: str) -> Tour:
    """The van's tour through the stops, unloading at the end when there is a facility."""
    tip = (problem.first_stop - 1,) if problem.facilities else ()
    return Tour(vehicle, tuple(_node(problem, s) for s in stop_ids) + tip)


def _ids(problem: Problem, tour: Tour) -> list[str]:
    """The tour's stops (the unloading left out)."""
    return [problem.sites[s].id for s in tour.sites if s >= problem.first_stop]


def test_a_stop_goes_where_it_costs_least(road: Problem) -> None:
    matrices = road.matrices()
    tours = [_tour(road, 0, "s1", "s3"), _tour(road, 1, "s6")]
    changed = add(road, matrices, tours, "s2", fixed={})
    assert _ids(road, changed[0]) == ["s1", "s2", "s3"]  # on the way: no extra km
    assert changed[1] == tours[1]
    plan = plan_of(road, matrices, changed, "test")
    assert plan.distance_m == 2 * 10_000 + 2 * 10_000  # both out to the tip at km 10 and back


def test_an_urgent_stop_leaves_served_stops_untouched(road: Problem) -> None:
    """Van a has served s2 and s4; the new stop s1 lies behind it: it comes after them."""
    matrices = road.matrices()
    before = plan_of(road, matrices, [_tour(road, 0, "s2", "s4", "s5")], "test")
    tours = tours_of(road, before)
    fixed = {0: 2}
    after_tours, unplaced = insert_urgent(road, matrices, tours, ["s1"], fixed)
    after = plan_of(road, matrices, after_tours, "test")
    assert unplaced == []
    assert served_stops(before, {"a": 2}) == {"s2", "s4"}
    old, new = before.routes[0], after.routes[0]
    assert new.visits[:2] == old.visits[:2]  # the same stops at the same times
    assert new.stop_ids.index("s1") >= 2
    assert after.served_ids == {"s1", "s2", "s4", "s5"}


def test_a_served_stop_cannot_be_removed_and_a_removed_one_is_omitted(road: Problem) -> None:
    matrices = road.matrices()
    tours = [_tour(road, 0, "s1", "s2", "s3")]
    with pytest.raises(AmendError, match="already served"):
        remove(road, tours, "s1", fixed={0: 1})
    fewer = remove(road, tours, "s3", fixed={0: 1})
    plan = plan_of(road, matrices, fewer, "test", removed=frozenset({"s3"}))
    omission = plan.omission_of("s3")
    assert omission is not None
    assert omission.reason is OmissionReason.REMOVED


def test_a_stop_moves_to_another_route(road: Problem) -> None:
    matrices = road.matrices()
    tours = [_tour(road, 0, "s1", "s2"), _tour(road, 1, "s5", "s6")]
    moved = move(road, tours, "s2", "b", 0, fixed={})
    assert _ids(road, moved[0]) == ["s1"]
    assert _ids(road, moved[1]) == ["s2", "s5", "s6"]
    assert plan_of(road, matrices, moved, "test").num_served == 4
    with pytest.raises(AmendError, match="outside"):
        move(road, tours, "s2", "b", 0, fixed={1: 1})


def test_a_change_that_breaks_a_rule_is_refused(road: Problem) -> None:
    """Six stops of 200 l on one van of 1,000 l without unloading: over capacity."""
    matrices = road.matrices()
    full = [_tour(road, 0, "s1", "s2", "s3", "s4", "s5", "s6")]
    with pytest.raises(AmendError, match="capacity"):
        plan_of(road, matrices, full, "test")


def test_a_stop_that_fits_nowhere_is_reported(
    on_a_line: OnALine, stop_km: StopKm, van: Van
) -> None:
    stops = [stop_km("s1", 1.0), stop_km("huge", 2.0, 5000.0)]
    problem = on_a_line(stops, [van("a")], facilities=[Facility("tip", 10.0, 0.0)])
    matrices = problem.matrices()
    tours, unplaced = insert_urgent(problem, matrices, [_tour(problem, 0, "s1")], ["huge"], {})
    assert unplaced == ["huge"]
    assert _ids(problem, tours[0]) == ["s1"]


def test_a_plan_survives_the_round_trip_through_tours(road: Problem) -> None:
    matrices = road.matrices()
    plan = plan_of(road, matrices, [_tour(road, 0, "s1", "s2"), _tour(road, 1, "s6")], "x")
    again = plan_of(road, matrices, tours_of(road, plan), "x")
    assert again.routes == plan.routes
