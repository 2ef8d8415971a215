"""Tests of simulators/registry.py: a city into the real database."""

import dataclasses
from datetime import time

import psycopg

from simulators import generate_city, import_city

CITY = generate_city(bins=30, seed=5)
TABLES = ("bins", "devices", "depots", "disposal_facilities", "vehicles")


def counts(conn: psycopg.Connection) -> dict[str, int]:
    return {
        table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
        for table in TABLES
    }


def test_importing_twice_gives_the_same_rows(db: psycopg.Connection) -> None:
    """A second import of the same city adds nothing."""
    import_city(db, CITY)
    first = counts(db)
    import_city(db, CITY)
    assert (
        counts(db)
        == first
        == {
            "bins": 30,
            "devices": 30,
            "depots": 1,
            "disposal_facilities": 1,
            "vehicles": 2,
        }
    )


def test_rows_carry_the_city_values(db: psycopg.Connection) -> None:
    """Geometry, device links, opening hours and fleet details land in their columns."""
    import_city(db, CITY)
    b = CITY.bins[0]
    row = db.execute(
        "SELECT lat, lon, address, waste_stream, volume_l, empty_distance_mm,"
        " full_distance_mm, blind_zone_mm FROM bins WHERE id = %s",
        (b.id,),
    ).fetchone()
    assert row == (
        b.lat, b.lon, b.address, b.waste_stream, b.volume_l,
        b.empty_distance_mm, b.full_distance_mm, b.blind_zone_mm,
    )  # fmt: skip
    device = db.execute(
        "SELECT sensor_model, bin_id, report_interval_s FROM devices WHERE id = 'dev-0001'"
    ).fetchone()
    assert device == ("canonical-json", "bin-0001", 3600)
    facility = db.execute(
        "SELECT opens_at, closes_at, waste_streams FROM disposal_facilities"
    ).fetchone()
    assert facility == (time(6), time(18), list(CITY.facilities[0].waste_streams))
    vehicle = db.execute(
        "SELECT depot_id, capacity_l, capacity_kg, shift_start, waste_streams FROM vehicles"
        " ORDER BY id LIMIT 1"
    ).fetchone()
    assert vehicle == ("depot-1", 20_000.0, 10_000.0, time(6), [])


def test_an_edited_city_updates_its_rows(db: psycopg.Connection) -> None:
    """Importing a changed city updates the rows in place and leaves other rows alone."""
    import_city(db, CITY)
    db.execute(
        "INSERT INTO bins (id, lat, lon, waste_stream, volume_l, empty_distance_mm,"
        " full_distance_mm) VALUES ('bin-other', 51, 3.7, 'glass', 3000, 1700, 330)"
    )
    moved = dataclasses.replace(CITY.bins[0], address="Markt 1", volume_l=1100.0)
    import_city(db, dataclasses.replace(CITY, bins=(moved, *CITY.bins[1:])))
    row = db.execute("SELECT address, volume_l FROM bins WHERE id = %s", (moved.id,)).fetchone()
    assert row == ("Markt 1", 1100.0)
    assert counts(db)["bins"] == 31
