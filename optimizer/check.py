"""An independent checker of plans: does a `Result` keep every rule of its `Problem`?

It shares no code with the scheduler or the backends: it recomputes times, loads and totals
from the problem and its travel matrices, and compares them with what the plan says.
`check` lists the violations; `verify` raises `PlanCheckError` when there is any.

The contract of the engine, as checked here. Times are whole seconds after
`Problem.day_start` (`int((t - day_start).total_seconds())`); travel is the matrices' entry
between consecutive places; metres and seconds compare exactly, litres, kilograms and costs
within a relative tolerance of 1e-6 (and 1e-9 absolute).

Coverage
  Every stop is served by exactly one BIN visit, or omitted exactly once, never both.
  Routes, visits and omissions name known vehicles and sites only; a BIN visit names a stop,
  a DISPOSAL visit a facility. A vehicle has at most one route. A required stop may be
  omitted for any `OmissionReason`, but only with one.
Depots, shift, duration
  A route leaves its start depot (`Vehicle.start_depot`, else the first depot) at `start`
  and returns to its end depot (`Vehicle.end_depot`, else its start depot) at `end`.
  shift_start_s <= start, end <= shift_end_s; each depot is open (opens_s..closes_s) when
  the vehicle leaves or returns. end - start <= `Vehicle.duration_limit_s` and equals
  `Route.duration_s`.
Timing
  The arrival at a visit is no sooner than the departure from the place before it plus the
  travel time (waiting is allowed). Service starts at `Visit.service_start` >= arrival and
  the vehicle leaves once it is over (`Stop.service_s`, `Facility.unload_s`). A stop's
  service starts where `Stop.may_start` allows: inside one of its windows (any time when it
  has none) and overlapping none of its forbidden intervals. Unloading starts at or after
  the facility opens and is over when it closes. The return to the end depot is no sooner
  than the last departure plus the travel time.
Break
  A vehicle without `lunch` takes no break. One with a lunch takes it exactly once, after
  `Route.break_after` visits (0: before the first), starting at `Route.break_start` within
  [earliest_s, latest_s] - unless the route is back at its depot by latest_s: then the crew
  takes it there, after the route, and the plan shows none. The break starts no sooner
  than the departure from the place before it (so it overlaps no service) and interrupts
  the drive to the next place: the next arrival, or the return, is no sooner than the
  break's length after the later of the break's start and the departure plus the travel
  time.
Loads
  On board after each visit: what it had plus the stop's litres and kilograms; zero after a
  DISPOSAL. Never above `capacity_l` or `capacity_kg`; `load_after_l` and `load_after_kg`
  equal these figures. The vehicle accepts every stop's stream; a facility accepts every
  stream on board when the vehicle unloads (a stop without a stream adds none). With
  facilities, a vehicle returns empty: a route that collected anything unloads after its
  last bin.
Totals
  `distance_m` is the sum of the matrix distances from the start depot through the visits
  to the end depot; `load_l` the litres of the stops served; `cost` is `route_cost` of the
  route's own distance and duration; `Result.cost` the sum of the routes' costs.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from optimizer.errors import PlanCheckError
from optimizer.geo import TravelMatrices
from optimizer.problem import Facility, Problem, Stop, Vehicle
from optimizer.result import OmissionReason, Result, Route, Visit, VisitKind

_REL_TOL = 1e-6
_ABS_TOL = 1e-9


class ViolationKind(StrEnum):
    """Which rule of the contract a plan breaks."""

    COVERAGE = "coverage"
    UNKNOWN = "unknown id"
    FLEET = "fleet"
    DEPOT = "depot"
    DEPOT_HOURS = "depot hours"
    SHIFT = "shift"
    DURATION = "duration"
    TRAVEL_TIME = "travel time"
    SERVICE = "service"
    TIME_WINDOW = "time window"
    FORBIDDEN = "forbidden interval"
    FACILITY_HOURS = "facility hours"
    BREAK = "break"
    CAPACITY = "capacity"
    LOAD = "load"
    DISPOSAL = "disposal"
    STREAM = "waste stream"
    LOCKED = "locked to another vehicle"
    TOTALS = "totals"


@dataclass(frozen=True)
class Violation:
    """One broken rule: on which vehicle's route and at which site, if any, and what."""

    vehicle_id: str | None
    site_id: str | None
    kind: ViolationKind
    detail: str
    """One line for a human."""

    def __post_init__(self) -> None:
        if not isinstance(self.kind, ViolationKind):
            raise ValueError(f"kind must be a ViolationKind, got {self.kind!r}")
        if not self.detail.strip() or "\n" in self.detail:
            raise ValueError(f"detail must be one non-empty line, got {self.detail!r}")

    def __str__(self) -> str:
        vehicle = f"vehicle {self.vehicle_id}" if self.vehicle_id else ""
        site = f"site {self.site_id}" if self.site_id else ""
        where = ", ".join(part for part in (vehicle, site) if part)
        return f"{self.kind} ({where}): {self.detail}" if where else f"{self.kind}: {self.detail}"


