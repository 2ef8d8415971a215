"""Tests of the plan checker: a valid plan passes, plans broken on purpose are caught.

The problem is small and its travel matrices are written by hand, so every number of a plan
can be worked out on paper. Sites: depot D, facility F, stops a, b and c (optional), in
matrix order; distances are ten metres per second of travel. Times are seconds after
midnight: 24600 is 6:50.

The valid plan of v1: leave D at 24600; a: arrive 24900, wait for its window, serve
25200-25320 (400 l, 40 kg); b: arrive 25420, serve -25480 (900 l, 140 kg); break 27000-28800;
F: arrive 29000, unload -30000; back at D 30600. 12 km and 6000 s: 50 + 2 * 12 + 30 * 6000 /
3600 = 124. Stop c is left out as not worth it.
"""

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

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
    Route,
    Stop,
    TravelMatrices,
    Vehicle,
    Visit,
    VisitKind,
)
from optimizer.check import (
    Violation,
    ViolationKind,
    check,
    route_cost,
    verify,
)
from optimizer.errors import PlanCheckError

DAY = datetime(2025, 3, 3, tzinfo=UTC)
DURATION_S = np.array(
    [  #  D     F     a     b     c
        [   0,  600,  300,  400, 1000],  # D
        [ 600,    0,  500,  200,  900],  # F
        [ 300,  500,    0,  100,  800],  # a
        [ 400,  200,  100,    0,  700],  # b
        [1000,  900,  800,  700,    0],  # c
    ],
    dtype=np.int64,
)  # fmt: skip
MATRICES = TravelMatrices(distance_m=DURATION_S * 10, duration_s=DURATION_S)

DEPOT = Depot("D", 0.0, 0.0)
FACILITY = Facility(
    "F",
    0.0,
    1.0,
    opens_s=21600,
    closes_s=64800,
    unload_s=1000,
    waste_streams=frozenset({"residual"}),
)
STOPS = (
    Stop("a", 1.0, 0.0, 400.0, service_s=120, waste_stream="residual", demand_kg=40.0,
         windows=((25200, 32400),)),
    Stop("b", 1.0, 1.0, 500.0, service_s=60, waste_stream="residual", demand_kg=100.0,
         forbidden=((25500, 26000),)),
    Stop("c", 2.0, 2.0, 100.0, waste_stream="residual", required=False, prize=5.0),
)  # fmt: skip
V1 = Vehicle(
    "v1", 1000.0, 21600, 50400, cost_per_km=2.0, cost_per_hour=30.0, fixed_cost=50.0,
    capacity_kg=200.0, lunch=Break(25000, 28000, 1800), waste_streams=frozenset({"residual"}),
)  # fmt: skip
V2 = Vehicle("v2", 1000.0, 21600, 50400)

Part = TypeVar("Part", Depot, Facility, Stop, Vehicle)


def _problem(target: str = "", **changes: Any) -> Problem:
    """The test problem, with `changes` made to the depot, facility, stop or vehicle `target`."""

    def edit(part: Part) -> Part:
        return replace(part, **changes) if part.id == target else part

    return Problem(
        DAY,
        (edit(DEPOT),),
        (edit(V1), edit(V2)),
        tuple(edit(stop) for stop in STOPS),
        (edit(FACILITY),),
        GivenMatrices(MATRICES),
    )


def _at(seconds: int) -> datetime:
    return DAY + timedelta(seconds=seconds)


def _visit(
    site_id: str,
    arrival_s: int,
    load_l: float = 0.0,
    load_kg: float = 0.0,
    start_s: int | None = None,
    kind: VisitKind = VisitKind.BIN,
) -> Visit:
    start = None if start_s is None else _at(start_s)
    return Visit(site_id, _at(arrival_s), load_l, None, kind, start, load_kg)


def _disposal(arrival_s: int) -> Visit:
    return _visit("F", arrival_s, kind=VisitKind.DISPOSAL)


def _route(
    visits: tuple[Visit, ...],
    span_s: tuple[int, int],
    distance_m: int,
    cost: float,
    break_s: tuple[int, int] | None = None,
    vehicle_id: str = "v1",
) -> Route:
    """A route from D back to D over `span_s`; `break_s` is (start, after how many visits)."""
    load_l = sum(stop.demand_l for stop in STOPS if stop.id in {v.site_id for v in visits})
    return Route(
        vehicle_id,
        "D",
        _at(span_s[0]),
        _at(span_s[1]),
        visits,
        distance_m,
        span_s[1] - span_s[0],
        load_l,
        break_start=None if break_s is None else _at(break_s[0]),
        break_after=None if break_s is None else break_s[1],
        cost=cost,
    )


