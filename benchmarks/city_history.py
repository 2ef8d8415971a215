"""A simulated city's sensor history straight into the readings table, for benchmarks.

Readings every two hours: each bin's true level from the city's fill model, emptied on its
fixed-round weekday at 10:00 (the practice before sensors), capped at 100, plus Gaussian
sensor noise and, now and then, an ultrasonic echo off the side wall that reads far too
full. Written with COPY, so weeks of a city of thousands of bins take seconds.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import numpy as np
import psycopg

from simulators import FillModel
from simulators.city import City

NOISE_PCT = 2.0
ECHO_SHARE = 0.01
"""Share of readings that catch a side-wall echo."""
ECHO_PCT = (30.0, 60.0)
"""How much too full an echo reads."""


def store_history(conn: psycopg.Connection, city: City, first: date, days: int, seed: int) -> int:
    """Readings every two hours of `days` days from `first`; how many were stored."""
    model = FillModel(city, seed)
    rng = np.random.default_rng(seed)
    level = np.array([b.initial_fill_pct for b in city.bins])
    weekdays = np.array([b.round_weekday for b in city.bins])
    devices = {d.bin_id: d.id for d in city.devices}
    buffer = io.StringIO()
    count = 0
    for k in range(days):
        day = first + timedelta(days=k)
        step = model.added_pct(day) / 12
        for slot in range(12):
            at = datetime(day.year, day.month, day.day, 2 * slot, tzinfo=UTC)
            if slot == 5:  # 10:00: the fixed round has been by
                level[weekdays == day.weekday()] = 0.0
            level = np.minimum(level + step, 100.0)
            echo = (rng.random(len(level)) < ECHO_SHARE) * rng.uniform(*ECHO_PCT, len(level))
            seen = np.clip(level + rng.normal(0, NOISE_PCT, len(level)) + echo, 0, 100)
            for b, value in zip(city.bins, seen, strict=True):
                buffer.write(f"{devices[b.id]}\t{b.id}\t{at.isoformat()}\t{at.isoformat()}\t")
                buffer.write(f"{value:.1f}\n")
                count += 1
    buffer.seek(0)
    with (
        conn.cursor() as cur,
        cur.copy(
            "COPY readings (device_id, bin_id, measured_at, received_at, fill_pct) FROM STDIN"
        ) as copy,
    ):
        while chunk := buffer.read(1 << 20):
            copy.write(chunk)
    return count
