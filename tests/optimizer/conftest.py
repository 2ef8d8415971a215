"""Fixtures for the optimizer tests: a depot, a day, and builders of small problems.

Builders are fixtures rather than importable helpers, since test folders are not packages.
Stops are placed by kilometres north and east of the depot, or (`on_a_line`) at kilometres
along a straight road whose travel matrices are exact, for plans checked by hand.
"""

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from optimizer import (
    Depot,
    Facility,
    GivenMatrices,
    OrtoolsParams,
    Problem,
    SolveParams,
    Stop,
    TravelMatrices,
    Vehicle,
)

DEPOT_LAT, DEPOT_LON = 45.0, 7.0
KM_LAT = 1 / 111.195
"""Degrees of latitude per km."""
KM_LON = KM_LAT / 0.70711
"""Degrees of longitude per km at 45°N."""


@pytest.fixture
def day_start() -> datetime:
    """Midnight (UTC) of the planned day."""
    return datetime(2025, 3, 3, tzinfo=UTC)


@pytest.fixture
def depot() -> Depot:
    """The depot every test problem starts from."""
    return Depot("depot", DEPOT_LAT, DEPOT_LON)


@pytest.fixture
def stop_at() -> Callable[..., Stop]:
    """`stop_at(id, north_km, east_km, demand_l=100, **fields)`: a stop near the depot."""

    def build(
        stop_id: str, north_km: float, east_km: float, demand_l: float = 100.0, **fields: Any
    ) -> Stop:
        lat = DEPOT_LAT + north_km * KM_LAT
        return Stop(stop_id, lat, DEPOT_LON + east_km * KM_LON, demand_l, **fields)

    return build


@pytest.fixture
def truck() -> Callable[..., Vehicle]:
    """`truck(id, capacity_l=1000, hours=8, **fields)`: a vehicle leaving at 06:00."""

    def build(
        vehicle_id: str, capacity_l: float = 1000.0, hours: float = 8, **fields: Any
    ) -> Vehicle:
        start = 6 * 3600
        return Vehicle(vehicle_id, capacity_l, start, start + round(hours * 3600), **fields)

    return build


@pytest.fixture
def make_problem(day_start: datetime, depot: Depot) -> Callable[..., Problem]:
    """`make_problem(stops, vehicles)`: the problem of serving them from the depot that day."""

    def build(stops: Sequence[Stop], vehicles: Sequence[Vehicle]) -> Problem:
        return Problem(day_start, (depot,), tuple(vehicles), tuple(stops))

    return build


@pytest.fixture
def on_a_line(day_start: datetime) -> Callable[..., Problem]:
    """`on_a_line(stops, vehicles, facilities=(), depots=(depot at km 0,))`: sites on a straight
    road, each at km `lat` (`lon` is ignored), one km being 1000 m and 60 s apart, so that
    distances, times and costs of a plan can be worked out by hand."""

    def build(
        stops: Sequence[Stop],
        vehicles: Sequence[Vehicle],
        facilities: Sequence[Facility] = (),
        depots: Sequence[Depot] = (),
    ) -> Problem:
        depots = tuple(depots) or (Depot("depot", 0.0, 0.0),)
        km = np.array([site.lat for site in (*depots, *facilities, *stops)])
        apart = np.abs(km[:, None] - km[None, :])
        matrices = TravelMatrices(
            distance_m=np.rint(apart * 1000).astype(np.int64),
            duration_s=np.rint(apart * 60).astype(np.int64),
        )
        travel = GivenMatrices(matrices)
        return Problem(day_start, depots, tuple(vehicles), tuple(stops), tuple(facilities), travel)

    return build


@pytest.fixture
def stop_km() -> Callable[..., Stop]:
    """`stop_km(id, km, demand_l=100, **fields)`: a stop on the road of `on_a_line`."""

    def build(stop_id: str, km: float, demand_l: float = 100.0, **fields: Any) -> Stop:
        return Stop(stop_id, km, 0.0, demand_l, **fields)

    return build


@pytest.fixture
def van() -> Callable[..., Vehicle]:
    """`van(id="t", capacity_l=1000, **fields)`: a vehicle on shift from 0:00 to 10:00, so
    times of day on the road of `on_a_line` are plain seconds."""

    def build(vehicle_id: str = "t", capacity_l: float = 1000.0, **fields: Any) -> Vehicle:
        return Vehicle(vehicle_id, capacity_l, 0, 36_000, **fields)

    return build


@pytest.fixture
def fast() -> SolveParams:
    """OR-Tools stopping after a fixed number of solutions: quick and repeatable."""
    return SolveParams(backend="ortools", ortools=OrtoolsParams(solution_limit=200))
