"""Tests of the validated problem data."""

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from optimizer import Depot, Problem, Stop, TravelModel, Vehicle

GOOD_STOP: dict[str, Any] = {"id": "b1", "lat": 45.0, "lon": 7.0, "demand_l": 120.0}
GOOD_VEHICLE: dict[str, Any] = {
    "id": "v1",
    "capacity_l": 10_000.0,
    "shift_start_s": 6 * 3600,
    "shift_end_s": 14 * 3600,
}


def test_valid_stop_and_vehicle() -> None:
    """Good values make a stop and a vehicle with the documented defaults."""
    stop = Stop(**GOOD_STOP)
    vehicle = Vehicle(**GOOD_VEHICLE)
    assert stop.required
    assert stop.service_s == 0
    assert stop.point == (45.0, 7.0)
    assert vehicle.shift_s == 8 * 3600
    assert vehicle.accepts(stop)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"id": ""}, "id must be"),
        ({"id": "  "}, "id must be"),
        ({"lat": 90.5}, "lat"),
        ({"lat": math.nan}, "lat"),
        ({"lon": -181.0}, "lon"),
        ({"demand_l": -1.0}, "demand_l"),
        ({"demand_l": math.inf}, "demand_l"),
        ({"service_s": -5}, "service_s"),
        ({"service_s": 1.5}, "service_s"),
        ({"expected_fill_pct": 101.0}, "expected_fill_pct"),
        ({"expected_fill_pct": -0.1}, "expected_fill_pct"),
        ({"required": False, "prize": -1.0}, "prize"),
        ({"prize": 5.0}, "only for optional"),
    ],
)
def test_bad_stop(fields: dict[str, Any], message: str) -> None:
    """A stop with a bad value is refused with a one-line message."""
    with pytest.raises(ValueError, match=message) as info:
        Stop(**{**GOOD_STOP, **fields})
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"id": ""}, "id must be"),
        ({"capacity_l": 0.0}, "capacity_l"),
        ({"capacity_l": math.nan}, "capacity_l"),
        ({"shift_start_s": 14 * 3600}, "shift must"),
        ({"shift_start_s": -1}, "shift must"),
        ({"shift_end_s": 49 * 3600}, "shift must"),
        ({"shift_end_s": 3600.5}, "shift_end_s must be an integer"),
        ({"cost_per_km": -0.5}, "cost_per_km"),
        ({"cost_per_hour": math.inf}, "cost_per_hour"),
        ({"waste_streams": {"glass"}}, "frozenset"),
    ],
)
def test_bad_vehicle(fields: dict[str, Any], message: str) -> None:
    """A vehicle with a bad value is refused with a one-line message."""
    with pytest.raises(ValueError, match=message) as info:
        Vehicle(**{**GOOD_VEHICLE, **fields})
    assert "\n" not in str(info.value)


def test_bad_depot() -> None:
    """A depot is a site and checks its coordinates."""
    with pytest.raises(ValueError, match="lat"):
        Depot("d", -95.0, 0.0)


def test_night_shift_may_end_the_next_day() -> None:
    """A shift from 22:00 to 06:00 the next day is valid."""
    assert Vehicle("night", 1000.0, 22 * 3600, 30 * 3600).shift_s == 8 * 3600


def test_waste_streams_limit_what_a_vehicle_collects() -> None:
    """A vehicle with streams only accepts stops of those streams; one without takes all."""
    glass = Stop(**GOOD_STOP, waste_stream="glass")
    assert not Vehicle(**GOOD_VEHICLE, waste_streams=frozenset({"paper"})).accepts(glass)
    assert Vehicle(**GOOD_VEHICLE, waste_streams=frozenset({"glass"})).accepts(glass)
    assert Vehicle(**GOOD_VEHICLE).accepts(glass)


def _problem(**fields: Any) -> Problem:
    base: dict[str, Any] = {
        "day_start": datetime(2025, 3, 3, tzinfo=UTC),
        "depot": Depot("depot", 45.0, 7.0),
        "vehicles": (Vehicle(**GOOD_VEHICLE),),
        "stops": (Stop(**GOOD_STOP),),
    }
    return Problem(**{**base, **fields})


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"day_start": datetime(2025, 3, 3)}, "timezone-aware"),
        ({"stops": [Stop(**GOOD_STOP)]}, "tuples"),
        ({"stops": (Stop(**GOOD_STOP), Stop(**GOOD_STOP))}, "duplicate stop id: 'b1'"),
        ({"stops": (Stop(**{**GOOD_STOP, "id": "depot"}),)}, "duplicate stop id: 'depot'"),
        (
            {"vehicles": (Vehicle(**GOOD_VEHICLE), Vehicle(**GOOD_VEHICLE))},
            "duplicate vehicle id",
        ),
    ],
)
def test_bad_problem(fields: dict[str, Any], message: str) -> None:
    """A problem with a naive day start or repeated ids is refused."""
    with pytest.raises(ValueError, match=message):
        _problem(**fields)


def test_times_count_from_the_day_start() -> None:
    """Seconds of the day become moments in the day's time zone."""
    tz = timezone(timedelta(hours=1))
    problem = _problem(day_start=datetime(2025, 3, 3, tzinfo=tz))
    assert problem.at(6 * 3600 + 90) == datetime(2025, 3, 3, 6, 1, 30, tzinfo=tz)


def test_matrices_put_the_depot_first() -> None:
    """Travel matrices have a row per site, the depot first, from the problem's travel model."""
    problem = _problem(travel=TravelModel(detour_factor=1.0, speed_kmh=36.0))
    matrices = problem.matrices()
    assert [site.id for site in problem.sites] == ["depot", "b1"]
    assert matrices.size == 2
    assert matrices.distance_m[0, 1] == 0  # the stop sits on the depot
