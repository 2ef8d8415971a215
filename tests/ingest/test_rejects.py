"""Tests of ingest/rejects.py: listing, counting and replaying rejects in the real database."""

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from ingest import (
    Message,
    ReplayReport,
    list_rejects,
    load_registry,
    process,
    replay_rejects,
    summarize_rejects,
    write_batch,
)
from ingest.rejects import RejectRow

PREFIX = "c/v1"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
READING = b'{"ts": "2026-11-27T11:00:00Z", "distance_mm": 600}'


def receive(conn: psycopg.Connection, device_id: str, payload: bytes, at: datetime = NOW) -> None:
    """A message through the ingest path: a reading, or a reject."""
    message = Message(f"{PREFIX}/devices/{device_id}/up", payload, at)
    write_batch(conn, process([message], load_registry(conn), PREFIX))


def open_rejects(conn: psycopg.Connection) -> list[tuple[str, str]]:
    rows = conn.execute(
        "SELECT reason, detail FROM ingest_rejects WHERE resolved_at IS NULL ORDER BY id"
    ).fetchall()
    return [(reason, detail) for reason, detail in rows]


def readings(conn: psycopg.Connection) -> list[tuple[str, str, float]]:
    rows = conn.execute("SELECT device_id, bin_id, fill_pct FROM readings ORDER BY 1, 2").fetchall()
    return [(device, bin_id, fill) for device, bin_id, fill in rows]


def register(conn: psycopg.Connection, device_id: str) -> None:
    conn.execute(
        "INSERT INTO bins (id, lat, lon, waste_stream, volume_l, empty_distance_mm,"
        " full_distance_mm) VALUES ('bin-7', 51.0, 3.7, 'paper', 240, 1000, 200)"
    )
    conn.execute(
        "INSERT INTO devices (id, sensor_model, bin_id) VALUES (%s, 'canonical-json', 'bin-7')",
        (device_id,),
    )


def test_a_reject_replayed_after_registering_its_device_is_stored_once(
    db: psycopg.Connection,
) -> None:
    """The reading is stored with its bin, the reject marked resolved, not deleted."""
    receive(db, "dev-7", READING)
    assert open_rejects(db) == [("unknown_device", "dev-7")]
    register(db, "dev-7")
    report = replay_rejects(db, PREFIX)
    assert report == ReplayReport(examined=1, resolved=1, inserted=1)
    assert readings(db) == [("dev-7", "bin-7", 50.0)]
    resolved = db.execute("SELECT resolved_at IS NOT NULL, resolution FROM ingest_rejects")
    assert resolved.fetchall() == [(True, "replayed")]


def test_replaying_again_changes_nothing(db: psycopg.Connection) -> None:
    """Resolved rejects are not replayed: a second run stores nothing and resolves nothing."""
    receive(db, "dev-7", READING)
    register(db, "dev-7")
    replay_rejects(db, PREFIX)
    assert replay_rejects(db, PREFIX) == ReplayReport()
    assert len(readings(db)) == 1


def test_a_reject_that_fails_again_stays_open(
    db: psycopg.Connection, registered_device: str
) -> None:
    """A payload that still cannot be decoded keeps its reject open, unchanged."""
    receive(db, registered_device, b"{oops")
    before = open_rejects(db)
    report = replay_rejects(db, PREFIX)
    assert report == ReplayReport(examined=1, still_rejected=Counter(malformed_json=1))
    assert open_rejects(db) == before
    assert readings(db) == []


def test_a_reject_failing_for_a_new_reason_is_updated(db: psycopg.Connection) -> None:
    """A known device's malformed payload now says so instead of `unknown_device`."""
    receive(db, "dev-7", b"{oops")
    register(db, "dev-7")
    replay_rejects(db, PREFIX)
    [(reason, detail)] = open_rejects(db)
    assert reason == "malformed_json"
    assert detail != "dev-7"


def test_a_reading_already_stored_resolves_its_reject_without_a_second_row(
    db: psycopg.Connection,
) -> None:
    """A reject whose reading arrived again later is resolved as a duplicate."""
    receive(db, "dev-7", READING)
    register(db, "dev-7")
    receive(db, "dev-7", READING, NOW + timedelta(minutes=5))
    report = replay_rejects(db, PREFIX)
    assert report == ReplayReport(examined=1, resolved=1, duplicates=1)
    assert len(readings(db)) == 1
    assert open_rejects(db) == []


def test_rejects_are_replayed_in_chunks_past_the_ones_that_fail(db: psycopg.Connection) -> None:
    """Failures left open in one chunk do not stop or repeat the next chunks."""
    for minute in range(7):
        payload = b"{oops" if minute % 3 == 0 else b'{"distance_mm": %d}' % (300 + minute)
        receive(db, "dev-7", payload, NOW + timedelta(minutes=minute))
    register(db, "dev-7")
    report = replay_rejects(db, PREFIX, chunk_size=2)
    assert report == ReplayReport(
        examined=7, resolved=4, inserted=4, still_rejected=Counter(malformed_json=3)
    )
    assert len(readings(db)) == 4


