"""Improving a plan part by part: OR-Tools on a few neighbouring routes at a time.

One OR-Tools search over a whole day of hundreds of stops moves slowly, as every move is
propagated through the whole model. Taillard and Voss's POPMUSIC works on parts instead:
take a route and the routes nearest to it, up to about `part_size` stops, cut them out as a
problem of their own (`decompose.cut_out`, with one idle vehicle when there is one, and the
left-out stops nearest to them), let OR-Tools continue from the part's routes for a short
while, and keep its answer when the part costs less. The next part grows from another
route, in an order drawn from the seed. Parts with no vehicle in common are searched at
once, one per core.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence
from concurrent.futures import Executor

import numpy as np
from numpy.typing import NDArray

from optimizer.backends.ortools_backend import solve_ortools
from optimizer.backends.ortools_params import OrtoolsParams
from optimizer.decompose import Sector, cut_out
from optimizer.geo import TravelMatrices
from optimizer.problem import Problem
from optimizer.schedule import Scheduler
from optimizer.tour import Tour

log = logging.getLogger(__name__)

REQUIRED_MISSED = 1e12
"""What leaving a required stop out costs in `plan_objective`: more than any plan."""
INFEASIBLE = 1e15
"""What a tour that breaks a limit costs in `plan_objective`."""


def plan_objective(problem: Problem, matrices: TravelMatrices, tours: Sequence[Tour]) -> float:
    """Routing cost plus what the omissions cost: prizes forgone, and required stops."""
    scheduler = Scheduler(problem, matrices)
    timings = [(tour, scheduler.timing(tour)) for tour in tours]
    cost = sum(scheduler.route(tour, timing).cost for tour, timing in timings)
    infeasible = sum(1 for _, timing in timings if not timing.feasible)
    served = {site for tour in tours for site in tour.sites}
    forgone = sum(
        REQUIRED_MISSED if stop.required else stop.prize
        for i, stop in enumerate(problem.stops)
        if problem.first_stop + i not in served
    )
    return cost + forgone + INFEASIBLE * infeasible


def improve_by_parts(
    problem: Problem,
    matrices: TravelMatrices,
    tours: Sequence[Tour],
    limit_s: float,
    params: OrtoolsParams,
    seed: int,
    part_size: int,
    part_s: float,
    pool: Executor,
    workers: int = 2,
) -> list[Tour]:
    """The plan of `tours`, improved part by part until `limit_s` is spent.

    Parts are searched by `pool`'s `workers` processes, in rounds: the parts of a round
    share no vehicle and no stop, and each starts from the plan as the round before left
    it. With OR-Tools' `solution_limit` set, every route starts one part once and the plan
    is repeatable.
    """
    deadline = time.perf_counter() + limit_s
    plan = {tour.vehicle: tour for tour in tours}
    passes = 1 if params.solution_limit is not None else None
    parts = _Parts(problem, random.Random(seed), part_size, passes)
    while (left_s := deadline - time.perf_counter()) > min(part_s, 1.0):
        sectors: list[Sector] = []
        for _ in range(workers):
            busy = {v for sector in sectors for v in sector.vehicles}
            sector = parts.next(matrices, plan, busy)
            if sector is not None:
                sectors.append(sector)
        if not sectors:
            break
        searches = [
            pool.submit(
                _search_part, sector, _part_tours(sector, plan), min(part_s, left_s), params
            )
            for sector in sectors
        ]
        for sector, search in zip(sectors, searches, strict=True):
            found = search.result()
            parts.searched += 1
            if found is not None and _keep_if_cheaper(sector, plan, found):
                parts.improved += 1
    log.info("%d parts searched, %d improved", parts.searched, parts.improved)
    return list(plan.values())


def _part_tours(sector: Sector, plan: dict[int, Tour]) -> list[Tour]:
    """The plan's tours of the part's vehicles, in the part's numbering."""
    return [sector.to_part(plan[v]) for v in sector.vehicles if v in plan]


