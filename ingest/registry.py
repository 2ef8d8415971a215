"""The device registry as the ingest sees it: which bin a device sits in, then and now.

`devices.bin_id` is the current bin; the table `device_assignments`, kept by a trigger on that
column, is the history. A reading follows the assignment valid at its measurement time
(`Device.bin_at`), so a sensor moved to another bin does not carry its old readings along.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import psycopg

from curbside.geometry import BinGeometry


@dataclass(frozen=True)
class Assignment:
    """A device in a bin from `valid_from` (inclusive) to `valid_to` (exclusive).

    None stands for an unbounded end: a device's first bin holds since always (`-infinity`
    in the table), and the current bin holds until further notice (`valid_to` NULL).
    """

    bin_id: str
    valid_from: datetime | None
    valid_to: datetime | None
    geometry: BinGeometry

    def covers(self, moment: datetime) -> bool:
        """Whether the device sat in this bin at `moment`."""
        after_start = self.valid_from is None or self.valid_from <= moment
        return after_start and (self.valid_to is None or moment < self.valid_to)


@dataclass(frozen=True)
class Device:
    """A registered device: `bin_id` and `geometry` are its current bin's (None for no bin)."""

    device_id: str
    sensor_model: str
    bin_id: str | None
    geometry: BinGeometry | None
    dev_eui: str | None = None
    assignments: tuple[Assignment, ...] = ()
    """The device's bins over time, oldest first."""

    def bin_at(self, moment: datetime) -> Assignment | None:
        """The assignment valid at `moment` (a measurement time); None when in no bin then.

        A device built without a history (as in unit tests) has its current bin for all time.
        """
        if moment.tzinfo is None:
            raise ValueError(f"need a time with a UTC offset, got {moment.isoformat()}")
        for assignment in reversed(self.assignments):
            if assignment.covers(moment):
                return assignment
        if not self.assignments and self.bin_id is not None and self.geometry is not None:
            return Assignment(self.bin_id, None, None, self.geometry)
        return None


# One row per device and assignment, oldest first; infinite bounds become NULL (Python None).
_QUERY = """
SELECT d.id, d.sensor_model, d.dev_eui, d.bin_id,
       cb.empty_distance_mm, cb.full_distance_mm, cb.blind_zone_mm,
       a.bin_id,
       CASE WHEN isfinite(a.valid_from) THEN a.valid_from END,
       CASE WHEN isfinite(a.valid_to) THEN a.valid_to END,
       ab.empty_distance_mm, ab.full_distance_mm, ab.blind_zone_mm
FROM devices d
LEFT JOIN bins cb ON cb.id = d.bin_id
LEFT JOIN device_assignments a ON a.device_id = d.id
LEFT JOIN bins ab ON ab.id = a.bin_id
{where}
ORDER BY d.id, a.valid_from
"""


def load_registry(
    conn: psycopg.Connection, keys: Collection[str] | None = None
) -> dict[str, Device]:
    """Registered devices by id and by DevEUI (lower- and upper-case), in one query.

    Every device, or only those whose id or DevEUI is among `keys`. A device's own id wins
    over another device's DevEUI spelled the same. Several keys lead to one `Device`: count
    devices by `device_id`, not with `len(registry)`.
    """
    if keys is None:
        rows = conn.execute(_QUERY.format(where="")).fetchall()
    else:
        where = "WHERE d.id = ANY(%(keys)s) OR d.dev_eui = ANY(%(euis)s)"
        euis = [key.lower() for key in keys]
        rows = conn.execute(
            _QUERY.format(where=where), {"keys": list(keys), "euis": euis}
        ).fetchall()
    geometries: dict[tuple[int, int, int], BinGeometry] = {}

    def geometry(empty_mm: int, full_mm: int, blind_mm: int) -> BinGeometry:
        key = (empty_mm, full_mm, blind_mm)
        if key not in geometries:
            geometries[key] = BinGeometry(empty_mm, full_mm, blind_mm)
        return geometries[key]

    by_id: dict[str, Device] = {}
    history: list[Assignment] = []
    for index, row in enumerate(rows):
        device_id, model, dev_eui, bin_id, empty_mm, full_mm, blind_mm = row[:7]
        assigned_bin, valid_from, valid_to, a_empty, a_full, a_blind = row[7:]
        if assigned_bin is not None:
            history.append(
                Assignment(assigned_bin, valid_from, valid_to, geometry(a_empty, a_full, a_blind))
            )
        if index + 1 < len(rows) and rows[index + 1][0] == device_id:
            continue
        current = None if bin_id is None else geometry(empty_mm, full_mm, blind_mm)
        by_id[device_id] = Device(device_id, model, bin_id, current, dev_eui, tuple(history))
        history = []
    registry = dict(by_id)
    for device in by_id.values():
        if device.dev_eui is not None:
            registry.setdefault(device.dev_eui.lower(), device)
            registry.setdefault(device.dev_eui.upper(), device)
    return registry
