"""Tests of the scheduler: tours become times, loads and totals that can be checked by hand.

The problems lie on a straight road (`on_a_line`): a km is 1000 m and 60 s, the depot is at
km 0 and vehicles work from 0:00, so a stop at km 10 is reached at 600 s. Matrix indices
are the depot (0), then the facilities, then the stops.
"""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer import Break, Depot, Facility, Problem, Result, Stop, Tour, Vehicle, check
from optimizer.schedule import Scheduler, TimedVisit, earliest_start

OnALine = Callable[..., Problem]
StopKm = Callable[..., Stop]
Van = Callable[..., Vehicle]


def _scheduler(problem: Problem) -> Scheduler:
    return Scheduler(problem, problem.matrices())


@pytest.mark.parametrize(
    ("fields", "arrival_s", "start_s"),
    [
        ({}, 500, 500),
        ({"windows": ((1000, 2000),)}, 500, 1000),
        ({"windows": ((1000, 2000),)}, 1500, 1500),
        ({"windows": ((1000, 2000), (3000, 4000))}, 2500, 3000),
        ({"windows": ((1000, 2000),)}, 2000, None),
        ({"service_s": 100, "forbidden": ((1000, 2000),)}, 900, 900),
        ({"service_s": 100, "forbidden": ((1000, 2000),)}, 950, 2000),
        ({"service_s": 100, "forbidden": ((1000, 2000),)}, 1500, 2000),
        ({"service_s": 100, "forbidden": ((1000, 2000), (2050, 3000))}, 950, 3000),
        ({"service_s": 100, "windows": ((0, 1500),), "forbidden": ((1000, 2000),)}, 950, None),
        (
            {"service_s": 100, "windows": ((0, 1500), (1800, 2500)), "forbidden": ((1000, 2000),)},
            950,
            2000,
        ),
        (
            {"service_s": 100, "windows": ((0, 1500), (1800, 1990)), "forbidden": ((1000, 2000),)},
            950,
            None,
        ),
    ],
)
def test_earliest_start(fields: dict[str, Any], arrival_s: int, start_s: int | None) -> None:
    """Service starts on arrival, else when a window opens or a forbidden interval is over;
    None when no window is left."""
    assert earliest_start(Stop("s", 0.0, 0.0, 0.0, **fields), arrival_s) == start_s


def _intervals(bounds: list[int]) -> tuple[tuple[int, int], ...]:
    """Sorted distinct bounds paired up: (b0, b1), (b2, b3), ..."""
    return tuple(zip(bounds[::2], bounds[1::2], strict=False))


bounds = st.lists(st.integers(0, 300), unique=True, max_size=6).map(sorted)


@settings(database=None, max_examples=200, deadline=None)
@given(bounds, bounds, st.integers(0, 60), st.integers(0, 350))
def test_earliest_start_is_the_first_allowed_moment(
    windows: list[int], forbidden: list[int], service_s: int, arrival_s: int
) -> None:
    """`earliest_start` is the first moment from arrival when `Stop.may_start` allows service."""
    stop = Stop(
        "s", 0.0, 0.0, 0.0, service_s, windows=_intervals(windows), forbidden=_intervals(forbidden)
    )
    # Every bound is below 300 and service is short: past 360 service may start or never.
    first = next((t for t in range(arrival_s, 700) if stop.may_start(t)), None)
    assert earliest_start(stop, arrival_s) == first


def test_waits_for_a_window(on_a_line: OnALine, stop_km: StopKm, van: Van) -> None:
    """A vehicle that must serve a early cannot leave later: it waits at b for its window."""
    stops = [stop_km("a", 5, windows=((0, 400),)), stop_km("b", 10, windows=((3600, 7200),))]
    problem = on_a_line(stops, [van()])
    scheduler = _scheduler(problem)
    timing = scheduler.timing(Tour(0, (1, 2)))
    assert timing.feasible
    assert timing.departure_s == 0
    assert timing.visits == (TimedVisit(1, 300, 300, 100, 0), TimedVisit(2, 600, 3600, 200, 0))
    assert timing.end_s == 4200
    wait = scheduler.route(Tour(0, (1, 2))).visits[1]
    assert (wait.arrival, wait.start) == (problem.at(600), problem.at(3600))


def test_leaves_later_instead_of_waiting(on_a_line: OnALine, stop_km: StopKm, van: Van) -> None:
    """A vehicle leaves as late as still lets it start on time, so it does not wait."""
    problem = on_a_line([stop_km("a", 10, windows=((3600, 7200),))], [van()])
    timing = _scheduler(problem).timing(Tour(0, (1,)))
    assert (timing.departure_s, timing.end_s, timing.feasible) == (3000, 4200, True)
    assert timing.visits == (TimedVisit(1, 3600, 3600, 100, 0),)


