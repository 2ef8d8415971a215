"""How the OR-Tools backend searches: its parameters, and OR-Tools' search parameters."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

_FIRST_SOLUTIONS = frozenset(routing_enums_pb2.FirstSolutionStrategy.Value.keys()) - {"UNSET"}
_METAHEURISTICS = frozenset(routing_enums_pb2.LocalSearchMetaheuristic.Value.keys()) - {"UNSET"}


@dataclass(frozen=True)
class OrtoolsParams:
    """How OR-Tools searches; the defaults are the tuned ones (see docs/optimizer.md)."""

    first_solution: str | None = None
    """An OR-Tools first solution strategy, by name; None: path cheapest arc when time
    neither costs nor constrains anything, else parallel cheapest insertion (the others
    left dozens of Kim's stops out under time windows and breaks; see docs/optimizer.md)."""
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    """An OR-Tools local search metaheuristic, by name."""
    iterated_local_search: bool | None = None
    """Search from scratch by OR-Tools' iterated local search instead of the metaheuristic:
    after one descent, ruin and recreate (SISR) with simulated annealing, without a local
    search after each step. None: where time neither costs nor constrains anything (it
    halved the gaps on CVRPLIB's X instances, but did worse on some of Kim's waste days;
    see docs/optimizer.md). A search that starts from given routes stays with the
    metaheuristic."""
    sisr_max_string: int = 10
    """Ruin: longest string of consecutive visits removed from one route."""
    sisr_removed: int = 10
    """Ruin: visits removed on average."""
    temperature: float = 5.0
    """Simulated annealing's first temperature, in the mean cost of the arc from a stop to
    its nearest neighbour; it cools to a hundredth of that."""
    neighbors: int = 0
    """Local search moves consider this many nearest neighbours of a node (0: all)."""
    guided_local_search_lambda: float = 0.1
    solution_limit: int | None = None
    """Stop after this many solutions; makes a run exactly repeatable."""
    log_search: bool = False
    trips: int | None = None
    """Disposal trips a day per facility and vehicle at most; None: as many as loads need."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Further search parameters by their protobuf name (e.g. {"use_full_propagation": True})."""

    def __post_init__(self) -> None:
        if self.first_solution is not None and self.first_solution not in _FIRST_SOLUTIONS:
            raise ValueError(f"unknown first solution strategy: {self.first_solution!r}")
        if self.metaheuristic not in _METAHEURISTICS:
            raise ValueError(f"unknown local search metaheuristic: {self.metaheuristic!r}")
        if self.solution_limit is not None and self.solution_limit < 1:
            raise ValueError(f"solution_limit must be at least 1, got {self.solution_limit}")
        if self.neighbors < 0:
            raise ValueError(f"neighbors must be >= 0, got {self.neighbors}")
        if not (math.isfinite(self.temperature) and self.temperature > 0):
            raise ValueError(f"temperature must be positive, got {self.temperature!r}")
        if self.sisr_max_string < 1 or self.sisr_removed < 1:
            raise ValueError("sisr_max_string and sisr_removed must be at least 1")
        if self.trips is not None and self.trips < 1:
            raise ValueError(f"trips must be at least 1, got {self.trips}")


def search_parameters(
    time_limit_s: float, params: OrtoolsParams, first_solution: str, nodes: int
) -> Any:
    search: Any = pywrapcp.DefaultRoutingSearchParameters()
    strategies = routing_enums_pb2.FirstSolutionStrategy.Value
    search.first_solution_strategy = strategies.Value(first_solution)
    heuristics = routing_enums_pb2.LocalSearchMetaheuristic.Value
    search.local_search_metaheuristic = heuristics.Value(params.metaheuristic)
    search.guided_local_search_lambda_coefficient = params.guided_local_search_lambda
    if params.neighbors and params.neighbors < nodes:
        search.ls_operator_neighbors_ratio = params.neighbors / nodes
        search.ls_operator_min_neighbors = params.neighbors
    search.time_limit.FromMilliseconds(max(1, round(time_limit_s * 1000)))
    if params.solution_limit is not None:
        search.solution_limit = params.solution_limit
    search.log_search = params.log_search
    for name, value in params.extra.items():
        setattr(search, name, value)
    return search


def use_iterated_local_search(search: Any, params: OrtoolsParams, arc_cost: float) -> None:
    """Set `search` up for `RoutingModel.SolveWithIteratedLocalSearch`: slack induction by
    string removals (Christiaens and Vanden Berghe, 2020) removes strings of nearby visits
    from neighbouring routes and re-inserts them greedily; the result replaces the current
    plan by simulated annealing. `arc_cost`: a typical arc's cost, which sets the
    temperatures."""
    search.use_iterated_local_search = True
    heuristics = routing_enums_pb2.LocalSearchMetaheuristic.Value
    search.local_search_metaheuristic = heuristics.Value("GREEDY_DESCENT")  # the first descent
    ils = search.iterated_local_search_parameters
    ils.improve_perturbed_solution = False
    sisr = ils.ruin_recreate_parameters.ruin_strategies.add().sisr
    sisr.max_removed_sequence_size = params.sisr_max_string
    sisr.avg_num_removed_visits = params.sisr_removed
    sisr.bypass_factor = 0.01
    annealing = ils.reference_solution_acceptance_strategy.simulated_annealing
    annealing.initial_temperature = max(1.0, params.temperature * arc_cost)
    annealing.final_temperature = max(1e-3, annealing.initial_temperature / 100)