VALID_VISITS = (
    _visit("a", 24900, 400.0, 40.0, start_s=25200),
    _visit("b", 25420, 900.0, 140.0),
    _disposal(29000),
)
VALID_ROUTE = _route(VALID_VISITS, (24600, 30600), 12000, 124.0, break_s=(27000, 2))


def _plan(*routes: Route, omissions: tuple[Omission, ...] | None = None) -> Result:
    """A result of these routes, c left out unless `omissions` say otherwise."""
    if omissions is None:
        omissions = (Omission("c", OmissionReason.NOT_WORTH_IT),)
    return Result(routes, omissions, "by hand", "ok", 0, cost=sum(r.cost for r in routes))


def _forced(result: Result, **fields: Any) -> Result:
    """`result` with fields set past its own validation, as a buggy producer might."""
    for name, value in fields.items():
        object.__setattr__(result, name, value)
    return result


def _kinds(violations: list[Violation]) -> set[ViolationKind]:
    return {violation.kind for violation in violations}


@pytest.fixture
def problem() -> Problem:
    """The hand-made problem: one depot, one facility, stops a, b and optional c."""
    return _problem()


@pytest.fixture
def plan() -> Result:
    """The valid plan of the problem: v1 serves a and b, unloads at F; c is left out."""
    return _plan(VALID_ROUTE)


def test_valid_plan_has_no_violations(problem: Problem, plan: Result) -> None:
    """The hand-made plan keeps every rule; verify accepts it."""
    assert check(problem, plan, MATRICES) == []
    verify(problem, plan)


def test_matrices_come_from_the_problem_by_default(
    stop_at: Callable[..., Stop],
    truck: Callable[..., Vehicle],
    make_problem: Callable[..., Problem],
) -> None:
    """Without matrices, the checker computes them from the sites' coordinates."""
    problem = make_problem([stop_at("n", 1.0, 0.0, service_s=30)], [truck("t", cost_per_km=1.0)])
    matrices = problem.matrices()
    out_s, out_m = int(matrices.duration_s[0, 1]), int(matrices.distance_m[0, 1])
    start_s = 6 * 3600
    route = Route(
        "t", "depot", _at(start_s), _at(start_s + 2 * out_s + 30),
        (_visit("n", start_s + out_s, 100.0),), 2 * out_m, 2 * out_s + 30, 100.0,
        cost=2 * out_m / 1000,
    )  # fmt: skip
    assert check(problem, _plan(route, omissions=())) == []
    hasty = replace(route, visits=(_visit("n", start_s + out_s - 1, 100.0),))
    assert _kinds(check(problem, _plan(hasty, omissions=()))) == {ViolationKind.TRAVEL_TIME}


@pytest.mark.parametrize(
    ("target", "changes", "kind"),
    [
        ("v1", {"capacity_l": 800.0}, ViolationKind.CAPACITY),
        ("v1", {"capacity_kg": 100.0}, ViolationKind.CAPACITY),
        ("v1", {"waste_streams": frozenset({"glass"})}, ViolationKind.STREAM),
        ("v1", {"shift_start_s": 25000}, ViolationKind.SHIFT),
        ("v1", {"shift_end_s": 30000}, ViolationKind.SHIFT),
        ("v1", {"max_duration_s": 5999}, ViolationKind.DURATION),
        ("v1", {"lunch": None}, ViolationKind.BREAK),
        ("a", {"windows": ((25300, 32400),)}, ViolationKind.TIME_WINDOW),
        ("a", {"windows": ((21600, 25200),)}, ViolationKind.TIME_WINDOW),
        ("b", {"vehicle_id": "v2"}, ViolationKind.LOCKED),
        ("b", {"forbidden": ((25470, 25500),)}, ViolationKind.FORBIDDEN),
        ("b", {"forbidden": ((25000, 25421),)}, ViolationKind.FORBIDDEN),
        ("F", {"closes_s": 29999}, ViolationKind.FACILITY_HOURS),
        ("F", {"opens_s": 29500}, ViolationKind.FACILITY_HOURS),
        ("F", {"waste_streams": frozenset({"glass"})}, ViolationKind.STREAM),
        ("D", {"opens_s": 25000}, ViolationKind.DEPOT_HOURS),
        ("D", {"closes_s": 30000}, ViolationKind.DEPOT_HOURS),
    ],
)
def test_plan_against_a_stricter_problem(
    target: str, changes: dict[str, Any], kind: ViolationKind, plan: Result
) -> None:
    """The valid plan breaks exactly the rule a stricter problem adds."""
    violations = check(_problem(target, **changes), plan)
    assert _kinds(violations) == {kind}
    assert all(v.vehicle_id == "v1" for v in violations)


