"""The immutable input of a routing run: depots, disposal facilities, stops, a fleet, a day.

Everything is validated on construction, so a backend can trust it: a bad value raises
`ValueError` with a one-line message. Times of day are whole seconds after `Problem.day_start`
(local midnight of the planned day); a night shift may end after midnight, up to 48 h.

Sites are points with two coordinates: degrees of latitude and longitude for the default,
geographic travel model, or plane coordinates when the travel matrices are given
(`GivenMatrices`, as benchmark instances have them). The matrices' rows and columns follow
`Problem.sites`: the depots, then the facilities, then the stops.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from optimizer.geo import TravelMatrices, TravelModel

DAY_S = 86_400
MAX_TIME_S = 2 * DAY_S
"""Latest time of day a shift may end: the end of the day after the planned one."""

Window = tuple[int, int]
"""From and to, in seconds after the day's start; the end is not part of it."""


def _check_id(kind: str, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{kind} id must be a non-empty string, got {value!r}")


def _check_finite(name: str, value: float, *, minimum: float = 0.0) -> None:
    if not (math.isfinite(value) and value >= minimum):
        raise ValueError(f"{name} must be a finite number >= {minimum:g}, got {value!r}")


def _check_seconds(name: str, value: int, *, maximum: int = MAX_TIME_S) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer number of seconds, got {value!r}")
    if not 0 <= value <= maximum:
        raise ValueError(f"{name} must be within 0..{maximum}, got {value}")


def _check_windows(name: str, windows: tuple[Window, ...]) -> None:
    """Windows must be a tuple of (from, to) pairs, each non-empty, in order, not overlapping."""
    if not isinstance(windows, tuple):
        raise ValueError(f"{name} must be a tuple of (from_s, to_s) pairs")
    previous_end = -1
    for window in windows:
        if not (isinstance(window, tuple) and len(window) == 2):
            raise ValueError(f"{name} must hold (from_s, to_s) pairs, got {window!r}")
        start, end = window
        _check_seconds(f"{name} from", start)
        _check_seconds(f"{name} to", end)
        if start >= end:
            raise ValueError(f"{name}: {start}..{end} is empty")
        if start < previous_end:
            raise ValueError(f"{name} must be sorted and must not overlap")
        previous_end = end


@dataclass(frozen=True)
class Site:
    """A place with an id: a depot, a disposal facility or a bin."""

    id: str
    lat: float
    """Degrees north, or the first plane coordinate when the matrices are given."""
    lon: float
    """Degrees east, or the second plane coordinate."""

    def __post_init__(self) -> None:
        _check_id(type(self).__name__.lower(), self.id)
        for name in ("lat", "lon"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{self.id}: {name} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"{self.id}: {name} must be finite, got {value!r}")

    @property
    def point(self) -> tuple[float, float]:
        return (self.lat, self.lon)


@dataclass(frozen=True)
class Depot(Site):
    """Where vehicles start and end their shift; it must be open while they do."""

    opens_s: int = 0
    closes_s: int = MAX_TIME_S

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_windows(f"{self.id}: opening hours", ((self.opens_s, self.closes_s),))


@dataclass(frozen=True)
class Facility(Site):
    """A disposal facility (landfill, transfer station, incinerator) where trucks unload."""

    opens_s: int = 0
    """Unloading may start at this time of day..."""
    closes_s: int = MAX_TIME_S
    """...and must be over by this one."""
    unload_s: int = 0
    """How long unloading takes."""
    waste_streams: frozenset[str] = frozenset()
    """Streams accepted; empty means every stream."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_windows(f"{self.id}: opening hours", ((self.opens_s, self.closes_s),))
        _check_seconds(f"{self.id}: unload_s", self.unload_s, maximum=DAY_S)
        if not isinstance(self.waste_streams, frozenset):
            raise ValueError(f"{self.id}: waste_streams must be a frozenset")

    def accepts(self, streams: frozenset[str]) -> bool:
        """Whether the facility takes every one of `streams`."""
        return not self.waste_streams or streams <= self.waste_streams


@dataclass(frozen=True)
class Stop(Site):
    """A bin to collect: how much it holds, how long emptying it takes, and when it may be."""

    demand_l: float
    """Volume of waste to load, in litres."""
    service_s: int = 0
    """Time spent at the stop, in seconds."""
    expected_fill_pct: float | None = None
    """Fill level expected at collection, for the plan's record."""
    waste_stream: str | None = None
    """Only vehicles accepting this stream may serve the stop; None means any vehicle."""
    required: bool = True
    """A required stop is left out only when no plan can serve it."""
    prize: float = 0.0
    """For an optional stop: what serving it is worth, in the currency of vehicle costs."""
    demand_kg: float = 0.0
    """Weight of the waste to load (`streams.weight_kg` derives it from the volume)."""
    windows: tuple[Window, ...] = ()
    """Service starts within one of these; none means at any time of the shift."""
    forbidden: tuple[Window, ...] = ()
    """No service may overlap these (e.g. near a school at the start of lessons)."""
    vehicle_id: str | None = None
    """Only this vehicle may serve the stop (a dispatcher locked it to that truck); None:
    any vehicle taking its stream."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_finite(f"{self.id}: demand_l", self.demand_l)
        _check_finite(f"{self.id}: demand_kg", self.demand_kg)
        _check_seconds(f"{self.id}: service_s", self.service_s, maximum=DAY_S)
        fill = self.expected_fill_pct
        if fill is not None and not (math.isfinite(fill) and 0 <= fill <= 100):
            raise ValueError(f"{self.id}: expected_fill_pct must be within [0, 100], got {fill!r}")
        _check_finite(f"{self.id}: prize", self.prize)
        if self.required and self.prize != 0:
            raise ValueError(f"{self.id}: a prize is only for optional stops")
        _check_windows(f"{self.id}: windows", self.windows)
        _check_windows(f"{self.id}: forbidden", self.forbidden)

    def may_start(self, at_s: int) -> bool:
        """Whether service may start at `at_s`: inside a window, overlapping no forbidden one."""
        in_window = not self.windows or any(a <= at_s < b for a, b in self.windows)
        end_s = at_s + self.service_s
        clear = all(end_s <= a or at_s >= b for a, b in self.forbidden)
        return in_window and clear


@dataclass(frozen=True)
class Break:
    """A break of `duration_s` starting between `earliest_s` and `latest_s`, wherever it is."""

    earliest_s: int
    latest_s: int
    duration_s: int

    def __post_init__(self) -> None:
        _check_seconds("break earliest_s", self.earliest_s)
        _check_seconds("break latest_s", self.latest_s)
        _check_seconds("break duration_s", self.duration_s, maximum=DAY_S)
        if self.earliest_s > self.latest_s:
            raise ValueError(f"break: earliest {self.earliest_s} after latest {self.latest_s}")


@dataclass(frozen=True)
class Vehicle:
    """A collection vehicle: what it carries, when it works, what it costs, where it sleeps."""

    id: str
    capacity_l: float
    shift_start_s: int
    """Leaves its depot at this time at the earliest, in seconds after the day's start."""
    shift_end_s: int
    """Must be back at its end depot by this time."""
    cost_per_km: float = 1.0
    cost_per_hour: float = 0.0
    """Paid for the time from leaving the depot to coming back."""
    waste_streams: frozenset[str] = frozenset()
    """Streams this vehicle collects; empty means every stream."""
    capacity_kg: float = math.inf
    """The payload: the most weight it may carry."""
    max_duration_s: int | None = None
    """The longest its route may take; None: the whole shift."""
    lunch: Break | None = None
    fixed_cost: float = 0.0
    """Paid when the vehicle is used at all."""
    start_depot: str | None = None
    """Id of the depot it leaves from; None: the problem's first depot."""
    end_depot: str | None = None
    """Id of the depot it returns to; None: where it started."""
    kind: str = ""
    """Its vehicle type, for reports (e.g. "rear loader 22 m³")."""

    def __post_init__(self) -> None:
        _check_id("vehicle", self.id)
        if not (math.isfinite(self.capacity_l) and self.capacity_l > 0):
            raise ValueError(f"{self.id}: capacity_l must be positive, got {self.capacity_l!r}")
        if not (self.capacity_kg > 0):  # infinity: no weight limit
            raise ValueError(f"{self.id}: capacity_kg must be positive, got {self.capacity_kg!r}")
        _check_seconds(f"{self.id}: shift_start_s", self.shift_start_s)
        _check_seconds(f"{self.id}: shift_end_s", self.shift_end_s)
        if self.shift_start_s >= self.shift_end_s:
            raise ValueError(
                f"{self.id}: shift must satisfy start < end, "
                f"got {self.shift_start_s}..{self.shift_end_s}"
            )
        if self.max_duration_s is not None:
            _check_seconds(f"{self.id}: max_duration_s", self.max_duration_s)
        _check_finite(f"{self.id}: cost_per_km", self.cost_per_km)
        _check_finite(f"{self.id}: cost_per_hour", self.cost_per_hour)
        _check_finite(f"{self.id}: fixed_cost", self.fixed_cost)
        if not isinstance(self.waste_streams, frozenset):
            raise ValueError(f"{self.id}: waste_streams must be a frozenset")
        if self.lunch is not None:
            lunch = self.lunch
            if lunch.latest_s + lunch.duration_s > self.shift_end_s:
                raise ValueError(f"{self.id}: the break may end after the shift")

    @property
    def shift_s(self) -> int:
        """Length of the shift."""
        return self.shift_end_s - self.shift_start_s

    @property
    def duration_limit_s(self) -> int:
        """The longest its route may take: the shift, or less when `max_duration_s` says so."""
        if self.max_duration_s is None:
            return self.shift_s
        return min(self.shift_s, self.max_duration_s)

    def accepts(self, stop: Stop) -> bool:
        """Whether this vehicle may collect the stop: its waste stream, and no other vehicle
        it is locked to."""
        if stop.vehicle_id is not None and stop.vehicle_id != self.id:
            return False
        return not self.waste_streams or stop.waste_stream in self.waste_streams


class TravelSource(Protocol):
    """What gives the travel matrices between points (see `geo.TravelModel`)."""

    def matrices(self, points: Sequence[tuple[float, float]]) -> TravelMatrices: ...


@dataclass(frozen=True, eq=False)
class GivenMatrices:
    """Travel matrices known in advance (a benchmark instance, a road-network table)."""

    given: TravelMatrices

    def matrices(self, points: Sequence[tuple[float, float]]) -> TravelMatrices:
        if len(points) != self.given.size:
            raise ValueError(f"{len(points)} sites but matrices of size {self.given.size}")
        return self.given


@dataclass(frozen=True)
class Problem:
    """One day's routing problem: serve the stops with the fleet, from and to its depots.

    With disposal facilities, a vehicle unloads at one whenever it is full and before it
    returns to its depot; without, its capacity bounds its whole route (unloading at the
    depot, as in the classic vehicle routing problem).
    """

    day_start: datetime
    """Local midnight of the planned day (timezone-aware); times of day count from here."""
    depots: tuple[Depot, ...]
    vehicles: tuple[Vehicle, ...]
    stops: tuple[Stop, ...]
    facilities: tuple[Facility, ...] = ()
    travel: TravelSource = field(default_factory=TravelModel)

    def __post_init__(self) -> None:
        if self.day_start.tzinfo is None or self.day_start.utcoffset() is None:
            raise ValueError("day_start must be a timezone-aware datetime")
        for name in ("depots", "vehicles", "stops", "facilities"):
            if not isinstance(getattr(self, name), tuple):
                raise ValueError(f"{name} must be a tuple")
        if not self.depots:
            raise ValueError("a problem needs at least one depot")
        _unique("vehicle", [v.id for v in self.vehicles])
        _unique("site", [site.id for site in self.sites])
        depots = {depot.id for depot in self.depots}
        for vehicle in self.vehicles:
            for depot_id in (vehicle.start_depot, vehicle.end_depot):
                if depot_id is not None and depot_id not in depots:
                    raise ValueError(f"{vehicle.id}: no depot {depot_id!r}")

    def at(self, seconds: int) -> datetime:
        """The moment `seconds` after the day's start, by the wall clock of its time zone.

        Wall-clock arithmetic keeps shift hours local on the days clocks change; a route
        driven across the change itself is off by the hour the clocks moved.
        """
        return self.day_start + timedelta(seconds=seconds)

    @property
    def sites(self) -> tuple[Site, ...]:
        """Depots, facilities, stops: the order of rows and columns in the travel matrices."""
        return (*self.depots, *self.facilities, *self.stops)

    @property
    def first_stop(self) -> int:
        """The matrix index of `stops[0]`."""
        return len(self.depots) + len(self.facilities)

    def facility_at(self, index: int) -> Facility:
        """The facility at a matrix index."""
        if not len(self.depots) <= index < self.first_stop:
            raise IndexError(f"matrix index {index} is not a facility's")
        return self.facilities[index - len(self.depots)]

    def depot_index(self, depot_id: str | None) -> int:
        """The matrix index of a depot by id; None stands for the first depot."""
        if depot_id is None:
            return 0
        return next(i for i, depot in enumerate(self.depots) if depot.id == depot_id)

    def start_index(self, vehicle: Vehicle) -> int:
        return self.depot_index(vehicle.start_depot)

    def end_index(self, vehicle: Vehicle) -> int:
        return self.depot_index(vehicle.end_depot or vehicle.start_depot)

    def matrices(self) -> TravelMatrices:
        """Travel distances and times between the sites, in the order of `sites`."""
        return self.travel.matrices([site.point for site in self.sites])


def _unique(kind: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for id_ in ids:
        if id_ in seen:
            raise ValueError(f"duplicate {kind} id: {id_!r}")
        seen.add(id_)
