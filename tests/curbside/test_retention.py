"""Tests of curbside/retention.py against the test database (a TimescaleDB hypertable)."""

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from curbside.retention import prune_readings

NOW = datetime.now(UTC)


def _reading(db: psycopg.Connection, device_id: str, measured_at: datetime) -> None:
    db.execute(
        "INSERT INTO readings (device_id, measured_at, received_at, fill_pct)"
        " VALUES (%s, %s, %s, 50)",
        (device_id, measured_at, measured_at),
    )


def test_readings_older_than_kept_are_removed(db: psycopg.Connection) -> None:
    """A reading of 500 days ago goes (its chunk holds nothing younger); those of 30 days
    ago and of today stay."""
    _reading(db, "old", NOW - timedelta(days=500))
    _reading(db, "month", NOW - timedelta(days=30))
    _reading(db, "today", NOW)
    said = prune_readings(db, timedelta(days=400))
    assert said.startswith("1 ")
    kept = db.execute("SELECT device_id FROM readings ORDER BY measured_at").fetchall()
    assert kept == [("month",), ("today",)]


def test_keeping_nothing_is_refused(db: psycopg.Connection) -> None:
    with pytest.raises(ValueError, match="positive"):
        prune_readings(db, timedelta(0))
