"""Tests of loading problems from and saving plans to the database."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest

from optimizer import (
    Omission,
    OmissionReason,
    PlannerSettings,
    PlanningError,
    Result,
    Route,
    TravelModel,
    Visit,
    load_problem,
    save_plan,
)
from optimizer.osrm import OsrmTable

DAY = date(2025, 3, 3)
T = datetime(2025, 3, 2, 12, tzinfo=UTC)
"""A moment the day before the planned one, when readings come in."""

AddRow = Callable[..., None]


@pytest.fixture
def settings() -> PlannerSettings:
    """Planner settings with the default threshold (60 %) and a 90 s service time."""
    return PlannerSettings(service_s=90)


def test_bins_are_chosen_by_their_latest_fill_level(
    db: psycopg.Connection,
    add_depot: AddRow,
    add_vehicle: AddRow,
    add_bin: AddRow,
    settings: PlannerSettings,
) -> None:
    """A bin is a stop when its latest fill level reaches the threshold; older ones don't count."""
    add_depot()
    add_vehicle("t1")
    add_bin("rose", 1, 0, [(T - timedelta(hours=5), 30.0), (T, 80.0)], volume_l=240)
    add_bin("fell", 2, 0, [(T - timedelta(hours=5), 90.0), (T, 40.0)])
    add_bin("exact", 3, 0, [(T, 60.0)])
    add_bin("silent", 4, 0)
    add_bin("no-level", 5, 0, [(T - timedelta(hours=1), 70.0), (T, None)])
    problem = load_problem(db, DAY, settings)
    stops = {stop.id: stop for stop in problem.stops}
    assert sorted(stops) == ["exact", "no-level", "rose"]
    assert stops["rose"].demand_l == pytest.approx(0.8 * 240)
    assert stops["rose"].expected_fill_pct == pytest.approx(80.0)
    assert stops["no-level"].expected_fill_pct == pytest.approx(70.0)
    assert stops["rose"].service_s == 90
    assert stops["rose"].waste_stream == "residual"


def test_as_of_ignores_later_readings(
    db: psycopg.Connection,
    add_depot: AddRow,
    add_vehicle: AddRow,
    add_bin: AddRow,
    settings: PlannerSettings,
) -> None:
    """With `as_of`, a bin counts by its latest reading at that moment."""
    add_depot()
    add_vehicle("t1")
    add_bin("rose", 1, 0, [(T - timedelta(hours=5), 30.0), (T, 80.0)])
    assert load_problem(db, DAY, settings, as_of=T - timedelta(hours=1)).stops == ()
    assert len(load_problem(db, DAY, settings, as_of=T).stops) == 1


def test_fleet_depot_and_day_come_from_the_tables(
    db: psycopg.Connection, add_depot: AddRow, add_vehicle: AddRow
) -> None:
    """Every depot and vehicle takes part, with shifts as local seconds of the day."""
    add_depot("a-depot", 1, 1)
    add_depot("b-depot")
    add_vehicle("day", 8000.0, depot="a-depot", streams=["glass"], cost_per_km=2.5)
    add_vehicle("night", 6000.0, depot="a-depot", shift=("22:00", "06:00"))
    add_vehicle("elsewhere", depot="b-depot")
    settings = PlannerSettings(timezone="Europe/Paris", detour_factor=1.5, speed_kmh=30)
    problem = load_problem(db, DAY, settings)
    assert [d.id for d in problem.depots] == ["a-depot", "b-depot"]
    assert problem.day_start == datetime(2025, 3, 3, tzinfo=ZoneInfo("Europe/Paris"))
    day, elsewhere, night = problem.vehicles
    assert (day.id, day.capacity_l, day.capacity_kg, day.shift_start_s, day.shift_end_s) == (
        "day",
        8000.0,
        10000.0,
        6 * 3600,
        14 * 3600,
    )
    assert day.waste_streams == {"glass"}
    assert day.cost_per_km == 2.5
    assert (day.start_depot, elsewhere.start_depot) == ("a-depot", "b-depot")
    assert (night.shift_start_s, night.shift_end_s) == (22 * 3600, 30 * 3600)
    assert problem.travel == TravelModel(detour_factor=1.5, speed_kmh=30)


def test_disposal_facilities_come_from_their_table(
    db: psycopg.Connection, add_depot: AddRow, add_vehicle: AddRow, settings: PlannerSettings
) -> None:
    """A facility's opening hours, unloading time and streams reach the problem."""
    add_depot()
    add_vehicle("t1")
    db.execute(
        "INSERT INTO disposal_facilities (id, name, lat, lon, opens_at, closes_at, unload_s,"
        " waste_streams) VALUES ('tip', 'Tip', 45.1, 7.1, '07:00', '17:30', 600, '{glass}')"
    )
    (facility,) = load_problem(db, DAY, settings).facilities
    assert (facility.id, facility.opens_s, facility.closes_s, facility.unload_s) == (
        "tip",
        7 * 3600,
        17 * 3600 + 1800,
        600,
    )
    assert facility.waste_streams == {"glass"}


