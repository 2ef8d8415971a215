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
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from curbside import BrokerAddress, migrate
from curbside.runtime import LocalMosquitto, LocalPostgres, free_port

DATA_DIR = Path(__file__).parent / "data"

# Tables emptied before each test that uses `db`; schema_migrations is kept.
_TABLES = (
    "events, collections, device_assignments, plan_omissions, plan_stops, plan_routes, plans, "
    "vehicles, disposal_facilities, depots, holidays, "
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
