"""Why a stop was left out of a plan, worked out from the problem and the plan's tours.

The checks go from the stop alone to the plan: no vehicle may collect its stream; no
facility takes it; it is bigger than every vehicle that may; no such vehicle can reach it
within its time windows and be back by the end of its shift. Then, against the plan: no
vehicle has room left for it (without disposal facilities), or no route can take it
anywhere without breaking a limit (tried at every position, within a budget of work). A
stop that a route could still take was not worth its detour (optional) or was missed
because the search stopped (required).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from optimizer.geo import TravelMatrices
from optimizer.problem import Problem, Stop, Vehicle
from optimizer.result import OmissionReason
from optimizer.schedule import Scheduler, earliest_start
from optimizer.tour import Tour

INSERTION_BUDGET = 200_000
"""Visits timed at most to try a stop in the plan's routes; past it the reason is worked
out from the stop alone."""
TOTAL_INSERTION_BUDGET = 2_000_000
"""Visits timed at most for all the stops explained with one scheduler."""


def explain(
    problem: Problem,
    matrices: TravelMatrices,
    stop_index: int,
    tours: Sequence[Tour] = (),
    scheduler: Scheduler | None = None,
) -> OmissionReason:
    """The reason `problem.stops[stop_index]` is in none of the plan's `tours`.

    Explaining many stops, pass them one `scheduler`: its work counts against
    `TOTAL_INSERTION_BUDGET`."""
    stop = problem.stops[stop_index]
    node = problem.first_stop + stop_index
    candidates = [v for v in problem.vehicles if v.accepts(stop)]
    if not candidates:
        return OmissionReason.NO_VEHICLE
    stream = frozenset() if stop.waste_stream is None else frozenset({stop.waste_stream})
    if problem.facilities and not any(f.accepts(stream) for f in problem.facilities):
        return OmissionReason.NO_FACILITY
    candidates = [
        v for v in candidates
        if stop.demand_l <= v.capacity_l and stop.demand_kg <= v.capacity_kg
    ]  # fmt: skip
    if not candidates:
        return OmissionReason.CAPACITY
    reachable = [v for v in candidates if _reachable(problem, matrices, v, stop, node)]
    if not reachable:
        return _timing_reason(problem, matrices, candidates, stop, node)
    scheduler = scheduler or Scheduler(problem, matrices)
    vehicle_ids = {v.id for v in reachable}
    cheapest = _cheapest_insertion(problem, scheduler, vehicle_ids, node, tours)
    if cheapest == math.inf:
        return _full_reason(problem, {v.id for v in reachable}, stop, tours)
    if stop.required or cheapest is None or cheapest < stop.prize:
        return OmissionReason.SEARCH_LIMIT
    return OmissionReason.NOT_WORTH_IT


def _cheapest_insertion(
    problem: Problem,
    scheduler: Scheduler,
    vehicle_ids: set[str],
    node: int,
    tours: Sequence[Tour],
) -> float | None:
    """What adding the stop to the plan costs at best: infinity when no route can take it,
    None when trying every position would exceed the budget."""
    by_vehicle = {tour.vehicle: tour for tour in tours}
    candidates = [i for i, v in enumerate(problem.vehicles) if v.id in vehicle_ids]
    work = sum((len(by_vehicle[i].sites) + 1) ** 2 if i in by_vehicle else 1 for i in candidates)
    budget = min(scheduler.visits_scheduled + INSERTION_BUDGET, TOTAL_INSERTION_BUDGET)
    if scheduler.visits_scheduled + work > budget:
        return None
    matrices = scheduler.matrices
    best = math.inf
    for i in candidates:
        sites = by_vehicle[i].sites if i in by_vehicle else ()
        before = scheduler.route(Tour(i, sites)).cost if sites else 0.0
        trials: list[tuple[int, ...]]
        if not sites:
            trials = (
                [(node, _nearest_facility(problem, matrices, node))]
                if problem.facilities
                else [(node,)]
            )
        else:
            tail = 1 if problem.facilities else 0  # the final unloading stays last
            trials = [(*sites[:at], node, *sites[at:]) for at in range(len(sites) - tail + 1)]
        for trial in trials:
            tour = Tour(i, trial)
            if scheduler.timing(tour).feasible:
                best = min(best, scheduler.route(tour).cost - before)
            if scheduler.visits_scheduled > budget:
                return None
    return best


def _nearest_facility(problem: Problem, matrices: TravelMatrices, node: int) -> int:
    facilities = range(len(problem.depots), problem.first_stop)
    return min(facilities, key=lambda f: int(matrices.distance_m[node, f]))


def _full_reason(
    problem: Problem, vehicle_ids: set[str], stop: Stop, tours: Sequence[Tour]
) -> OmissionReason:
    """No route could take it: for lack of room when every vehicle that could is full."""
    if problem.facilities:
        return OmissionReason.TIME_WINDOW if stop.windows else OmissionReason.SHIFT_LENGTH
    loads = {
        tour.vehicle: sum(problem.stops[s - problem.first_stop].demand_l for s in tour.sites)
        for tour in tours
    }
    room = any(
        loads.get(i, 0.0) + stop.demand_l <= v.capacity_l
        for i, v in enumerate(problem.vehicles)
        if v.id in vehicle_ids
    )
    if not room:
        return OmissionReason.CAPACITY
    return OmissionReason.TIME_WINDOW if stop.windows else OmissionReason.SHIFT_LENGTH


def _round_trip_s(problem: Problem, matrices: TravelMatrices, vehicle: Vehicle, node: int) -> int:
    """Out from the start depot, then back to the end depot (through a facility if any)."""
    start, end = problem.start_index(vehicle), problem.end_index(vehicle)
    out = int(matrices.duration_s[start, node])
    if not problem.facilities:
        return out + int(matrices.duration_s[node, end])
    back = min(
        int(matrices.duration_s[node, f]) + problem.facility_at(f).unload_s
        + int(matrices.duration_s[f, end])
        for f in range(len(problem.depots), problem.first_stop)
    )  # fmt: skip
    return out + back


def _reachable(
    problem: Problem, matrices: TravelMatrices, vehicle: Vehicle, stop: Stop, node: int
) -> bool:
    """Whether the vehicle can serve the stop alone on a route and be back in time."""
    depot = problem.depots[problem.start_index(vehicle)]
    leave = max(vehicle.shift_start_s, depot.opens_s)
    arrival = leave + int(matrices.duration_s[problem.start_index(vehicle), node])
    start = earliest_start(stop, arrival)
    if start is None:
        return False
    trip = _round_trip_s(problem, matrices, vehicle, node) + stop.service_s
    back = start + trip - int(matrices.duration_s[problem.start_index(vehicle), node])
    return back <= vehicle.shift_end_s and back - leave <= vehicle.duration_limit_s


def _timing_reason(
    problem: Problem, matrices: TravelMatrices, vehicles: list[Vehicle], stop: Stop, node: int
) -> OmissionReason:
    """Too far for any shift, or only out of its time windows."""
    fits = any(
        _round_trip_s(problem, matrices, v, node) + stop.service_s <= v.duration_limit_s
        for v in vehicles
    )
    return OmissionReason.TIME_WINDOW if fits else OmissionReason.SHIFT_LENGTH
