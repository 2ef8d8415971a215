"""Tests of the validated problem data."""

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest

from optimizer import (
    Break,
    Depot,
    Facility,
    GivenMatrices,
    Problem,
    Stop,
    TravelMatrices,
    TravelModel,
    Vehicle,
)

GOOD_STOP: dict[str, Any] = {"id": "b1", "lat": 45.0, "lon": 7.0, "demand_l": 120.0}
GOOD_VEHICLE: dict[str, Any] = {
    "id": "v1",
    "capacity_l": 10_000.0,
    "shift_start_s": 6 * 3600,
    "shift_end_s": 14 * 3600,
}
GOOD_FACILITY: dict[str, Any] = {"id": "f1", "lat": 45.01, "lon": 7.01}
DEPOT = Depot("depot", 45.0, 7.0)
DAY = datetime(2025, 3, 3, tzinfo=UTC)


def _problem(**fields: Any) -> Problem:
    """A valid one-stop problem, with `fields` changed."""
    base: dict[str, Any] = {
        "day_start": DAY,
        "depots": (DEPOT,),
        "vehicles": (Vehicle(**GOOD_VEHICLE),),
        "stops": (Stop(**GOOD_STOP),),
    }
    return Problem(**{**base, **fields})


def test_valid_stop_and_vehicle() -> None:
    """Good values make a stop and a vehicle with the documented defaults."""
    stop = Stop(**GOOD_STOP)
    vehicle = Vehicle(**GOOD_VEHICLE)
    assert stop.required
    assert (stop.service_s, stop.demand_kg, stop.windows, stop.forbidden) == (0, 0.0, (), ())
    assert stop.point == (45.0, 7.0)
    assert vehicle.shift_s == 8 * 3600
    assert vehicle.capacity_kg == math.inf
    assert (vehicle.lunch, vehicle.fixed_cost, vehicle.start_depot, vehicle.end_depot) == (
        None,
        0.0,
        None,
        None,
    )
    assert vehicle.accepts(stop)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"id": ""}, "id must be"),
        ({"id": "  "}, "id must be"),
        ({"lat": math.nan}, "lat must be finite"),
        ({"lon": math.inf}, "lon must be finite"),
        ({"lat": "45"}, "lat must be a number"),
        ({"lon": True}, "lon must be a number"),
        ({"demand_l": -1.0}, "demand_l"),
        ({"demand_l": math.inf}, "demand_l"),
        ({"demand_kg": -0.5}, "demand_kg"),
        ({"demand_kg": math.nan}, "demand_kg"),
        ({"service_s": -5}, "service_s"),
        ({"service_s": 1.5}, "service_s"),
        ({"service_s": 86_401}, "service_s"),
        ({"expected_fill_pct": 101.0}, "expected_fill_pct"),
        ({"expected_fill_pct": -0.1}, "expected_fill_pct"),
        ({"required": False, "prize": -1.0}, "prize"),
        ({"prize": 5.0}, "only for optional"),
        ({"windows": [(0, 100)]}, "windows must be a tuple"),
        ({"windows": ((0, 100, 200),)}, "windows must hold"),
        ({"windows": ((100, 100),)}, "is empty"),
        ({"windows": ((200, 100),)}, "is empty"),
        ({"windows": ((500, 600), (0, 100))}, "sorted"),
        ({"windows": ((0, 100), (50, 150))}, "overlap"),
        ({"windows": ((-1, 100),)}, "windows from"),
        ({"windows": ((0, 172_801),)}, "windows to"),
        ({"windows": ((0.5, 100),)}, "integer number of seconds"),
        ({"forbidden": ((100, 50),)}, "forbidden: 100..50 is empty"),
        ({"forbidden": ((0, 100), (99, 200))}, "forbidden must be sorted"),
    ],
)
def test_bad_stop(fields: dict[str, Any], message: str) -> None:
    """A stop with a bad value is refused with a one-line message."""
    with pytest.raises(ValueError, match=message) as info:
        Stop(**{**GOOD_STOP, **fields})
    assert "\n" not in str(info.value)


def test_windows_may_touch() -> None:
    """A window may start where the one before it ends."""
    stop = Stop(**GOOD_STOP, windows=((0, 100), (100, 200)), forbidden=((50, 60), (60, 70)))
    assert len(stop.windows) == 2