def test_a_forbidden_interval_delays_service(on_a_line: OnALine, stop_km: StopKm, van: Van) -> None:
    """Service that would overlap a forbidden interval starts when it is over."""
    near_school = stop_km("b", 10, service_s=600, forbidden=((1000, 2000),))
    stops = [stop_km("a", 5, windows=((0, 400),)), near_school]
    timing = _scheduler(on_a_line(stops, [van()])).timing(Tour(0, (1, 2)))
    assert timing.visits[1] == TimedVisit(2, 600, 2000, 200, 0)
    assert timing.end_s == 2000 + 600 + 600


def test_a_facility_empties_the_vehicle_once_open(
    on_a_line: OnALine, stop_km: StopKm, van: Van
) -> None:
    """Unloading starts when the facility opens and leaves the vehicle empty for the next load."""
    plant = Facility("F", 10.0, 0.0, opens_s=3600, unload_s=300)
    stops = [stop_km("a", 5, 600, demand_kg=60, windows=((0, 400),)), stop_km("b", 15, 600)]
    problem = on_a_line(stops, [van()], [plant])
    timing = _scheduler(problem).timing(Tour(0, (2, 1, 3, 1)))
    assert timing.feasible
    assert timing.visits == (
        TimedVisit(2, 300, 300, 600, 60),
        TimedVisit(1, 600, 3600, 0, 0),
        TimedVisit(3, 4200, 4200, 600, 0),
        TimedVisit(1, 4500, 4500, 0, 0),
    )
    assert timing.end_s == 5400


def test_break_goes_where_the_route_ends_earliest(
    on_a_line: OnALine, stop_km: StopKm, van: Van
) -> None:
    """The break fills the wait for b's window rather than coming after b."""
    stops = [stop_km("a", 10, windows=((0, 700),)), stop_km("b", 20, windows=((4000, 9000),))]
    problem = on_a_line(stops, [van(lunch=Break(600, 4500, 1800))])
    scheduler = _scheduler(problem)
    timing = scheduler.timing(Tour(0, (1, 2)))
    assert (timing.break_after, timing.break_start_s, timing.end_s) == (1, 600, 5200)
    assert timing.feasible
    route = scheduler.route(Tour(0, (1, 2)))
    assert (route.break_after, route.break_start) == (1, problem.at(600))
    placed = scheduler.timing(Tour(0, (1, 2), break_after=2))
    assert (placed.break_start_s, placed.end_s, placed.feasible) == (4000, 7000, True)
    assert not scheduler.timing(Tour(0, (1, 2), break_after=0)).feasible  # a's window is gone


def test_break_interrupts_the_drive(on_a_line: OnALine, stop_km: StopKm, van: Van) -> None:
    """Leaving at 0 for a, 600 s away, with a break due from 200: the crew drives 200 s,
    breaks until 2000 and drives the last 400 s, reaching a at 2400, not 2600."""
    problem = on_a_line([stop_km("a", 10)], [van(lunch=Break(200, 300, 1800))])
    timing = _scheduler(problem).timing(Tour(0, (1,), break_after=0))
    assert (timing.break_start_s, timing.visits[0].arrival_s, timing.feasible) == (200, 2400, True)
    late = _scheduler(problem).timing(Tour(0, (1,), break_after=1))
    assert not late.feasible  # after a, at 600 at the soonest: past the latest start, 300


@pytest.mark.parametrize(
    ("lunch", "break_after", "end_s"),
    [
        (Break(7200, 9000, 1800), None, 1200),
        (Break(600, 1200, 1800), None, 1200),
        (Break(600, 1199, 1800), 0, 3000),
    ],
)
def test_break_is_taken_on_the_road_only_while_the_route_is_under_way(
    on_a_line: OnALine,
    stop_km: StopKm,
    van: Van,
    lunch: Break,
    break_after: int | None,
    end_s: int,
) -> None:
    """A route back by the break's latest start takes none on the road (the crew takes it at
    the depot); one still out then takes it where the route ends earliest (the first such
    place: on the way to a, at a, or on the way back all end at 3000)."""
    problem = on_a_line([stop_km("a", 10)], [van(lunch=lunch)])
    timing = _scheduler(problem).timing(Tour(0, (1,)))
    assert (timing.break_after, timing.end_s, timing.feasible) == (break_after, end_s, True)


