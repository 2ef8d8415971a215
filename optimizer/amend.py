"""Changing a plan once it exists: a dispatcher's edits and the day's urgent events.

A plan is turned back into tours (`tours_of`), changed, and turned into a plan again
(`plan_of`), which the checker verifies like any other: a change that breaks a rule is
refused with the rules it breaks, and the plan stays as it was. What a route has already
done is fixed: `fixed[vehicle_index]` visits at the start of each route (served, or under
way) are never moved, removed or preceded by anything new, and the route keeps its
departure, so their times stay as they were.

- `add`: a stop goes where it adds least cost to a feasible route (cheapest insertion);
- `remove`: a stop leaves its route (it is then omitted, with its reason);
- `move`: a stop goes to a given route and position;
- `insert_urgent`: several stops (a fire alarm, a resident's report, the stops of a truck
  that broke down) are added one by one, the most constrained first.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

from optimizer.check import check
from optimizer.errors import PlanningError
from optimizer.geo import TravelMatrices
from optimizer.problem import Problem
from optimizer.reasons import explain
from optimizer.result import Omission, OmissionReason, Result, VisitKind
from optimizer.schedule import Scheduler
from optimizer.tour import Tour


class AmendError(PlanningError):
    """A change the plan cannot take: it names the stop and why."""


Fixed = Mapping[int, int]
"""Per vehicle index: how many visits at the start of its route may not change."""


def tours_of(problem: Problem, result: Result) -> list[Tour]:
    """The plan's routes as tours of `problem` (each keeping its departure and break)."""
    index = {site.id: i for i, site in enumerate(problem.sites)}
    vehicles = {vehicle.id: v for v, vehicle in enumerate(problem.vehicles)}
    tours = []
    for route in result.routes:
        missing = [visit.site_id for visit in route.visits if visit.site_id not in index]
        if route.vehicle_id not in vehicles or missing:
            raise AmendError(f"the plan does not fit the problem: {route.vehicle_id} {missing}")
        depart_s = round((route.start - problem.day_start).total_seconds())
        sites = tuple(index[visit.site_id] for visit in route.visits)
        tours.append(Tour(vehicles[route.vehicle_id], sites, route.break_after, depart_s))
    return tours


def plan_of(
    problem: Problem,
    matrices: TravelMatrices,
    tours: Sequence[Tour],
    solver: str,
    removed: frozenset[str] = frozenset(),
) -> Result:
    """The tours as a checked plan, stops in `removed` omitted as removed by hand;
    `AmendError` listing the broken rules when the plan breaks any."""
    scheduler = Scheduler(problem, matrices)
    ordered = sorted((tour for tour in tours if tour.sites), key=lambda t: t.vehicle)
    routes = tuple(scheduler.route(tour) for tour in ordered)
    served = {s for tour in tours for s in tour.sites}
    omissions = tuple(
        Omission(
            stop.id,
            OmissionReason.REMOVED
            if stop.id in removed
            else explain(problem, matrices, i, tours, scheduler),
        )
        for i, stop in enumerate(problem.stops)
        if problem.first_stop + i not in served
    )
    cost = sum(route.cost for route in routes)
    result = Result(routes, omissions, solver, "AMENDED", round(cost * 1000), cost=cost)
    violations = check(problem, result, matrices)
    if violations:
        raise AmendError("; ".join(str(v) for v in violations))
    return result


def add(
    problem: Problem,
    matrices: TravelMatrices,
    tours: Sequence[Tour],
    stop_id: str,
    fixed: Fixed,
    not_before_s: int = 0,
    closed: Collection[int] = (),
) -> list[Tour]:
    """The tours with the stop inserted where it costs least and every route stays
    feasible, reached no earlier than `not_before_s` (now, during the day), on no vehicle
    of `closed` (broken down)."""
    node = _node(problem, stop_id)
    if any(node in tour.sites for tour in tours):
        raise AmendError(f"{stop_id} is already on a route")
    scheduler = Scheduler(problem, matrices)
    by_vehicle = {tour.vehicle: tour for tour in tours}
    stop = problem.stops[node - problem.first_stop]
    best: tuple[float, Tour] | None = None
    for v, vehicle in enumerate(problem.vehicles):
        if v in closed or not vehicle.accepts(stop):
            continue
        tour = by_vehicle.get(v, Tour(v, ()))
        before = _cost(scheduler, tour)
        for candidate in _insertions(problem, tour, node, fixed.get(v, 0)):
            timing = scheduler.timing(candidate)
            reached_s = timing.visits[candidate.sites.index(node)].arrival_s
            if not timing.feasible or reached_s < not_before_s:
                continue
            extra = scheduler.route(candidate, timing).cost - before
            if best is None or extra < best[0]:
                best = (extra, candidate)
    if best is None:
        raise AmendError(f"{stop_id} fits on no route: every place breaks a limit")
    return _replaced(tours, best[1])


def _insertions(problem: Problem, tour: Tour, node: int, fixed: int) -> list[Tour]:
    """The tour with the stop at each place after the fixed visits and before the final
    unloading; an empty tour gets the stop and an unloading at each facility taking it."""
    if not tour.sites:
        stream = problem.stops[node - problem.first_stop].waste_stream
        tips = [
            problem.first_stop - len(problem.facilities) + k
            for k, facility in enumerate(problem.facilities)
            if stream is None or facility.accepts(frozenset({stream}))
        ]
        return [replace(tour, sites=(node, tip)) for tip in tips] or [replace(tour, sites=(node,))]
    last = len(tour.sites)
    if tour.sites[-1] < problem.first_stop:  # ends at a facility: unloads before going home
        last -= 1
    return [_inserted(tour, node, p, fixed) for p in range(fixed, last + 1)]


