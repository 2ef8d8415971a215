"""The PyVRP backend: a problem as PyVRP 0.14's `ProblemData`, its best solution as tours.

- Locations follow `Problem.sites`. A depot is a PyVRP depot open `opens_s..closes_s`.
- A stop is a client picking up litres and kilograms (two load dimensions; demands round
  up, capacities down: `units`). Its windows minus its forbidden intervals leave ranges in
  which service may start; with several, it is one client per range in a mutually exclusive
  group, so one of them is served (at most one, when the stop is optional).
- A disposal facility is a reload depot, reached by `closes_s - unload_s`; PyVRP spends its
  service duration, `unload_s`, once it is open, before the next trip.
- With facilities a route unloads before it goes home: it ends at a "return" depot at an
  extra location, one per home depot and set of usable facilities (and rates, with several).
  The arc into it from a stop goes through the facility cheapest on the way home (drive,
  unload, drive); from a facility, straight home. Its time window keeps that last unloading
  in the facility's hours: exactly with one usable facility; with several, as if the route
  had to fit the latest opening and the earliest closing of them all (no bound while they
  are open all day). The facility is added to the tour.
- Vehicles with the same data make one vehicle type. In a vehicle type's routing profile a
  stop it may not collect is `_UNREACHABLE_S` away, so a route serving it ends after any
  shift: infeasible. A vehicle reloads at the facilities taking all it may carry.
- Costs are whole units, `cost_scale` of them per unit of currency.

`supports` says what PyVRP cannot express: breaks; a facility taking some but not all of
what a vehicle may carry (PyVRP picks reload depots per vehicle, not per load); a required
stop no vehicle can serve (PyVRP cannot leave it out); a stop locked to one vehicle (PyVRP
knows vehicle types, not vehicles).
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from fractions import Fraction
from typing import Any

import numpy as np
import pyvrp
from numpy.typing import NDArray
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.stop import MaxIterations, MultipleCriteria, StoppingCriterion

from optimizer.backends.units import capacity_units, demand_units
from optimizer.errors import PyvrpError
from optimizer.geo import TravelMatrices
from optimizer.problem import MAX_TIME_S, Facility, Problem, Stop, Vehicle
from optimizer.tour import Tour

BASE_SCALE = 1000
"""The fewest cost units per unit of currency: fixed costs and prizes are kept to 0.001."""
MAX_SCALE = 10**7
"""Past this, rates are rounded at `FALLBACK_SCALE` rather than kept exact."""
FALLBACK_SCALE = 3_600_000
"""Rates to 1/3600 of the currency per km and 1/1000 per hour."""
log = logging.getLogger(__name__)
_UNREACHABLE_S = 2 * MAX_TIME_S
_OPEN_END = int(np.iinfo(np.int64).max)

StartRange = tuple[int, int | None]
"""Earliest and latest service start, both included; None: no latest."""
_ReturnKey = tuple[int, tuple[int, ...], tuple[int, int] | None]
"""A return depot's home depot, usable facilities, and rates (when there are several)."""


def _rate(value: float) -> Fraction:
    return Fraction(value).limit_denominator(1000)


def cost_scale(vehicles: tuple[Vehicle, ...]) -> int:
    """Cost units per unit of currency making every rate per metre and per second whole.

    The least common multiple of `BASE_SCALE` and the rates' denominators, each rate read
    as a fraction of denominator up to 1000 (cents and thirds are exact), so the ratio of
    distance to time costs is kept; `FALLBACK_SCALE` (rates rounded) past `MAX_SCALE`.
    """
    scale = BASE_SCALE
    for vehicle in vehicles:
        for rate, per in ((vehicle.cost_per_km, 1000), (vehicle.cost_per_hour, 3600)):
            scale = math.lcm(scale, (_rate(rate) / per).denominator)
    return scale if scale <= MAX_SCALE else FALLBACK_SCALE


def unit_costs(vehicle: Vehicle, scale: int) -> tuple[int, int]:
    """The vehicle's cost per metre and per second, in units of `scale`."""
    per_metre = _rate(vehicle.cost_per_km) * scale / 1000
    per_second = _rate(vehicle.cost_per_hour) * scale / 3600
    return round(per_metre), round(per_second)