@pytest.mark.parametrize(
    "site",
    [Depot("d", 500.0, -1000.0), Facility("f", -95.0, 181.0), Stop("b", 1e6, -1e6, 10.0)],
    ids=["depot", "facility", "stop"],
)
def test_sites_accept_any_finite_coordinates(site: Depot | Facility | Stop) -> None:
    """Coordinates outside degrees' ranges are plane coordinates, not an error."""
    assert all(math.isfinite(value) for value in site.point)


def test_geographic_ranges_are_checked_by_the_travel_model() -> None:
    """A point that is no place on Earth fails the default travel model, not given matrices."""
    far = Stop(**{**GOOD_STOP, "lat": 95.0})
    with pytest.raises(ValueError, match="within"):
        _problem(stops=(far,)).matrices()
    given = TravelMatrices(np.zeros((2, 2), np.int64), np.zeros((2, 2), np.int64))
    assert _problem(stops=(far,), travel=GivenMatrices(given)).matrices() is given


@pytest.mark.parametrize(
    ("fields", "at_s", "allowed"),
    [
        ({}, 0, True),
        ({"windows": ((100, 200),)}, 99, False),
        ({"windows": ((100, 200),)}, 100, True),
        ({"windows": ((100, 200),)}, 199, True),
        ({"windows": ((100, 200),)}, 200, False),
        ({"windows": ((100, 200), (300, 400))}, 250, False),
        ({"windows": ((100, 200), (300, 400))}, 300, True),
        ({"service_s": 60, "forbidden": ((100, 200),)}, 40, True),
        ({"service_s": 60, "forbidden": ((100, 200),)}, 41, False),
        ({"service_s": 60, "forbidden": ((100, 200),)}, 150, False),
        ({"service_s": 60, "forbidden": ((100, 200),)}, 200, True),
        ({"service_s": 0, "forbidden": ((100, 200),)}, 150, False),
        ({"service_s": 60, "windows": ((0, 1000),), "forbidden": ((100, 200),)}, 120, False),
    ],
)
def test_may_start(fields: dict[str, Any], at_s: int, allowed: bool) -> None:
    """Service may start inside a window (its end excluded) and overlap no forbidden interval."""
    assert Stop(**GOOD_STOP, **fields).may_start(at_s) is allowed


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"id": ""}, "id must be"),
        ({"capacity_l": 0.0}, "capacity_l"),
        ({"capacity_l": math.nan}, "capacity_l"),
        ({"capacity_l": math.inf}, "capacity_l"),
        ({"capacity_kg": 0.0}, "capacity_kg"),
        ({"capacity_kg": -1.0}, "capacity_kg"),
        ({"capacity_kg": math.nan}, "capacity_kg"),
        ({"shift_start_s": 14 * 3600}, "shift must"),
        ({"shift_start_s": 15 * 3600}, "shift must"),
        ({"shift_start_s": -1}, "shift_start_s must be within"),
        ({"shift_end_s": 49 * 3600}, "shift_end_s must be within"),
        ({"shift_end_s": 3600.5}, "shift_end_s must be an integer"),
        ({"max_duration_s": -1}, "max_duration_s"),
        ({"max_duration_s": 3600.0}, "max_duration_s"),
        ({"cost_per_km": -0.5}, "cost_per_km"),
        ({"cost_per_hour": math.inf}, "cost_per_hour"),
        ({"fixed_cost": -1.0}, "fixed_cost"),
        ({"fixed_cost": math.nan}, "fixed_cost"),
        ({"waste_streams": {"glass"}}, "frozenset"),
        ({"lunch": Break(12 * 3600, 13 * 3600 + 1, 3600)}, "break may end after the shift"),
    ],
)
def test_bad_vehicle(fields: dict[str, Any], message: str) -> None:
    """A vehicle with a bad value is refused with a one-line message."""
    with pytest.raises(ValueError, match=message) as info:
        Vehicle(**{**GOOD_VEHICLE, **fields})
    assert "\n" not in str(info.value)


def test_a_break_may_end_with_the_shift() -> None:
    """A break that ends exactly when the shift does is valid."""
    lunch = Break(12 * 3600, 13 * 3600, 3600)
    assert Vehicle(**GOOD_VEHICLE, lunch=lunch).lunch == lunch


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"earliest_s": -1}, "break earliest_s"),
        ({"latest_s": 172_801}, "break latest_s"),
        ({"duration_s": 86_401}, "break duration_s"),
        ({"duration_s": 1800.0}, "break duration_s"),
        ({"earliest_s": 13 * 3600}, "earliest 46800 after latest 45000"),
    ],
)
def test_bad_break(fields: dict[str, Any], message: str) -> None:
    """A break with a bad time or one that must start after its latest start is refused."""
    good = {"earliest_s": 11 * 3600, "latest_s": 12 * 3600 + 1800, "duration_s": 1800}
    with pytest.raises(ValueError, match=message):
        Break(**{**good, **fields})


