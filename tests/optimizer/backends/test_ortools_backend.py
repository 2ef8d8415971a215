"""Tests of the OR-Tools model: its nodes, arcs and domains, and the tours it answers with.

Problems lie on the straight road of `on_a_line` (a km is 1000 m and 60 s; the depot at km
0); whole plans, constraint by constraint, are tested through `solve` in `test_solve.py`.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ortools.constraint_solver import routing_enums_pb2

from optimizer import Depot, Facility, OrtoolsParams, Problem, Stop, Tour, Vehicle
from optimizer.backends.ortools_backend import RoutingModel, iterated, solve_ortools
from optimizer.backends.ortools_params import search_parameters, use_iterated_local_search
from optimizer.improve import plan_objective
from optimizer.read import read_vrplib
from optimizer.schedule import Scheduler

OnALine = Callable[..., Problem]
StopKm = Callable[..., Stop]
Van = Callable[..., Vehicle]

FAST = OrtoolsParams(solution_limit=100)
X_N101 = Path(__file__).resolve().parents[2] / "data" / "X-n101-k25.vrp"


def _model(problem: Problem, params: OrtoolsParams = FAST) -> RoutingModel:
    return RoutingModel(problem, problem.matrices(), params)


def _tours(problem: Problem, params: OrtoolsParams = FAST, initial: Any = None) -> list[Tour]:
    found = solve_ortools(problem, problem.matrices(), 0.5, params, initial)
    assert found is not None
    return found[0]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"first_solution": "NEAREST"}, "first solution"),
        ({"first_solution": "UNSET"}, "first solution"),
        ({"metaheuristic": "UNSET"}, "metaheuristic"),
        ({"solution_limit": 0}, "solution_limit"),
        ({"neighbors": -1}, "neighbors"),
        ({"trips": 0}, "trips"),
        ({"temperature": 0.0}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"sisr_removed": 0}, "sisr"),
    ],
)
def test_bad_params(fields: dict[str, Any], message: str) -> None:
    """Unknown strategies and limits below their least are refused."""
    with pytest.raises(ValueError, match=message):
        OrtoolsParams(**fields)


def test_a_model_needs_vehicles_and_matching_matrices(
    on_a_line: OnALine, stop_km: StopKm, van: Van
) -> None:
    """No fleet, or matrices of another problem, are refused."""
    problem = on_a_line([stop_km("a", 1)], [van()])
    with pytest.raises(ValueError, match="at least one vehicle"):
        _model(on_a_line([stop_km("a", 1)], []))
    other = on_a_line([stop_km("a", 1), stop_km("b", 2)], [van()]).matrices()
    with pytest.raises(ValueError, match="do not match"):
        RoutingModel(problem, other, FAST)


@pytest.mark.parametrize(
    ("fields", "timed"),
    [({}, False), ({"service_s": 60}, True), ({"windows": ((0, 3600),)}, True)],
)
def test_time_is_modelled_only_when_it_matters(
    on_a_line: OnALine, van: Van, fields: dict[str, Any], timed: bool
) -> None:
    """Without travel times, service, windows, breaks or hourly costs there is no time
    dimension."""
    problem = on_a_line([Stop("a", 0.0, 0.0, 100.0, **fields)], [van()])
    assert (_model(problem).time is not None) is timed


def test_service_starts_only_where_allowed(on_a_line: OnALine, stop_km: StopKm, van: Van) -> None:
    """A stop's service may start inside its windows, clear of its forbidden interval."""
    stop = stop_km("a", 1, service_s=10, windows=((100, 200), (300, 400)), forbidden=((150, 160),))
    model = _model(on_a_line([stop], [van()]))
    start = model.time.CumulVar(model.manager.NodeToIndex(model.nodes.first_stop_node))
    moments = (99, 100, 140, 141, 159, 160, 199, 200, 299, 300, 399, 400)
    assert [t for t in moments if start.Contains(t)] == [100, 140, 160, 199, 300, 399]


