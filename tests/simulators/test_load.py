"""Tests of simulators/load.py: the load generator against a real broker, database and ingest."""

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from curbside import BrokerAddress
from curbside.cli import main
from curbside.runtime import free_port
from ingest import IngestSettings, run
from simulators import (
    City,
    DeviceLoss,
    LoadOptions,
    PublishError,
    generate_city,
    import_city,
    run_load,
)
from simulators.load import due, due_at, scheduled, share_size


@contextmanager
def ingest_running(database_url: str, mqtt_url: str, prefix: str) -> Iterator[None]:
    """A real ingest worker on its own thread, subscribed to `prefix`, stopped on exit."""
    client_id = uuid.uuid4().hex
    settings = IngestSettings(
        database_url=database_url,
        mqtt_url=mqtt_url,
        topic_prefix=prefix,
        client_id=client_id,
        share_group=f"g-{client_id}",
        batch_max_age_s=0.05,
    )
    stop, ready = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            run(settings, stop, on_ready=ready.set)
        except BaseException as exc:
            errors.append(exc)
            ready.set()

    thread = threading.Thread(target=work)
    thread.start()
    try:
        assert ready.wait(20), "the ingest did not subscribe"
        assert not errors, errors
        yield
    finally:
        stop.set()
        thread.join(20)
    assert not errors, errors


@pytest.fixture
def city(db: psycopg.Connection[Any]) -> City:
    """A city of six bins, each with one device, registered in the emptied database."""
    found = generate_city(6, seed=3)
    import_city(db, found)
    return found


def _run_rows(db: psycopg.Connection[Any], run_id: str) -> dict[str, int]:
    rows = db.execute(
        "SELECT device_id, count(*) FROM readings WHERE extra->>'load_run' = %s GROUP BY 1",
        (run_id,),
    ).fetchall()
    return {device: int(count) for device, count in rows}


# --- the schedule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "duration_s", "expected"),
    [(100, 2, 200), (3, 0.1, 1), (0.5, 3, 2), (1000, 0.001, 1), (7, 1 / 7, 1)],
)
def test_a_duration_at_a_rate_plans_the_messages_due_within_it(
    rate: float, duration_s: float, expected: int
) -> None:
    """Messages due at g / rate < duration: ceil(rate * duration), not one more for rounding."""
    assert scheduled(rate, duration_s) == expected


def test_publishers_share_the_run_schedule_without_gaps_or_overlap() -> None:
    """Publisher i sends messages i, i + n, ...: shares add up, each due on the run's clock."""
    total, publishers, rate = 103, 4, 50.0
    sizes = [share_size(total, publishers, i) for i in range(publishers)]
    assert sizes == [26, 26, 26, 25]
    due_times = sorted(
        due_at(k, rate, publishers, i) for i in range(publishers) for k in range(sizes[i])
    )
    assert due_times == [g / rate for g in range(total)]
    # at 1 s, messages 0..50 of the run are due: 13 for publishers 0-2, 12 for publisher 3
    assert [due(1.0, rate, publishers, i) for i in range(publishers)] == [13, 13, 13, 12]
    assert due(0.0, rate, publishers, 1) == 0


# --- runs against the real services --------------------------------------------------------------


def test_a_count_at_qos_1_is_stored_whole_and_reported_without_loss(
    db: psycopg.Connection[Any], city: City, broker: BrokerAddress, database_url: str,
    mqtt_url: str, topic_prefix: str,
) -> None:  # fmt: skip
    """600 readings from 3 publishers: all acknowledged, all stored, latency from every row."""
    options = LoadOptions(publishers=3, count=600, qos=1, settle_s=5)
    with ingest_running(database_url, mqtt_url, topic_prefix):
        report = run_load(db, city, broker, topic_prefix, options)
    assert (report.published, report.acknowledged, report.stored) == (600, 600, 600)
    assert (report.lost, report.rejected, report.losses, report.errors) == (0, 0, (), ())
    assert report.settled
    assert report.stopped_by == "count"
    assert report.verdict() == "no loss: all 600 messages stored"
    assert _run_rows(db, report.run_id) == {device.id: 100 for device in city.devices}
    latency = report.latency
    assert latency is not None
    assert (latency.samples, latency.method) == (600, "insert")
    assert 0 < latency.p50_s <= latency.p95_s <= latency.p99_s <= latency.max_s
    document = json.loads(report.to_json())
    assert (document["published"], document["lost"], document["qos"]) == (600, 0, 1)
    assert document["latency"]["samples"] == 600
    assert any("600 of 600 planned" in line for line in report.table())


