"""Tests of ingest/service.py: the worker between a real broker and a real database."""

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest

from curbside.runtime import free_port
from ingest import IngestSettings, IngestStats, run

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture
def worker(database_url: str, mqtt_url: str, topic_prefix: str) -> IngestSettings:
    """Settings of a worker of this test's own: its topics, client id and share group."""
    return settings_for(database_url, mqtt_url, topic_prefix, uuid.uuid4().hex)


def settings_for(database_url: str, mqtt_url: str, prefix: str, client_id: str) -> IngestSettings:
    return IngestSettings(
        database_url=database_url,
        mqtt_url=mqtt_url,
        topic_prefix=prefix,
        client_id=client_id,
        share_group=f"g-{client_id}",
        batch_max_age_s=0.05,
    )


@contextmanager
def running(settings: IngestSettings) -> Iterator[list[IngestStats]]:
    """Run the worker in a thread; on exit stop it and hand back its totals."""
    stop = threading.Event()
    started = threading.Event()
    totals: list[IngestStats] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            totals.append(run(settings, stop, on_ready=started.set))
        except BaseException as exc:
            errors.append(exc)
            started.set()

    thread = threading.Thread(target=work)
    thread.start()
    assert started.wait(20), "the ingest did not subscribe"
    try:
        yield totals
    finally:
        stop.set()
        thread.join(20)
        assert not thread.is_alive()
        assert not errors, errors


def reading(hours_ago: float, fill_pct: float) -> bytes:
    """A canonical reading measured some hours before now."""
    ts = datetime.now(UTC) - timedelta(hours=hours_ago)
    return json.dumps({"ts": ts.isoformat(), "fill_pct": fill_pct}).encode()


def wait_for(conn: psycopg.Connection, query: str, expected: int) -> int:
    deadline = time.monotonic() + 15
    count = -1
    while time.monotonic() < deadline:
        count = conn.execute(query).fetchone()[0]  # type: ignore[index]
        if count >= expected:
            break
        time.sleep(0.05)
    return count


def test_duplicates_and_bad_messages_do_not_stop_the_ingest(
    db: psycopg.Connection,
    registered_device: str,
    worker: IngestSettings,
    topic_prefix: str,
    publish: Callable[[str, bytes], None],
) -> None:
    """A reading published twice is stored once; bad ones become rejects; ingest goes on."""
    topic = f"{topic_prefix}/devices/{registered_device}/up"
    twice = json.dumps({"ts": datetime.now(UTC).isoformat(), "distance_mm": 600}).encode()
    with running(worker) as totals:
        publish(topic, twice)
        publish(topic, twice)
        publish(topic, b"{not json")
        publish(f"{topic_prefix}/devices/nobody/up", b'{"fill_pct": 5}')
        publish(topic, reading(hours_ago=-0.1, fill_pct=55))
        assert wait_for(db, "SELECT count(*) FROM ingest_rejects", 2) == 2
        assert wait_for(db, "SELECT count(*) FROM readings", 2) == 2
    rows = db.execute("SELECT fill_pct FROM readings ORDER BY measured_at").fetchall()
    assert rows == [(50.0,), (55.0,)]
    reasons = db.execute("SELECT reason FROM ingest_rejects ORDER BY id").fetchall()
    assert reasons == [("malformed_json",), ("unknown_device",)]
    [stats] = totals
    assert (stats.messages, stats.inserted, stats.duplicates, stats.rejected) == (5, 2, 1, 2)


def test_messages_published_while_the_worker_is_down_arrive_after_restart(
    db: psycopg.Connection,
    registered_device: str,
    worker: IngestSettings,
    topic_prefix: str,
    publish: Callable[[str, bytes], None],
) -> None:
    """The broker keeps the worker's persistent session and delivers what it missed."""
    topic = f"{topic_prefix}/devices/{registered_device}/up"
    with running(worker):
        publish(topic, reading(hours_ago=6, fill_pct=10))
        assert wait_for(db, "SELECT count(*) FROM readings", 1) == 1
    for hours_ago in range(5):
        publish(topic, reading(hours_ago, fill_pct=20 + hours_ago))
    with running(worker):
        assert wait_for(db, "SELECT count(*) FROM readings", 6) == 6