def start_ranges(stop: Stop) -> list[StartRange]:
    """When service may start: within a window, overlapping no forbidden interval."""
    ranges: list[StartRange] = [(a, b - 1) for a, b in stop.windows] or [(0, None)]
    for a, b in stop.forbidden:
        low, high = a - stop.service_s + 1, b - 1  # the starts that would overlap it
        kept: list[StartRange] = []
        for start, end in ranges:
            if start < low:
                kept.append((start, low - 1 if end is None else min(end, low - 1)))
            if end is None or end > high:
                kept.append((max(start, high + 1), end))
        ranges = kept
    return ranges


def _open_facilities(problem: Problem) -> list[tuple[int, Facility]]:
    """Matrix indices and facilities open long enough to unload."""
    facilities = enumerate(problem.facilities, start=len(problem.depots))
    return [(i, f) for i, f in facilities if f.opens_s + f.unload_s <= f.closes_s]


_Kind = tuple[frozenset[str] | None, float, float]
"""What decides which stops a vehicle may collect: streams, litres and kilograms."""


def _kind(vehicle: Vehicle) -> _Kind:
    return (vehicle.waste_streams, vehicle.capacity_l, vehicle.capacity_kg)


def may_collect(problem: Problem, vehicle: Vehicle, stop: Stop) -> bool:
    """Its stream, room for it, and (with facilities) one that takes its stream."""
    stream = frozenset() if stop.waste_stream is None else frozenset({stop.waste_stream})
    return (
        vehicle.accepts(stop)
        and demand_units(stop.demand_l) <= capacity_units(vehicle.capacity_l, 0)
        and demand_units(stop.demand_kg) <= capacity_units(vehicle.capacity_kg, _OPEN_END)
        and (not problem.facilities or any(f.accepts(stream) for _, f in _open_facilities(problem)))
    )


def carried(problem: Problem, vehicle: Vehicle) -> frozenset[str]:
    """The streams a vehicle may have on board."""
    stops = (s for s in problem.stops if may_collect(problem, vehicle, s))
    return frozenset(s.waste_stream for s in stops if s.waste_stream is not None)


def usable_facilities(problem: Problem, vehicle: Vehicle) -> tuple[int, ...]:
    """Matrix indices of the open facilities taking all the vehicle may carry."""
    streams = carried(problem, vehicle)
    return tuple(i for i, f in _open_facilities(problem) if f.accepts(streams))


def supports(problem: Problem) -> str | None:
    """None when PyVRP can solve the problem as it is; else, in one line, why not."""
    if not problem.vehicles:
        return "the problem has no vehicles"
    facilities = _open_facilities(problem)
    kinds_seen: set[_Kind] = set()
    for vehicle in problem.vehicles:
        if vehicle.lunch is not None:
            return f"vehicle {vehicle.id} has a lunch break, and PyVRP 0.14 has no breaks"
        if not facilities or _kind(vehicle) in kinds_seen:
            continue
        kinds_seen.add(_kind(vehicle))
        streams = carried(problem, vehicle)
        for _, facility in facilities:
            if facility.waste_streams & streams and not facility.accepts(streams):
                return (
                    f"vehicle {vehicle.id} may carry {', '.join(sorted(streams))}, facility"
                    f" {facility.id} takes only some: PyVRP picks reload depots per vehicle"
                )
    for stop in problem.stops:
        if stop.vehicle_id is not None:
            return f"stop {stop.id} is locked to vehicle {stop.vehicle_id}; PyVRP has vehicle types"
        if stop.required and not _servable(problem, stop):
            return f"required stop {stop.id} has no vehicle to serve it; PyVRP cannot omit it"
    return None


def _servable(problem: Problem, stop: Stop) -> bool:
    """Whether some vehicle may collect the stop, and it has a time to start in."""
    return bool(start_ranges(stop)) and any(may_collect(problem, v, stop) for v in problem.vehicles)