def test_the_rate_limiter_spreads_a_duration_at_the_target_rate(
    db: psycopg.Connection[Any], city: City, broker: BrokerAddress, database_url: str,
    mqtt_url: str, topic_prefix: str,
) -> None:  # fmt: skip
    """100 msg/s for 2 s: exactly 200 messages, never ahead of schedule, near the target."""
    options = LoadOptions(publishers=2, rate=100, duration_s=2, qos=1, settle_s=5)
    with ingest_running(database_url, mqtt_url, topic_prefix):
        report = run_load(db, city, broker, topic_prefix, options)
    assert options.planned == report.published == report.stored == 200
    assert report.stopped_by == "duration"
    # the last message is due 1.99 s after the start, and the limiter never sends early
    assert report.publish_s >= 1.99
    assert 50 <= report.achieved_rate <= 200 / 1.99
    row = db.execute(
        "SELECT max(measured_at) - min(measured_at) FROM readings WHERE extra->>'load_run' = %s",
        (report.run_id,),
    ).fetchone()
    assert row is not None
    assert row[0] >= timedelta(seconds=1.9)


def test_a_device_the_ingest_does_not_know_shows_as_that_devices_loss(
    db: psycopg.Connection[Any], city: City, broker: BrokerAddress, database_url: str,
    mqtt_url: str, topic_prefix: str,
) -> None:  # fmt: skip
    """An unregistered device's readings are refused: its loss is listed, the rest is whole."""
    gone = city.devices[0].id
    db.execute("DELETE FROM devices WHERE id = %s", (gone,))
    options = LoadOptions(publishers=2, count=120, qos=1, settle_s=5)
    with ingest_running(database_url, mqtt_url, topic_prefix):
        report = run_load(db, city, broker, topic_prefix, options)
    assert (report.published, report.stored, report.rejected) == (120, 100, 20)
    assert report.losses == (DeviceLoss(gone, published=20, stored=0, rejected=20),)
    assert report.missing == 0
    assert report.settled
    assert "20 refused by the ingest" in report.verdict()
    assert any(line.lstrip().startswith(gone) for line in report.table())


@pytest.mark.parametrize(
    ("qos", "allowed"),
    [(0, "which QoS 0 allows"), (1, "QoS 1 must not lose them")],
)
def test_messages_nobody_stores_are_missing_and_the_verdict_names_the_qos(
    db: psycopg.Connection[Any], city: City, broker: BrokerAddress, topic_prefix: str,
    qos: int, allowed: str,
) -> None:  # fmt: skip
    """With no ingest subscribed every message is missing; only QoS 0 permits that."""
    options = LoadOptions(publishers=2, count=60, qos=qos, settle_s=0.5)
    report = run_load(db, city, broker, topic_prefix, options)
    assert (report.published, report.stored, report.rejected, report.missing) == (60, 0, 0, 60)
    assert report.acknowledged == (60 if qos else None)
    assert not report.settled
    assert {loss.device_id for loss in report.losses} == {d.id for d in city.devices}
    assert all(loss.missing == 10 for loss in report.losses)
    assert allowed in report.verdict()
    assert report.latency is None


def test_as_fast_as_possible_for_a_duration_stops_by_itself(
    db: psycopg.Connection[Any], city: City, broker: BrokerAddress, database_url: str,
    mqtt_url: str, topic_prefix: str,
) -> None:  # fmt: skip
    """Without a rate the clock ends the run: stopped by the duration, and all of it stored."""
    options = LoadOptions(publishers=2, duration_s=0.5, qos=1, window=50, settle_s=10)
    with ingest_running(database_url, mqtt_url, topic_prefix):
        report = run_load(db, city, broker, topic_prefix, options)
    assert report.stopped_by == "duration"
    assert report.planned is None
    assert report.published > 0
    assert report.publish_s >= 0.5
    assert report.stored == report.acknowledged == report.published


