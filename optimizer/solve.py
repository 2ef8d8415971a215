"""Solve a problem: `solve(problem, time_limit_s, seed, params) -> Result`, checked.

Backends answer with tours (`Tour`); the scheduler times them from the problem's data and
the checker verifies the plan before it is returned, so no plan that breaks a constraint
leaves this module. With `backend="auto"`, a problem PyVRP can express (it is installed and
the problem has no constraint it lacks) is searched by PyVRP on both cores, from two seeds,
and the cheaper plan wins: on the benchmark sets PyVRP's iterated local search beats
OR-Tools at equal time, and the best of two runs beats one. A day of more than
`pyvrp_sector_size` stops is searched by sectors instead, one per core. PyVRP treats
required stops as hard: when it finds no plan serving them all (the fleet is too small),
OR-Tools, which leaves stops out with their reasons, plans the day instead. OR-Tools then
continues from the winner for `polish_s` seconds when that is set. Other problems go to
OR-Tools: a first plan of the whole day (by sectors, `decompose`, when it has more than
`sector_size` stops) in `first_share` of the time, then, for a day larger than `part_size`,
improved part by part on both cores (`improve`). Every stop ends up in exactly one route or
among the omissions with its reason.

Reproducibility: PyVRP is seeded; OR-Tools' search is deterministic for given parameters,
except that a time limit cuts it wherever it got to on this machine at this moment. A
solution limit cuts it at the same point every time (and the improvement by parts then
makes one pass over the routes).
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Literal

import ortools

from optimizer.backends.ortools_backend import first_solutions, iterated, solve_ortools
from optimizer.backends.ortools_params import OrtoolsParams
from optimizer.check import verify
from optimizer.decompose import cut_out, solve_by_sectors
from optimizer.errors import PyvrpError, SolverError
from optimizer.geo import TravelMatrices
from optimizer.improve import improve_by_parts, plan_objective
from optimizer.problem import Problem
from optimizer.reasons import explain
from optimizer.result import Omission, OmissionReason, Result
from optimizer.schedule import Scheduler
from optimizer.tour import Tour

log = logging.getLogger(__name__)

Backend = Literal["auto", "ortools", "pyvrp"]
_STARTUP_S = 1.5
"""What a second process needs before it searches (interpreter, imports); it is given less."""


@dataclass(frozen=True)
class SolveParams:
    """Which backends search, and how."""

    backend: Backend = "auto"
    ortools: OrtoolsParams = field(default_factory=OrtoolsParams)
    polish_s: float = 0.0
    """With both backends: seconds of the limit kept for OR-Tools to continue from the winner."""
    sector_size: int = 500
    """OR-Tools finds the first plan of a day of more stops by sectors of about this many,
    in parallel."""
    ils_sector_size: int = 250
    """The same with OR-Tools' iterated local search, whose first descent is slow on more."""
    pyvrp_sector_size: int = 1500
    """With backend auto, PyVRP searches a day of more stops by sectors of at most this
    many, one per core."""
    part_size: int = 60
    """OR-Tools improves a day of more stops part by part, about this many at a time."""
    part_s: float = 1.0
    """Seconds of search per part."""
    first_share: float = 0.5
    """Share of the time limit for OR-Tools' first plan, before it is improved by parts; 1:
    one search of the whole day, with neither sectors nor parts."""

    def __post_init__(self) -> None:
        if self.backend not in ("auto", "ortools", "pyvrp"):
            raise ValueError(f"backend must be auto, ortools or pyvrp, got {self.backend!r}")
        if not (math.isfinite(self.polish_s) and self.polish_s >= 0):
            raise ValueError(f"polish_s must be >= 0, got {self.polish_s!r}")
        for name in ("sector_size", "ils_sector_size", "pyvrp_sector_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.part_size < 1:
            raise ValueError(f"part_size must be at least 1, got {self.part_size}")
        if not (math.isfinite(self.part_s) and self.part_s > 0):
            raise ValueError(f"part_s must be positive, got {self.part_s!r}")
        if not 0 < self.first_share <= 1:
            raise ValueError(f"first_share must be within (0, 1], got {self.first_share}")


@dataclass(frozen=True)
class _Candidate:
    tours: list[Tour]
    solver: str
    status: str


def pyvrp_unsupported(problem: Problem) -> str | None:
    """Why PyVRP cannot solve this problem (not installed, or a constraint it lacks)."""
    try:
        from optimizer.backends import pyvrp_backend
    except ImportError:
        return "PyVRP is not installed (pip install curbside[pyvrp])"
    return pyvrp_backend.supports(problem)


def solve(
    problem: Problem,
    time_limit_s: float = 5.0,
    seed: int = 0,
    params: SolveParams | None = None,
) -> Result:
    """Plan routes serving as many stops as the fleet allows, at the least cost.

    Raises `SolverError` when no backend finds a plan, `PlanCheckError` (a bug) when the
    plan found breaks a constraint.
    """
    if not (math.isfinite(time_limit_s) and time_limit_s > 0):
        raise ValueError(f"time_limit_s must be positive, got {time_limit_s!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    params = params or SolveParams()
    started = time.perf_counter()
    if not problem.vehicles:
        omissions = tuple(Omission(s.id, OmissionReason.NO_VEHICLE) for s in problem.stops)
        return Result((), omissions, "none", "NO_VEHICLE", 0, time.perf_counter() - started)

    matrices = problem.matrices()
    log.debug("matrices ready after %.1f s", time.perf_counter() - started)
    left_s = max(0.1, time_limit_s - (time.perf_counter() - started))
    candidates = _search_by_streams(problem, matrices, left_s, seed, params)
    log.debug("search over after %.1f s", time.perf_counter() - started)
    if not candidates:
        raise SolverError("no backend found a plan within the limits")
    scored = [(plan_objective(problem, matrices, c.tours), c) for c in candidates]
    objective, best = min(scored, key=lambda pair: pair[0])
    result = _result(problem, matrices, best, objective, time.perf_counter() - started)
    log.debug("plan built after %.1f s", time.perf_counter() - started)
    verify(problem, result, matrices)
    log.debug("plan checked after %.1f s", time.perf_counter() - started)
    return result


def _search_by_streams(
    problem: Problem, matrices: TravelMatrices, limit_s: float, seed: int, params: SolveParams
) -> list[_Candidate]:
    """Search each group of streams on its own when no vehicle takes streams of two groups:
    the parts share nothing but the facilities, and each part is a smaller, easier problem
    (PyVRP in particular finds no plan for some days of several streams with single-stream
    vehicles, which it solves stream by stream). Each part gets a share of the time in
    proportion to its stops."""
    parts = stream_parts(problem)
    if len(parts) <= 1:
        return _search(problem, matrices, limit_s, seed, params)
    deadline = time.perf_counter() + limit_s
    tours: list[Tour] = []
    solvers: set[str] = set()
    for k, (stops, vehicles) in enumerate(parts):
        left_stops = sum(len(p[0]) for p in parts[k:])
        share_s = (deadline - time.perf_counter()) * len(stops) / max(1, left_stops)
        part = cut_out(problem, matrices, stops, vehicles)
        found = _search(part.problem, part.problem.matrices(), max(0.5, share_s), seed, params)
        if not found:
            continue
        best = min(
            found, key=lambda c: plan_objective(part.problem, part.problem.matrices(), c.tours)
        )
        tours += [part.to_whole(tour) for tour in best.tours]
        solvers.add(best.solver)
    return [_Candidate(tours, " + ".join(sorted(solvers)), f"{len(parts)} STREAM PARTS")]


def stream_parts(problem: Problem) -> list[tuple[list[int], list[int]]]:
    """The problem's independent parts: (stop indices, vehicle indices) of groups of waste
    streams that no vehicle links; one part when a vehicle takes every stream, a stop has no
    stream, or a stop's stream is taken by no vehicle (it is then omitted as a whole)."""
    if any(not v.waste_streams for v in problem.vehicles):
        return [(list(range(len(problem.stops))), list(range(len(problem.vehicles))))]
    group: dict[str, str] = {}

    def root(stream: str) -> str:
        while group.setdefault(stream, stream) != stream:
            stream = group[stream]
        return stream

    for vehicle in problem.vehicles:
        first, *rest = sorted(vehicle.waste_streams)
        root(first)
        for stream in rest:
            group[root(stream)] = root(first)
    stops: dict[str, list[int]] = {}
    for i, stop in enumerate(problem.stops):
        if stop.waste_stream is None or stop.waste_stream not in group:
            return [(list(range(len(problem.stops))), list(range(len(problem.vehicles))))]
        stops.setdefault(root(stop.waste_stream), []).append(i)
    vehicles: dict[str, list[int]] = {}
    for v, vehicle in enumerate(problem.vehicles):
        vehicles.setdefault(root(next(iter(vehicle.waste_streams))), []).append(v)
    return [(stops[key], vehicles[key]) for key in sorted(stops)]


def _search(
    problem: Problem, matrices: TravelMatrices, limit_s: float, seed: int, params: SolveParams
) -> list[_Candidate]:
    unsupported = pyvrp_unsupported(problem)
    if params.backend == "pyvrp":
        if unsupported:
            raise SolverError(f"PyVRP cannot solve this problem: {unsupported}")
        return [_pyvrp(problem, matrices, time.perf_counter() + limit_s, seed)]
    if params.backend == "ortools" or unsupported:
        return _ortools_alone(problem, matrices, limit_s, seed, params)
    started = time.perf_counter()
    deadline = started + limit_s - params.polish_s - _finishing_s(problem)
    if len(problem.stops) > params.pyvrp_sector_size:
        candidates = _pyvrp_by_sectors(problem, matrices, deadline, seed, params.pyvrp_sector_size)
    else:
        candidates = _pyvrp_two_seeds(problem, matrices, deadline, seed)
    if not candidates:
        left_s = max(1.0, limit_s - (time.perf_counter() - started))
        return _search(problem, matrices, left_s, seed, replace(params, backend="ortools"))
    if params.polish_s > 0:
        best = min(candidates, key=lambda c: plan_objective(problem, matrices, c.tours))
        polished = _ortools(problem, matrices, params.polish_s, params.ortools, best.tours)
        candidates += [
            _Candidate(c.tours, f"{best.solver} + {c.solver}", c.status) for c in polished
        ]
    return candidates


def _pyvrp_two_seeds(
    problem: Problem, matrices: TravelMatrices, deadline: float, seed: int
) -> list[_Candidate]:
    """PyVRP on both cores, from two seeds; whichever plans it finds."""
    candidates = []
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        future: Future[_Candidate] = pool.submit(_pyvrp, problem, matrices, deadline, seed + 1)
        try:
            candidates.append(_pyvrp(problem, matrices, deadline, seed))
        except PyvrpError as exc:
            log.info("PyVRP found no plan (%s)", exc)
        try:
            candidates.append(future.result())
        except PyvrpError as exc:
            log.info("PyVRP found no plan from the second seed (%s)", exc)
    return candidates


def _pyvrp_by_sectors(
    problem: Problem, matrices: TravelMatrices, deadline: float, seed: int, sector_size: int
) -> list[_Candidate]:
    """PyVRP on the day's sectors (`decompose`), one per core: on thousands of stops a
    minute's search of half the day each comes closer to a good plan than two of the whole
    day. None when a sector's share of the fleet cannot serve its required stops."""
    search = partial(_pyvrp_tours, seed=seed)
    limit_s = deadline - time.perf_counter()
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        try:
            tours = solve_by_sectors(problem, matrices, limit_s, search, sector_size, pool)
        except PyvrpError as exc:
            log.info("PyVRP found no plan for a sector (%s)", exc)
            return []
    return [_Candidate(tours, f"{_pyvrp_name()} by sectors", "SECTORS")]


def _ortools(
    problem: Problem,
    matrices: TravelMatrices,
    limit_s: float,
    params: OrtoolsParams,
    initial: list[Tour] | None = None,
) -> list[_Candidate]:
    found = solve_ortools(problem, matrices, limit_s, params, initial)
    if found is None:
        return []
    tours, status = found
    name = f"ortools {ortools.__version__}"
    return [_Candidate(tours, name, status)]


def _ortools_alone(
    problem: Problem, matrices: TravelMatrices, limit_s: float, seed: int, params: SolveParams
) -> list[_Candidate]:
    """OR-Tools alone. A day of at most `part_size` stops: one search. A larger one: a first
    plan in `first_share` of the time (by sectors beyond `sector_size` stops, else the better
    of two first-solution strategies, one per core), then improved part by part."""
    started = time.perf_counter()
    if len(problem.stops) <= params.part_size or params.first_share == 1:
        return _ortools(problem, matrices, limit_s, params.ortools)
    first_s = limit_s * params.first_share
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        sector_size = params.sector_size
        if iterated(problem, matrices, params.ortools):
            sector_size = params.ils_sector_size
        if len(problem.stops) > sector_size:
            search = partial(_ortools_tours, params=params.ortools)
            tours = solve_by_sectors(problem, matrices, first_s, search, sector_size, pool)
            first = _Candidate(tours, f"ortools {ortools.__version__} by sectors", "SECTORS")
        else:
            found = _first_plans(problem, matrices, first_s, params.ortools, pool)
            if not found:  # none yet: the time left goes to one search of the whole day
                left_s = max(0.1, limit_s - (time.perf_counter() - started))
                return _ortools(problem, matrices, left_s, params.ortools)
            first = min(found, key=lambda c: plan_objective(problem, matrices, c.tours))
        left_s = max(0.1, limit_s - (time.perf_counter() - started))
        tours = improve_by_parts(
            problem, matrices, first.tours, left_s, params.ortools, seed,
            params.part_size, params.part_s, pool,
        )  # fmt: skip
    return [_Candidate(tours, f"{first.solver}, improved by parts", first.status)]


def _first_plans(
    problem: Problem,
    matrices: TravelMatrices,
    limit_s: float,
    params: OrtoolsParams,
    pool: Executor,
) -> list[_Candidate]:
    """OR-Tools' plans from its first-solution strategies, one per process of `pool`; with
    too little time to start processes, from the first strategy here."""
    if limit_s < 2 * _STARTUP_S:
        return _ortools(problem, matrices, limit_s, params)
    search_s = limit_s - _STARTUP_S
    searches = [
        pool.submit(_ortools, problem, matrices, search_s, replace(params, first_solution=s))
        for s in first_solutions(problem, matrices, params)
    ]
    return [candidate for search in searches for candidate in search.result()]


def _finishing_s(problem: Problem) -> float:
    """What timing, checking and explaining a plan take after the search: about 0.4 ms a
    stop (two seconds at 5,000)."""
    return 0.0004 * len(problem.stops)


def _pyvrp(problem: Problem, matrices: TravelMatrices, deadline: float, seed: int) -> _Candidate:
    """PyVRP until `deadline` (on `time.perf_counter`'s clock, which every process shares)."""
    return _Candidate(_pyvrp_tours(problem, matrices, deadline, seed), _pyvrp_name(), "DONE")


def _pyvrp_tours(
    problem: Problem, matrices: TravelMatrices, deadline: float, seed: int
) -> list[Tour]:
    from optimizer.backends.pyvrp_backend import solve_pyvrp

    return solve_pyvrp(problem, matrices, max(0.1, deadline - time.perf_counter()), seed)


def _pyvrp_name() -> str:
    from importlib.metadata import version

    return f"pyvrp {version('pyvrp')}"


def _ortools_tours(
    problem: Problem, matrices: TravelMatrices, deadline: float, params: OrtoolsParams
) -> list[Tour]:
    found = solve_ortools(problem, matrices, max(0.1, deadline - time.perf_counter()), params)
    return [] if found is None else found[0]


def _result(
    problem: Problem, matrices: TravelMatrices, best: _Candidate, objective: float, runtime: float
) -> Result:
    scheduler = Scheduler(problem, matrices)
    routes = tuple(scheduler.route(tour) for tour in sorted(best.tours, key=lambda t: t.vehicle))
    served = {site for tour in best.tours for site in tour.sites}
    omissions = tuple(
        Omission(stop.id, explain(problem, matrices, i, best.tours, scheduler))
        for i, stop in enumerate(problem.stops)
        if problem.first_stop + i not in served
    )
    return Result(
        routes=routes,
        omissions=omissions,
        solver=best.solver,
        status=best.status,
        objective=round(objective * 1000),
        runtime_s=runtime,
        cost=sum(route.cost for route in routes),
    )