class PyvrpModel:
    """A problem as PyVRP data, with what maps PyVRP's solutions back to tours."""

    def __init__(self, problem: Problem, matrices: TravelMatrices) -> None:
        reason = supports(problem)
        if reason is not None:
            raise PyvrpError(f"PyVRP cannot solve this problem: {reason}")
        if matrices.size != len(problem.sites):
            raise ValueError("travel matrices do not match the problem's sites")
        self.problem, self.matrices = problem, matrices
        self.scale = cost_scale(problem.vehicles)
        self.stops = {
            problem.first_stop + i: stop
            for i, stop in enumerate(problem.stops)
            if _servable(problem, stop)
        }
        """The stops that may be served, by matrix index."""
        self.distance = matrices.distance_m.copy()
        self.duration = matrices.duration_s.copy()
        np.fill_diagonal(self.distance, 0)  # PyVRP insists; no route stays in place
        np.fill_diagonal(self.duration, 0)
        self._clients()
        self._fleet()
        self.data: pyvrp.ProblemData | None = None
        """None when no vehicle can serve any stop: there is nothing to search."""
        if not self.vehicle_types:
            if any(stop.required for stop in self.stops.values()):
                raise PyvrpError("no vehicle can unload and be home within the hours")
            return
        locations = [pyvrp.Location(site.lon, site.lat, name=site.id) for site in problem.sites]
        locations += [
            pyvrp.Location(locations[home].x, locations[home].y, name=f"return {k}")
            for k, (home, *_) in enumerate(self.returns)
        ]
        # PyVRP's stubs type matrices as np.ndarray[int], which no real array matches.
        distances: list[Any] = [self.distance] * len(self.profiles)
        durations: list[Any] = [self._durations(forbidden) for forbidden in self.profiles]
        try:
            self.data = pyvrp.ProblemData(
                locations, self.clients, self._depots(), self.vehicle_types, distances, durations,
                self.groups,
            )  # fmt: skip
        except (ValueError, IndexError, OverflowError) as error:
            raise PyvrpError(f"PyVRP rejected the model: {error}") from error

    def _clients(self) -> None:
        """Clients, each standing for a stop (`client_site`), and groups of alternatives."""
        kg = any(demand_units(s.demand_kg) for s in self.stops.values())
        self.with_kg = kg and any(not math.isinf(v.capacity_kg) for v in self.problem.vehicles)
        self.clients: list[pyvrp.Client] = []
        self.client_site: list[int] = []
        self.groups: list[pyvrp.ClientGroup] = []
        for site, stop in self.stops.items():
            ranges = start_ranges(stop)
            group = len(self.groups) if len(ranges) > 1 else None
            loads = [demand_units(stop.demand_l), demand_units(stop.demand_kg)]
            members = list(range(len(self.clients), len(self.clients) + len(ranges)))
            for early, late in ranges:
                self.client_site.append(site)
                self.clients.append(
                    pyvrp.Client(
                        location=site,
                        pickup=loads[: 1 + self.with_kg],
                        service_duration=stop.service_s,
                        tw_early=early,
                        tw_late=_OPEN_END if late is None else late,
                        prize=0 if stop.required else round(stop.prize * self.scale),
                        required=stop.required and group is None,
                        group=group,
                        name=stop.id,
                    )
                )
            if group is not None:
                self.groups.append(pyvrp.ClientGroup(members, required=stop.required))

    def _fleet(self) -> None:
        """Vehicle types of identical vehicles (`type_vehicles`), profiles, return depots."""
        self.returns: dict[_ReturnKey, tuple[int, int]] = {}
        """Time windows of the return depots, by home depot, facilities (and rates)."""
        self.final: list[NDArray[np.int64]] = []
        """For each return depot, the facility each site goes home through."""
        self.profiles: list[frozenset[int]] = [frozenset()]
        """For each routing profile, the stops out of reach."""
        self.vehicle_types: list[pyvrp.VehicleType] = []
        self.type_vehicles: list[list[int]] = []
        self._by_kind: dict[_Kind, tuple[frozenset[int], tuple[int, ...]]] = {}
        """Stops out of reach and usable facilities, by kind of vehicle."""
        for v, vehicle in enumerate(self.problem.vehicles):
            vehicle_type = self._vehicle_type(vehicle)
            if vehicle_type is None:
                continue
            if vehicle_type in self.vehicle_types:
                self.type_vehicles[self.vehicle_types.index(vehicle_type)].append(v)
            else:
                self.vehicle_types.append(vehicle_type)
                self.type_vehicles.append([v])
        self.vehicle_types = [
            vehicle_type.replace(
                num_available=len(vehicles),
                name=",".join(self.problem.vehicles[v].id for v in vehicles),
            )
            for vehicle_type, vehicles in zip(self.vehicle_types, self.type_vehicles, strict=True)
        ]

    def _vehicle_type(self, vehicle: Vehicle) -> pyvrp.VehicleType | None:
        """A vehicle type of one; None for a vehicle that can serve no stop."""
        problem = self.problem
        kind = _kind(vehicle)
        if kind not in self._by_kind:  # the same for every vehicle of a kind: worked out once
            forbidden = frozenset(
                site for site, stop in self.stops.items() if not may_collect(problem, vehicle, stop)
            )
            self._by_kind[kind] = (forbidden, usable_facilities(problem, vehicle))
        forbidden, reloads = self._by_kind[kind]
        if len(forbidden) == len(self.stops):
            return None
        per_metre, per_second = unit_costs(vehicle, self.scale)
        end = problem.end_index(vehicle)
        if problem.facilities:
            returns = self._return_depot(end, reloads, (per_metre, per_second))
            if returns is None:
                return None  # it cannot unload and be home within the facilities' hours
            end = returns
        if forbidden not in self.profiles:
            self.profiles.append(forbidden)
        capacity = [capacity_units(vehicle.capacity_l, 0)]
        if self.with_kg:
            room = sum(client.pickup[1] for client in self.clients)
            capacity.append(capacity_units(vehicle.capacity_kg, room))
        return pyvrp.VehicleType(
            capacity=capacity,
            start_depot=problem.start_index(vehicle),
            end_depot=end,
            fixed_cost=round(vehicle.fixed_cost * self.scale),
            tw_early=vehicle.shift_start_s,
            tw_late=vehicle.shift_end_s,
            shift_duration=vehicle.duration_limit_s,
            unit_distance_cost=per_metre,
            unit_duration_cost=per_second,
            profile=self.profiles.index(forbidden),
            reload_depots=list(reloads if problem.facilities else ()),
        )

    def _return_depot(
        self, home: int, facilities: tuple[int, ...], rates: tuple[int, int]
    ) -> int | None:
        """The depot where routes home through one of `facilities` end; None if none can."""
        key = (home, facilities, rates if len(facilities) > 1 else None)
        if key not in self.returns:
            window = self._return_window(home, facilities)
            if window is None:
                return None
            self.returns[key] = window
            self._add_return_location(home, facilities, rates)
        return (
            len(self.problem.depots) + len(self.problem.facilities) + list(self.returns).index(key)
        )

    def _return_window(self, home: int, facilities: tuple[int, ...]) -> tuple[int, int] | None:
        """When routes may end there: home open, and the last unloading within the hours of
        whichever facility it was at (`tw_late` bounds the arrival, `tw_early` the wait)."""
        problem, duration = self.problem, self.duration
        early, late = problem.depots[home].opens_s, problem.depots[home].closes_s
        for f in facilities:
            facility, back = problem.facility_at(f), int(duration[f, home])
            if facility.opens_s > 0:
                early = max(early, facility.opens_s + facility.unload_s + back)
            late = min(late, facility.closes_s + back)
        return (early, late) if early <= late else None

    def _add_return_location(
        self, home: int, facilities: tuple[int, ...], rates: tuple[int, int]
    ) -> None:
        """The column into a new return location; nothing leaves it."""
        problem, distance, duration = self.problem, self.distance, self.duration
        via = np.array(facilities)
        unload = np.array([problem.facility_at(f).unload_s for f in facilities])
        via_m = distance[:, via] + distance[via, home][None, :]
        via_s = duration[:, via] + unload[None, :] + duration[via, home][None, :]
        cost = rates[0] * via_m + rates[1] * via_s
        choice = np.lexsort((via_m, via_s, cost))[:, 0]
        rows = np.arange(distance.shape[0])
        is_stop = (rows >= problem.first_stop) & (rows < len(problem.sites))
        self.final.append(via[choice])
        self.distance = _grow(distance, np.where(is_stop, via_m[rows, choice], distance[:, home]))
        self.duration = _grow(duration, np.where(is_stop, via_s[rows, choice], duration[:, home]))

    def _durations(self, forbidden: frozenset[int]) -> NDArray[np.int64]:
        """The duration matrix of a routing profile: forbidden stops out of reach."""
        durations = self.duration.copy()
        durations[:, sorted(forbidden)] = _UNREACHABLE_S
        np.fill_diagonal(durations, 0)
        return durations

    def _depots(self) -> list[pyvrp.Depot]:
        problem = self.problem
        depots = [
            pyvrp.Depot(i, tw_early=d.opens_s, tw_late=d.closes_s, name=d.id)
            for i, d in enumerate(problem.depots)
        ]
        depots += [
            pyvrp.Depot(i, f.opens_s, f.closes_s - f.unload_s, f.unload_s, name=f.id)
            for i, f in enumerate(problem.facilities, start=len(problem.depots))
        ]
        depots += [
            pyvrp.Depot(len(problem.sites) + k, tw_early=early, tw_late=late, name=f"return {k}")
            for k, (early, late) in enumerate(self.returns.values())
        ]
        return depots

    def penalty_params(self) -> pyvrp.PenaltyParams:
        """PyVRP's default penalties, relative to the largest unit cost rather than to 1."""
        types = self.vehicle_types
        largest = max(
            [1, *(t.unit_distance_cost for t in types), *(t.unit_duration_cost for t in types)]
        )
        defaults = pyvrp.PenaltyParams()
        return pyvrp.PenaltyParams(
            min_penalty=defaults.min_penalty * largest, max_penalty=defaults.max_penalty * largest
        )

    def tours(self, solution: pyvrp.Solution) -> list[Tour]:
        """The solution's routes as tours; vehicles of a type are handed out in order."""
        problem = self.problem
        free = [list(vehicles) for vehicles in self.type_vehicles]
        first_return = len(problem.depots) + len(problem.facilities)
        tours = []
        for route in solution.routes():
            sites: list[int] = []
            for activity in list(route)[1:-1]:  # between the start and end depots
                if activity.is_client():
                    sites.append(self.client_site[activity.idx])
                elif not sites or sites[-1] != activity.idx:
                    sites.append(activity.idx)  # a reload depot: a facility, same index
            end = route.end_depot()
            if end >= first_return and sites and sites[-1] >= problem.first_stop:
                sites.append(int(self.final[end - first_return][sites[-1]]))
            vehicle = free[route.vehicle_type()].pop(0)
            tours.append(Tour(vehicle, tuple(sites), depart_s=route.start_time()))
        return tours


