"""Tests of the API's /metrics: requests counted by route template, figures read from the
database, one count across several server processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api import ApiSettings, create_app
from api.metrics import UNMATCHED
from api.ratelimit import is_public
from curbside.runtime import free_port

AddBin = Callable[..., None]
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    """Each sample of an exposition by its name and labels."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


def requests(found: Samples, route: str, status: int, method: str = "GET") -> float | None:
    labels = {"route": route, "method": method, "status": str(status)}
    return value(found, "curbside_api_requests_total", **labels)


def test_requests_are_counted_by_route_template(client: TestClient, two_bins: None) -> None:
    """A bin's page counts under `/v1/bins/{bin_id}` whichever bin, by status; a path no
    route matches, or one the gate refuses, under one label."""
    assert client.get("/v1/bins/bin-a").status_code == 200
    assert client.get("/v1/bins/bin-b").status_code == 200
    assert client.get("/v1/bins/no-such-bin").status_code == 404
    assert client.get("/no/such/page").status_code == 404
    assert client.get("/v1/bins/a%00b").status_code == 422
    text = client.get("/metrics").text
    found = samples(text)
    assert requests(found, "/v1/bins/{bin_id}", 200) == 2
    assert requests(found, "/v1/bins/{bin_id}", 404) == 1
    assert requests(found, UNMATCHED, 404) == 1
    assert requests(found, UNMATCHED, 422) == 1
    latency = {"route": "/v1/bins/{bin_id}", "method": "GET"}
    assert value(found, "curbside_api_request_seconds_count", **latency) == 3
    assert "bin-a" not in text
    assert "/no/such/page" not in text


def test_the_bins_figures_come_from_the_database(
    client: TestClient, db: psycopg.Connection, add_bin: AddBin
) -> None:
    """Offline bins (no reading for 26 h, or none at all), overflowing ones (a fresh reading
    at 100 %), fire and tilt alarms of the last 24 h, and the newest plan."""
    now = datetime.now(UTC)
    add_bin("fresh", 0, 1, [(now - timedelta(hours=1), 40.0)])
    add_bin("full", 0, 2, [(now - timedelta(hours=2), 100.0)])
    add_bin("stale-full", 0, 3, [(now - timedelta(hours=30), 100.0)])
    add_bin("silent", 0, 4)
    db.execute(
        "INSERT INTO events (device_id, bin_id, kind, occurred_at) VALUES"
        " ('dev-full', 'full', 'fire_risk', %(recent)s),"
        " ('dev-full', 'full', 'fire_risk', %(recent)s - interval '1 hour'),"
        " ('dev-fresh', 'fresh', 'tilt', %(recent)s - interval '2 days')",
        {"recent": now - timedelta(hours=3)},
    )
    db.execute(
        "INSERT INTO plans (plan_date, version, solver, distance_m, duration_s)"
        " VALUES ('2026-11-27', 1, 'test', 0, 0), ('2026-11-28', 1, 'test', 0, 0)"
    )
    found = samples(client.get("/metrics").text)
    assert value(found, "curbside_bins") == 4
    assert value(found, "curbside_bins_offline") == 2
    assert value(found, "curbside_bins_overflowing") == 1
    assert value(found, "curbside_bins_alarm", kind="fire_risk") == 1
    assert value(found, "curbside_bins_alarm", kind="tilt") == 0
    newest = value(found, "curbside_readings_newest_timestamp_seconds")
    assert newest == pytest.approx((now - timedelta(hours=1)).timestamp())
    midnight = datetime(2026, 11, 28, tzinfo=UTC).timestamp()
    assert value(found, "curbside_plan_newest_date_timestamp_seconds") == midnight
    created = value(found, "curbside_plan_newest_created_timestamp_seconds")
    assert created == pytest.approx(time.time(), abs=60)


def test_an_empty_database_has_figures_of_zero(client: TestClient) -> None:
    """No bins, no plans: the counts are 0 and the times of what is not there are left out."""
    found = samples(client.get("/metrics").text)
    assert value(found, "curbside_bins") == value(found, "curbside_bins_offline") == 0
    names = {name for name, _ in found}
    assert "curbside_plan_newest_date_timestamp_seconds" not in names
    assert "curbside_readings_newest_timestamp_seconds" not in names


def test_metrics_are_neither_documented_nor_rate_limited(
    db: psycopg.Connection, database_url: str
) -> None:
    """/metrics is not in the OpenAPI document, and scrapes are not public requests."""
    settings = ApiSettings(database_url=database_url, public_per_minute=1, public_burst=1)
    with TestClient(create_app(settings)) as client:
        assert "/metrics" not in client.get("/openapi.json").json()["paths"]
        assert not is_public("/metrics")
        answers = [client.get("/metrics") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[0].headers["content-type"].startswith("text/plain; version=0.0.4")


def test_a_scrape_gets_openmetrics_when_it_asks(client: TestClient) -> None:
    """Prometheus asks for OpenMetrics first: the requests and the figures come as one
    exposition, with one end."""
    answer = client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert answer.headers["content-type"].startswith("application/openmetrics-text")
    assert answer.text.count("# EOF") == 1
    assert answer.text.endswith("# EOF\n")
    assert "curbside_bins_offline 0" in answer.text


@pytest.fixture
def two_workers(db: psycopg.Connection, database_url: str, tmp_path: Path) -> Iterator[str]:
    """`curbside api --workers 2` on a free port; its base URL."""
    port = free_port()
    env = {**os.environ, "CURBSIDE_DATABASE_URL": database_url}
    command = [str(Path(sys.executable).parent / "curbside"), "api", "--port", str(port)]
    log = tmp_path / "api.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [*command, "--workers", "2"], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/livez", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the API did not start"
            time.sleep(0.1)
        time.sleep(1.0)  # the second worker comes up a moment after the first
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_every_scrape_counts_the_requests_of_all_workers(two_workers: str) -> None:
    """Requests answered by either of two server processes add up in each scrape, whichever
    process answers it."""

    def scrapes() -> list[Samples]:
        return [samples(httpx.get(f"{two_workers}/metrics").text) for _ in range(4)]

    (before,) = {requests(found, "/livez", 200) for found in scrapes()}  # the same in each
    assert before is not None  # the fixture's wait for the API
    for _ in range(30):  # a new connection each: the kernel spreads them over the workers
        assert httpx.get(f"{two_workers}/livez").status_code == 200
    after = scrapes()
    assert [requests(found, "/livez", 200) for found in after] == [before + 30] * 4
    assert all(value(found, "curbside_bins") == 0 for found in after)
