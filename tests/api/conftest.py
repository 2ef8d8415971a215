"""Fixtures for the API tests: an app on the real test database, and a few rows in it."""

from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient

from api import ApiSettings, create_app


@pytest.fixture
def client(db: psycopg.Connection, database_url: str) -> Iterator[TestClient]:
    """A client of the API running on the emptied test database."""
    with TestClient(create_app(ApiSettings(database_url=database_url))) as test_client:
        yield test_client


@pytest.fixture
def two_bins(db: psycopg.Connection) -> None:
    """bin-a (residual, readings at 20% then 80%) and bin-b (paper, no readings)."""
    db.execute(
        """INSERT INTO bins (id, lat, lon, address, waste_stream, volume_l,
                             empty_distance_mm, full_distance_mm)
           VALUES ('bin-a', 51.05, 3.72, 'Korenmarkt 1', 'residual', 240, 1000, 200),
                  ('bin-b', 51.06, 3.73, 'Veldstraat 9', 'paper', 1100, 1300, 250)"""
    )
    db.execute("INSERT INTO devices (id, sensor_model, bin_id) VALUES ('dev-a', 'x', 'bin-a')")
    db.execute(
        """INSERT INTO readings (device_id, bin_id, measured_at, received_at, fill_pct)
           VALUES ('dev-a', 'bin-a', '2026-11-25T08:00Z', '2026-11-25T08:00:01Z', 20),
                  ('dev-a', 'bin-a', '2026-11-26T08:00Z', '2026-11-26T08:00:01Z', 80)"""
    )