@pytest.mark.parametrize(
    ("max_duration_s", "limit_s"), [(None, 8 * 3600), (3 * 3600, 3 * 3600), (9 * 3600, 8 * 3600)]
)
def test_duration_limit(max_duration_s: int | None, limit_s: int) -> None:
    """A route may take the whole shift, or less when `max_duration_s` is shorter."""
    vehicle = Vehicle(**GOOD_VEHICLE, max_duration_s=max_duration_s)
    assert vehicle.duration_limit_s == limit_s


def test_night_shift_may_end_the_next_day() -> None:
    """A shift from 22:00 to 06:00 the next day is valid."""
    assert Vehicle("night", 1000.0, 22 * 3600, 30 * 3600).shift_s == 8 * 3600


def test_waste_streams_limit_what_a_vehicle_collects() -> None:
    """A vehicle with streams only accepts stops of those streams; one without takes all."""
    glass = Stop(**GOOD_STOP, waste_stream="glass")
    assert not Vehicle(**GOOD_VEHICLE, waste_streams=frozenset({"paper"})).accepts(glass)
    assert Vehicle(**GOOD_VEHICLE, waste_streams=frozenset({"glass"})).accepts(glass)
    assert Vehicle(**GOOD_VEHICLE).accepts(glass)
    assert not Vehicle(**GOOD_VEHICLE, waste_streams=frozenset({"glass"})).accepts(
        Stop(**GOOD_STOP)
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"id": ""}, "depot id must be"),
        ({"lat": math.nan}, "lat must be finite"),
        ({"opens_s": 3600, "closes_s": 3600}, "opening hours: 3600..3600 is empty"),
        ({"opens_s": 7200, "closes_s": 3600}, "is empty"),
        ({"closes_s": 172_801}, "opening hours to must be within"),
    ],
)
def test_bad_depot(fields: dict[str, Any], message: str) -> None:
    """A depot checks its id, its coordinates and its opening hours."""
    with pytest.raises(ValueError, match=message):
        Depot(**{"id": "d", "lat": 0.0, "lon": 0.0, **fields})


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"id": " "}, "facility id must be"),
        ({"opens_s": 64_800, "closes_s": 21_600}, "opening hours: 64800..21600 is empty"),
        ({"opens_s": -1}, "opening hours from must be within"),
        ({"unload_s": -60}, "unload_s"),
        ({"unload_s": 86_401}, "unload_s"),
        ({"unload_s": 600.0}, "unload_s"),
        ({"waste_streams": {"glass"}}, "frozenset"),
    ],
)
def test_bad_facility(fields: dict[str, Any], message: str) -> None:
    """A facility checks its opening hours, its unloading time and its streams."""
    with pytest.raises(ValueError, match=message) as info:
        Facility(**{**GOOD_FACILITY, **fields})
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("takes", "load", "accepted"),
    [
        (frozenset(), frozenset({"glass", "bio"}), True),
        (frozenset({"glass"}), frozenset(), True),
        (frozenset({"glass"}), frozenset({"glass"}), True),
        (frozenset({"glass"}), frozenset({"glass", "paper"}), False),
        (frozenset({"glass", "paper"}), frozenset({"paper"}), True),
    ],
)
def test_facility_accepts(takes: frozenset[str], load: frozenset[str], accepted: bool) -> None:
    """A facility takes a load when it takes every stream of it; one without streams takes all."""
    assert Facility(**GOOD_FACILITY, waste_streams=takes).accepts(load) is accepted


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"day_start": datetime(2025, 3, 3)}, "timezone-aware"),
        ({"stops": [Stop(**GOOD_STOP)]}, "stops must be a tuple"),
        ({"depots": [DEPOT]}, "depots must be a tuple"),
        ({"facilities": [Facility(**GOOD_FACILITY)]}, "facilities must be a tuple"),
        ({"depots": ()}, "at least one depot"),
        ({"stops": (Stop(**GOOD_STOP), Stop(**GOOD_STOP))}, "duplicate site id: 'b1'"),
        ({"stops": (Stop(**{**GOOD_STOP, "id": "depot"}),)}, "duplicate site id: 'depot'"),
        (
            {"facilities": (Facility(**{**GOOD_FACILITY, "id": "b1"}),)},
            "duplicate site id: 'b1'",
        ),
        ({"depots": (DEPOT, DEPOT)}, "duplicate site id: 'depot'"),
        (
            {"vehicles": (Vehicle(**GOOD_VEHICLE), Vehicle(**GOOD_VEHICLE))},
            "duplicate vehicle id",
        ),
        ({"vehicles": (Vehicle(**GOOD_VEHICLE, start_depot="nowhere"),)}, "no depot 'nowhere'"),
        ({"vehicles": (Vehicle(**GOOD_VEHICLE, end_depot="nowhere"),)}, "no depot 'nowhere'"),
    ],
)
def test_bad_problem(fields: dict[str, Any], message: str) -> None:
    """A problem with a naive day start, no depot, repeated ids or unknown depots is refused."""
    with pytest.raises(ValueError, match=message):
        _problem(**fields)


