"""Tests of ingest/writer.py against the real database."""

from datetime import UTC, datetime

import psycopg

from ingest import Message, load_registry, process, write_batch

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
TOPIC = "c/v1/devices/dev-1/up"


def batch_of(conn: psycopg.Connection, *payloads: bytes):  # type: ignore[no-untyped-def]
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