def test_the_deadline_cuts_a_run_short(
    db: psycopg.Connection[Any], city: City, broker: BrokerAddress, topic_prefix: str
) -> None:
    """A count that would take 50 s at its rate ends at the deadline with what went out."""
    options = LoadOptions(publishers=2, rate=200, count=10_000, deadline_s=0.5, settle_s=0.2)
    report = run_load(db, city, broker, topic_prefix, options)
    assert report.stopped_by == "deadline"
    assert report.planned == 10_000
    # the limiter sends what was due by the deadline: at most 0.5 s x 200 msg/s, one each early
    assert 0 < report.published <= 102
    assert report.publish_s >= 0.5


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"publishers": 0, "count": 1}, "publishers must be at least 1"),
        ({"qos": 2, "count": 1}, "qos must be 0 or 1"),
        ({}, "give either a count or a duration"),
        ({"count": 5, "duration_s": 1.0}, "give either a count or a duration"),
        ({"count": 0}, "count must be at least 1"),
        ({"count": 5, "rate": 0.0}, "rate must be a positive number"),
        ({"count": 5, "rate": float("nan")}, "rate must be a positive number"),
        ({"duration_s": -1.0}, "duration must be a positive number"),
        ({"duration_s": float("inf")}, "duration must be a positive number"),
        ({"count": 5, "deadline_s": 0.0}, "deadline must be a positive number"),
        ({"count": 5, "window": 0}, "window must be within 1..65535"),
        ({"count": 5, "settle_s": -1.0}, "settle_s must be a number >= 0"),
    ],
)
def test_bad_options_are_refused(options: dict[str, Any], message: str) -> None:
    """Each bad option raises ValueError naming it."""
    with pytest.raises(ValueError, match=message):
        LoadOptions(**options)


def test_more_publishers_than_devices_are_refused(
    db: psycopg.Connection[Any], city: City, broker: BrokerAddress, topic_prefix: str
) -> None:
    """Each device publishes on one connection, so seven publishers cannot share six devices."""
    with pytest.raises(ValueError, match="at most as many publishers as devices"):
        run_load(db, city, broker, topic_prefix, LoadOptions(publishers=7, count=10))


def test_an_unreachable_broker_fails_before_anything_is_published(
    db: psycopg.Connection[Any], city: City, topic_prefix: str
) -> None:
    """Nobody listens on the port: a PublishError naming the broker, not a hang."""
    nowhere = BrokerAddress("127.0.0.1", free_port())
    with pytest.raises(PublishError, match=f"cannot reach the broker at 127.0.0.1:{nowhere.port}"):
        run_load(db, city, nowhere, topic_prefix, LoadOptions(publishers=1, count=10))


# --- the command ---------------------------------------------------------------------------------


def test_the_loadtest_command_reports_as_json(
    db: psycopg.Connection[Any], database_url: str, mqtt_url: str, topic_prefix: str,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """`curbside loadtest` registers the city of the settings and prints the report as JSON."""
    monkeypatch.setenv("CURBSIDE_DATABASE_URL", database_url)
    monkeypatch.setenv("CURBSIDE_MQTT_URL", mqtt_url)
    monkeypatch.setenv("CURBSIDE_TOPIC_PREFIX", topic_prefix)
    argv = ["loadtest", "--count", "40", "--bins", "4", "--publishers", "2", "--json"]
    with ingest_running(database_url, mqtt_url, topic_prefix):
        assert main(argv) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["published"], document["stored"], document["devices"]) == (40, 40, 4)
    row = db.execute("SELECT count(*) FROM devices").fetchone()
    assert row is not None
    assert row[0] == 4


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--count", "5", "--rate", "-3"], "rate must be a positive number"),
        (["--duration", "0"], "duration must be a positive number"),
        (["--count", "5", "--settle", "-1"], "settle_s must be a number >= 0"),
    ],
)
def test_the_command_refuses_bad_options_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad values stop the command before it connects to anything, with the reason."""
    assert main(["loadtest", *argv]) == 1
    assert f"curbside: error: {message}" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [["--count", "5", "--duration", "2"], ["--rate", "10"], ["--count", "5", "--qos", "2"]],
)
def test_the_command_needs_one_amount_and_a_known_qos(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A count and a duration together, neither of them, or QoS 2: a usage error."""
    with pytest.raises(SystemExit) as exit_info:
        main(["loadtest", *argv])
    assert exit_info.value.code == 2
    assert "usage: curbside loadtest" in capsys.readouterr().err