def test_replay_takes_only_the_chosen_rejects(db: psycopg.Connection) -> None:
    """`reason`, `since` and `limit` narrow the rejects replayed, oldest first."""
    for minute in range(3):
        payload = b'{"distance_mm": %d}' % (300 + minute)
        receive(db, "dev-7", payload, NOW + timedelta(minutes=minute))
    receive(db, "dev-7", b"{oops", NOW + timedelta(minutes=9))
    register(db, "dev-7")
    assert replay_rejects(db, PREFIX, reason="malformed_json").examined == 0
    assert replay_rejects(db, PREFIX, since=NOW + timedelta(minutes=2), limit=1).resolved == 1
    assert replay_rejects(db, PREFIX, limit=1).resolved == 1
    measured = db.execute("SELECT received_at FROM readings ORDER BY received_at").fetchall()
    assert measured == [(NOW,), (NOW + timedelta(minutes=2),)]


@pytest.fixture
def failing_resolution(db: psycopg.Connection) -> Iterator[None]:
    """A trigger that makes marking a reject resolved fail, as a crash would."""
    db.execute(
        "CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN RAISE EXCEPTION 'refused'; END $$"
    )
    db.execute(
        "CREATE TRIGGER test_refuse BEFORE UPDATE ON ingest_rejects"
        " FOR EACH ROW EXECUTE FUNCTION test_refuse()"
    )
    try:
        yield
    finally:
        db.execute("DROP TRIGGER test_refuse ON ingest_rejects")
        db.execute("DROP FUNCTION test_refuse()")


def test_a_chunk_that_fails_stores_nothing(
    db: psycopg.Connection, failing_resolution: None
) -> None:
    """Readings and resolution commit together: a failed chunk leaves the reject open, alone."""
    receive(db, "dev-7", READING)
    register(db, "dev-7")
    with pytest.raises(psycopg.errors.RaiseException):
        replay_rejects(db, PREFIX)
    assert readings(db) == []
    assert open_rejects(db) == [("unknown_device", "dev-7")]


def test_list_shows_the_newest_open_rejects_first(db: psycopg.Connection) -> None:
    """Filters by reason, time and state; newest first; at most `limit`."""
    receive(db, "dev-7", b"{oops", NOW)
    receive(db, "dev-8", READING, NOW + timedelta(minutes=1))
    receive(db, "dev-9", READING, NOW + timedelta(minutes=2))
    db.execute("UPDATE ingest_rejects SET resolved_at = now() WHERE topic LIKE '%dev-9%'")
    listed = list_rejects(db)
    assert [(r.topic, r.reason) for r in listed] == [
        ("c/v1/devices/dev-8/up", "unknown_device"),
        ("c/v1/devices/dev-7/up", "unknown_device"),
    ]
    assert listed[0].payload == READING
    assert len(list_rejects(db, include_resolved=True)) == 3
    assert [r.topic for r in list_rejects(db, since=NOW + timedelta(seconds=1))] == [
        "c/v1/devices/dev-8/up"
    ]
    assert list_rejects(db, reason="malformed_json") == []
    assert len(list_rejects(db, limit=1)) == 1


def test_summary_counts_open_rejects_by_reason(
    db: psycopg.Connection, registered_device: str
) -> None:
    """The most frequent reason first; resolved rejects are not counted."""
    for payload in (b"{oops", b"[]", b"{still oops"):
        receive(db, registered_device, payload)
    receive(db, "dev-8", READING)
    db.execute("UPDATE ingest_rejects SET resolved_at = now() WHERE reason = 'empty_payload'")
    assert summarize_rejects(db) == [("malformed_json", 2), ("unknown_device", 1)]


@pytest.mark.parametrize(
    ("payload", "width", "preview"),
    [
        (b'{"fill_pct": 10}', 40, '{"fill_pct": 10}'),
        (b"\x00\xffab\ncd", 40, "\\x00\\xffab\\ncd"),
        (b"0123456789", 5, "0123…"),
    ],
)
def test_a_payload_preview_is_one_printable_line(payload: bytes, width: int, preview: str) -> None:
    """Control characters and bytes that are no UTF-8 are escaped, long payloads cut."""
    reject = RejectRow(1, NOW, "t", payload, "malformed_json", "")
    assert reject.preview(width) == preview


@pytest.mark.parametrize(
    "call",
    [
        lambda conn: list_rejects(conn, limit=0),
        lambda conn: list_rejects(conn, since=datetime(2026, 1, 1)),
        lambda conn: replay_rejects(conn, PREFIX, limit=0),
        lambda conn: replay_rejects(conn, PREFIX, chunk_size=0),
    ],
)
def test_bad_arguments_are_refused(
    db: psycopg.Connection, call: Callable[[psycopg.Connection], object]
) -> None:
    """A limit below one or a time without an offset raises ValueError."""
    with pytest.raises(ValueError, match=r"must be >= 1|UTC offset"):
        call(db)