def _grow(matrix: NDArray[np.int64], column: NDArray[np.int64]) -> NDArray[np.int64]:
    """The matrix with one more location: `column` into it, nothing out of it."""
    size = matrix.shape[0]
    grown = np.zeros((size + 1, size + 1), dtype=np.int64)
    grown[:size, :size] = matrix
    grown[:size, size] = column
    return grown


class _Deadline:
    """Stops PyVRP's search at a moment, so building the model and PyVRP's own preparation
    (its neighbour lists: seconds for thousands of stops) count against the limit."""

    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self, best_cost: float) -> bool:
        return time.perf_counter() >= self.at


def solve_pyvrp(
    problem: Problem,
    matrices: TravelMatrices,
    time_limit_s: float,
    seed: int,
    *,
    max_iterations: int | None = None,
) -> list[Tour]:
    """Tours of the best feasible plan PyVRP finds within the limits, for used vehicles.

    `max_iterations` also stops the search, repeatably. Raises `PyvrpError` when the problem
    is not supported, or no feasible plan was found (a required stop PyVRP could not fit).
    """
    if not (math.isfinite(time_limit_s) and time_limit_s > 0):
        raise ValueError(f"time_limit_s must be positive, got {time_limit_s!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer within 0..2**32 - 1, got {seed!r}")
    started = time.perf_counter()
    model = PyvrpModel(problem, matrices)
    if model.data is None:
        return []
    log.debug("PyVRP model built in %.1f s", time.perf_counter() - started)
    criteria: list[StoppingCriterion] = [_Deadline(started + time_limit_s)]
    if max_iterations is not None:
        criteria.append(MaxIterations(max_iterations))
    params = pyvrp.SolveParams(penalty=model.penalty_params())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PenaltyBoundWarning)  # infeasibility is raised below
        result = pyvrp.solve(
            model.data, MultipleCriteria(criteria), seed=seed, collect_stats=False, params=params
        )
    log.debug("PyVRP searched for %.1f s", result.runtime)
    best = result.best
    if not best.is_feasible():
        raise PyvrpError(
            f"PyVRP found no feasible plan in {result.runtime:.1f} s: "
            f"{best.num_missing_clients() + best.num_missing_groups()} required stop(s) left out, "
            f"time warp {best.time_warp()} s, excess load {best.excess_load()}"
        )
    return model.tours(best)
