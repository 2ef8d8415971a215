"""A tiny run of benchmarks/ingest_throughput.py: each pipeline stores every reading published."""

import json
from pathlib import Path

import psycopg
import pytest

from benchmarks.ingest_throughput import copy_alone, limit, report, workers_backlog, workers_live
from benchmarks.uplinks import Workload
from benchmarks.workers import Services, register

READINGS = 2000


@pytest.fixture
def services(
    db: psycopg.Connection, database_url: str, mqtt_url: str, services_dir: Path
) -> Services:
    """The test session's database (emptied) and broker, with the workload's devices registered."""
    root = services_dir / "bench"
    root.mkdir(exist_ok=True)
    found = Services(database_url, mqtt_url, root)
    register(database_url, workload())
    return found


def workload() -> Workload:
    return Workload(readings=READINGS, devices=50)


def _stored(db: psycopg.Connection) -> int:
    row = db.execute("SELECT count(*) FROM readings").fetchone()
    assert row is not None
    return int(row[0])


def test_workload_readings_are_distinct_and_canonical() -> None:
    """Every reading has its own (device, ts), so the stored count proves nothing was lost."""
    load = Workload(readings=1001, devices=7)
    messages = load.messages("bench/v1")
    keys = {(topic, json.loads(payload)["ts"]) for topic, payload in messages}
    assert len(keys) == 1001
    assert {topic.decode().split("/")[3] for topic, _ in messages} == {
        load.device_id(d) for d in range(7)
    }
    last = json.loads(messages[-1][1])
    assert last["ts"] == f"{load.end:%Y-%m-%dT%H:%M:%SZ}"
    assert 0 <= last["fill_pct"] <= 100


def test_workload_refuses_readings_older_than_the_ingest_accepts() -> None:
    """Too many readings per device would reach past the ingest's one-year window."""
    with pytest.raises(ValueError, match="use more devices"):
        Workload(readings=1_000_000, devices=1)


def test_c_pipeline_and_copy_store_every_reading(
    services: Services, db: psycopg.Connection
) -> None:
    """mosquitto_sub | psql drains the whole backlog; COPY from a file loads the same rows."""
    c_limit, intake = limit(services, workload())
    assert (c_limit.readings, intake.readings) == (READINGS, READINGS)
    assert _stored(db) == READINGS
    alone = copy_alone(services, workload())
    assert alone.readings == READINGS
    assert _stored(db) == READINGS
    lines = report([c_limit, alone, intake], None)
    assert lines[1].startswith("limit: mosquitto_sub | psql COPY")


def test_one_worker_drains_its_backlog(services: Services, db: psycopg.Connection) -> None:
    """A worker started after the readings were queued for its session commits all of them."""
    outcome = workers_backlog(services, workload(), count=1, batch_size=500)
    assert outcome.name == "one worker (backlog)"
    assert _stored(db) == READINGS
    assert len(outcome.peak_rss_kib) == 1
    assert outcome.peak_rss_kib[0] > 0


def test_two_live_workers_share_the_stream(services: Services, db: psycopg.Connection) -> None:
    """Two workers of one share group, publishing while they run, store every reading once."""
    outcome = workers_live(services, workload(), count=2, batch_size=500)
    assert outcome.name == "two workers (live)"
    assert _stored(db) == READINGS
    assert len(outcome.peak_rss_kib) == 2
