"""Tests of optimizer/lifecycle.py: changing stored plans and drivers' reports, against the
real database."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest

from optimizer import PlannerSettings, plan_day
from optimizer.amend import AmendError
from optimizer.lifecycle import Change, change_plan, latest_plan, report_stop

DAY = date(2025, 3, 3)
T = datetime(2025, 3, 2, 18, tzinfo=UTC)
EARLY = datetime(2025, 3, 3, 5, tzinfo=UTC)
"""Before any truck leaves."""

AddRow = Callable[..., None]


@pytest.fixture
def settings() -> PlannerSettings:
    return PlannerSettings(selection="threshold", time_limit_s=5, solution_limit=100, seed=1)


@pytest.fixture
def planned(
    db: psycopg.Connection,
    add_depot: AddRow,
    add_vehicle: AddRow,
    add_bin: AddRow,
    settings: PlannerSettings,
) -> int:
    """Tomorrow's plan: six full 300 l bins on two 1000 l trucks; two more bins not in it."""
    add_depot()
    add_vehicle("t1")
    add_vehicle("t2")
    for i in range(6):
        add_bin(f"b{i}", 1.0 + i * 0.5, (-1) ** i * 1.0, [(T, 75.0)], 400.0)
    add_bin("extra", 1.2, 0.2, [(T, 20.0)], 400.0)
    add_bin("huge", 1.5, 0.5, [(T, 90.0)], 5000.0)
    return plan_day(db, DAY, settings).plan_id


def _stops(db: psycopg.Connection, plan_id: int) -> list[tuple[str, int, str, datetime]]:
    return db.execute(
        "SELECT vehicle_id, position, site_id, arrival_at FROM plan_stops "
        "WHERE plan_id = %s AND kind = 'bin' ORDER BY vehicle_id, position",
        (plan_id,),
    ).fetchall()


def test_an_urgent_bin_joins_a_running_route_and_served_stops_stay(
    db: psycopg.Connection, planned: int, settings: PlannerSettings
) -> None:
    first = _stops(db, planned)[0]  # t1's first stop
    report_stop(db, planned, first[2], "done", first[3])
    now = first[3] + timedelta(minutes=1)
    new_id = change_plan(db, DAY, Change("urgent", ("extra",), by="dispatch"), settings, now)
    after = _stops(db, new_id)
    assert after[0] == first  # the same bin, first, at the same time
    assert "extra" in {row[2] for row in after}
    extra = next(row for row in after if row[2] == "extra")
    assert extra[3] > now
    assert latest_plan(db, DAY) == new_id
    change = db.execute(
        "SELECT from_plan, to_plan, kind, bin_id, changed_by FROM plan_changes"
    ).fetchall()
    assert change == [(planned, new_id, "urgent", "extra", "dispatch")]
    statuses = db.execute("SELECT id, status FROM plans ORDER BY id").fetchall()
    assert statuses == [(planned, "superseded"), (new_id, "proposed")]


def test_a_locked_stop_stays_until_unlocked(
    db: psycopg.Connection, planned: int, settings: PlannerSettings
) -> None:
    locked_id = change_plan(db, DAY, Change("lock", ("b0",)), settings, EARLY)
    assert db.execute(
        "SELECT locked FROM plan_stops WHERE plan_id = %s AND site_id = 'b0'", (locked_id,)
    ).fetchone() == (True,)
    with pytest.raises(AmendError, match="locked"):
        change_plan(db, DAY, Change("remove", ("b0",)), settings, EARLY)
    with pytest.raises(AmendError, match="locked"):
        change_plan(db, DAY, Change("move", ("b0",), "t2", 0), settings, EARLY)
    change_plan(db, DAY, Change("unlock", ("b0",)), settings, EARLY)
    removed_id = change_plan(db, DAY, Change("remove", ("b0",)), settings, EARLY)
    assert db.execute(
        "SELECT reason FROM plan_omissions WHERE plan_id = %s AND bin_id = 'b0'", (removed_id,)
    ).fetchone() == ("removed by the dispatcher",)


def test_a_change_the_plan_cannot_take_stores_nothing(
    db: psycopg.Connection, planned: int, settings: PlannerSettings
) -> None:
    with pytest.raises(AmendError, match="fits on no route"):
        change_plan(db, DAY, Change("add", ("huge",)), settings, EARLY)
    assert db.execute("SELECT count(*) FROM plans").fetchone() == (1,)
    assert db.execute("SELECT count(*) FROM plan_changes").fetchone() == (0,)