@pytest.mark.parametrize(
    "fields",
    [
        {"windows": ((40_000, 50_000),)},  # after every shift
        {"windows": ((1000, 2000),), "forbidden": ((0, 3000),)},
        {"service_s": 600, "windows": ((1000, 2000),), "forbidden": ((1500, 2400),)},
    ],
)
def test_a_stop_no_service_can_start_is_inactive(
    on_a_line: OnALine, stop_km: StopKm, van: Van, fields: dict[str, Any]
) -> None:
    """A stop whose windows and forbidden intervals leave no start within the shifts is left
    out of the model rather than making it fail."""
    model = _model(on_a_line([stop_km("a", 1), stop_km("x", 2, **fields)], [van()]))
    x = model.manager.NodeToIndex(model.nodes.first_stop_node + 1)
    assert model.routing.ActiveVar(x).Max() == 0
    assert [tour.sites for tour in model.tours(model.search(0.5))] == [(1,)]


@pytest.mark.parametrize(
    "fields",
    [
        {"opens_s": 40_000, "closes_s": 50_000},  # after every shift
        {"opens_s": 0, "closes_s": 100, "unload_s": 300},  # too short to unload
    ],
)
def test_a_facility_that_cannot_unload_is_inactive(
    on_a_line: OnALine, stop_km: StopKm, van: Van, fields: dict[str, Any]
) -> None:
    """Copies of a facility that can unload no one within its hours and the shifts are never
    visited; the plan unloads elsewhere."""
    facilities = [Facility("F", 3.0, 0.0, **fields), Facility("G", -3.0, 0.0)]
    problem = on_a_line([stop_km("a", 1)], [van()], facilities)
    model = _model(problem, OrtoolsParams(solution_limit=100, trips=1))
    assert (
        model.routing.ActiveVar(model.manager.NodeToIndex(model.nodes.facility_nodes[0])).Max() == 0
    )
    assert [tour.sites for tour in model.tours(model.search(0.5))] == [(3, 2)]  # a, then G


def test_a_vehicle_without_time_to_work_stays_home(
    on_a_line: OnALine, stop_km: StopKm, van: Van
) -> None:
    """A vehicle whose depot opens after its shift is over has no route; the others work."""
    depots = [Depot("A", 0.0, 0.0), Depot("B", 1.0, 0.0, opens_s=40_000, closes_s=50_000)]
    vehicles = [van("late", start_depot="B"), van("early", start_depot="A")]
    tours = _tours(on_a_line([stop_km("a", 1)], vehicles, depots=depots))
    assert [(tour.vehicle, tour.sites) for tour in tours] == [(1, (2,))]


def test_tours_end_with_the_nearest_open_facility(
    on_a_line: OnALine, stop_km: StopKm, van: Van
) -> None:
    """The final unloading is made explicit, at the facility on the shortest way home unless it
    is closed by then."""
    facilities = [Facility("F1", 3.0, 0.0, closes_s=3000), Facility("F2", -5.0, 0.0)]
    stops = [stop_km("a", 2, windows=((3600, 4000),))]
    problem = on_a_line(stops, [van()], facilities)
    (tour,) = _tours(problem)
    assert tour.sites == (3, 2)  # a, then F2
    assert Scheduler(problem, problem.matrices()).timing(tour).feasible


def test_trips_cap_the_disposal_visits(on_a_line: OnALine, stop_km: StopKm, van: Van) -> None:
    """With one copy of the facility a vehicle unloads twice at most (once on the way home):
    two of six full loads are left out."""
    stops = [stop_km(f"s{i}", i, 1000) for i in range(1, 7)]
    problem = on_a_line(stops, [van()], [Facility("F", 0.0, 0.0)])
    (tour,) = _tours(problem, OrtoolsParams(solution_limit=100, trips=1))
    assert tour.sites.count(1) == 2
    assert len(tour.sites) == 4


