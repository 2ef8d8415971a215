"""What the database holds of a load run: the devices' last values, rows stored, rejects, latency.

Each message of a run carries the run's id in an extra field (`load_run`, kept by the ingest
in `readings.extra`) and a measurement time that is its publish time, unique per device.
So the run's readings are found through the primary key (device, time range) and the id,
its rejects by the id in their raw payload, and each reading's latency is its storage time
less its measurement time. Data access only: the connection is the caller's.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg

from simulators.city import City
from simulators.errors import SimulatorError
from simulators.load_report import Latency

RUN_FIELD = "load_run"
REJECT_MARGIN = timedelta(hours=1)
"""Rejects are searched from this long before the run: the ingest's clock may differ."""


@dataclass(frozen=True)
class LoadRun:
    """What finds one run's messages in the database."""

    id: str
    topics: Mapping[str, str]
    """Each device's uplink topic, by device id."""
    first: datetime
    last: datetime
    """The earliest and latest measurement time (publish time) of the run's messages."""

    def __post_init__(self) -> None:
        if not self.id.isalnum():
            raise ValueError(f"run id must be letters and digits, got {self.id!r}")
        if self.first.tzinfo is None or self.first > self.last:
            raise ValueError("first and last must be timezone-aware, first not after last")

    @property
    def marker(self) -> bytes:
        """The bytes every payload of the run contains."""
        return f'"{RUN_FIELD}":"{self.id}"'.encode()


def _params(run: LoadRun) -> dict[str, Any]:
    return {"devices": list(run.topics), "first": run.first, "last": run.last, "run": run.id}


_RUN_ROWS = f"""FROM readings
WHERE device_id = ANY(%(devices)s) AND measured_at BETWEEN %(first)s AND %(last)s
  AND extra->>'{RUN_FIELD}' = %(run)s"""


def check_schema(conn: psycopg.Connection[Any]) -> None:
    """Raise unless readings has `stored_at` (migration 0003), which the latency needs."""
    row = conn.execute(
        "SELECT 1 FROM information_schema.columns"
        " WHERE table_name = 'readings' AND column_name = 'stored_at'"
    ).fetchone()
    if row is None:
        raise SimulatorError("readings has no stored_at column: run `curbside db upgrade`")


def reading_bodies(conn: psycopg.Connection[Any], city: City) -> dict[str, bytes]:
    """Each device's measured values as JSON members (no braces), by device id.

    A device repeats its last stored reading, so a load run derives no emptying or alarm
    event from a jump; a device with no reading yet reports its bin's initial level.
    """
    rows = conn.execute(
        """SELECT d.id, r.fill_pct, r.distance_mm, r.battery_pct, r.temperature_c
           FROM unnest(%s::text[]) AS d (id)
           LEFT JOIN LATERAL (
               SELECT fill_pct, distance_mm, battery_pct, temperature_c FROM readings
               WHERE device_id = d.id ORDER BY measured_at DESC LIMIT 1
           ) AS r ON true""",
        ([device.id for device in city.devices],),
    ).fetchall()
    last = {row[0]: row[1:] for row in rows}
    bins = {b.id: b for b in city.bins}
    bodies = {}
    for device in city.devices:
        fill, distance, battery, temperature = last.get(device.id, (None,) * 4)
        if fill is None and distance is None:
            fill = bins[device.bin_id].initial_fill_pct
            distance = bins[device.bin_id].geometry.distance_mm(fill)
            battery = battery if battery is not None else device.battery_pct
        values = {
            "fill_pct": fill if fill is None else round(fill, 1),
            "distance_mm": distance,
            "battery_pct": battery if battery is None else round(battery, 1),
            "temperature_c": temperature if temperature is None else round(temperature, 1),
        }
        present = {name: value for name, value in values.items() if value is not None}
        bodies[device.id] = json.dumps(present, separators=(",", ":"))[1:-1].encode()
    return bodies


def stored(conn: psycopg.Connection[Any], run: LoadRun) -> dict[str, int]:
    """Readings of the run stored, by device (devices with none left out)."""
    rows = conn.execute(
        f"SELECT device_id, count(*) {_RUN_ROWS} GROUP BY device_id", _params(run)
    ).fetchall()
    return {device: int(count) for device, count in rows}


def rejected(conn: psycopg.Connection[Any], run: LoadRun) -> dict[str, int]:
    """Messages of the run the ingest refused, by device; a redelivered reject counts once."""
    by_topic = {topic: device for device, topic in run.topics.items()}
    rows = conn.execute(
        """SELECT topic, count(DISTINCT payload) FROM ingest_rejects
           WHERE received_at >= %s AND topic = ANY(%s) AND position(%s IN payload) > 0
           GROUP BY topic""",
        (run.first - REJECT_MARGIN, list(by_topic), run.marker),
    ).fetchall()
    return {by_topic[topic]: int(count) for topic, count in rows}


def wait_until_landed(
    conn: psycopg.Connection[Any], run: LoadRun, expected: int, idle_s: float
) -> bool:
    """Poll until `expected` messages are stored or refused (True), or none landed for `idle_s`.

    Polls at least every 0.25 s, slower when a count takes longer, so that counting a large
    run does not take the database from the ingest it waits for.
    """
    last, moved = -1, time.monotonic()
    while True:
        started = time.monotonic()
        landed = sum(stored(conn, run).values()) + sum(rejected(conn, run).values())
        if landed >= expected:
            return True
        now = time.monotonic()
        if landed != last:
            last, moved = landed, now
        elif now - moved >= idle_s:
            return False
        time.sleep(max(0.25, 4 * (now - started)))


def latency(conn: psycopg.Connection[Any], run: LoadRun) -> Latency | None:
    """Percentiles of storage time less publish time over the run's readings; None if none.

    With `track_commit_timestamp` on, the storage time is the commit of the reading's
    transaction; otherwise `stored_at`, the database clock at its insert.
    """
    setting = conn.execute("SHOW track_commit_timestamp").fetchone()
    method = "commit" if setting is not None and setting[0] == "on" else "insert"
    at = "pg_xact_commit_timestamp(xmin)" if method == "commit" else "stored_at"
    row = conn.execute(
        f"""SELECT count(l), percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY l),
                   max(l)
            FROM (SELECT extract(epoch FROM {at} - measured_at)::float8 AS l {_RUN_ROWS}) AS s""",
        _params(run),
    ).fetchone()
    if row is None or not row[0]:
        return None
    samples, (p50, p95, p99), worst = row
    return Latency(int(samples), p50, p95, p99, worst, method)
