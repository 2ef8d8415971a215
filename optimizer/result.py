"""What a planning run returns: routes of ordered visits, and the stops left out with why.

A result is plain immutable data with no reference to the solver that produced it, so the
store, the API and the simulators can read it without OR-Tools.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class OmissionReason(StrEnum):
    """Why a stop is not in any route; the value is what the plan stores."""

    NO_VEHICLE = "no vehicle"
    """No vehicle of the fleet collects the stop's waste stream (or the fleet is empty)."""
    CAPACITY = "capacity"
    """The stop's volume fits in no vehicle, or in none that still has room."""
    SHIFT_LENGTH = "shift length"
    """The stop cannot be reached and served within any shift, or any shift still open."""
    NOT_WORTH_IT = "not worth the detour"
    """An optional stop whose prize is below the cost of serving it."""
    SEARCH_LIMIT = "search limit"
    """A route could take the stop, but the search stopped before it found one."""
    TIME_WINDOW = "time window"
    """No vehicle can be there within the stop's time windows (or outside its forbidden ones)."""
    NO_FACILITY = "no disposal facility"
    """No open disposal facility takes the stop's waste stream."""
    REMOVED = "removed by the dispatcher"
    """Taken off the plan by hand (`amend.remove`)."""


class VisitKind(StrEnum):
    """What a vehicle does at a visit; the value is what the plan stores."""

    BIN = "bin"
    """Empties a bin: `site_id` is the stop's id."""
    DISPOSAL = "disposal"
    """Unloads at a disposal facility: `site_id` is the facility's id."""


@dataclass(frozen=True)
class Visit:
    """A visit of a route: when the vehicle arrives, starts work, and its load on leaving."""

    site_id: str
    arrival: datetime
    load_after_l: float
    """Volume on board when it leaves (0 after a disposal)."""
    expected_fill_pct: float | None = None
    kind: VisitKind = VisitKind.BIN
    start: datetime | None = None
    """When service starts, after waiting for a time window; None: on arrival."""
    load_after_kg: float = 0.0

    def __post_init__(self) -> None:
        if self.load_after_l < 0 or self.load_after_kg < 0:
            raise ValueError(f"{self.site_id}: loads must be >= 0")
        if self.start is not None and self.start < self.arrival:
            raise ValueError(f"{self.site_id}: service starts before arrival")

    @property
    def service_start(self) -> datetime:
        return self.arrival if self.start is None else self.start


@dataclass(frozen=True)
class Route:
    """One vehicle's day: from its depot through the visits, in order, back to a depot."""

    vehicle_id: str
    depot_id: str
    """The depot it leaves from."""
    start: datetime
    """Departure from the depot."""
    end: datetime
    """Return to the end depot."""
    visits: tuple[Visit, ...]
    distance_m: int
    duration_s: int
    """From departure to return: travel, service, unloading, waiting and the break."""
    load_l: float
    """Volume collected over the route."""
    end_depot_id: str | None = None
    """The depot it returns to; None: the one it left from."""
    break_start: datetime | None = None
    """When the vehicle's break starts, if it has one."""
    break_after: int | None = None
    """How many visits come before the break (0: before the first)."""
    cost: float = 0.0
    """Fixed cost, distance and time at the vehicle's rates."""

    def __post_init__(self) -> None:
        if self.distance_m < 0 or self.duration_s < 0 or self.load_l < 0:
            raise ValueError(f"{self.vehicle_id}: route totals must be >= 0")
        if self.end < self.start:
            raise ValueError(f"{self.vehicle_id}: route ends before it starts")
        if any(b.arrival < a.arrival for a, b in zip(self.visits, self.visits[1:], strict=False)):
            raise ValueError(f"{self.vehicle_id}: visits must be in order of arrival")
        if self.break_after is not None and not 0 <= self.break_after <= len(self.visits):
            raise ValueError(f"{self.vehicle_id}: break_after outside the route")

    @property
    def returns_to(self) -> str:
        return self.end_depot_id or self.depot_id

    @property
    def stop_ids(self) -> tuple[str, ...]:
        """The bins emptied, in order."""
        return tuple(v.site_id for v in self.visits if v.kind is VisitKind.BIN)

    @property
    def disposals(self) -> int:
        return sum(1 for v in self.visits if v.kind is VisitKind.DISPOSAL)


@dataclass(frozen=True)
class Omission:
    """A stop no route serves, with the reason."""

    stop_id: str
    reason: OmissionReason


@dataclass(frozen=True)
class Result:
    """The routes of a plan (unused vehicles left out), the omitted stops, and totals."""

    routes: tuple[Route, ...]
    omissions: tuple[Omission, ...]
    solver: str
    """Which solver and version produced the plan."""
    status: str
    """The solver's own word on how the search ended."""
    objective: int
    """The solver's objective value (scaled costs plus penalties of omitted stops)."""
    runtime_s: float = field(default=0.0, compare=False)
    cost: float = 0.0
    """What the routes cost: the sum of `Route.cost`."""

    def __post_init__(self) -> None:
        served = [stop_id for route in self.routes for stop_id in route.stop_ids]
        seen: set[str] = set()
        for stop_id in served + [omission.stop_id for omission in self.omissions]:
            if stop_id in seen:
                raise ValueError(f"stop {stop_id!r} appears more than once in the result")
            seen.add(stop_id)
        vehicles = [route.vehicle_id for route in self.routes]
        if len(set(vehicles)) != len(vehicles):
            raise ValueError("a vehicle has more than one route in the result")

    @property
    def distance_m(self) -> int:
        return sum(route.distance_m for route in self.routes)

    @property
    def duration_s(self) -> int:
        return sum(route.duration_s for route in self.routes)

    @property
    def load_l(self) -> float:
        return sum(route.load_l for route in self.routes)

    @property
    def num_served(self) -> int:
        """Bins emptied (disposal visits not counted)."""
        return sum(len(route.stop_ids) for route in self.routes)

    @property
    def served_ids(self) -> frozenset[str]:
        return frozenset(s for route in self.routes for s in route.stop_ids)

    def omission_of(self, stop_id: str) -> Omission | None:
        """The omission of a stop, or None when a route serves it."""
        return next((o for o in self.omissions if o.stop_id == stop_id), None)
