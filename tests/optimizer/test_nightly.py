"""Tests of the planner's evening schedule: when it runs, which day it plans, and the loop
against the database with a clock that does not wait."""

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import psycopg

from optimizer import PlannerSettings
from optimizer.nightly import day_to_plan, next_run, run_evenings

AddRow = Callable[..., None]
WEEKDAYS = frozenset(range(5))


def test_the_next_run_is_today_until_the_hour_has_passed() -> None:
    noon = datetime(2026, 11, 26, 12, tzinfo=UTC)
    assert next_run(noon, time(18)) == datetime(2026, 11, 26, 18, tzinfo=UTC)
    at_six = datetime(2026, 11, 26, 18, tzinfo=UTC)
    assert next_run(at_six, time(18)) == datetime(2026, 11, 27, 18, tzinfo=UTC)


def test_the_day_planned_is_the_next_working_day_only() -> None:
    thursday_eve = datetime(2026, 11, 26, 18, tzinfo=UTC)
    friday_eve, sunday_eve = thursday_eve + timedelta(days=1), thursday_eve + timedelta(days=3)
    assert day_to_plan(thursday_eve, WEEKDAYS, ()) == date(2026, 11, 27)
    assert day_to_plan(friday_eve, WEEKDAYS, ()) is None  # Saturday: no trucks
    assert day_to_plan(sunday_eve, WEEKDAYS, ()) == date(2026, 11, 30)
    assert day_to_plan(thursday_eve, WEEKDAYS, {date(2026, 11, 27)}) is None


class FakeClock:
    """Time that moves only when the loop sleeps."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


def test_each_evening_plans_the_next_working_day(
    db: psycopg.Connection,
    database_url: str,
    add_depot: AddRow,
    add_vehicle: AddRow,
    add_bin: AddRow,
) -> None:
    """From Thursday noon, three evenings: Thursday plans Friday, Friday plans nothing (a
    Saturday), Saturday nothing either. The plan is made from what was known at 18:00: a
    bin whose first reading came at 20:00 is not in it."""
    t = datetime(2026, 11, 26, 6, tzinfo=UTC)
    add_depot()
    add_vehicle("t1")
    add_bin("full", 1.0, 0.0, [(t, 95.0)])
    add_bin("late", 0.0, 1.0, [(t + timedelta(hours=14), 95.0)])
    settings = PlannerSettings(selection="threshold", time_limit_s=2, solution_limit=20)
    clock = FakeClock(datetime(2026, 11, 26, 12, tzinfo=UTC))
    plans = run_evenings(database_url, settings, time(18), clock, clock.sleep, evenings=3)
    assert [p.plan_date for p in plans] == [date(2026, 11, 27)]
    assert clock.slept == [6 * 3600, 24 * 3600, 24 * 3600]
    assert (plans[0].stops_served, plans[0].stops_omitted) == (1, 0)
    stored = db.execute("SELECT plan_date FROM plans").fetchall()
    assert stored == [(date(2026, 11, 27),)]


def test_a_failed_evening_does_not_stop_the_schedule(
    database_url: str, db: psycopg.Connection
) -> None:
    """No depot, no vehicles: each evening's planning fails, is logged, and the loop goes on."""
    clock = FakeClock(datetime(2026, 11, 23, 19, tzinfo=UTC))  # a Monday, after 18:00
    settings = PlannerSettings(selection="threshold", time_limit_s=1)
    assert run_evenings(database_url, settings, time(18), clock, clock.sleep, evenings=2) == []
    assert len(clock.slept) == 2