def remove(problem: Problem, tours: Sequence[Tour], stop_id: str, fixed: Fixed) -> list[Tour]:
    """The tours without the stop; refused for a stop already served or under way."""
    node = _node(problem, stop_id)
    for tour in tours:
        if node in tour.sites:
            position = tour.sites.index(node)
            if position < fixed.get(tour.vehicle, 0):
                raise AmendError(f"{stop_id} is already served or under way")
            sites = tour.sites[:position] + tour.sites[position + 1 :]
            return _replaced(tours, _rebreak(tour, sites, fixed.get(tour.vehicle, 0)))
    raise AmendError(f"{stop_id} is on no route")


def move(
    problem: Problem,
    tours: Sequence[Tour],
    stop_id: str,
    vehicle_id: str,
    position: int,
    fixed: Fixed,
) -> list[Tour]:
    """The tours with the stop at `position` (counting visits) of the vehicle's route."""
    vehicles = [vehicle.id for vehicle in problem.vehicles]
    if vehicle_id not in vehicles:
        raise AmendError(f"no vehicle {vehicle_id!r}")
    v = vehicles.index(vehicle_id)
    node = _node(problem, stop_id)
    on_route = any(node in tour.sites for tour in tours)
    rest = remove(problem, tours, stop_id, fixed) if on_route else list(tours)
    tour = next((t for t in rest if t.vehicle == v), Tour(v, ()))
    if not fixed.get(v, 0) <= position <= len(tour.sites):
        raise AmendError(f"position {position} is outside what may change on {vehicle_id}")
    return _replaced(rest, _inserted(tour, node, position, fixed.get(v, 0)))


def insert_urgent(
    problem: Problem,
    matrices: TravelMatrices,
    tours: Sequence[Tour],
    stop_ids: Sequence[str],
    fixed: Fixed,
    not_before_s: int = 0,
    closed: Collection[int] = (),
) -> tuple[list[Tour], list[str]]:
    """The tours with as many of the stops as fit, most constrained first, on no vehicle
    of `closed`; and those that fit nowhere (they stay omitted, with their reasons, for the
    dispatcher)."""
    windows = {s.id: (len(s.windows) or 99, len(s.forbidden)) for s in problem.stops}
    order = sorted(stop_ids, key=lambda s: windows.get(s, (99, 0)))
    current, unplaced = list(tours), []
    for stop_id in order:
        try:
            current = add(problem, matrices, current, stop_id, fixed, not_before_s, closed)
        except AmendError:
            unplaced.append(stop_id)
    return current, unplaced


def break_down(
    problem: Problem, tours: Sequence[Tour], vehicle: int, fixed: Fixed
) -> tuple[list[Tour], list[str]]:
    """The tours with the vehicle's route cut after what it has done, and the stops it will
    not reach (to insert elsewhere). Its load is counted as unloaded where the route was to
    unload last: the model has no towing."""
    tour = next((t for t in tours if t.vehicle == vehicle), None)
    if tour is None:
        return list(tours), []
    done = fixed.get(vehicle, 0)
    left = [
        problem.stops[s - problem.first_stop].id
        for s in tour.sites[done:]
        if s >= problem.first_stop
    ]
    sites = tour.sites[:done]
    if sites and sites[-1] >= problem.first_stop and tour.sites[-1] < problem.first_stop:
        sites += (tour.sites[-1],)  # it was to unload there before going home
    rest = [t for t in tours if t.vehicle != vehicle]
    return ([*rest, _rebreak(tour, sites, done)] if sites else rest), left


def served_stops(result: Result, fixed_by_vehicle: Mapping[str, int]) -> set[str]:
    """The bins among each route's first `fixed_by_vehicle[route]` visits."""
    return {
        visit.site_id
        for route in result.routes
        for visit in route.visits[: fixed_by_vehicle.get(route.vehicle_id, 0)]
        if visit.kind is VisitKind.BIN
    }


def _node(problem: Problem, stop_id: str) -> int:
    for i, stop in enumerate(problem.stops):
        if stop.id == stop_id:
            return problem.first_stop + i
    raise AmendError(f"no stop {stop_id!r} in the day's problem")


def _cost(scheduler: Scheduler, tour: Tour) -> float:
    return scheduler.route(tour).cost if tour.sites else 0.0


def _inserted(tour: Tour, node: int, position: int, fixed: int) -> Tour:
    sites = (*tour.sites[:position], node, *tour.sites[position:])
    return _rebreak(tour, sites, fixed)


def _rebreak(tour: Tour, sites: tuple[int, ...], fixed: int) -> Tour:
    """A break already taken (within the fixed visits) stays where it was; a break still to
    come is placed anew by the scheduler."""
    taken = tour.break_after is not None and tour.break_after <= fixed
    break_after = tour.break_after if taken else None
    if break_after is not None and break_after > len(sites):
        break_after = len(sites)
    return replace(tour, sites=sites, break_after=break_after)


def _replaced(tours: Sequence[Tour], changed: Tour) -> list[Tour]:
    others = [tour for tour in tours if tour.vehicle != changed.vehicle]
    return sorted([*others, changed], key=lambda t: t.vehicle)