@pytest.mark.parametrize(("takes", "unloads_p_at"), [(frozenset(), 1), (frozenset({"glass"}), 2)])
def test_the_search_starts_from_initial_tours(
    on_a_line: OnALine, stop_km: StopKm, van: Van, takes: frozenset[str], unloads_p_at: int
) -> None:
    """Initial tours are the first solution of the search; their final unloading is left to
    the return node (the nearest facility) unless the load is of a stream some facility
    refuses, when it stays as given."""
    facilities = [Facility("Fg", 4.0, 0.0, waste_streams=takes), Facility("Fp", -2.0, 0.0)]
    stops = [stop_km("g", 2, waste_stream="glass"), stop_km("p", 3, waste_stream="paper")]
    problem = on_a_line(stops, [van("t1"), van("t2")], facilities)
    initial = [Tour(0, (4, 2)), Tour(1, (3, 1))]  # t1: p, then Fp; t2: g, then Fg
    tours = _tours(problem, OrtoolsParams(solution_limit=1), initial)
    assert [(tour.vehicle, tour.sites) for tour in tours] == [(0, (4, unloads_p_at)), (1, (3, 1))]


def test_iterated_local_search_where_time_neither_costs_nor_constrains(
    on_a_line: OnALine, stop_km: StopKm, van: Van
) -> None:
    """By default a search from scratch is the iterated local search on a problem without
    a time dimension (CVRPLIB's X-n101-k25) and guided local search on a timed one; the
    parameter overrides both."""
    cvrp = read_vrplib(X_N101).problem
    timed = on_a_line([stop_km("a", 1)], [van()])
    assert iterated(cvrp, cvrp.matrices(), OrtoolsParams())
    assert not iterated(timed, timed.matrices(), OrtoolsParams())
    assert not iterated(cvrp, cvrp.matrices(), OrtoolsParams(iterated_local_search=False))
    assert iterated(timed, timed.matrices(), OrtoolsParams(iterated_local_search=True))


def test_the_iterated_local_search_anneals_at_the_scale_of_the_arcs() -> None:
    """Ruin and recreate without a descent after each step, accepted by simulated annealing
    from `temperature` typical arcs down to a hundredth of that; one greedy descent first."""
    params = OrtoolsParams(temperature=4.0, sisr_max_string=7, sisr_removed=12)
    search = search_parameters(10.0, params, "SAVINGS", 100)
    use_iterated_local_search(search, params, arc_cost=2500.0)
    ils = search.iterated_local_search_parameters
    assert search.use_iterated_local_search
    assert not ils.improve_perturbed_solution
    annealing = ils.reference_solution_acceptance_strategy.simulated_annealing
    assert (annealing.initial_temperature, annealing.final_temperature) == (10_000.0, 100.0)
    sisr = ils.ruin_recreate_parameters.ruin_strategies[0].sisr
    assert (sisr.max_removed_sequence_size, sisr.avg_num_removed_visits) == (7, 12)
    greedy = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    assert search.local_search_metaheuristic == greedy


def test_a_typical_arc_is_a_stop_to_its_nearest_site(
    on_a_line: OnALine, stop_km: StopKm, van: Van
) -> None:
    """Stops at km 1, 3 and 6: their nearest sites are 1, 2 and 3 km away, 2 km on average,
    which at 1.5 a km is 3 in currency, 3000 in the model's units."""
    stops = [stop_km("a", 1), stop_km("b", 3), stop_km("c", 6)]
    problem = on_a_line(stops, [van(cost_per_km=1.5)])
    assert _model(problem)._nearest_arc_cost() == pytest.approx(3000.0)


def test_the_iterated_local_search_is_repeatable_and_near_the_best_known() -> None:
    """X-n101-k25 after 500 solutions: the same plan twice, every stop served within
    capacity, within 5 % of the best known cost (27,591; 3.9 % when written)."""
    instance = read_vrplib(X_N101)
    problem, matrices = instance.problem, instance.problem.matrices()
    runs = [solve_ortools(problem, matrices, 60.0, OrtoolsParams(solution_limit=500))]
    runs.append(solve_ortools(problem, matrices, 60.0, OrtoolsParams(solution_limit=500)))
    assert runs[0] is not None
    assert runs[1] is not None
    tours, status = runs[0]
    assert tours == runs[1][0]
    assert status == "ROUTING_SUCCESS"
    cost = plan_objective(problem, matrices, tours)  # with every stop and limit kept
    assert instance.bks is not None
    assert cost <= 1.05 * instance.bks * instance.scale
