"""Tests of api/residents_index.py: the residents' lookups answer from a copy of the
database that follows its changes, also after the listening connection was lost."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.residents_index import CHANNEL

BIN = """INSERT INTO bins (id, lat, lon, address, waste_stream, volume_l, empty_distance_mm,
                           full_distance_mm, schedule, round_weekday)
         VALUES (%s, 51.05, 3.72, %s, %s, 240, 1000, 200, %s, %s)"""


def _eventually(check: Callable[[], bool], seconds: float = 10.0) -> None:
    """Wait until `check()` holds: a change reaches the copy when its notification does."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the lookups never saw the change"
        time.sleep(0.02)


def _bin_ids(client: TestClient, query: str) -> list[str] | None:
    response = client.get(f"/v1/pickups?{query}")
    return response.json()["bin_ids"] if response.status_code == 200 else None


@pytest.fixture
def korenmarkt(db: psycopg.Connection) -> None:
    db.execute(BIN, ("k1-rest", "Korenmarkt 1", "residual", "calendar", 0))


@pytest.mark.usefixtures("korenmarkt")
def test_a_bin_registered_after_a_lookup_is_found(
    client: TestClient, db: psycopg.Connection
) -> None:
    assert _bin_ids(client, "street=Korenmarkt&number=1") == ["k1-rest"]
    db.execute(BIN, ("k1-paper", "korenmarkt 1", "paper", "calendar", 2))
    _eventually(lambda: _bin_ids(client, "street=Korenmarkt&number=1") == ["k1-paper", "k1-rest"])
    db.execute("DELETE FROM bins WHERE id = 'k1-rest'")
    _eventually(lambda: _bin_ids(client, "bin_id=k1-rest") is None)


def _planned_days(client: TestClient) -> list[str]:
    pickups = client.get("/v1/pickups?bin_id=glass-9&weeks=1").json()["pickups"]
    return [p["day"] for p in pickups]


def _store_plan(db: psycopg.Connection, day: date, version: int, bins: list[str]) -> None:
    plan_id = db.execute(
        "INSERT INTO plans (plan_date, version, solver, distance_m, duration_s)"
        " VALUES (%s, %s, 'ortools', 1000, 3600) RETURNING id",
        (day, version),
    ).fetchone()
    assert plan_id is not None
    db.execute("INSERT INTO plan_routes VALUES (%s, 'c', 1000, 3600, 100)", plan_id)
    for sequence, bin_id in enumerate(bins, 1):
        db.execute(
            "INSERT INTO plan_stops VALUES (%s, 'c', %s, 'bin', %s, %s, 100, 80)",
            (plan_id[0], sequence, bin_id, f"{day}T08:00Z"),
        )


def test_a_new_plan_and_its_next_version_reach_the_pickups(
    client: TestClient, db: psycopg.Connection
) -> None:
    db.execute(BIN, ("glass-9", "Veldstraat 9", "glass", "need", None))
    db.execute("INSERT INTO depots (id, name, lat, lon) VALUES ('d', 'Depot', 51.0, 3.7)")
    db.execute(
        "INSERT INTO vehicles (id, depot_id, capacity_l, capacity_kg) VALUES ('c', 'd', 1e4, 1e4)"
    )
    db.execute(BIN, ("glass-1", "Veldstraat 1", "glass", "need", None))
    tomorrow = date.today() + timedelta(days=1)
    assert _planned_days(client) == []
    _store_plan(db, tomorrow, 1, ["glass-9", "glass-1"])
    _eventually(lambda: _planned_days(client) == [tomorrow.isoformat()])
    _store_plan(db, tomorrow, 2, ["glass-1"])  # the dispatcher took it off the plan
    _eventually(lambda: _planned_days(client) == [])


@pytest.mark.usefixtures("korenmarkt")
def test_the_copy_follows_changes_after_its_listening_connection_was_lost(
    client: TestClient, db: psycopg.Connection
) -> None:
    assert _bin_ids(client, "street=Korenmarkt&number=1") == ["k1-rest"]
    ended = db.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = current_database() AND query = %s",
        (f"LISTEN {CHANNEL}",),
    ).fetchall()
    assert ended == [(True,)]
    db.execute(BIN, ("k1-paper", "Korenmarkt 1", "paper", "calendar", 2))
    _eventually(lambda: _bin_ids(client, "street=Korenmarkt&number=1") == ["k1-paper", "k1-rest"])