def _search_part(
    sector: Sector, initial: list[Tour], limit_s: float, params: OrtoolsParams
) -> list[Tour] | None:
    """OR-Tools from the part's routes: its tours, in the part's numbering, or None."""
    found = solve_ortools(sector.problem, sector.problem.matrices(), limit_s, params, initial)
    return None if found is None else found[0]


def _keep_if_cheaper(sector: Sector, plan: dict[int, Tour], found: list[Tour]) -> bool:
    """Put the part's new routes into the plan when they cost less (and take no stop that
    another route has taken meanwhile)."""
    part, matrices = sector.problem, sector.problem.matrices()
    elsewhere = {s for v, tour in plan.items() if v not in sector.vehicles for s in tour.sites}
    taken = {sector.sites[s] for tour in found for s in tour.sites} - set(range(part.first_stop))
    if taken & elsewhere:
        return False
    before = _part_tours(sector, plan)
    if plan_objective(part, matrices, found) < plan_objective(part, matrices, before) - 1e-6:
        for v in sector.vehicles:
            plan.pop(v, None)
        for tour in found:
            plan[sector.vehicles[tour.vehicle]] = sector.to_whole(tour)
        return True
    return False


class _Parts:
    """Which routes go into the next part: a route, then the routes nearest to it."""

    def __init__(self, problem: Problem, rng: random.Random, size: int, passes: int | None) -> None:
        self.problem, self.rng, self.size = problem, rng, max(1, size)
        self.passes_left = passes
        """How many more times every route may start a part; None: no end."""
        self.points = np.array([(site.lat, site.lon) for site in problem.sites])
        self.order: list[int] = []
        self.searched = self.improved = 0

    def next(
        self, matrices: TravelMatrices, plan: dict[int, Tour], busy: set[int]
    ) -> Sector | None:
        """The next part: none when every route is being searched already."""
        problem = self.problem
        free = [v for v in sorted(plan) if v not in busy and _stops(problem, plan[v])]
        if not free:
            return None
        if not any(v in free for v in self.order):
            if self.passes_left is not None:
                if self.passes_left == 0:
                    return None
                self.passes_left -= 1
            self.order = free[:]
            self.rng.shuffle(self.order)
        first = next(v for v in self.order if v in free)
        self.order.remove(first)
        centres = {v: self._centre(plan[v]) for v in free}
        nearest = sorted(free, key=lambda v: float(np.hypot(*(centres[v] - centres[first]))))
        chosen: list[int] = []
        stops: list[int] = []
        for v in nearest:
            route_stops = _stops(problem, plan[v])
            if len(chosen) >= 2 and len(stops) + len(route_stops) > self.size:
                break
            chosen.append(v)
            stops += route_stops
        idle = [v for v in range(len(problem.vehicles)) if v not in plan and v not in busy]
        if idle:
            chosen.append(idle[0])
        stops += self._left_out_near(plan, chosen, centres)
        return cut_out(problem, matrices, stops, sorted(chosen))

    def _centre(self, tour: Tour) -> NDArray[np.float64]:
        centre: NDArray[np.float64] = self.points[list(tour.sites)].mean(axis=0)
        return centre

    def _left_out_near(
        self, plan: dict[int, Tour], chosen: list[int], centres: dict[int, NDArray[np.float64]]
    ) -> list[int]:
        """The left-out stops whose nearest route is one of the part's."""
        problem = self.problem
        served = {s for tour in plan.values() for s in tour.sites}
        left = [i for i in range(len(problem.stops)) if problem.first_stop + i not in served]
        if not left:
            return []
        vehicles = [v for v in plan if _stops(problem, plan[v])]
        all_centres = np.array(
            [centres[v] if v in centres else self._centre(plan[v]) for v in vehicles]
        )
        points = self.points[[problem.first_stop + i for i in left]]
        distance = np.hypot(*(points[:, None, :] - all_centres[None, :, :]).transpose(2, 0, 1))
        nearest = [vehicles[k] for k in np.argmin(distance, axis=1)]
        return [i for i, v in zip(left, nearest, strict=True) if v in chosen]


def _stops(problem: Problem, tour: Tour) -> list[int]:
    """The tour's stops, as indices into `problem.stops`."""
    return [s - problem.first_stop for s in tour.sites if s >= problem.first_stop]