@pytest.mark.parametrize(
    ("stops", "vehicle", "depot"),
    [
        (
            [Stop("a", 1.0, 0.0, 600.0), Stop("b", 2.0, 0.0, 600.0)],
            Vehicle("t", 1000.0, 0, 36_000),
            Depot("depot", 0.0, 0.0),
        ),
        (
            [Stop("a", 1.0, 0.0, 100.0, demand_kg=600), Stop("b", 2.0, 0.0, 100.0, demand_kg=600)],
            Vehicle("t", 1000.0, 0, 36_000, capacity_kg=1000),
            Depot("depot", 0.0, 0.0),
        ),
        ([Stop("a", 10.0, 0.0, 100.0)], Vehicle("t", 1000.0, 0, 1000), Depot("depot", 0.0, 0.0)),
        (
            [Stop("a", 10.0, 0.0, 100.0)],
            Vehicle("t", 1000.0, 0, 36_000, max_duration_s=1000),
            Depot("depot", 0.0, 0.0),
        ),
        (
            [Stop("a", 10.0, 0.0, 100.0)],
            Vehicle("t", 1000.0, 0, 36_000),
            Depot("depot", 0.0, 0.0, closes_s=1000),
        ),
        (
            [Stop("a", 10.0, 0.0, 100.0, windows=((0, 100),))],
            Vehicle("t", 1000.0, 0, 36_000),
            Depot("depot", 0.0, 0.0),
        ),
        (
            [Stop("a", 10.0, 0.0, 100.0, service_s=3600, windows=((600, 601),))],
            Vehicle("t", 1000.0, 0, 36_000, lunch=Break(600, 700, 1800)),
            Depot("depot", 0.0, 0.0),
        ),
    ],
    ids=["litres", "kilograms", "shift", "max duration", "depot hours", "window", "break"],
)
def test_infeasible_tours(
    on_a_line: OnALine, stops: list[Stop], vehicle: Vehicle, depot: Depot
) -> None:
    """A tour over a capacity, the shift, the duration limit, a window or the break's latest
    start is infeasible."""
    problem = on_a_line(stops, [vehicle], depots=[depot])
    assert not _scheduler(problem).timing(Tour(0, tuple(range(1, len(stops) + 1)))).feasible


def test_facility_must_be_open_until_unloading_is_over(
    on_a_line: OnALine, stop_km: StopKm, van: Van
) -> None:
    """Unloading that would end after the facility closes is infeasible."""
    plant = Facility("F", 10.0, 0.0, opens_s=0, closes_s=1000, unload_s=500)
    problem = on_a_line([stop_km("a", 5)], [van()], [plant])
    assert not _scheduler(problem).timing(Tour(0, (2, 1))).feasible


def test_a_tour_through_a_depot_is_refused(on_a_line: OnALine, stop_km: StopKm, van: Van) -> None:
    """Depots are implied at both ends of a tour, never visited in it."""
    problem = on_a_line([stop_km("a", 5)], [van()])
    with pytest.raises(ValueError, match="visits depot depot"):
        _scheduler(problem).timing(Tour(0, (1, 0)))


def test_route_totals(on_a_line: OnALine, stop_km: StopKm, van: Van) -> None:
    """24 km and 1620 s at 2 per km and 36 per hour, plus a fixed 50, cost 114.2."""
    plant = Facility("F", 12.0, 0.0, unload_s=120)
    stop = stop_km("a", 10, 300, service_s=60, demand_kg=30, expected_fill_pct=80.0)
    vehicle = van(cost_per_km=2.0, cost_per_hour=36.0, fixed_cost=50.0)
    problem = on_a_line([stop], [vehicle], [plant])
    route = _scheduler(problem).route(Tour(0, (2, 1)))
    assert (route.vehicle_id, route.depot_id, route.end_depot_id) == ("t", "depot", None)
    assert (route.start, route.end) == (problem.at(0), problem.at(1620))
    assert (route.distance_m, route.duration_s, route.load_l) == (24_000, 1620, 300)
    assert route.cost == pytest.approx(114.2)
    assert route.stop_ids == ("a",)
    assert route.disposals == 1
    bin_visit, disposal = route.visits
    assert (bin_visit.arrival, bin_visit.load_after_l, bin_visit.load_after_kg) == (
        problem.at(600),
        300,
        30,
    )
    assert bin_visit.expected_fill_pct == 80.0
    assert (disposal.site_id, disposal.arrival, disposal.load_after_l) == ("F", problem.at(780), 0)
    assert route.break_start is None
    plan = Result((route,), (), "by hand", "", 0, cost=route.cost)
    assert check(problem, plan) == []


def test_route_to_another_depot(on_a_line: OnALine, stop_km: StopKm, van: Van) -> None:
    """A vehicle ending at another depot drives there from its last stop."""
    depots = [Depot("A", 0.0, 0.0), Depot("B", 15.0, 0.0)]
    problem = on_a_line([stop_km("a", 10)], [van(end_depot="B")], depots=depots)
    route = _scheduler(problem).route(Tour(0, (2,)))
    assert (route.depot_id, route.end_depot_id, route.returns_to) == ("A", "B", "B")
    assert (route.distance_m, route.end - route.start) == (15_000, timedelta(seconds=900))