def test_a_stop_moves_within_the_rules(
    db: psycopg.Connection, planned: int, settings: PlannerSettings
) -> None:
    on_t1 = [row[2] for row in _stops(db, planned) if row[0] == "t1"]
    moved_id = change_plan(db, DAY, Change("move", (on_t1[-1],), "t1", 0), settings, EARLY)
    assert next(row[2] for row in _stops(db, moved_id) if row[0] == "t1") == on_t1[-1]
    # t2 carries 900 l of its 1,000 l already: one more 300 l bin is refused
    with pytest.raises(AmendError, match="capacity"):
        change_plan(db, DAY, Change("move", (on_t1[0],), "t2", 0), settings, EARLY)
    assert db.execute("SELECT count(*) FROM plans").fetchone() == (2,)


def test_drivers_reports_are_idempotent(db: psycopg.Connection, planned: int) -> None:
    _vehicle, _, bin_id, arrival = _stops(db, planned)[0]
    assert report_stop(db, planned, bin_id, "done", arrival)
    assert not report_stop(db, planned, bin_id, "done", arrival)  # a retry: nothing new
    with pytest.raises(AmendError, match="already reported done"):
        report_stop(db, planned, bin_id, "skipped", arrival, "blocked")
    assert db.execute(
        "SELECT count(*) FROM collections WHERE bin_id = %s AND source = 'driver'", (bin_id,)
    ).fetchone() == (1,)
    other = _stops(db, planned)[1][2]
    with pytest.raises(AmendError, match="needs one of"):
        report_stop(db, planned, other, "skipped", arrival)
    assert report_stop(db, planned, other, "skipped", arrival, "not put out")
    with pytest.raises(AmendError, match="not a stop"):
        report_stop(db, planned, "extra", "done", arrival)


def test_a_new_plan_from_scratch_keeps_the_locked_stops(
    db: psycopg.Connection, planned: int, settings: PlannerSettings
) -> None:
    """The dispatcher adds "extra" (20 % full: the threshold would leave it) and locks it
    and b0; planning the day again keeps both, each on its truck, still locked."""
    change_plan(db, DAY, Change("add", ("extra",)), settings, EARLY)
    change_plan(db, DAY, Change("lock", ("extra",)), settings, EARLY)
    locked_id = change_plan(db, DAY, Change("lock", ("b0",)), settings, EARLY)
    before = {row[2]: row[0] for row in _stops(db, locked_id)}
    again = plan_day(db, DAY, settings).plan_id
    after = {row[2]: row[0] for row in _stops(db, again)}
    assert after["extra"] == before["extra"]
    assert after["b0"] == before["b0"]
    locked = db.execute(
        "SELECT site_id FROM plan_stops WHERE plan_id = %s AND locked ORDER BY site_id", (again,)
    ).fetchall()
    assert locked == [("b0",), ("extra",)]


def test_a_truck_breaks_down_and_its_stops_go_to_the_others(
    db: psycopg.Connection,
    add_depot: AddRow,
    add_vehicle: AddRow,
    add_bin: AddRow,
    settings: PlannerSettings,
) -> None:
    """Two roomy trucks, four bins. The truck on the road empties its first bin and breaks
    down: that visit stays, its other bins go to the other truck, which takes nothing more
    that day; and the change is logged."""
    add_depot()
    add_vehicle("t1", capacity_l=3000.0)
    add_vehicle("t2", capacity_l=3000.0)
    for i in range(4):
        add_bin(f"b{i}", 1.0 + i * 0.5, (-1) ** i * 1.0, [(T, 75.0)], 400.0)
    add_bin("extra", 1.2, 0.2, [(T, 20.0)], 400.0)
    planned = plan_day(db, DAY, settings).plan_id
    stops = _stops(db, planned)
    broken, first = stops[0][0], stops[0]
    report_stop(db, planned, first[2], "done", first[3])
    now = first[3] + timedelta(seconds=1)
    change = Change("breakdown", (), vehicle_id=broken, by="dispatch")
    after_id = change_plan(db, DAY, change, settings, now)
    after = _stops(db, after_id)
    assert [row for row in after if row[0] == broken] == [first]
    assert {row[2] for row in after} == {f"b{i}" for i in range(4)}
    assert all(row[3] > now for row in after if row[0] != broken)
    logged = db.execute("SELECT kind, detail->>'vehicle' FROM plan_changes").fetchall()
    assert logged == [("breakdown", broken)]
    added = change_plan(db, DAY, Change("add", ("extra",)), settings, now)
    other = "t2" if broken == "t1" else "t1"
    assert [row[0] for row in _stops(db, added) if row[2] == "extra"] == [other]
    with pytest.raises(AmendError, match="broken down"):
        change_plan(db, DAY, Change("move", ("extra",), broken, 1), settings, now)


def test_a_breakdown_names_the_vehicle_only() -> None:
    with pytest.raises(ValueError, match="vehicle and no bins"):
        Change("breakdown", ("b0",), vehicle_id="t1")
    with pytest.raises(ValueError, match="vehicle and no bins"):
        Change("breakdown", ())
