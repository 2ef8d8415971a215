"""A truck's day in the twin: the planned route driven against what the bins really hold.

The truck leaves its depot when the plan says, drives from site to site at the travel
matrices' times, and never starts a visit earlier than planned. At a bin it takes whatever
the bin holds at that moment (which can differ from the plan's expected demand); at a
planned disposal visit it unloads everything (waiting for the facility to open if it is
early). When a bin's contents would take the load past the truck's capacity, in litres or
kilograms, before the planned disposal trip, the truck first makes an **extra trip**: to the
accepting facility that gets it back to the bin soonest, unloads, and returns to the bin,
which has filled a little more meanwhile. Extra trips are counted apart from the planned
ones. A load still on board at the end of the route (a problem without facilities) is
unloaded at the depot.

The truck finishes its route whatever the time: a late return shows as `late_s`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from optimizer import Facility, Problem, Route, TravelMatrices, Vehicle, VisitKind, weight_kg

_SLACK = 1e-6
"""Litres and kilograms of rounding tolerated against a capacity."""


class BinContents(Protocol):
    """What a truck finds in the bins (the twin)."""

    def bin_index(self, bin_id: str) -> int: ...

    def contents_l(self, bin_index: int, seconds: float) -> float: ...


@dataclass(frozen=True)
class Emptying:
    """A bin emptied into a truck: when (seconds after midnight) and how much."""

    bin_index: int
    at_s: int
    litres: float
    kg: float


@dataclass(frozen=True)
class TruckDay:
    """What one truck did on its route."""

    vehicle_id: str
    distance_m: int
    duration_s: int
    """From leaving the depot to coming back."""
    late_s: int
    """How long after its shift's end it came back (0: in time)."""
    disposal_trips: int
    """Planned disposal visits made."""
    extra_trips: int
    """Unplanned disposal trips: the load would not have fitted otherwise."""
    emptyings: tuple[Emptying, ...]
    unloaded_l: float
    """Litres unloaded at facilities (and at the depot without facilities)."""
    peak_load_l: float
    peak_load_kg: float


class _Truck:
    """The moving state of one truck along its route."""

    def __init__(self, problem: Problem, matrices: TravelMatrices, vehicle: Vehicle) -> None:
        self.problem, self.matrices, self.vehicle = problem, matrices, vehicle
        self.site = problem.start_index(vehicle)
        self.time_s = 0
        self.distance_m = 0
        self.load_l = self.load_kg = 0.0
        self.streams: set[str] = set()
        self.unloaded_l = self.peak_l = self.peak_kg = 0.0

    def go(self, site: int) -> None:
        self.distance_m += int(self.matrices.distance_m[self.site, site])
        self.time_s += int(self.matrices.duration_s[self.site, site])
        self.site = site

    def unload(self, facility: Facility) -> None:
        self.time_s = max(self.time_s, facility.opens_s) + facility.unload_s
        self.unloaded_l += self.load_l
        self.load_l = self.load_kg = 0.0
        self.streams.clear()

    def fits(self, litres: float, kg: float) -> bool:
        return (
            self.load_l + litres <= self.vehicle.capacity_l + _SLACK
            and self.load_kg + kg <= self.vehicle.capacity_kg + _SLACK
        )

    def take(self, litres: float, kg: float, stream: str | None) -> None:
        self.load_l += litres
        self.load_kg += kg
        self.peak_l = max(self.peak_l, self.load_l)
        self.peak_kg = max(self.peak_kg, self.load_kg)
        if stream is not None:
            self.streams.add(stream)

    def extra_trip(self, back_to: int) -> None:
        """Unload before going on to `back_to`: at a facility, or at the depot without any."""
        if self.problem.facilities:
            facility = self.nearest_facility(back_to)
            self.go(facility)
            self.unload(self.problem.facility_at(facility))
        else:
            self.go(self.problem.start_index(self.vehicle))
            self.unload(Facility("depot", 0.0, 0.0))
        self.go(back_to)

    def nearest_facility(self, back_to: int) -> int:
        """The facility taking the load that gets the truck back to `back_to` soonest."""
        on_board = frozenset(self.streams)
        best: tuple[int, int] | None = None
        for offset, facility in enumerate(self.problem.facilities):
            if not facility.accepts(on_board):
                continue
            index = len(self.problem.depots) + offset
            there = self.time_s + int(self.matrices.duration_s[self.site, index])
            done = max(there, facility.opens_s) + facility.unload_s
            back = done + int(self.matrices.duration_s[index, back_to])
            if best is None or back < best[0]:
                best = (back, index)
        if best is None:
            raise ValueError(f"{self.vehicle.id}: no facility takes {sorted(on_board)}")
        return best[1]


def drive(
    route: Route,
    vehicle: Vehicle,
    problem: Problem,
    matrices: TravelMatrices,
    bins: BinContents,
) -> TruckDay:
    """Execute one planned route against the bins' real contents."""
    truck = _Truck(problem, matrices, vehicle)
    truck.time_s = _seconds(problem, route.start)
    index = {site.id: i for i, site in enumerate(problem.sites)}
    stops = {stop.id: stop for stop in problem.stops}
    emptyings: list[Emptying] = []
    planned = extra = 0
    for visit in route.visits:
        site = index[visit.site_id]
        truck.go(site)
        truck.time_s = max(truck.time_s, _seconds(problem, visit.service_start))
        if visit.kind is VisitKind.DISPOSAL:
            truck.unload(problem.facility_at(site))
            planned += 1
            continue
        stop = stops[visit.site_id]
        bin_index = bins.bin_index(stop.id)
        litres = bins.contents_l(bin_index, truck.time_s)
        kg = weight_kg(stop.waste_stream, litres)
        if not truck.fits(litres, kg):
            truck.extra_trip(back_to=site)
            extra += 1
            litres = bins.contents_l(bin_index, truck.time_s)
            kg = weight_kg(stop.waste_stream, litres)
            if not truck.fits(litres, kg):
                raise ValueError(f"{stop.id}: holds more than an empty {vehicle.id} takes")
        truck.take(litres, kg, stop.waste_stream)
        emptyings.append(Emptying(bin_index, truck.time_s, litres, kg))
        truck.time_s += stop.service_s
    truck.go(problem.end_index(vehicle))
    truck.unloaded_l += truck.load_l  # nothing left with facilities: the plan unloads last
    start_s = _seconds(problem, route.start)
    return TruckDay(
        vehicle_id=vehicle.id,
        distance_m=truck.distance_m,
        duration_s=truck.time_s - start_s,
        late_s=max(0, truck.time_s - vehicle.shift_end_s),
        disposal_trips=planned,
        extra_trips=extra,
        emptyings=tuple(emptyings),
        unloaded_l=truck.unloaded_l,
        peak_load_l=truck.peak_l,
        peak_load_kg=truck.peak_kg,
    )


def _seconds(problem: Problem, moment: datetime) -> int:
    return round((moment - problem.day_start).total_seconds())
