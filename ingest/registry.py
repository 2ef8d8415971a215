"""The device registry as the ingest sees it: which bin a device sits in, and its geometry."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg


@dataclass(frozen=True)
class BinGeometry:
    """How far the sensor sees the waste: at the empty bottom, when full, and its blind zone."""

    empty_distance_mm: int
    full_distance_mm: int
    blind_zone_mm: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.full_distance_mm < self.empty_distance_mm:
            raise ValueError(
                f"need 0 <= full distance < empty distance, got "
                f"{self.full_distance_mm} and {self.empty_distance_mm}"
            )

    def fill_pct(self, distance_mm: int) -> float:
        """Fill level for a measured distance, clamped to 0..100.

        A distance inside the blind zone means the waste is at least that close to the
        sensor; it counts as full as far as the sensor can tell, like any distance nearer
        than the full mark.
        """
        if distance_mm <= max(self.blind_zone_mm, self.full_distance_mm):
            return 100.0
        span = self.empty_distance_mm - self.full_distance_mm
        level = (self.empty_distance_mm - distance_mm) / span * 100.0
        return round(min(100.0, max(0.0, level)), 1)


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
