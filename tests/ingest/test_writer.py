"""Tests of ingest/writer.py against the real database."""

from datetime import UTC, datetime, timedelta

import psycopg

from ingest import Batch, Message, load_registry, process, write_batch
from ingest.events import EventRules
from ingest.writer import silent_sweep

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
TOPIC = "c/v1/devices/dev-1/up"


def batch_of(conn: psycopg.Connection, *payloads: bytes) -> Batch:
    messages = [Message(TOPIC, p, NOW, i) for i, p in enumerate(payloads)]
    return process(messages, load_registry(conn), "c/v1")


def test_a_reading_written_twice_is_stored_once(
    db: psycopg.Connection, registered_device: str
) -> None:
    """Duplicates, within a batch and across batches, leave one row."""
    payload = (
        b'{"ts": "2026-11-27T11:00:00Z", "distance_mm": 600, "battery_pct": 90, "seq": 5, "x": 1}'
    )
    first = write_batch(db, batch_of(db, payload, payload))
    second = write_batch(db, batch_of(db, payload))
    assert (first.inserted, first.duplicates) == (1, 1)
    assert (second.inserted, second.duplicates) == (0, 1)
    rows = db.execute(
        "SELECT device_id, bin_id, fill_pct, battery_pct, seq, extra FROM readings"
    ).fetchall()
    assert rows == [("dev-1", "bin-1", 50.0, 90.0, 5, {"x": 1})]


def test_rejects_are_stored_with_topic_payload_and_reason(
    db: psycopg.Connection, registered_device: str
) -> None:
    """A malformed message ends in the rejects table, raw bytes intact."""
    result = write_batch(db, batch_of(db, b"\x00garbage", b'{"fill_pct": 10}'))
    assert (result.inserted, result.rejected) == (1, 1)
    rejects = db.execute("SELECT topic, payload, reason, detail FROM ingest_rejects").fetchall()
    assert len(rejects) == 1
    topic, payload, reason, detail = rejects[0]
    assert (topic, bytes(payload), reason) == (TOPIC, b"\x00garbage", "malformed_json")
    assert detail


def test_new_readings_derive_events_and_collections_once(
    db: psycopg.Connection, registered_device: str
) -> None:
    """An emptying and a low battery are recorded; writing the batch again adds nothing."""
    batch = batch_of(
        db,
        b'{"ts": "2026-11-27T08:00:00Z", "fill_pct": 85, "battery_pct": 40}',
        b'{"ts": "2026-11-27T09:00:00Z", "fill_pct": 4, "battery_pct": 9}',
    )
    first = write_batch(db, batch, EventRules())
    again = write_batch(db, batch, EventRules())
    assert first.events_by_kind == {"emptied": 1, "battery_low": 1}
    assert again.events_by_kind == {}
    events = db.execute("SELECT kind, bin_id FROM events ORDER BY kind").fetchall()
    assert events == [("battery_low", "bin-1"), ("emptied", "bin-1")]
    collections = db.execute("SELECT bin_id, fill_before, fill_after, source FROM collections")
    assert collections.fetchall() == [("bin-1", 85.0, 4.0, "sensor")]


def test_a_later_batch_compares_with_the_stored_reading_before_it(
    db: psycopg.Connection, registered_device: str
) -> None:
    """The emptying is found across batches: the previous level comes from the table."""
    write_batch(db, batch_of(db, b'{"ts": "2026-11-27T08:00:00Z", "fill_pct": 90}'), EventRules())
    result = write_batch(
        db, batch_of(db, b'{"ts": "2026-11-27T09:00:00Z", "fill_pct": 2}'), EventRules()
    )
    assert result.events_by_kind == {"emptied": 1}


def test_a_frame_counter_repeated_without_a_timestamp_is_a_duplicate(
    db: psycopg.Connection, registered_device: str
) -> None:
    """Readings timed on receipt are de-duplicated on their frame counter instead."""
    first = process(
        [Message(TOPIC, b'{"fill_pct": 10, "seq": 7}', NOW, 1)], load_registry(db), "c/v1"
    )
    later = NOW + timedelta(seconds=30)
    again = process(
        [Message(TOPIC, b'{"fill_pct": 10, "seq": 7}', later, 2)], load_registry(db), "c/v1"
    )
    assert write_batch(db, first).inserted == 1
    assert write_batch(db, again).duplicates == 1
    assert db.execute("SELECT count(*) FROM readings").fetchone() == (1,)


def test_silent_devices_are_found_once(db: psycopg.Connection, registered_device: str) -> None:
    """A device quiet for three intervals gets one silent event, however often we look."""
    now = datetime.now(UTC)  # the sweep measures silence against the database's clock
    old = (now - timedelta(hours=5)).isoformat()
    message = Message(TOPIC, f'{{"ts": "{old}", "fill_pct": 30}}'.encode(), now, 0)
    assert write_batch(db, process([message], load_registry(db), "c/v1")).inserted == 1
    assert silent_sweep(db, after_intervals=3) == 1
    assert silent_sweep(db, after_intervals=3) == 0
    row = db.execute("SELECT device_id, kind FROM events").fetchall()
    assert row == [("dev-1", "silent")]
