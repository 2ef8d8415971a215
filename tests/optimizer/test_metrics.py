"""Tests of the planner's metrics: what the evening schedule records, with a clock that does
not wait, and the HTTP endpoint it serves them on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from curbside.runtime import free_port
from optimizer import PlannerSettings, PlanSummary
from optimizer.metrics import PlannerMetrics
from optimizer.nightly import run_evenings

AddRow = Callable[..., None]
BRUSSELS = ZoneInfo("Europe/Brussels")


class FakeClock:
    """Time that moves only when the loop sleeps."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def sample(metrics: PlannerMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def local(day: date, hour: int = 0) -> float:
    """The Unix time of `hour` o'clock on `day` in Brussels."""
    return datetime.combine(day, time(hour), tzinfo=BRUSSELS).timestamp()


def summary(distance_m: int, load_l: float) -> PlanSummary:
    return PlanSummary(
        plan_id=1, plan_date=date(2026, 11, 27), version=1, routes=1, stops_served=3,
        stops_omitted=0, distance_m=distance_m, duration_s=3600, solver="test", status="ok",
        load_l=load_l,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("distance_m", "load_l", "litres_per_km"), [(4000, 1200.0, 300.0), (0, 0.0, 0.0)]
)
def test_a_plan_s_litres_per_km(distance_m: int, load_l: float, litres_per_km: float) -> None:
    """Litres collected per km driven; 0 for a plan that drives nowhere."""
    metrics = PlannerMetrics()
    metrics.planned(summary(distance_m, load_l), datetime(2026, 11, 26, 18, tzinfo=UTC), 2.5)
    assert sample(metrics, "curbside_planner_last_plan_litres_per_km") == litres_per_km
    assert sample(metrics, "curbside_planner_last_plan_distance_meters") == distance_m
    assert sample(metrics, "curbside_planner_last_planning_seconds") == 2.5


def test_evenings_are_counted_with_the_last_plan_s_figures(
    db: psycopg.Connection,
    database_url: str,
    add_depot: AddRow,
    add_vehicle: AddRow,
    add_bin: AddRow,
) -> None:
    """From Thursday noon, three evenings in Brussels: Thursday plans Friday, Friday and
    Saturday have nothing to plan. The days are covered up to Monday, local midnight."""
    add_depot()
    add_vehicle("t1")
    add_bin("full", 1.0, 0.0, [(datetime(2026, 11, 26, 6, tzinfo=UTC), 95.0)])
    settings = PlannerSettings(
        selection="threshold", time_limit_s=2, solution_limit=20, timezone="Europe/Brussels"
    )
    clock = FakeClock(datetime(2026, 11, 26, 12, tzinfo=UTC))
    metrics = PlannerMetrics()
    plans = run_evenings(database_url, settings, time(18), clock, clock.sleep, 3, metrics)
    assert sample(metrics, "curbside_planner_runs_total", outcome="planned") == 1
    assert sample(metrics, "curbside_planner_runs_total", outcome="no_collection") == 2
    assert sample(metrics, "curbside_planner_runs_total", outcome="failed") == 0
    thursday, friday = date(2026, 11, 26), date(2026, 11, 27)
    assert sample(metrics, "curbside_planner_last_success_timestamp_seconds") == local(thursday, 18)
    assert sample(metrics, "curbside_planner_last_plan_date_timestamp_seconds") == local(friday)
    assert sample(metrics, "curbside_planner_last_plan_stops") == 1
    assert sample(metrics, "curbside_planner_last_plan_routes") == 1
    assert sample(metrics, "curbside_planner_last_plan_omitted") == 0
    distance = sample(metrics, "curbside_planner_last_plan_distance_meters")
    assert distance == plans[0].distance_m > 0
    load = sample(metrics, "curbside_planner_last_plan_load_litres")
    assert load == plans[0].load_l > 0
    assert sample(metrics, "curbside_planner_last_plan_litres_per_km") == pytest.approx(
        load / (distance / 1000)
    )
    planning = sample(metrics, "curbside_planner_last_planning_seconds")
    assert planning is not None
    assert planning > 0
    saturday, monday = date(2026, 11, 28), date(2026, 11, 30)
    assert sample(metrics, "curbside_planner_next_run_timestamp_seconds") == local(saturday, 18)
    assert sample(metrics, "curbside_planner_covered_until_timestamp_seconds") == local(monday)


def test_a_failed_evening_leaves_the_next_day_uncovered(
    db: psycopg.Connection, database_url: str
) -> None:
    """No depot, no vehicles: each evening fails and is counted, and the days covered stop
    short of the next run (what PlanNotProduced in deploy/prometheus/alerts.yml watches)."""
    clock = FakeClock(datetime(2026, 11, 23, 19, tzinfo=UTC))  # a Monday, after 18:00
    settings = PlannerSettings(selection="threshold", time_limit_s=1)
    metrics = PlannerMetrics()
    assert run_evenings(database_url, settings, time(18), clock, clock.sleep, 2, metrics) == []
    assert sample(metrics, "curbside_planner_runs_total", outcome="failed") == 2
    assert sample(metrics, "curbside_planner_last_success_timestamp_seconds") == 0
    covered = sample(metrics, "curbside_planner_covered_until_timestamp_seconds")
    next_run = sample(metrics, "curbside_planner_next_run_timestamp_seconds")
    assert covered == datetime(2026, 11, 25, tzinfo=UTC).timestamp()  # Tuesday's run's day
    assert next_run == datetime(2026, 11, 25, 18, tzinfo=UTC).timestamp()


def test_the_metrics_are_served_while_the_schedule_runs(
    db: psycopg.Connection, database_url: str
) -> None:
    """With `planner_metrics_port`, /metrics on it answers while the loop sleeps, and no
    longer once it returns."""
    port = free_port()
    settings = PlannerSettings(selection="threshold", planner_metrics_port=port)
    clock = FakeClock(datetime(2026, 11, 27, 19, tzinfo=UTC))  # a Friday: nothing to plan
    scraped: list[str] = []

    def sleep(seconds: float) -> None:
        scraped.append(httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text)
        clock.sleep(seconds)

    run_evenings(database_url, settings, time(18), clock, sleep, 1)
    served = {
        s.name: s.value for f in text_string_to_metric_families(scraped[0]) for s in f.samples
    }
    saturday_run = datetime(2026, 11, 28, 18, tzinfo=UTC).timestamp()
    assert served["curbside_planner_next_run_timestamp_seconds"] == saturday_run
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
