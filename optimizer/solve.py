"""Solve a problem with OR-Tools routing: `solve(problem, time_limit_s, seed, params) -> Result`.

The search builds a first solution by the cheapest arc from each route's end, then improves it
by guided local search until the time limit (or the solution limit, when set).

Reproducibility: OR-Tools' routing search takes no random seed; for a given problem and
parameters it is deterministic, except that a time limit cuts it wherever it got to on this
machine at this moment. A solution limit cuts it at the same point every time, so runs with
one (and a time limit that is not reached) give identical results. `seed` is accepted for
solvers that use one and checked, and the planner records it with the plan.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import ortools
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from optimizer.errors import SolverError
from optimizer.model import Model, path_distance
from optimizer.problem import Problem
from optimizer.reasons import explain
from optimizer.result import Omission, OmissionReason, Result, Route, Visit

_FIRST_SOLUTIONS = frozenset(routing_enums_pb2.FirstSolutionStrategy.Value.keys()) - {
    "UNSET",
    "AUTOMATIC",
}
_METAHEURISTICS = frozenset(routing_enums_pb2.LocalSearchMetaheuristic.Value.keys()) - {
    "UNSET",
    "AUTOMATIC",
}


@dataclass(frozen=True)
class SolveParams:
    """How OR-Tools searches; the defaults suit a daily plan of a few hundred stops."""

    first_solution: str = "PATH_CHEAPEST_ARC"
    """An OR-Tools first solution strategy, by name."""
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    """An OR-Tools local search metaheuristic, by name."""
    solution_limit: int | None = None
    """Stop after this many solutions; makes a run exactly repeatable."""
    log_search: bool = False
    """Let OR-Tools log its search to stderr."""

    def __post_init__(self) -> None:
        if self.first_solution not in _FIRST_SOLUTIONS:
            raise ValueError(f"unknown first solution strategy: {self.first_solution!r}")
        if self.metaheuristic not in _METAHEURISTICS:
            raise ValueError(f"unknown local search metaheuristic: {self.metaheuristic!r}")
        if self.solution_limit is not None and self.solution_limit < 1:
            raise ValueError(f"solution_limit must be at least 1, got {self.solution_limit}")


def solver_name(params: SolveParams) -> str:
    """How a plan names the solver that made it."""
    return f"ortools {ortools.__version__} routing {params.first_solution}+{params.metaheuristic}"


def solve(
    problem: Problem,
    time_limit_s: float = 5.0,
    seed: int = 0,
    params: SolveParams | None = None,
) -> Result:
    """Plan routes serving as many stops as the fleet allows, at the least cost.

    Every stop ends up either in exactly one route or among the omissions with its reason.
    Raises `SolverError` when the search finds no solution at all within its limits.
    """
    if not (math.isfinite(time_limit_s) and time_limit_s > 0):
        raise ValueError(f"time_limit_s must be positive, got {time_limit_s!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    params = params or SolveParams()
    started = time.perf_counter()
    name = solver_name(params)

    if not problem.vehicles:
        omissions = tuple(Omission(s.id, OmissionReason.NO_VEHICLE) for s in problem.stops)
        return Result((), omissions, name, "NO_VEHICLE", 0, time.perf_counter() - started)

    matrices = problem.matrices()
    model = Model(problem, matrices)
    assignment = model.solve(_search_parameters(time_limit_s, params))
    status = routing_enums_pb2.RoutingSearchStatus.Value.Name(model.status())
    if assignment is None:
        raise SolverError(f"OR-Tools found no plan within the limits ({status})")

    found = model.routes(assignment)
    routes = []
    for vehicle, (nodes, times) in zip(problem.vehicles, found, strict=True):
        if not nodes:
            continue
        visits = []
        load = 0.0
        for node, arrival_s in zip(nodes, times[1:-1], strict=True):
            stop = problem.stops[node - 1]
            load += stop.demand_l
            visits.append(Visit(stop.id, problem.at(arrival_s), load, stop.expected_fill_pct))
        routes.append(
            Route(
                vehicle_id=vehicle.id,
                depot_id=problem.depot.id,
                start=problem.at(times[0]),
                end=problem.at(times[-1]),
                visits=tuple(visits),
                distance_m=path_distance(matrices, nodes),
                duration_s=times[-1] - times[0],
                load_l=load,
            )
        )

    served = {node for nodes, _ in found for node in nodes}
    paths = [nodes for nodes, _ in found]
    omissions = tuple(
        Omission(stop.id, explain(problem, matrices, paths, node, model.required_penalty))
        for node, stop in enumerate(problem.stops, start=1)
        if node not in served
    )
    return Result(
        routes=tuple(routes),
        omissions=omissions,
        solver=name,
        status=status,
        objective=int(assignment.ObjectiveValue()),
        runtime_s=time.perf_counter() - started,
    )


def _search_parameters(time_limit_s: float, params: SolveParams) -> Any:
    search: Any = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.Value.Value(
        params.first_solution
    )
    search.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.Value.Value(
        params.metaheuristic
    )
    search.time_limit.FromMilliseconds(max(1, round(time_limit_s * 1000)))
    if params.solution_limit is not None:
        search.solution_limit = params.solution_limit
    search.log_search = params.log_search
    return search