def route_cost(vehicle: Vehicle, distance_m: int, duration_s: int) -> float:
    """What a route costs at the vehicle's rates: fixed cost, per km and per hour."""
    return (
        vehicle.fixed_cost
        + vehicle.cost_per_km * distance_m / 1000
        + vehicle.cost_per_hour * duration_s / 3600
    )


def check(
    problem: Problem, result: Result, matrices: TravelMatrices | None = None
) -> list[Violation]:
    """Every rule the plan breaks (see the module's docstring); none for a valid plan."""
    matrices = problem.matrices() if matrices is None else matrices
    if matrices.size != len(problem.sites):
        raise ValueError(f"matrices of size {matrices.size} for {len(problem.sites)} sites")
    found = _coverage(problem, result)
    vehicles = {vehicle.id: vehicle for vehicle in problem.vehicles}
    for route in result.routes:
        vehicle = vehicles.get(route.vehicle_id)
        if vehicle is None:
            found.append(
                Violation(route.vehicle_id, None, ViolationKind.UNKNOWN, "no such vehicle")
            )
        else:
            found += _RouteCheck(problem, matrices, route, vehicle).run()
    routes_cost = sum(route.cost for route in result.routes)
    if not _close(result.cost, routes_cost):
        detail = f"plan cost {result.cost:g}, but its routes cost {routes_cost:g}"
        found.append(Violation(None, None, ViolationKind.TOTALS, detail))
    return found


def verify(problem: Problem, result: Result, matrices: TravelMatrices | None = None) -> None:
    """Raise `PlanCheckError`, listing the violations, unless the plan keeps every rule."""
    violations = check(problem, result, matrices)
    if violations:
        raise PlanCheckError(violations)


def _coverage(problem: Problem, result: Result) -> list[Violation]:
    """Each stop served or omitted exactly once; known omissions; one route per vehicle."""
    found = []
    for vehicle_id, count in Counter(route.vehicle_id for route in result.routes).items():
        if count > 1:
            found.append(Violation(vehicle_id, None, ViolationKind.FLEET, f"{count} routes"))
    stop_ids = {stop.id for stop in problem.stops}
    for omission in result.omissions:
        if omission.stop_id not in stop_ids:
            detail = "omission of a site that is no stop of the problem"
            found.append(Violation(None, omission.stop_id, ViolationKind.UNKNOWN, detail))
        elif not isinstance(omission.reason, OmissionReason):
            detail = f"omitted without a reason ({omission.reason!r})"
            found.append(Violation(None, omission.stop_id, ViolationKind.COVERAGE, detail))
    served = Counter(stop_id for route in result.routes for stop_id in route.stop_ids)
    omitted = Counter(omission.stop_id for omission in result.omissions)
    for stop in problem.stops:
        times_served, times_omitted = served[stop.id], omitted[stop.id]
        if times_served + times_omitted == 0:
            detail = "neither served nor omitted"
        elif times_served + times_omitted > 1:
            detail = f"served {times_served} time(s) and omitted {times_omitted} time(s)"
        else:
            continue
        found.append(Violation(None, stop.id, ViolationKind.COVERAGE, detail))
    return found


