"""Prometheus metrics of the planner's evening schedule (optimizer/nightly.py), in a registry
of its own (no import-time globals).

Two gauges say whether the next collection day is planned in time. `next_run` is when the
next evening's run is due; `covered_until` is the midnight that ends the last day needing no
more planning (the day the last good evening planned, or one without collections). While
the schedule is healthy `covered_until` lies after `next_run`; a failed evening leaves it
before, and a run that hangs leaves `next_run` in the past (deploy/prometheus/alerts.yml).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta, tzinfo

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

from optimizer.plan import PlanSummary

OUTCOMES = ("planned", "no_collection", "failed")
"""How an evening ends: a plan stored, nothing to plan (no trucks the next day), or an error."""


def _midnight(day: date, zone: tzinfo | None) -> float:
    """The Unix time at which `day` starts in `zone`."""
    return datetime.combine(day, time(0), tzinfo=zone).timestamp()


class PlannerMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.runs = Counter(
            "curbside_planner_runs",
            "Evening runs, by outcome: planned, no_collection (none the next day), failed",
            ["outcome"],
            registry=r,
        )
        for outcome in OUTCOMES:
            self.runs.labels(outcome)
        self.next_run = Gauge(
            "curbside_planner_next_run_timestamp_seconds",
            "When the next evening's run is due; in the past while a run is under way",
            registry=r,
        )
        self.covered_until = Gauge(
            "curbside_planner_covered_until_timestamp_seconds",
            "The midnight ending the last day planned or without collections",
            registry=r,
        )
        self.last_success = Gauge(
            "curbside_planner_last_success_timestamp_seconds",
            "When the last plan was stored",
            registry=r,
        )
        self.plan_date = Gauge(
            "curbside_planner_last_plan_date_timestamp_seconds",
            "The day the last plan is for, as the Unix time of its local midnight",
            registry=r,
        )
        self.planning_seconds = Gauge(
            "curbside_planner_last_planning_seconds",
            "How long the last plan took: loading the problem, solving, storing",
            registry=r,
        )
        self.routes = Gauge(
            "curbside_planner_last_plan_routes", "Routes (trucks out) in the last plan", registry=r
        )
        self.stops = Gauge(
            "curbside_planner_last_plan_stops", "Bins the last plan collects", registry=r
        )
        self.omitted = Gauge(
            "curbside_planner_last_plan_omitted", "Bins the last plan leaves out", registry=r
        )
        self.distance = Gauge(
            "curbside_planner_last_plan_distance_meters", "The last plan's driving", registry=r
        )
        self.duration = Gauge(
            "curbside_planner_last_plan_route_seconds",
            "The last plan's routes from departure to return, added up",
            registry=r,
        )
        self.load = Gauge(
            "curbside_planner_last_plan_load_litres", "Litres the last plan collects", registry=r
        )
        self.litres_per_km = Gauge(
            "curbside_planner_last_plan_litres_per_km",
            "Litres the last plan collects per km driven (0 without driving)",
            registry=r,
        )

    def started(self, first_run: datetime) -> None:
        """The schedule begins: the days up to the first run's are taken as planned (the
        process cannot tell what an earlier one did)."""
        self.covered(first_run.date(), first_run.tzinfo)

    def scheduled(self, run: datetime) -> None:
        self.next_run.set(run.timestamp())

    def covered(self, day: date, zone: tzinfo | None) -> None:
        """Every collection day up to `day` (in `zone`) is planned."""
        self.covered_until.set(_midnight(day + timedelta(days=1), zone))

    def planned(self, summary: PlanSummary, at: datetime, seconds: float) -> None:
        """An evening stored `summary`'s plan at `at`, after `seconds` of work."""
        self.runs.labels("planned").inc()
        self.covered(summary.plan_date, at.tzinfo)
        self.last_success.set(at.timestamp())
        self.plan_date.set(_midnight(summary.plan_date, at.tzinfo))
        self.planning_seconds.set(seconds)
        self.routes.set(summary.routes)
        self.stops.set(summary.stops_served)
        self.omitted.set(summary.stops_omitted)
        self.distance.set(summary.distance_m)
        self.duration.set(summary.duration_s)
        self.load.set(summary.load_l)
        km = summary.distance_m / 1000
        self.litres_per_km.set(summary.load_l / km if km > 0 else 0.0)

    def no_collection(self, day: date, zone: tzinfo | None) -> None:
        """An evening found nothing to plan: `day` has no collections."""
        self.runs.labels("no_collection").inc()
        self.covered(day, zone)

    def failed(self) -> None:
        self.runs.labels("failed").inc()

    @contextmanager
    def served(self, port: int) -> Iterator[None]:
        """Serve the metrics over HTTP on `port` (all interfaces) meanwhile; 0: not at all."""
        if port == 0:
            yield
            return
        server, _ = start_http_server(port, registry=self.registry)
        try:
            yield
        finally:
            server.shutdown()
            server.server_close()