def test_times_count_from_the_day_start() -> None:
    """Seconds of the day become moments in the day's time zone."""
    tz = timezone(timedelta(hours=1))
    problem = _problem(day_start=datetime(2025, 3, 3, tzinfo=tz))
    assert problem.at(6 * 3600 + 90) == datetime(2025, 3, 3, 6, 1, 30, tzinfo=tz)


def test_sites_are_depots_then_facilities_then_stops() -> None:
    """The matrices' order is depots, facilities, stops; `facility_at` reads a facility's row."""
    second = Depot("second", 45.1, 7.1)
    facilities = (Facility(**GOOD_FACILITY), Facility(**{**GOOD_FACILITY, "id": "f2"}))
    problem = _problem(depots=(DEPOT, second), facilities=facilities)
    assert [site.id for site in problem.sites] == ["depot", "second", "f1", "f2", "b1"]
    assert problem.first_stop == 4
    assert problem.facility_at(2) is facilities[0]
    assert problem.facility_at(3) is facilities[1]


@pytest.mark.parametrize("index", [-1, 0, 1, 4, 5])
def test_facility_at_refuses_other_rows(index: int) -> None:
    """A depot's or a stop's matrix index is no facility's."""
    problem = _problem(depots=(DEPOT, Depot("second", 45.1, 7.1)), facilities=(
        Facility(**GOOD_FACILITY), Facility(**{**GOOD_FACILITY, "id": "f2"}),
    ))  # fmt: skip
    with pytest.raises(IndexError, match=f"matrix index {index} is not a facility's"):
        problem.facility_at(index)


@pytest.mark.parametrize(
    ("start", "end", "indices"),
    [
        (None, None, (0, 0)),
        ("second", None, (1, 1)),
        ("depot", "second", (0, 1)),
        (None, "second", (0, 1)),
        ("second", "depot", (1, 0)),
    ],
)
def test_start_and_end_index(start: str | None, end: str | None, indices: tuple[int, int]) -> None:
    """A vehicle leaves its start depot (else the first) and returns to its end depot (else
    where it started)."""
    vehicle = Vehicle(**GOOD_VEHICLE, start_depot=start, end_depot=end)
    problem = _problem(depots=(DEPOT, Depot("second", 45.1, 7.1)), vehicles=(vehicle,))
    assert (problem.start_index(vehicle), problem.end_index(vehicle)) == indices


def test_matrices_follow_the_sites() -> None:
    """Travel matrices have a row per site, from the problem's travel model."""
    facility = Facility(**{**GOOD_FACILITY, "lat": 45.0, "lon": 7.0})
    problem = _problem(
        facilities=(facility,), travel=TravelModel(detour_factor=1.0, speed_kmh=36.0)
    )
    matrices = problem.matrices()
    assert matrices.size == 3
    assert matrices.distance_m[0, 2] == 0  # the stop sits on the depot
    assert matrices.distance_m[1, 2] == 0  # and so does the facility


def test_given_matrices_must_fit_the_sites() -> None:
    """Given matrices of another size than the problem's sites are refused when used."""
    given = TravelMatrices(np.zeros((3, 3), np.int64), np.zeros((3, 3), np.int64))
    problem = _problem(travel=GivenMatrices(given))
    with pytest.raises(ValueError, match="2 sites but matrices of size 3"):
        problem.matrices()
