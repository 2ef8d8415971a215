"""The immutable input of a planning run: a depot, a fleet, the stops to visit, a day.

Everything is validated on construction, so the solver can trust it: a bad value raises
`ValueError` with a one-line message. Times of day are whole seconds after `Problem.day_start`
(local midnight of the planned day); a night shift may end after midnight, up to 48 h.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from optimizer.geo import TravelMatrices, TravelModel

DAY_S = 86_400
MAX_TIME_S = 2 * DAY_S
"""Latest time of day a shift may end: the end of the day after the planned one."""


def _check_id(kind: str, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{kind} id must be a non-empty string, got {value!r}")


def _check_finite(name: str, value: float, *, minimum: float = 0.0) -> None:
    if not (math.isfinite(value) and value >= minimum):
        raise ValueError(f"{name} must be a finite number >= {minimum:g}, got {value!r}")


@dataclass(frozen=True)
class Site:
    """A place on the map with an id: a depot, a bin, later a disposal facility."""

    id: str
    lat: float
    lon: float

    def __post_init__(self) -> None:
        _check_id(type(self).__name__.lower(), self.id)
        if not (math.isfinite(self.lat) and -90 <= self.lat <= 90):
            raise ValueError(f"{self.id}: lat must be within [-90, 90], got {self.lat!r}")
        if not (math.isfinite(self.lon) and -180 <= self.lon <= 180):
            raise ValueError(f"{self.id}: lon must be within [-180, 180], got {self.lon!r}")

    @property
    def point(self) -> tuple[float, float]:
        return (self.lat, self.lon)


@dataclass(frozen=True)
class Depot(Site):
    """Where vehicles start and end their shift."""


@dataclass(frozen=True)
class Stop(Site):
    """A bin to collect: how much it holds and how long emptying it takes."""

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

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_finite(f"{self.id}: demand_l", self.demand_l)
        if isinstance(self.service_s, bool) or not isinstance(self.service_s, int):
            raise ValueError(f"{self.id}: service_s must be an integer, got {self.service_s!r}")
        if self.service_s < 0:
            raise ValueError(f"{self.id}: service_s must be >= 0, got {self.service_s}")
        fill = self.expected_fill_pct
        if fill is not None and not (math.isfinite(fill) and 0 <= fill <= 100):
            raise ValueError(f"{self.id}: expected_fill_pct must be within [0, 100], got {fill!r}")
        _check_finite(f"{self.id}: prize", self.prize)
        if self.required and self.prize != 0:
            raise ValueError(f"{self.id}: a prize is only for optional stops")


@dataclass(frozen=True)
class Vehicle:
    """A collection vehicle based at the depot, with its volume and its shift."""

    id: str
    capacity_l: float
    shift_start_s: int
    """Leaves the depot at this time, in seconds after the day's start."""
    shift_end_s: int
    """Must be back at the depot by this time, in seconds after the day's start."""
    cost_per_km: float = 1.0
    cost_per_hour: float = 0.0
    waste_streams: frozenset[str] = field(default_factory=frozenset)
    """Streams this vehicle collects; empty means every stream."""

    def __post_init__(self) -> None:
        _check_id("vehicle", self.id)
        if not (math.isfinite(self.capacity_l) and self.capacity_l > 0):
            raise ValueError(f"{self.id}: capacity_l must be positive, got {self.capacity_l!r}")
        for name in ("shift_start_s", "shift_end_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{self.id}: {name} must be an integer, got {value!r}")
        if not 0 <= self.shift_start_s < self.shift_end_s <= MAX_TIME_S:
            raise ValueError(
                f"{self.id}: shift must satisfy 0 <= start < end <= {MAX_TIME_S}, "
                f"got {self.shift_start_s}..{self.shift_end_s}"
            )
        _check_finite(f"{self.id}: cost_per_km", self.cost_per_km)
        _check_finite(f"{self.id}: cost_per_hour", self.cost_per_hour)
        if not isinstance(self.waste_streams, frozenset):
            raise ValueError(f"{self.id}: waste_streams must be a frozenset")

    @property
    def shift_s(self) -> int:
        """Length of the shift: the longest a route may take, travel and service included."""
        return self.shift_end_s - self.shift_start_s

    def accepts(self, stop: Stop) -> bool:
        """Whether this vehicle may collect the stop's waste stream."""
        return not self.waste_streams or stop.waste_stream in self.waste_streams


@dataclass(frozen=True)
class Problem:
    """One day's routing problem: serve the stops from the depot with the fleet."""

    day_start: datetime
    """Local midnight of the planned day (timezone-aware); times of day count from here."""
    depot: Depot
    vehicles: tuple[Vehicle, ...]
    stops: tuple[Stop, ...]
    travel: TravelModel = field(default_factory=TravelModel)

    def __post_init__(self) -> None:
        if self.day_start.tzinfo is None or self.day_start.utcoffset() is None:
            raise ValueError("day_start must be a timezone-aware datetime")
        if not isinstance(self.vehicles, tuple) or not isinstance(self.stops, tuple):
            raise ValueError("vehicles and stops must be tuples")
        for kind, ids in (
            ("vehicle", [v.id for v in self.vehicles]),
            ("stop", [self.depot.id, *(s.id for s in self.stops)]),
        ):
            seen: set[str] = set()
            for id_ in ids:
                if id_ in seen:
                    raise ValueError(f"duplicate {kind} id: {id_!r}")
                seen.add(id_)

    def at(self, seconds: int) -> datetime:
        """The moment `seconds` after the day's start, by the wall clock of its time zone.

        Wall-clock arithmetic keeps shift hours local on the days clocks change; a route
        driven across the change itself is off by the hour the clocks moved.
        """
        return self.day_start + timedelta(seconds=seconds)

    @property
    def sites(self) -> tuple[Site, ...]:
        """The depot then the stops: the order of rows and columns in the travel matrices."""
        return (self.depot, *self.stops)

    def matrices(self) -> TravelMatrices:
        """Travel distances and times between the sites, depot first."""
        return self.travel.matrices([site.point for site in self.sites])
