"""Registering bins and their sensors in bulk, from a CSV file or a GeoJSON FeatureCollection.

Every row is checked first (`ingest.devicefile`); one bad row and nothing is written. The rows
then go through `COPY` into staging tables and two `INSERT ... ON CONFLICT DO UPDATE`
statements, all in one transaction. A device given another bin moves through
`devices.bin_id`, so the trigger on that column keeps its assignment history. A blank optional
value keeps what is stored (or takes the default for a new row); rows of other ids are left
alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import psycopg

from ingest.devicefile import BinRecord, DeviceRecord, ImportFileError, Row, read_csv, read_geojson


@dataclass(frozen=True)
class ImportReport:
    bins_inserted: int = 0
    bins_updated: int = 0
    devices_inserted: int = 0
    devices_updated: int = 0
    devices_moved: int = 0
    """Devices whose bin changed (a part of `devices_updated`)."""

    def describe(self) -> str:
        return (
            f"bins: {self.bins_inserted} new, {self.bins_updated} updated; "
            f"devices: {self.devices_inserted} new, {self.devices_updated} updated, "
            f"{self.devices_moved} moved to another bin"
        )


def import_devices_csv(conn: psycopg.Connection, path: Path) -> ImportReport:
    """Upsert the bins and devices of a CSV file (see `ingest.devicefile.COLUMNS`)."""
    return _write(conn, str(path), read_csv(path))


def import_devices_geojson(conn: psycopg.Connection, path: Path) -> ImportReport:
    """Upsert the bins and devices of a GeoJSON FeatureCollection of Points ([lon, lat])."""
    return _write(conn, str(path), read_geojson(path))


# --- writing -------------------------------------------------------------------------------

_BIN_COLUMNS = BinRecord._fields
_DEVICE_COLUMNS = DeviceRecord._fields
_BIN_TYPES = ["text", "float8", "float8", "text", "text", "float8", "int4", "int4", "int4"]
_DEVICE_TYPES = ["text", "text", "text", "text", "int4"]
_STAGING = """
DROP TABLE IF EXISTS pg_temp.import_bins, pg_temp.import_devices;
CREATE TEMP TABLE import_bins (id text, lat float8, lon float8, address text,
    waste_stream text, volume_l float8, empty_distance_mm int4, full_distance_mm int4,
    blind_zone_mm int4) ON COMMIT DROP;
CREATE TEMP TABLE import_devices (id text, sensor_model text, bin_id text, dev_eui text,
    report_interval_s int4) ON COMMIT DROP;
"""
_TAKEN_DEV_EUIS = """
SELECT s.id, s.dev_eui, d.id FROM import_devices s JOIN devices d ON d.dev_eui = s.dev_eui
WHERE d.id <> s.id
"""
_MOVED = """
SELECT count(*) FROM import_devices s JOIN devices d ON d.id = s.id
WHERE d.bin_id IS DISTINCT FROM s.bin_id
"""


def _upsert(table: str, columns: tuple[str, ...], values: str) -> str:
    """Insert or update (only rows that change), counting inserted and updated rows."""
    names = ", ".join(columns[1:])
    excluded = ", ".join(f"EXCLUDED.{name}" for name in columns[1:])
    target = ", ".join(f"{table}.{name}" for name in columns[1:])
    return f"""
    WITH up AS (
        INSERT INTO {table} ({", ".join(columns)}) {values}
        ON CONFLICT (id) DO UPDATE SET ({names}) = ({excluded})
        WHERE ({target}) IS DISTINCT FROM ({excluded})
        RETURNING xmax = 0 AS inserted
    )
    SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up
    """


_UPSERT_BINS = _upsert(
    "bins",
    _BIN_COLUMNS,
    """SELECT s.id, s.lat, s.lon, COALESCE(s.address, b.address), s.waste_stream, s.volume_l,
              s.empty_distance_mm, s.full_distance_mm, COALESCE(s.blind_zone_mm, b.blind_zone_mm, 0)
       FROM import_bins s LEFT JOIN bins b ON b.id = s.id""",
)
_UPSERT_DEVICES = _upsert(
    "devices",
    _DEVICE_COLUMNS,
    """SELECT s.id, s.sensor_model, s.bin_id, COALESCE(s.dev_eui, d.dev_eui),
              COALESCE(s.report_interval_s, d.report_interval_s, 3600)
       FROM import_devices s LEFT JOIN devices d ON d.id = s.id""",
)


def _write(conn: psycopg.Connection, source: str, rows: list[Row]) -> ImportReport:
    bins = {bin_.id: bin_ for _, bin_, _ in rows}
    devices = {device.id: (where, device) for where, _, device in rows if device is not None}
    order = {device_id: index for index, device_id in enumerate(devices)}
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(_STAGING)
        for table, columns, types, records in (
            ("import_bins", _BIN_COLUMNS, _BIN_TYPES, list(bins.values())),
            ("import_devices", _DEVICE_COLUMNS, _DEVICE_TYPES, [d for _, d in devices.values()]),
        ):
            sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
            with cur.copy(sql) as copy:
                copy.set_types(types)
                for record in records:
                    copy.write_row(record)
        taken = cur.execute(_TAKEN_DEV_EUIS).fetchall()
        if taken:
            raise ImportFileError(
                source,
                [
                    f"{devices[device][0]}: dev_eui {dev_eui} belongs to device {other}"
                    for device, dev_eui, other in sorted(taken, key=lambda t: order[t[0]])
                ],
            )
        moved = (cur.execute(_MOVED).fetchone() or (0,))[0]
        bins_inserted, bins_updated = cur.execute(_UPSERT_BINS).fetchone() or (0, 0)
        devices_inserted, devices_updated = cur.execute(_UPSERT_DEVICES).fetchone() or (0, 0)
    return ImportReport(bins_inserted, bins_updated, devices_inserted, devices_updated, moved)