@pytest.mark.parametrize(
    ("visits", "kind"),
    [
        # a served on arrival, before its window opens, instead of waiting
        ((_visit("a", 24900, 400.0, 40.0), *VALID_VISITS[1:]), ViolationKind.TIME_WINDOW),
        # b reached 20 s sooner than the 100 s from a allow
        ((VALID_VISITS[0], _visit("b", 25400, 900.0, 140.0), VALID_VISITS[2]),
         ViolationKind.TRAVEL_TIME),
        # a says 450 l on board
        ((_visit("a", 24900, 450.0, 40.0, 25200), *VALID_VISITS[1:]), ViolationKind.LOAD),
        # b says 150 kg on board
        ((VALID_VISITS[0], _visit("b", 25420, 900.0, 150.0), VALID_VISITS[2]), ViolationKind.LOAD),
        # F still loaded after unloading
        ((*VALID_VISITS[:2], replace(VALID_VISITS[2], load_after_l=900.0)), ViolationKind.LOAD),
    ],
)  # fmt: skip
def test_broken_visits(visits: tuple[Visit, ...], kind: ViolationKind, problem: Problem) -> None:
    """A visit too early, too soon after the last or with a wrong load is caught."""
    route = replace(VALID_ROUTE, visits=visits)
    violations = check(problem, _plan(route))
    assert _kinds(violations) == {kind}
    assert {v.site_id for v in violations} <= {"a", "b", "F"}


def test_service_before_arrival(problem: Problem) -> None:
    """A service start before the arrival (which Visit refuses itself) is caught."""
    early = _visit("b", 25420, 900.0, 140.0)
    object.__setattr__(early, "start", _at(25410))
    route = replace(VALID_ROUTE, visits=(VALID_VISITS[0], early, VALID_VISITS[2]))
    assert _kinds(check(problem, _plan(route))) == {ViolationKind.SERVICE}


@pytest.mark.parametrize(
    "changes",
    [
        {"break_start": None, "break_after": None},  # missing, though out at 25000
        {"break_start": _at(24800)},  # before the earliest 25000, and before b is done
        {"break_start": _at(28500)},  # after the latest 28000, and F reached before it ends
        {"break_start": _at(25450)},  # while b is being served
        {"break_after": 1},  # between a and b, but b is reached at 25420, before it ends
        {"break_after": None},  # a start without a position
    ],
)
def test_broken_break(changes: dict[str, Any], problem: Problem) -> None:
    """A break missing, out of its window, overlapping service or cut short is caught."""
    route = replace(VALID_ROUTE, **changes)
    assert _kinds(check(problem, _plan(route))) == {ViolationKind.BREAK}


def test_no_break_on_the_road_when_back_by_its_latest_start(plan: Result) -> None:
    """A route back at its depot by the break's latest start has it there, not on the road."""
    problem = _problem("v1", lunch=Break(30000, 30600, 1800))
    route = replace(VALID_ROUTE, break_start=None, break_after=None)
    assert check(problem, _plan(route)) == []
    late_problem = _problem("v1", lunch=Break(30000, 30599, 1800))
    assert _kinds(check(late_problem, _plan(route))) == {ViolationKind.BREAK}


def test_break_may_interrupt_the_drive(problem: Problem) -> None:
    """The 200 s from b to F may be driven before the break: F is reached as it ends, 28800.

    Reaching F any sooner is caught. 12 km and 5800 s: 50 + 2 * 12 + 30 * 5800 / 3600.
    """
    visits = (*VALID_VISITS[:2], _disposal(28800))
    route = _route(visits, (24600, 30400), 12000, 50 + 24 + 30 * 5800 / 3600, break_s=(27000, 2))
    assert check(problem, _plan(route)) == []
    early = _route(
        (*VALID_VISITS[:2], _disposal(28799)),
        (24600, 30399),
        12000,
        50 + 24 + 30 * 5799 / 3600,
        break_s=(27000, 2),
    )
    assert _kinds(check(problem, _plan(early))) == {ViolationKind.BREAK}


