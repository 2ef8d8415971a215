"""From tours to timed routes: arrival, service, break and load at every visit.

A backend says which sites a vehicle visits in which order (`Tour`); the times follow from the
problem alone. Each visit starts as early as it may: on arrival, or when its time window
opens, or when a forbidden interval it would overlap is over; a facility unloads once it is
open. The vehicle leaves its depot as late as it can without arriving anywhere later, so it
does not pay for waiting it could have spent at the depot. A vehicle's break is taken on the
road when its route is still under way at the break's latest start (otherwise the crew takes
it at the depot, after the route); it goes where it makes the route end earliest, unless the
tour places it (see `Scheduler.timing`). A break between two places interrupts the drive:
the crew drives until the break may start (or until it arrives, if sooner), breaks, and
drives on.

The result is what the plan says; `check` verifies it independently.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from optimizer.geo import TravelMatrices
from optimizer.problem import Break, Facility, Problem, Stop, Vehicle
from optimizer.result import Route, Visit, VisitKind
from optimizer.tour import Tour


@dataclass(frozen=True)
class TimedVisit:
    site: int
    arrival_s: int
    start_s: int
    load_l: float
    load_kg: float


@dataclass(frozen=True)
class Timing:
    """A tour's schedule in seconds; `feasible` is False when some limit could not be kept."""

    departure_s: int
    visits: tuple[TimedVisit, ...]
    end_s: int
    break_after: int | None
    break_start_s: int | None
    feasible: bool


def earliest_start(stop: Stop, arrival_s: int) -> int | None:
    """The first moment at or after arrival when the stop may be served; None if none is left."""
    t = arrival_s
    windows = stop.windows or ((0, 2**62),)
    for window_start, window_end in windows:
        t = max(t, window_start)
        while t < window_end:
            clash = next((b for a, b in stop.forbidden if t < b and t + stop.service_s > a), None)
            if clash is None:
                return t
            t = clash
    return None


def _rank(timing: Timing) -> tuple[bool, int, int]:
    """Feasible first, then the shorter route, then the earlier end."""
    return (not timing.feasible, timing.end_s - timing.departure_s, timing.end_s)


def _better(a: Timing, b: Timing) -> bool:
    return _rank(a) < _rank(b)


def route_cost(vehicle: Vehicle, distance_m: int, duration_s: int) -> float:
    """What a route costs at the vehicle's rates (fixed cost included)."""
    return (
        vehicle.fixed_cost
        + vehicle.cost_per_km * distance_m / 1000
        + vehicle.cost_per_hour * duration_s / 3600
    )


