"""Tests of curbside/migrate.py against real clusters, with and without TimescaleDB."""

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from curbside import MigrationError, migrate
from curbside.runtime import LocalPostgres, free_port


@pytest.fixture
def scratch_database(database_url: str) -> Iterator[str]:
    """An empty database of its own on the test cluster."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS scratch")
        conn.execute("CREATE DATABASE scratch")
    yield database_url.rsplit("/", 1)[0] + "/scratch"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP DATABASE scratch WITH (FORCE)")


def test_upgrade_applies_once_and_records_versions(scratch_database: str) -> None:
    """A second upgrade applies nothing; every shipped version is recorded."""
    first = migrate.upgrade(scratch_database)
    second = migrate.upgrade(scratch_database)
    assert [m.version for m in first] == [m.version for m in migrate.available()]
    assert second == []
    with psycopg.connect(scratch_database) as conn:
        assert migrate.applied_versions(conn) == {m.version for m in first}
        assert migrate.timescaledb_version(conn) is not None


def test_a_failing_migration_leaves_nothing_behind(scratch_database: str) -> None:
    """A migration that fails half-way is rolled back whole and not recorded."""
    bad = migrate.Migration(1, "bad", "CREATE TABLE half (x int); SELECT * FROM missing_table;")
    with pytest.raises(MigrationError, match="0001_bad"):
        migrate.upgrade(scratch_database, [bad])
    with psycopg.connect(scratch_database) as conn:
        assert migrate.applied_versions(conn) == set()
        assert conn.execute("SELECT to_regclass('half')").fetchone() == (None,)


def test_readings_is_a_hypertable_with_timescaledb(db: psycopg.Connection) -> None:
    """On the TimescaleDB test cluster, readings is partitioned by measurement time."""
    row = db.execute(
        "SELECT column_name FROM timescaledb_information.dimensions"
        " WHERE hypertable_name = 'readings'"
    ).fetchone()
    assert row == ("measured_at",)


def test_plain_postgresql_gets_the_same_schema(services_dir: Path) -> None:
    """Without TimescaleDB preloaded the schema applies as plain tables and still dedupes."""
    cluster = LocalPostgres(services_dir / "plain", free_port(), durable=False, timescaledb=False)
    cluster.start()
    try:
        migrate.upgrade(cluster.url)
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            assert migrate.timescaledb_version(conn) is None
            for _ in range(2):
                conn.execute(
                    "INSERT INTO readings (device_id, measured_at, received_at, fill_pct)"
                    " VALUES ('d', '2026-01-01T00:00Z', now(), 5) ON CONFLICT DO NOTHING"
                )
            assert conn.execute("SELECT count(*) FROM readings").fetchone() == (1,)
    finally:
        cluster.stop()