def test_a_bins_weight_follows_its_stream(
    db: psycopg.Connection,
    add_bin: AddRow,
    add_depot: AddRow,
    add_vehicle: AddRow,
    settings: PlannerSettings,
) -> None:
    """A stop's kilograms are its litres times its stream's density."""
    add_depot()
    add_vehicle("t1")
    add_bin("glassy", 1, 0, [(T, 100.0)], volume_l=1000.0, stream="glass")
    (stop,) = load_problem(db, DAY, settings).stops
    assert (stop.demand_l, stop.demand_kg) == (1000.0, 300.0)


def test_no_depot_or_no_vehicles_cannot_be_planned(
    db: psycopg.Connection, add_depot: AddRow, settings: PlannerSettings
) -> None:
    """Without a depot, or with a depot but no vehicles, loading fails with a clear error."""
    with pytest.raises(PlanningError, match="no depot"):
        load_problem(db, DAY, settings)
    add_depot()
    with pytest.raises(PlanningError, match="no vehicles"):
        load_problem(db, DAY, settings)


def _result(vehicle_id: str = "t1") -> Result:
    start = datetime(2025, 3, 3, 6, tzinfo=UTC)
    visits = (
        Visit("b1", start + timedelta(minutes=5), 200.0, 80.0),
        Visit("b2", start + timedelta(minutes=9), 350.5, 65.0),
    )
    route = Route(
        vehicle_id, "depot", start, start + timedelta(minutes=15), visits, 4200, 900, 350.5
    )
    return Result((route,), (Omission("b3", OmissionReason.CAPACITY),), "test solver", "ok", 7)


def test_save_plan_stores_routes_stops_and_omissions(
    db: psycopg.Connection, add_depot: AddRow, add_vehicle: AddRow
) -> None:
    """A saved plan has its route, the depot at both ends of its stops, and its omissions."""
    add_depot()
    add_vehicle("t1")
    plan_id = save_plan(db, DAY, _result(), {"seed": 3})
    plan = db.execute(
        "SELECT plan_date, version, status, solver, distance_m, duration_s, params"
        " FROM plans WHERE id = %s",
        (plan_id,),
    ).fetchone()
    assert plan == (DAY, 1, "proposed", "test solver", 4200.0, 900.0, {"seed": 3})
    assert db.execute(
        "SELECT vehicle_id, distance_m, duration_s, load_l FROM plan_routes WHERE plan_id = %s",
        (plan_id,),
    ).fetchall() == [("t1", 4200.0, 900.0, 350.5)]
    stops = db.execute(
        "SELECT position, kind, site_id, arrival_at, load_after_l, expected_fill_pct"
        " FROM plan_stops WHERE plan_id = %s ORDER BY position",
        (plan_id,),
    ).fetchall()
    start = datetime(2025, 3, 3, 6, tzinfo=UTC)
    assert stops == [
        (0, "depot", "depot", start, 0.0, None),
        (1, "bin", "b1", start + timedelta(minutes=5), 200.0, 80.0),
        (2, "bin", "b2", start + timedelta(minutes=9), 350.5, 65.0),
        (3, "depot", "depot", start + timedelta(minutes=15), 350.5, None),
    ]
    assert db.execute(
        "SELECT bin_id, reason FROM plan_omissions WHERE plan_id = %s", (plan_id,)
    ).fetchall() == [("b3", "capacity")]


def test_each_save_is_the_next_version_of_the_day(
    db: psycopg.Connection, add_depot: AddRow, add_vehicle: AddRow
) -> None:
    """Saving twice for a date gives versions 1 and 2; another date starts again at 1."""
    add_depot()
    add_vehicle("t1")
    first = save_plan(db, DAY, _result(), {})
    second = save_plan(db, DAY, _result(), {})
    other = save_plan(db, DAY + timedelta(days=1), _result(), {})
    versions: dict[int, int] = dict(db.execute("SELECT id, version FROM plans").fetchall())
    assert [versions[first], versions[second], versions[other]] == [1, 2, 1]


def test_a_plan_that_does_not_fit_stores_nothing(
    db: psycopg.Connection, add_depot: AddRow, add_vehicle: AddRow
) -> None:
    """A route for an unknown vehicle fails the whole plan: no row of it is left behind."""
    add_depot()
    add_vehicle("t1")
    with pytest.raises(PlanningError, match="does not fit"):
        save_plan(db, DAY, _result("ghost"), {})
    assert db.execute("SELECT count(*) FROM plans").fetchone() == (0,)


def test_a_table_service_gives_road_travel(
    db: psycopg.Connection, add_depot: AddRow, add_vehicle: AddRow, tmp_path: Path
) -> None:
    """With a table service configured, the problem travels by its road matrices, cached."""
    add_depot()
    add_vehicle("t1")
    settings = PlannerSettings(osrm_url="http://osrm:5000", matrix_cache_dir=str(tmp_path))
    travel = load_problem(db, DAY, settings).travel
    assert travel == OsrmTable("http://osrm:5000", cache_dir=tmp_path)