class Scheduler:
    """Times tours of one problem against its travel matrices."""

    def __init__(self, problem: Problem, matrices: TravelMatrices) -> None:
        self.problem = problem
        self.matrices = matrices
        self._sites = problem.sites
        self.visits_scheduled = 0
        """Work done so far, in visits timed (callers may budget with it)."""

    def timing(self, tour: Tour) -> Timing:
        """The schedule of a tour, with the break where it ends the route earliest.

        The break is tried from the last place the vehicle reaches before the break may
        start to the last place it leaves before its latest start (times without a break,
        leaving as early as allowed): breaking sooner only delays the visits in between,
        breaking later is too late. Only when none of these gives a feasible schedule is
        every other place tried.
        """
        vehicle = self.problem.vehicles[tour.vehicle]
        if vehicle.lunch is None:
            positions: list[int | None] = [None]
        elif tour.break_after is not None:
            positions = [tour.break_after]
        else:
            positions = [None, *self._break_positions(tour, vehicle, vehicle.lunch)]
        best = min((self._with_latest_departure(tour, vehicle, p) for p in positions), key=_rank)
        if best.feasible or vehicle.lunch is None or tour.break_after is not None:
            return best
        rest = [p for p in range(len(tour.sites) + 1) if p not in positions]
        passes = [best, *(self._with_latest_departure(tour, vehicle, p) for p in rest)]
        return min(passes, key=_rank)

    def _break_positions(self, tour: Tour, vehicle: Vehicle, lunch: Break) -> range:
        """The places where the break is worth trying (see `timing`)."""
        plain = self._forward(tour, vehicle, None, self._earliest_departure(vehicle))
        arrivals = [visit.arrival_s for visit in plain.visits] + [plain.end_s]
        leaving = [plain.departure_s] + [
            visit.start_s + self._busy_s(visit.site) for visit in plain.visits
        ]
        first = max((k for k, t in enumerate(arrivals) if t <= lunch.earliest_s), default=0)
        last = max((k for k, t in enumerate(leaving) if t <= lunch.latest_s), default=-1)
        return range(first, last + 1)

    def _busy_s(self, site_index: int) -> int:
        """How long a visit to the site lasts: service or unloading."""
        site = self._sites[site_index]
        if isinstance(site, Stop):
            return site.service_s
        if isinstance(site, Facility):
            return site.unload_s
        return 0

    def _earliest_departure(self, vehicle: Vehicle) -> int:
        depot = self.problem.depots[self.problem.start_index(vehicle)]
        return max(vehicle.shift_start_s, depot.opens_s)

    def route(self, tour: Tour, timing: Timing | None = None) -> Route:
        """The tour as a route of the plan (`timing`: the tour's, when already worked out)."""
        problem, timing = self.problem, timing or self.timing(tour)
        vehicle = problem.vehicles[tour.vehicle]
        start_depot, end_depot = problem.start_index(vehicle), problem.end_index(vehicle)
        visits = []
        for timed in timing.visits:
            site = self._sites[timed.site]
            is_stop = isinstance(site, Stop)
            visits.append(
                Visit(
                    site_id=site.id,
                    arrival=problem.at(timed.arrival_s),
                    load_after_l=timed.load_l,
                    expected_fill_pct=site.expected_fill_pct if isinstance(site, Stop) else None,
                    kind=VisitKind.BIN if is_stop else VisitKind.DISPOSAL,
                    start=problem.at(timed.start_s) if timed.start_s > timed.arrival_s else None,
                    load_after_kg=timed.load_kg,
                )
            )
        path = [start_depot, *tour.sites, end_depot]
        distance = int(sum(int(self.matrices.distance_m[a, b]) for a, b in pairwise(path)))
        duration = timing.end_s - timing.departure_s
        collected = [self._sites[s] for s in tour.sites]
        return Route(
            vehicle_id=vehicle.id,
            depot_id=problem.depots[start_depot].id,
            end_depot_id=problem.depots[end_depot].id if end_depot != start_depot else None,
            start=problem.at(timing.departure_s),
            end=problem.at(timing.end_s),
            visits=tuple(visits),
            distance_m=distance,
            duration_s=duration,
            load_l=sum(s.demand_l for s in collected if isinstance(s, Stop)),
            break_start=None if timing.break_start_s is None else problem.at(timing.break_start_s),
            break_after=timing.break_after,
            cost=route_cost(vehicle, distance, duration),
        )

    def _with_latest_departure(
        self, tour: Tour, vehicle: Vehicle, break_after: int | None
    ) -> Timing:
        """The best schedule leaving as early as allowed, or when the backend said.

        From each departure, the vehicle leaves later by its first wait for as long as that
        ends the route no later and breaks nothing that held.
        """
        earliest = self._earliest_departure(vehicle)
        departures = {earliest}
        if tour.depart_s is not None:
            departures.add(max(earliest, tour.depart_s))
        best: Timing | None = None
        for departure in sorted(departures):
            timing = self._forward(tour, vehicle, break_after, departure)
            for _ in range(len(tour.sites)):
                wait = next(
                    (v.start_s - v.arrival_s for v in timing.visits if v.start_s > v.arrival_s), 0
                )
                if not wait:
                    break
                later = self._forward(tour, vehicle, break_after, timing.departure_s + wait)
                if later.end_s > timing.end_s or later.feasible < timing.feasible:
                    break
                timing = later
            if best is None or _better(timing, best):
                best = timing
        assert best is not None  # departures is never empty
        return best

    def _forward(
        self, tour: Tour, vehicle: Vehicle, break_after: int | None, departure_s: int
    ) -> Timing:
        problem, duration = self.problem, self.matrices.duration_s
        self.visits_scheduled += len(tour.sites) + 1
        feasible = True
        t, previous = departure_s, problem.start_index(vehicle)
        load_l = load_kg = 0.0
        break_start: int | None = None
        visits = []
        end_index = problem.end_index(vehicle)
        for k, site_index in enumerate([*tour.sites, None]):
            target = end_index if site_index is None else site_index
            arrival = t + int(duration[previous, target])
            if break_after == k and vehicle.lunch is not None:
                # The crew drives until the break may start (or until it arrives), breaks,
                # and drives on: the break interrupts the leg, not a service.
                break_start = max(t, vehicle.lunch.earliest_s)
                feasible &= break_start <= vehicle.lunch.latest_s
                arrival = max(arrival, vehicle.lunch.earliest_s) + vehicle.lunch.duration_s
            if site_index is None:
                break
            site = self._sites[site_index]
            if isinstance(site, Stop):
                start = earliest_start(site, arrival)
                if start is None:
                    feasible, start = False, arrival
                t = start + site.service_s
                load_l += site.demand_l
                load_kg += site.demand_kg
                feasible &= load_l <= vehicle.capacity_l + 1e-9
                feasible &= load_kg <= vehicle.capacity_kg + 1e-9
            elif isinstance(site, Facility):
                start = max(arrival, site.opens_s)
                t = start + site.unload_s
                feasible &= t <= site.closes_s
                load_l = load_kg = 0.0
            else:
                raise ValueError(f"tour of {vehicle.id} visits depot {site.id}")
            visits.append(TimedVisit(site_index, arrival, start, load_l, load_kg))
            previous = site_index
        end = arrival
        if vehicle.lunch is not None and break_after is None:
            feasible &= end <= vehicle.lunch.latest_s  # the crew breaks at the depot after
        feasible &= end <= min(vehicle.shift_end_s, problem.depots[end_index].closes_s)
        feasible &= end - departure_s <= vehicle.duration_limit_s
        return Timing(departure_s, tuple(visits), end, break_after, break_start, feasible)
