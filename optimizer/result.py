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


@dataclass(frozen=True)
class Visit:
    """A stop of a route: when the vehicle arrives and how full it is on leaving."""

    stop_id: str
    arrival: datetime
    load_after_l: float
    expected_fill_pct: float | None = None

    def __post_init__(self) -> None:
        if self.load_after_l < 0:
            raise ValueError(f"{self.stop_id}: load_after_l must be >= 0, got {self.load_after_l}")


@dataclass(frozen=True)
class Route:
    """One vehicle's day: from the depot through the visits, in order, back to the depot."""

    vehicle_id: str
    depot_id: str
    start: datetime
    """Departure from the depot."""
    end: datetime
    """Return to the depot."""
    visits: tuple[Visit, ...]
    distance_m: int
    duration_s: int
    """Travel and service time from departure to return."""
    load_l: float
    """Volume collected over the route."""

    def __post_init__(self) -> None:
        if self.distance_m < 0 or self.duration_s < 0 or self.load_l < 0:
            raise ValueError(f"{self.vehicle_id}: route totals must be >= 0")
        if self.end < self.start:
            raise ValueError(f"{self.vehicle_id}: route ends before it starts")
        if any(b.arrival < a.arrival for a, b in zip(self.visits, self.visits[1:], strict=False)):
            raise ValueError(f"{self.vehicle_id}: visits must be in order of arrival")

    @property
    def stop_ids(self) -> tuple[str, ...]:
        return tuple(visit.stop_id for visit in self.visits)


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
        return sum(len(route.visits) for route in self.routes)

    @property
    def served_ids(self) -> frozenset[str]:
        return frozenset(s for route in self.routes for s in route.stop_ids)

    def omission_of(self, stop_id: str) -> Omission | None:
        """The omission of a stop, or None when a route serves it."""
        return next((o for o in self.omissions if o.stop_id == stop_id), None)
