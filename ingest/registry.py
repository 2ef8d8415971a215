"""The device registry as the ingest sees it: which bin a device sits in, and its geometry."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from curbside.geometry import BinGeometry


@dataclass(frozen=True)
class Device:
    device_id: str
    sensor_model: str
    bin_id: str | None
    geometry: BinGeometry | None


def load_registry(conn: psycopg.Connection) -> dict[str, Device]:
    """Every registered device with its bin's geometry (None for a device in no bin)."""
    rows = conn.execute(
        """SELECT d.id, d.sensor_model, d.bin_id,
                  b.empty_distance_mm, b.full_distance_mm, b.blind_zone_mm
           FROM devices d LEFT JOIN bins b ON b.id = d.bin_id"""
    ).fetchall()
    registry = {}
    for device_id, model, bin_id, empty_mm, full_mm, blind_mm in rows:
        geometry = None if bin_id is None else BinGeometry(empty_mm, full_mm, blind_mm)
        registry[device_id] = Device(device_id, model, bin_id, geometry)
    return registry
