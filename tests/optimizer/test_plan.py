"""Tests of planning a day end to end against the database."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest

from optimizer import PlannerSettings, PlanningError, plan_day

DAY = date(2025, 3, 3)
T = datetime(2025, 3, 2, 18, tzinfo=UTC)

AddRow = Callable[..., None]


@pytest.fixture
def settings() -> PlannerSettings:
    """Default selection and travel; a search cut by a solution limit, so runs repeat."""
    return PlannerSettings(selection="threshold", time_limit_s=5, solution_limit=200, seed=4)


@pytest.fixture
def city(add_depot: AddRow, add_vehicle: AddRow, add_bin: AddRow) -> None:
    """A depot, two 1000 l residual trucks, nine full 400 l bins, two half-empty, one of glass."""
    add_depot()
    add_vehicle("t1", streams=["residual"])
    add_vehicle("t2", streams=["residual"])
    for i in range(9):
        add_bin(f"full-{i}", (i % 3) * 1.5 - 1.5, (i // 3) * 1.5 - 1.5, [(T, 75.0 + i)], 400.0)
    add_bin("half-0", 0.5, 0.5, [(T, 30.0)])
    add_bin("half-1", -0.5, 0.5, [(T - timedelta(days=1), 95.0), (T, 10.0)])
    add_bin("glass", 0.2, 0.2, [(T, 99.0)], stream="glass")


def test_plan_day_stores_a_complete_plan(
    db: psycopg.Connection, city: None, settings: PlannerSettings
) -> None:
    """Full bins are routed or omitted with a reason; half-empty ones appear nowhere."""
    summary = plan_day(db, DAY, settings)
    # 9 bins of 300-340 l on two 1000 l trucks: 6 fit; glass has no truck.
    assert (summary.version, summary.routes) == (1, 2)
    assert (summary.stops_served, summary.stops_omitted) == (6, 4)
    assert summary.describe().startswith(
        f"plan {summary.plan_id} for 2025-03-03 (version 1): 2 route(s), 6 stops served, 4 omitted"
    )

    plan = db.execute(
        "SELECT plan_date, distance_m, solver, params FROM plans WHERE id = %s",
        (summary.plan_id,),
    ).fetchone()
    assert plan is not None
    assert plan[:3] == (DAY, summary.distance_m, summary.solver)
    assert plan[3]["seed"] == 4
    assert plan[3]["fill_threshold_pct"] == 60.0

    routes = db.execute(
        "SELECT vehicle_id, distance_m, load_l FROM plan_routes WHERE plan_id = %s"
        " ORDER BY vehicle_id",
        (summary.plan_id,),
    ).fetchall()
    assert [r[0] for r in routes] == ["t1", "t2"]
    assert sum(r[1] for r in routes) == summary.distance_m
    assert all(0 < r[2] <= 1000 for r in routes)

    served: list[str] = []
    for vehicle_id, _, load_l in routes:
        stops = db.execute(
            "SELECT position, kind, site_id, arrival_at, load_after_l, expected_fill_pct"
            " FROM plan_stops WHERE plan_id = %s AND vehicle_id = %s ORDER BY position",
            (summary.plan_id, vehicle_id),
        ).fetchall()
        assert [s[0] for s in stops] == list(range(len(stops)))
        assert [s[1] for s in stops] == ["depot"] + ["bin"] * (len(stops) - 2) + ["depot"]
        assert stops[0][2] == stops[-1][2] == "depot"
        assert stops[0][3] == datetime(2025, 3, 3, 6, tzinfo=UTC)
        assert [s[3] for s in stops] == sorted(s[3] for s in stops)
        assert [s[4] for s in stops] == sorted(s[4] for s in stops)
        assert stops[-1][4] == pytest.approx(load_l)
        for _, _, site_id, _, _, fill in stops[1:-1]:
            assert fill == pytest.approx(75.0 + int(site_id.removeprefix("full-")))
            served.append(site_id)

    omitted: dict[str, str] = dict(
        db.execute(
            "SELECT bin_id, reason FROM plan_omissions WHERE plan_id = %s", (summary.plan_id,)
        ).fetchall()
    )
    assert omitted.pop("glass") == "no vehicle"
    assert set(omitted.values()) == {"capacity"}
    assert sorted(served + list(omitted)) == [f"full-{i}" for i in range(9)]


def test_planning_again_adds_a_version(
    db: psycopg.Connection, city: None, settings: PlannerSettings
) -> None:
    """A second run for the same day is stored as version 2, with the same routes."""
    first = plan_day(db, DAY, settings)
    second = plan_day(db, DAY, settings)
    assert (first.version, second.version) == (1, 2)
    assert second.distance_m == first.distance_m

    def stops(plan_id: int) -> list[tuple[object, ...]]:
        return db.execute(
            "SELECT vehicle_id, position, site_id FROM plan_stops WHERE plan_id = %s"
            " ORDER BY vehicle_id, position",
            (plan_id,),
        ).fetchall()

    assert stops(first.plan_id) == stops(second.plan_id)


def test_a_day_with_nothing_to_collect_gets_an_empty_plan(
    db: psycopg.Connection, add_depot: AddRow, add_vehicle: AddRow, add_bin: AddRow
) -> None:
    """When no bin reaches the threshold the plan is stored with no routes."""
    add_depot()
    add_vehicle("t1")
    add_bin("low", 1, 1, [(T, 20.0)])
    summary = plan_day(db, DAY, PlannerSettings(selection="threshold", time_limit_s=0.5))
    assert (summary.routes, summary.stops_served, summary.stops_omitted) == (0, 0, 0)
    assert db.execute("SELECT count(*) FROM plans").fetchone() == (1,)


def test_plan_day_needs_a_depot(db: psycopg.Connection, settings: PlannerSettings) -> None:
    """Planning an empty database fails with a planning error and stores nothing."""
    with pytest.raises(PlanningError, match="no depot"):
        plan_day(db, DAY, settings)
    assert db.execute("SELECT count(*) FROM plans").fetchone() == (0,)
