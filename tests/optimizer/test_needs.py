"""Tests of optimizer/needs.py: what the database says a day needs."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest

from optimizer import PlannerSettings, plan_day
from optimizer.needs import BinInfo, calendar_due, load_candidates, load_problem_by_need

MONDAY, TUESDAY = date(2025, 3, 3), date(2025, 3, 4)
EVE = datetime(2025, 3, 2, 18, tzinfo=UTC)

AddRow = Callable[..., None]


def _calendar_bin(weekday: int) -> BinInfo:
    return BinInfo("c", 45.0, 7.0, 240.0, "residual", "calendar", weekday)


def test_a_calendar_bin_is_due_on_its_day_and_where_a_holiday_moves_it() -> None:
    monday_bin = _calendar_bin(0)
    assert calendar_due(monday_bin, MONDAY, {})
    assert not calendar_due(monday_bin, TUESDAY, {})
    moved = {MONDAY: TUESDAY}  # Monday is a holiday; its round goes out on Tuesday
    assert not calendar_due(monday_bin, MONDAY, moved)
    assert calendar_due(monday_bin, TUESDAY, moved)
    assert not calendar_due(monday_bin, MONDAY, {MONDAY: None})


def _hourly(days: float, start_pct: float, rate: float) -> list[tuple[datetime, float]]:
    hours = round(days * 24)
    return [(EVE - timedelta(hours=hours - h), start_pct + rate * h / 24) for h in range(hours + 1)]


@pytest.fixture
def town(db: psycopg.Connection, add_depot: AddRow, add_vehicle: AddRow, add_bin: AddRow) -> None:
    add_depot()
    add_vehicle("t1", capacity_l=5000.0)
    add_bin("rising", 1.0, 0.0, _hourly(3, 10.0, 25.0))  # 85 % now, +25 % a day
    add_bin("quiet", 1.0, 1.0, _hourly(3, 18.0, 1.0))  # 21 %, hardly filling
    jumpy = [(t, 95.0 if k % 2 else 10.0) for k, (t, _) in enumerate(_hourly(3, 0, 0))]
    add_bin("faulty", 0.0, 1.0, jumpy)  # jumps between 10 % and 95 %: not a level
    add_bin("half", 1.5, 0.5, _hourly(3, 20.0, 10.0))  # 50 % now, +10 % a day
    add_bin("calendar", -1.0, 0.0)
    db.execute("UPDATE bins SET schedule = 'calendar', round_weekday = 0 WHERE id = 'calendar'")


def test_the_day_takes_what_is_due_at_risk_or_worth_it(db: psycopg.Connection, town: None) -> None:
    settings = PlannerSettings()
    problem, chosen = load_problem_by_need(db, MONDAY, settings, EVE)
    by_id = {pick.bin_id: pick for pick in chosen}
    assert by_id["rising"].required
    assert by_id["rising"].reason == "overflow-risk"
    assert by_id["calendar"].required
    assert by_id["calendar"].reason == "calendar"
    assert not by_id["half"].required
    assert by_id["half"].prize > 0
    assert "quiet" not in by_id
    assert "faulty" not in by_id  # its readings drive nothing; its history fills it little
    candidates, _, _ = load_candidates(db, MONDAY, EVE)
    assert {c.waste_stream for c in candidates} == {"residual"}  # for a stream's outings
    faulty = next(c.forecast for c in candidates if c.bin_id == "faulty")
    assert faulty.flags  # not trusted ("erratic", or a last reading that looks emptied)
    assert faulty.source == "history"
    stops = {stop.id: stop for stop in problem.stops}
    assert stops["rising"].required
    expected_l = 1000 * (stops["rising"].expected_fill_pct or 0) / 100
    assert stops["rising"].demand_l == pytest.approx(expected_l, abs=0.1)
    assert stops["half"].prize == by_id["half"].prize


def test_on_tuesday_the_calendar_bin_waits(db: psycopg.Connection, town: None) -> None:
    _, chosen = load_problem_by_need(db, TUESDAY, PlannerSettings(), EVE + timedelta(days=1))
    assert "calendar" not in {pick.bin_id for pick in chosen}


def test_plan_day_plans_by_forecast(db: psycopg.Connection, town: None) -> None:
    settings = PlannerSettings(time_limit_s=2, solution_limit=50)
    summary = plan_day(db, MONDAY, settings)
    served = {
        row[0]
        for row in db.execute(
            "SELECT site_id FROM plan_stops WHERE plan_id = %s AND kind = 'bin'",
            (summary.plan_id,),
        )
    }
    assert {"rising", "calendar"} <= served
    assert "quiet" not in served
