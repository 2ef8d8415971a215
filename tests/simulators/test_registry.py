"""Tests of simulators/registry.py: a city into the real database."""

import dataclasses

import psycopg

from simulators import generate_city, import_city

CITY = generate_city(bins=30, seed=5)
TABLES = ("bins", "devices", "depots", "disposal_facilities", "vehicles")


def snapshot(conn: psycopg.Connection) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the city's tables, creation times left out."""
    return {
        table: conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
        for table in ("depots", "disposal_facilities", "vehicles")
    } | {"bins": conn.execute("SELECT id, lat, lon, volume_l FROM bins ORDER BY id").fetchall()}


def counts(conn: psycopg.Connection) -> dict[str, int]:
    return {
        table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
        for table in TABLES
    }


def test_importing_twice_gives_the_same_rows(db: psycopg.Connection) -> None:
    """A second import of the same city adds nothing and changes nothing."""
    import_city(db, CITY)
    first = counts(db), snapshot(db)
    import_city(db, CITY)
    assert (counts(db), snapshot(db)) == first
    assert first[0] == {
        "bins": 30,
        "devices": 30,
        "depots": 1,
        "disposal_facilities": 4,
        "vehicles": 6,
    }


def test_a_city_of_one_bin_imports(db: psycopg.Connection) -> None:
    """The smallest city registers its bin with the whole fleet and every plant."""
    city = generate_city(bins=1, seed=2)
    import_city(db, city)
    assert counts(db) == {
        "bins": 1,
        "devices": 1,
        "depots": 1,
        "disposal_facilities": 4,
        "vehicles": 6,
    }


def test_rows_carry_the_city_values(db: psycopg.Connection) -> None:
    """Geometry, device links, plants' hours and streams, the fleet's capacities land in their
    columns."""
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
        "SELECT bin_id, report_interval_s FROM devices WHERE id = 'dev-0001'"
    ).fetchone()
    assert device == ("bin-0001", CITY.devices[0].report_interval_s)
    facilities = db.execute(
        "SELECT id, name, opens_at, closes_at, unload_s, waste_streams"
        " FROM disposal_facilities ORDER BY id"
    ).fetchall()
    assert facilities == sorted(
        (f.id, f.name, f.opens_at, f.closes_at, f.unload_s, list(f.waste_streams))
        for f in CITY.facilities
    )
    vehicles = db.execute(
        "SELECT id, depot_id, capacity_l, capacity_kg, shift_start, shift_end, cost_per_km,"
        " cost_per_hour, waste_streams FROM vehicles ORDER BY id"
    ).fetchall()
    assert vehicles == sorted(
        (
            v.id, v.depot_id, v.capacity_l, v.capacity_kg, v.shift_start, v.shift_end,
            v.cost_per_km, v.cost_per_hour, list(v.waste_streams),
        )
        for v in CITY.vehicles
    )  # fmt: skip
    glass = [v for v in vehicles if v[0].startswith("crane-")]
    assert glass
    assert all(v[8] == ["glass"] and v[3] == 12_000.0 for v in glass)
    assert db.execute(
        "SELECT count(*) FROM disposal_facilities WHERE 'bio' = ANY(waste_streams)"
    ).fetchone() == (1,)


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


def test_household_bins_keep_a_calendar_and_the_rest_go_by_need(db: psycopg.Connection) -> None:
    import_city(db, CITY)
    rows = dict(
        ((bin_id, (schedule, weekday)) for bin_id, schedule, weekday in db.execute(
            "SELECT id, schedule, round_weekday FROM bins"
        ))
    )  # fmt: skip
    for b in CITY.bins:
        household = b.waste_stream in {"residual", "bio", "paper", "packaging"}
        expected = "calendar" if household and b.volume_l <= 240 else "need"
        assert rows[b.id] == (expected, b.round_weekday)
    assert {schedule for schedule, _ in rows.values()} == {"calendar", "need"}