# a, b, then straight home: b -> D 400 s after the break; 8 km, 4600 s
NO_DISPOSAL = _route(
    VALID_VISITS[:2], (24600, 29200), 8000, 50 + 16 + 30 * 4600 / 3600, break_s=(27000, 2)
)


def test_skipped_disposal(problem: Problem) -> None:
    """With facilities, a route that returns loaded is caught."""
    violations = check(problem, _plan(NO_DISPOSAL))
    assert _kinds(violations) == {ViolationKind.DISPOSAL}


def test_without_facilities_a_vehicle_returns_loaded() -> None:
    """Without facilities, returning loaded is right and a disposal visit names no facility."""
    keep = [0, 2, 3, 4]  # D, a, b, c
    matrices = TravelMatrices(
        MATRICES.distance_m[np.ix_(keep, keep)], DURATION_S[np.ix_(keep, keep)]
    )
    problem = Problem(DAY, (DEPOT,), (V1, V2), STOPS, (), GivenMatrices(matrices))
    assert check(problem, _plan(NO_DISPOSAL), matrices) == []
    assert ViolationKind.UNKNOWN in _kinds(check(problem, _plan(VALID_ROUTE), matrices))


def test_capacity_counts_from_the_last_disposal() -> None:
    """At 800 l, a then b overflow, but a, F, b, F does not: unloading empties the vehicle."""
    problem = _problem("v1", capacity_l=800.0)
    # a 25200-25320; F 25820-26820; break 26820-28620; b 28820-28880; F 29080-30080; D 30680
    visits = (
        _visit("a", 24900, 400.0, 40.0, start_s=25200),
        _disposal(25820),
        _visit("b", 28820, 500.0, 100.0),
        _disposal(29080),
    )
    cost = 50 + 2 * 18 + 30 * 6080 / 3600
    route = _route(visits, (24600, 30680), 18000, cost, break_s=(26820, 2))
    assert check(problem, _plan(route)) == []
    violations = check(problem, _plan(VALID_ROUTE))
    assert [(v.kind, v.site_id) for v in violations] == [(ViolationKind.CAPACITY, "b")]


def test_return_sooner_than_travel_allows(problem: Problem) -> None:
    """A return to the depot sooner than the drive from the facility is caught."""
    route = _route(VALID_VISITS, (24600, 30500), 12000, 50 + 24 + 30 * 5900 / 3600, (27000, 2))
    violations = check(problem, _plan(route))
    assert [(v.kind, v.site_id) for v in violations] == [(ViolationKind.TRAVEL_TIME, "D")]


@pytest.mark.parametrize(
    "changes",
    [
        {"distance_m": 12001},
        {"duration_s": 6001},
        {"load_l": 899.0},
        {"cost": 124.01},
    ],
)
def test_wrong_route_totals(changes: dict[str, Any], problem: Problem) -> None:
    """A route whose distance, duration, load or cost does not add up is caught."""
    route = replace(VALID_ROUTE, **changes)
    assert _kinds(check(problem, _plan(route))) == {ViolationKind.TOTALS}


def test_totals_within_tolerance(problem: Problem) -> None:
    """Costs and loads off by rounding only (1e-9 relative) pass."""
    route = replace(VALID_ROUTE, cost=124.0 * (1 + 1e-9), load_l=900.0 * (1 - 1e-9))
    assert check(problem, _plan(route)) == []


def test_wrong_plan_cost(problem: Problem, plan: Result) -> None:
    """A plan whose cost is not the sum of its routes' is caught."""
    violations = check(problem, replace(plan, cost=125.0))
    assert [(v.kind, v.vehicle_id) for v in violations] == [(ViolationKind.TOTALS, None)]


@pytest.mark.parametrize("changes", [{"depot_id": "X"}, {"end_depot_id": "X"}])
def test_wrong_depot(changes: dict[str, Any], problem: Problem) -> None:
    """A route leaving from or returning to another depot than its vehicle's is caught."""
    route = replace(VALID_ROUTE, **changes)
    assert _kinds(check(problem, _plan(route))) == {ViolationKind.DEPOT}


