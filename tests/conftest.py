"""Fixtures for tests that talk to real services.

The session starts a throwaway TimescaleDB cluster and a Mosquitto broker on free ports,
unless `CURBSIDE_TEST_DATABASE_URL` / `CURBSIDE_TEST_MQTT_URL` name instances to use. A
service that cannot be started fails the tests that need it; nothing is skipped.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path

import psycopg
import pytest

from curbside import BrokerAddress, migrate
from curbside.runtime import LocalMosquitto, LocalPostgres, free_port

DATA_DIR = Path(__file__).parent / "data"

# Tables emptied before each test that uses `db`; schema_migrations is kept.
_TABLES = (
    "events, collections, device_assignments, plan_omissions, plan_stops, plan_routes, plans, "
    "resident_reports, api_keys, vehicles, disposal_facilities, depots, holidays, "
    "ingest_rejects, readings, devices, bins"
)


@pytest.fixture(scope="session")
def services_dir() -> Iterator[Path]:
    """A folder the database and broker users can reach (pytest's own tmp is private)."""
    path = Path(tempfile.mkdtemp(prefix="curbside-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def database_url(services_dir: Path) -> Iterator[str]:
    """A migrated TimescaleDB database for the whole test session."""
    configured = os.environ.get("CURBSIDE_TEST_DATABASE_URL")
    if configured:
        migrate.upgrade(configured)
        yield configured
        return
    cluster = LocalPostgres(services_dir / "postgres", free_port(), durable=False)
    cluster.start()
    try:
        migrate.upgrade(cluster.url)
        yield cluster.url
    finally:
        cluster.stop()


@pytest.fixture
def db(database_url: str) -> Iterator[psycopg.Connection]:
    """A connection to a database whose tables were emptied for this test."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {_TABLES} RESTART IDENTITY CASCADE")
        yield conn


@pytest.fixture(scope="session")
def mqtt_url(services_dir: Path) -> Iterator[str]:
    """A Mosquitto broker for the whole test session."""
    configured = os.environ.get("CURBSIDE_TEST_MQTT_URL")
    if configured:
        yield configured
        return
    broker = LocalMosquitto(services_dir / "mosquitto", free_port(), persistent=False)
    broker.start()
    try:
        yield broker.url
    finally:
        broker.stop()


@pytest.fixture
def broker(mqtt_url: str) -> BrokerAddress:
    return BrokerAddress.parse(mqtt_url)


@pytest.fixture
def topic_prefix() -> str:
    """A topic prefix of this test's own, so tests never see each other's messages."""
    return f"test-{uuid.uuid4().hex[:12]}/v1"


# --- rows for planning tests: a depot, vehicles and bins placed by km from the depot -------

DEPOT_LAT, DEPOT_LON = 45.0, 7.0
KM_LAT = 1 / 111.195
"""Degrees of latitude per km."""
KM_LON = KM_LAT / 0.70711
"""Degrees of longitude per km at 45°N."""


@pytest.fixture
def add_bin(db: psycopg.Connection) -> Callable[..., None]:
    """`add_bin(id, north_km, east_km, readings=[(measured_at, fill_pct)], volume_l=1000,
    stream="residual")`: a bin near the depot in the database, with its readings."""

    def add(
        bin_id: str,
        north_km: float,
        east_km: float,
        readings: Sequence[tuple[datetime, float | None]] = (),
        volume_l: float = 1000.0,
        stream: str = "residual",
    ) -> None:
        db.execute(
            "INSERT INTO bins (id, lat, lon, waste_stream, volume_l, empty_distance_mm,"
            " full_distance_mm) VALUES (%s, %s, %s, %s, %s, 1500, 200)",
            (bin_id, DEPOT_LAT + north_km * KM_LAT, DEPOT_LON + east_km * KM_LON, stream, volume_l),
        )
        with db.cursor() as cur:
            cur.executemany(
                "INSERT INTO readings (device_id, bin_id, measured_at, received_at, fill_pct,"
                " distance_mm) VALUES (%s, %s, %s, %s, %s, 800)",
                [(f"dev-{bin_id}", bin_id, at, at, fill) for at, fill in readings],
            )

    return add


@pytest.fixture
def add_depot(db: psycopg.Connection) -> Callable[..., None]:
    """`add_depot(id="depot", north_km=0, east_km=0)`: a depot in the database."""

    def add(depot_id: str = "depot", north_km: float = 0.0, east_km: float = 0.0) -> None:
        db.execute(
            "INSERT INTO depots (id, name, lat, lon) VALUES (%s, %s, %s, %s)",
            (
                depot_id,
                f"Depot {depot_id}",
                DEPOT_LAT + north_km * KM_LAT,
                DEPOT_LON + east_km * KM_LON,
            ),
        )

    return add


@pytest.fixture
def add_vehicle(db: psycopg.Connection) -> Callable[..., None]:
    """`add_vehicle(id, capacity_l=1000, depot="depot", shift=("06:00", "14:00"), streams=())`."""

    def add(
        vehicle_id: str,
        capacity_l: float = 1000.0,
        depot: str = "depot",
        shift: tuple[str, str] = ("06:00", "14:00"),
        streams: Sequence[str] = (),
        cost_per_km: float = 1.0,
    ) -> None:
        db.execute(
            "INSERT INTO vehicles (id, depot_id, capacity_l, capacity_kg, shift_start, shift_end,"
            " cost_per_km, waste_streams) VALUES (%s, %s, %s, 10000, %s, %s, %s, %s)",
            (vehicle_id, depot, capacity_l, shift[0], shift[1], cost_per_km, list(streams)),
        )

    return add
