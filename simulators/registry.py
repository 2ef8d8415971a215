"""A simulated city into the database: bins, devices, depots, disposal facilities, vehicles.

Upserts by id in one transaction, so importing the same city again changes nothing and an
edited city updates its rows. Rows of other ids are left alone. The connection's life is the
caller's. Every field with a column goes in (a plant's hours, unloading time and streams; a
vehicle's capacities, shift, costs and streams; a bin's schedule, calendar for household
wheelie bins and by need for the rest, and its round weekday); a vehicle's kind has none and
stays in the city file.
"""

from __future__ import annotations

from typing import Any

import psycopg

from simulators.city import City


def _upsert(table: str, columns: tuple[str, ...]) -> str:
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in columns[1:])
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT (id) DO UPDATE SET {updates}"
    )


_BINS = _upsert(
    "bins",
    (
        "id", "lat", "lon", "address", "waste_stream", "volume_l",
        "empty_distance_mm", "full_distance_mm", "blind_zone_mm", "schedule", "round_weekday",
    ),
)  # fmt: skip
_DEVICES = _upsert("devices", ("id", "sensor_model", "bin_id", "report_interval_s", "dev_eui"))
# DevEUIs are unique: the city's devices give theirs up first, so that two of them may trade.
_RELEASE_DEV_EUIS = "UPDATE devices SET dev_eui = NULL WHERE id = ANY(%s) AND dev_eui IS NOT NULL"
_DEPOTS = _upsert("depots", ("id", "name", "lat", "lon"))
_FACILITIES = _upsert(
    "disposal_facilities",
    ("id", "name", "lat", "lon", "opens_at", "closes_at", "unload_s", "waste_streams"),
)
_VEHICLES = _upsert(
    "vehicles",
    (
        "id", "depot_id", "capacity_l", "capacity_kg", "shift_start", "shift_end",
        "cost_per_km", "cost_per_hour", "waste_streams",
    ),
)  # fmt: skip


def import_city(conn: psycopg.Connection[Any], city: City) -> None:
    """Insert or update every bin, device, depot, facility and vehicle of the city."""
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            _BINS,
            [
                (
                    b.id, b.lat, b.lon, b.address, b.waste_stream, b.volume_l,
                    b.empty_distance_mm, b.full_distance_mm, b.blind_zone_mm, b.schedule,
                    b.round_weekday,
                )
                for b in city.bins
            ],
        )  # fmt: skip
        cur.execute(_RELEASE_DEV_EUIS, ([d.id for d in city.devices],))
        cur.executemany(
            _DEVICES,
            [
                (d.id, d.sensor_model, d.bin_id, d.report_interval_s, d.dev_eui)
                for d in city.devices
            ],
        )
        cur.executemany(_DEPOTS, [(d.id, d.name, d.lat, d.lon) for d in city.depots])
        cur.executemany(
            _FACILITIES,
            [
                (
                    f.id, f.name, f.lat, f.lon, f.opens_at, f.closes_at, f.unload_s,
                    list(f.waste_streams),
                )
                for f in city.facilities
            ],
        )  # fmt: skip
        cur.executemany(
            _VEHICLES,
            [
                (
                    v.id, v.depot_id, v.capacity_l, v.capacity_kg, v.shift_start, v.shift_end,
                    v.cost_per_km, v.cost_per_hour, list(v.waste_streams),
                )
                for v in city.vehicles
            ],
        )  # fmt: skip