# v2 serves a alone: leave 24900, a 25200-25320, F 25820-26820, back 27420; 14 km at 1 per km
V2_SERVES_A = _route(
    (_visit("a", 25200, 400.0, 40.0), _disposal(25820)), (24900, 27420), 14000, 14.0,
    vehicle_id="v2",
)  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "kind"),
    [
        ({"omissions": ()}, ViolationKind.COVERAGE),
        ({"omissions": (Omission("c", OmissionReason.NOT_WORTH_IT),) * 2},
         ViolationKind.COVERAGE),
        ({"omissions": (Omission("c", "meh"),)}, ViolationKind.COVERAGE),  # type: ignore[arg-type]
        ({"routes": (VALID_ROUTE, V2_SERVES_A), "cost": 138.0}, ViolationKind.COVERAGE),
        ({"omissions": (Omission("c", OmissionReason.NOT_WORTH_IT),
                        Omission("a", OmissionReason.CAPACITY))}, ViolationKind.COVERAGE),
        ({"routes": (VALID_ROUTE, _route((), (24600, 24600), 0, 50.0)), "cost": 174.0},
         ViolationKind.FLEET),
        ({"omissions": (Omission("c", OmissionReason.NOT_WORTH_IT),
                        Omission("zz", OmissionReason.CAPACITY))}, ViolationKind.UNKNOWN),
        ({"routes": (replace(VALID_ROUTE, vehicle_id="v9"),)}, ViolationKind.UNKNOWN),
    ],
)  # fmt: skip
def test_coverage(fields: dict[str, Any], kind: ViolationKind, problem: Problem) -> None:
    """Stops missing, served twice, served and omitted, unknown ids, a vehicle reused."""
    result = _forced(_plan(VALID_ROUTE), **fields)
    assert _kinds(check(problem, result)) == {kind}


def test_required_stop_may_be_omitted_with_a_reason(problem: Problem) -> None:
    """A required stop left out with a reason is no violation; the route may serve less."""
    # a only: leave 24900, a 25200-25320; break 25320-27120; F 27620-28620; D 29220
    visits = (_visit("a", 25200, 400.0, 40.0), _disposal(27620))
    cost = 50 + 2 * 14 + 30 * 4320 / 3600
    route = _route(visits, (24900, 29220), 14000, cost, break_s=(25320, 1))
    omissions = (Omission("b", OmissionReason.SEARCH_LIMIT), Omission("c", OmissionReason.CAPACITY))
    assert check(problem, _plan(route, omissions=omissions)) == []


def test_visit_of_the_wrong_kind(problem: Problem) -> None:
    """A BIN visit of a facility or a DISPOSAL visit of a stop names an unknown site."""
    wrong = replace(VALID_VISITS[2], kind=VisitKind.BIN)
    route = replace(VALID_ROUTE, visits=(*VALID_VISITS[:2], wrong))
    violations = check(problem, _plan(route))
    assert (ViolationKind.UNKNOWN, "F") in {(v.kind, v.site_id) for v in violations}


def test_verify_raises_with_every_violation(problem: Problem) -> None:
    """verify raises PlanCheckError listing the violations, one per line."""
    route = replace(VALID_ROUTE, distance_m=1, break_start=None, break_after=None)
    with pytest.raises(PlanCheckError) as info:
        verify(problem, _plan(route), MATRICES)
    kinds = [v.kind for v in info.value.violations]
    assert ViolationKind.BREAK in kinds
    assert ViolationKind.TOTALS in kinds
    assert str(info.value).count("\n") == len(kinds)
    assert "break (vehicle v1): no break" in str(info.value)


def test_matrices_of_the_wrong_size(problem: Problem, plan: Result) -> None:
    """Matrices that do not match the problem's sites are refused."""
    small = TravelMatrices(np.zeros((2, 2), np.int64), np.zeros((2, 2), np.int64))
    with pytest.raises(ValueError, match="size 2"):
        check(problem, plan, small)


def test_route_cost() -> None:
    """A route costs the fixed cost plus its km and hours at the vehicle's rates."""
    assert route_cost(V1, 12000, 6000) == pytest.approx(124.0)
    assert route_cost(V2, 1500, 7200) == pytest.approx(1.5)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"detail": ""}, "one non-empty line"),
        ({"detail": "two\nlines"}, "one non-empty line"),
        ({"kind": "capacity"}, "ViolationKind"),
    ],
)
def test_bad_violation(fields: dict[str, Any], message: str) -> None:
    """A violation needs a kind and a one-line detail."""
    good: dict[str, Any] = {
        "vehicle_id": None,
        "site_id": None,
        "kind": ViolationKind.TOTALS,
        "detail": "x",
    }
    with pytest.raises(ValueError, match=message):
        Violation(**{**good, **fields})
