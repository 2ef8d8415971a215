"""Prometheus metrics of the API, served at `GET /metrics`: the requests it answered, and
figures from the database that the alerts need and no other service owns.

Requests are counted by a plain ASGI middleware, by route template (`/v1/bins/{bin_id}`, not
the raw path; a path that matches no route counts as `UNMATCHED`), method and status. Each
application has a registry of its own. Under `curbside api --workers N` each request is
answered by one of N processes, and a scrape by any one of them: the workers then keep their
counts in files in a shared folder (prometheus_client's multiprocess mode, set up by the
command line), and a scrape sums them.

The database figures are read at scrape time by one query; nothing is cached between
scrapes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import Conn
from api.queries import ALARM_WITHIN, OFFLINE_AFTER

UNMATCHED = "(unmatched)"
"""The route label of a request no route matched (a 404, or one the gate refused first):
raw paths would make a series per path."""
LATENCY_BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

_FIGURES = f"""
    WITH latest AS (
        SELECT r.fill_pct, r.measured_at,
               (r.measured_at IS NULL OR r.measured_at < now() - interval '{OFFLINE_AFTER}')
                   AS offline
        FROM bins AS b
        LEFT JOIN LATERAL (
            SELECT fill_pct, measured_at FROM readings
            WHERE readings.bin_id = b.id ORDER BY measured_at DESC LIMIT 1
        ) AS r ON true
    ), alarms AS (
        SELECT count(DISTINCT bin_id) FILTER (WHERE kind = 'fire_risk') AS fire_risk,
               count(DISTINCT bin_id) FILTER (WHERE kind = 'tilt') AS tilt
        FROM events
        WHERE kind IN ('fire_risk', 'tilt') AND occurred_at > now() - interval '{ALARM_WITHIN}'
    ), newest_plan AS (
        SELECT max(plan_date) AS plan_date, max(created_at) AS created_at FROM plans
    )
    SELECT count(*), count(*) FILTER (WHERE offline),
           count(*) FILTER (WHERE fill_pct >= 100 AND NOT offline),
           max(measured_at),
           (SELECT fire_risk FROM alarms), (SELECT tilt FROM alarms),
           (SELECT plan_date FROM newest_plan), (SELECT created_at FROM newest_plan)
    FROM latest"""


class DatabaseFigures(Collector):
    """Gauges read from the database when collected, by one query on `conn`."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def collect(self) -> Iterator[Metric]:
        row = self.conn.execute(_FIGURES).fetchone()
        assert row is not None  # an aggregate always gives a row
        bins, offline, overflowing, newest_reading, fire_risk, tilt, plan_date, planned_at = row
        yield GaugeMetricFamily("curbside_bins", "Bins in the registry", value=bins)
        yield GaugeMetricFamily(
            "curbside_bins_offline",
            f"Bins whose latest reading is older than {OFFLINE_AFTER}, or that have none",
            value=offline,
        )
        yield GaugeMetricFamily(
            "curbside_bins_overflowing",
            "Bins whose latest reading, not offline, is at 100 % or above",
            value=overflowing,
        )
        alarms = GaugeMetricFamily(
            "curbside_bins_alarm",
            f"Bins with a fire-risk or tilt event in the last {ALARM_WITHIN}, by kind",
            labels=["kind"],
        )
        alarms.add_metric(["fire_risk"], fire_risk)
        alarms.add_metric(["tilt"], tilt)
        yield alarms
        if newest_reading is not None:
            yield GaugeMetricFamily(
                "curbside_readings_newest_timestamp_seconds",
                "When the newest reading of any bin was measured (Unix time)",
                value=newest_reading.timestamp(),
            )
        if plan_date is not None:
            start = datetime(plan_date.year, plan_date.month, plan_date.day, tzinfo=UTC)
            yield GaugeMetricFamily(
                "curbside_plan_newest_date_timestamp_seconds",
                "The latest date any plan is for, as the Unix time of its start in UTC",
                value=start.timestamp(),
            )
            yield GaugeMetricFamily(
                "curbside_plan_newest_created_timestamp_seconds",
                "When the newest plan (of any date or version) was stored (Unix time)",
                value=planned_at.timestamp(),
            )


class ApiMetrics:
    """The API's request metrics, in a registry of its own (or, with `multiprocess_dir`, in
    files shared by the server's worker processes)."""

    def __init__(self, multiprocess_dir: Path | None = None) -> None:
        self.multiprocess_dir = multiprocess_dir
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "curbside_api_requests",
            "HTTP requests answered, by route template, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "curbside_api_request_seconds",
            "From a request's arrival to the end of its answer, by route template and method",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def record(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)

    def exposition(self, conn: psycopg.Connection, accept: str = "") -> tuple[bytes, str]:
        """Every worker's request metrics and the database figures, in the format that
        `accept` (a scrape's Accept header) prefers, and its media type."""
        scrape = CollectorRegistry()
        if self.multiprocess_dir is None:
            scrape.register(self.registry)  # a registry collects like any collector
        else:
            MultiProcessCollector(scrape, str(self.multiprocess_dir))  # type: ignore[no-untyped-call]
        scrape.register(DatabaseFigures(conn))
        encode, media_type = choose_encoder(accept)
        return encode(scrape), media_type


class RequestMetrics:
    """Times and counts every HTTP request, outermost, so that refusals count too.

    A plain ASGI middleware: the route template is read from the scope, where the router
    leaves the route it matched.
    """

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless an answer starts: an error that escaped every handler

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            seconds = time.perf_counter() - started
            self.metrics.record(route, scope["method"], status, seconds)


router = APIRouter(include_in_schema=False)


@router.get("/metrics")
def serve_metrics(request: Request, conn: Conn) -> Response:
    """The metrics in Prometheus's text format, or OpenMetrics when the scrape asks for it
    (docs/metrics.md); not rate limited, not in the OpenAPI document."""
    metrics: ApiMetrics = request.app.state.metrics
    body, media_type = metrics.exposition(conn, request.headers.get("accept", ""))
    return Response(body, media_type=media_type)


def install(app: FastAPI, multiprocess_dir: Path | None = None) -> None:
    """Serve `app`'s metrics at `/metrics` and count its requests, outside every other
    middleware: call it last."""
    metrics = ApiMetrics(multiprocess_dir)
    app.state.metrics = metrics
    app.include_router(router)
    app.add_middleware(RequestMetrics, metrics=metrics)