def test_a_device_registered_while_running_is_picked_up(
    db: psycopg.Connection,
    registered_device: str,
    worker: IngestSettings,
    topic_prefix: str,
    publish: Callable[[str, bytes], None],
) -> None:
    """The registry reloads when an unknown device shows up after the refresh interval."""
    settings = worker.model_copy(update={"registry_refresh_s": 0.0})
    with running(settings):
        db.execute(
            "INSERT INTO devices (id, sensor_model, bin_id) VALUES ('dev-new', 'x', 'bin-1')"
        )
        publish(f"{topic_prefix}/devices/dev-new/up", reading(1, 20))
        assert wait_for(db, "SELECT count(*) FROM readings WHERE device_id = 'dev-new'", 1) == 1
    assert db.execute("SELECT count(*) FROM ingest_rejects").fetchone() == (0,)


def test_metrics_count_what_the_worker_did(
    db: psycopg.Connection,
    registered_device: str,
    worker: IngestSettings,
    topic_prefix: str,
    publish: Callable[[str, bytes], None],
) -> None:
    """The Prometheus endpoint reports stored readings and rejects by reason."""
    port = free_port()
    settings = worker.model_copy(update={"metrics_port": port})
    with running(settings):
        publish(f"{topic_prefix}/devices/{registered_device}/up", reading(1, 40))
        publish(f"{topic_prefix}/devices/{registered_device}/up", b"[]")
        assert wait_for(db, "SELECT count(*) FROM ingest_rejects", 1) == 1
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    assert "curbside_ingest_readings_stored_total 1.0" in metrics
    assert 'curbside_ingest_rejects_total{reason="empty_payload"} 1.0' in metrics
    assert "curbside_ingest_batch_seconds_count" in metrics


def test_network_server_uplinks_are_ingested_from_their_own_topics(
    db: psycopg.Connection,
    worker: IngestSettings,
    topic_prefix: str,
    publish: Callable[[str, bytes], None],
) -> None:
    """A The Things Stack and a ChirpStack uplink, as published, become readings of their bins."""
    db.execute(
        "INSERT INTO bins (id, lat, lon, waste_stream, volume_l, empty_distance_mm,"
        " full_distance_mm, blind_zone_mm) VALUES ('bin-42', 51.05, 3.72, 'residual', 1100,"
        " 2500, 300, 250), ('bin-43', 51.06, 3.73, 'paper', 1100, 2500, 300, 280)"
    )
    db.execute(
        "INSERT INTO devices (id, sensor_model, bin_id, dev_eui) VALUES"
        " ('bin-0042', 'em310-udl', 'bin-42', '24e124713b123456'),"
        " ('ldds-43', 'ldds75', 'bin-43', 'a84041000181c061')"
    )
    now = datetime.now(UTC)
    tts = json.loads((DATA / "tts_em310_uplink.json").read_text())
    tts["received_at"] = tts["uplink_message"]["received_at"] = now.isoformat()
    tts["uplink_message"]["rx_metadata"][0]["time"] = now.isoformat()
    chirpstack = json.loads((DATA / "chirpstack_ldds75_uplink.json").read_text())
    chirpstack["time"] = now.isoformat()
    with running(worker):
        publish("v3/curbside@ttn/devices/bin-0042/up", json.dumps(tts).encode())
        publish(
            "application/17c82e96/device/a84041000181c061/event/up",
            json.dumps(chirpstack).encode(),
        )
        assert wait_for(db, "SELECT count(*) FROM readings", 2) == 2
    rows = db.execute(
        "SELECT device_id, bin_id, distance_mm, seq, time_is_receive, tilted"
        " FROM readings ORDER BY device_id"
    ).fetchall()
    assert rows == [
        ("bin-0042", "bin-42", 2116, 1207, True, True),
        ("ldds-43", "bin-43", 2025, 311, True, None),
    ]
    assert db.execute("SELECT kind FROM events").fetchall() == [("tilt",)]


def test_mqtt_3_1_1_sessions_ingest_too(
    db: psycopg.Connection,
    registered_device: str,
    worker: IngestSettings,
    topic_prefix: str,
    publish: Callable[[str, bytes], None],
) -> None:
    """Forced to MQTT 3.1.1, the worker subscribes, decodes and stores as with MQTT 5."""
    settings = worker.model_copy(update={"mqtt_protocol": "3.1.1"})
    with running(settings):
        for hours_ago in range(3):
            publish(f"{topic_prefix}/devices/{registered_device}/up", reading(hours_ago, 30))
        assert wait_for(db, "SELECT count(*) FROM readings", 3) == 3