class _RouteCheck:
    """Walks one route from its depot through its visits and back, recomputing as it goes."""

    def __init__(
        self, problem: Problem, matrices: TravelMatrices, route: Route, vehicle: Vehicle
    ) -> None:
        self.problem, self.matrices, self.route, self.vehicle = problem, matrices, route, vehicle
        self.sites = problem.sites
        self.index = {site.id: i for i, site in enumerate(self.sites)}
        self.found: list[Violation] = []
        self.load_l = self.load_kg = self.collected_l = 0.0
        self.on_board: set[str] = set()
        self.distance_m = 0
        self.lunch: tuple[int, int] | None = None
        """The break's start and end, when it may be placed in the walk."""

    def run(self) -> list[Violation]:
        problem, route, vehicle = self.problem, self.route, self.vehicle
        start, end = problem.start_index(vehicle), problem.end_index(vehicle)
        start_s, end_s = self._seconds(route.start), self._seconds(route.end)
        self._depots_and_shift(start, end, start_s, end_s)
        self.lunch = self._lunch(end_s)
        ready_s, previous = start_s, start
        for position, visit in enumerate(route.visits):
            site_index = self._site_index(visit)
            if site_index is None:
                continue
            arrival_s, begin_s = self._seconds(visit.arrival), self._seconds(visit.service_start)
            self._travel(previous, site_index, ready_s, arrival_s, position)
            if begin_s < arrival_s:
                self._flag(ViolationKind.SERVICE, "service starts before arrival", visit.site_id)
            site = self.sites[site_index]
            if isinstance(site, Stop):
                self._collect(site, begin_s)
                ready_s = begin_s + site.service_s
            elif isinstance(site, Facility):
                self._unload(site, begin_s)
                ready_s = begin_s + site.unload_s
            self._compare_loads(visit)
            previous = site_index
        self._travel(previous, end, ready_s, end_s, len(route.visits))
        if problem.facilities and (self.load_l > 0 or self.load_kg > 0):
            detail = f"returns with {self.load_l:g} l, {self.load_kg:g} kg on board"
            self._flag(ViolationKind.DISPOSAL, f"{detail}: no disposal after the last bin")
        self._totals(start_s, end_s)
        return self.found

    def _flag(self, kind: ViolationKind, detail: str, site_id: str | None = None) -> None:
        self.found.append(Violation(self.route.vehicle_id, site_id, kind, detail))

    def _seconds(self, moment: datetime) -> int:
        return int((moment - self.problem.day_start).total_seconds())

    def _depots_and_shift(self, start: int, end: int, start_s: int, end_s: int) -> None:
        route, vehicle, depots = self.route, self.vehicle, self.problem.depots
        leaves, returns = (route.depot_id, start, start_s), (route.returns_to, end, end_s)
        for given, expected, at_s in (leaves, returns):
            depot = depots[expected]
            if given != depot.id:
                self._flag(ViolationKind.DEPOT, f"uses depot {given}, not {depot.id}", given)
            if not depot.opens_s <= at_s <= depot.closes_s:
                detail = f"there at {_clock(at_s)}, open {_span(depot.opens_s, depot.closes_s)}"
                self._flag(ViolationKind.DEPOT_HOURS, detail, depot.id)
        shift = _span(vehicle.shift_start_s, vehicle.shift_end_s)
        if start_s < vehicle.shift_start_s:
            self._flag(ViolationKind.SHIFT, f"leaves at {_clock(start_s)}, shift {shift}")
        if end_s > vehicle.shift_end_s:
            self._flag(ViolationKind.SHIFT, f"back at {_clock(end_s)}, shift {shift}")
        if end_s - start_s > vehicle.duration_limit_s:
            detail = f"takes {end_s - start_s} s, over its limit of {vehicle.duration_limit_s} s"
            self._flag(ViolationKind.DURATION, detail)

    def _lunch(self, end_s: int) -> tuple[int, int] | None:
        """The break's start and end, after checking whether it is there when it must be."""
        route, lunch = self.route, self.vehicle.lunch
        given = (route.break_start is not None, route.break_after is not None)
        if lunch is None:
            if any(given):
                self._flag(ViolationKind.BREAK, "takes a break the vehicle does not have")
            return None
        if not any(given):
            if end_s > lunch.latest_s:
                detail = f"no break, still out at {_clock(lunch.latest_s)} when it is due"
                self._flag(ViolationKind.BREAK, detail)
            return None
        if route.break_start is None or route.break_after is None:
            self._flag(ViolationKind.BREAK, "break_start and break_after come together")
            return None
        start_s = self._seconds(route.break_start)
        if not lunch.earliest_s <= start_s <= lunch.latest_s:
            detail = f"break at {_clock(start_s)}, due {_span(lunch.earliest_s, lunch.latest_s)}"
            self._flag(ViolationKind.BREAK, detail)
        return start_s, start_s + lunch.duration_s

    def _site_index(self, visit: Visit) -> int | None:
        """The matrix index of the visit's site, if it is of the visit's kind."""
        index = self.index.get(visit.site_id)
        wanted = Stop if visit.kind is VisitKind.BIN else Facility
        if index is None or not isinstance(self.sites[index], wanted):
            detail = f"no {wanted.__name__.lower()} of the problem for a {visit.kind} visit"
            self._flag(ViolationKind.UNKNOWN, detail, visit.site_id)
            return None
        return index

    def _travel(
        self, origin: int, target: int, ready_s: int, arrival_s: int, position: int
    ) -> None:
        """Arrival at `target` no sooner than leaving `origin` (and the break there) allows."""
        site_id = self.sites[target].id
        travel_s = int(self.matrices.duration_s[origin, target])
        self.distance_m += int(self.matrices.distance_m[origin, target])
        lunch = self.lunch if self.route.break_after == position else None
        if arrival_s < ready_s + travel_s:
            detail = f"arrives at {_clock(arrival_s)}, left at {_clock(ready_s)}, {travel_s} s away"
            self._flag(ViolationKind.TRAVEL_TIME, detail, site_id)
        elif lunch is not None and arrival_s < _after_break(ready_s + travel_s, lunch):
            detail = (
                f"arrives at {_clock(arrival_s)}, left at {_clock(ready_s)}, {travel_s} s away,"
                f" break {_clock(lunch[0])}-{_clock(lunch[1])}"
            )
            self._flag(ViolationKind.BREAK, detail, site_id)
        if lunch is not None and lunch[0] < ready_s:
            detail = f"break at {_clock(lunch[0])}, before the vehicle is free at {_clock(ready_s)}"
            self._flag(ViolationKind.BREAK, detail)

    def _collect(self, stop: Stop, begin_s: int) -> None:
        vehicle = self.vehicle
        if stop.vehicle_id is not None and stop.vehicle_id != vehicle.id:
            self._flag(ViolationKind.LOCKED, f"locked to vehicle {stop.vehicle_id}", stop.id)
        elif not vehicle.accepts(stop):
            self._flag(
                ViolationKind.STREAM, f"vehicle does not collect {stop.waste_stream}", stop.id
            )
        if not stop.may_start(begin_s):
            self._timing(stop, begin_s)
        self.load_l += stop.demand_l
        self.load_kg += stop.demand_kg
        self.collected_l += stop.demand_l
        if stop.waste_stream is not None:
            self.on_board.add(stop.waste_stream)
        for load, capacity, unit in (
            (self.load_l, vehicle.capacity_l, "l"),
            (self.load_kg, vehicle.capacity_kg, "kg"),
        ):
            if load > capacity and not _close(load, capacity):
                detail = f"{load:g} {unit} on board, over the capacity of {capacity:g} {unit}"
                self._flag(ViolationKind.CAPACITY, detail, stop.id)

    def _timing(self, stop: Stop, begin_s: int) -> None:
        """Why `Stop.may_start` refuses the service start: a window missed, a forbidden overlap."""
        flagged = len(self.found)
        if stop.windows and not any(a <= begin_s < b for a, b in stop.windows):
            windows = ", ".join(_span(a, b) for a, b in stop.windows)
            detail = f"service starts at {_clock(begin_s)}, windows {windows}"
            self._flag(ViolationKind.TIME_WINDOW, detail, stop.id)
        end_s = begin_s + stop.service_s
        for a, b in stop.forbidden:
            if begin_s < b and end_s > a:
                detail = f"served {_span(begin_s, end_s)}, overlapping forbidden {_span(a, b)}"
                self._flag(ViolationKind.FORBIDDEN, detail, stop.id)
        if len(self.found) == flagged:
            self._flag(ViolationKind.TIME_WINDOW, f"may not start at {_clock(begin_s)}", stop.id)

    def _unload(self, facility: Facility, begin_s: int) -> None:
        end_s = begin_s + facility.unload_s
        if begin_s < facility.opens_s or end_s > facility.closes_s:
            hours = _span(facility.opens_s, facility.closes_s)
            detail = f"unloads {_span(begin_s, end_s)}, open {hours}"
            self._flag(ViolationKind.FACILITY_HOURS, detail, facility.id)
        if not facility.accepts(frozenset(self.on_board)):
            streams = ", ".join(sorted(self.on_board - facility.waste_streams))
            self._flag(ViolationKind.STREAM, f"facility does not take {streams}", facility.id)
        self.load_l = self.load_kg = 0.0
        self.on_board.clear()

    def _compare_loads(self, visit: Visit) -> None:
        for given, load, unit in (
            (visit.load_after_l, self.load_l, "l"),
            (visit.load_after_kg, self.load_kg, "kg"),
        ):
            if not _close(given, load):
                detail = f"says {given:g} {unit} on board, but has {load:g} {unit}"
                self._flag(ViolationKind.LOAD, detail, visit.site_id)

    def _totals(self, start_s: int, end_s: int) -> None:
        route = self.route
        cost = route_cost(self.vehicle, route.distance_m, route.duration_s)
        for name, given, actual, right in (
            ("distance_m", route.distance_m, self.distance_m, route.distance_m == self.distance_m),
            ("duration_s", route.duration_s, end_s - start_s, route.duration_s == end_s - start_s),
            ("load_l", route.load_l, self.collected_l, _close(route.load_l, self.collected_l)),
            ("cost", route.cost, cost, _close(route.cost, cost)),
        ):
            if not right:
                self._flag(ViolationKind.TOTALS, f"{name} is {given:g}, but should be {actual:g}")


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=_REL_TOL, abs_tol=_ABS_TOL)


def _after_break(arrival_s: int, lunch: tuple[int, int]) -> int:
    """When a vehicle that would arrive at `arrival_s` arrives with the break on the way."""
    start_s, end_s = lunch
    return max(arrival_s, start_s) + end_s - start_s


def _clock(seconds: int) -> str:
    """A time of day as h:mm:ss, past 24 h for the next day."""
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _span(from_s: int, to_s: int) -> str:
    return f"{_clock(from_s)}-{_clock(to_s)}"
