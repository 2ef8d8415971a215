"""Batches into the database: readings through a binary COPY and one de-duplicating insert.

A batch is committed in one transaction with everything it caused: its readings, its rejects,
and the events and collections derived from the readings that were new. The caller may
acknowledge its messages to the broker as soon as `write_batch` returns. Only readings that
were really inserted derive events, so a redelivered batch derives nothing twice.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import psycopg

from ingest.events import Collection, Event, EventRules, Snapshot, derive
from ingest.process import Batch, Row

_COLUMNS = (
    "device_id, bin_id, measured_at, received_at, time_is_receive, fill_pct, distance_mm, "
    "battery_pct, battery_v, temperature_c, tilt_deg, seq, extra, suspect, tilted"
)
_TYPES = [
    "text", "text", "timestamptz", "timestamptz", "bool", "float4", "int4",
    "float4", "float4", "float4", "float4", "int8", "jsonb", "bool", "bool",
]  # fmt: skip
_SNAPSHOT = (
    "device_id, bin_id, measured_at, fill_pct, battery_pct, battery_v, temperature_c, "
    "tilt_deg, tilted, suspect"
)
# A reading without its own measurement time that repeats a frame counter seen for the device
# within a day is a redelivery: its receive time differs, its counter does not.
_INSERT = f"""
INSERT INTO readings ({_COLUMNS})
SELECT {_COLUMNS} FROM readings_staging s
WHERE NOT (s.time_is_receive AND s.seq IS NOT NULL AND EXISTS (
    SELECT 1 FROM readings r
    WHERE r.device_id = s.device_id AND r.seq = s.seq
      AND r.measured_at > s.measured_at - interval '1 day'
      AND r.measured_at < s.measured_at + interval '1 day'))
ON CONFLICT (device_id, measured_at) DO NOTHING
"""
# The same insert, returning each new reading (`true`) and, for each device with new readings,
# the stored reading just before its first new one (`false`): the rules compare against it.
# Every part of one statement sees the table as it was before the insert. The lookup is only
# made for devices known to have an earlier reading (`known`, answered from the primary key):
# for a device with none, the planner walks the time index backwards through every chunk
# looking for it, which took 90 ms a device on two million rows and stalled the ingest when
# hundreds of new devices reported at once.
_INSERT_WITH_PREVIOUS = f"""
WITH new AS ({_INSERT} RETURNING {_SNAPSHOT}),
firsts AS (SELECT device_id AS device, min(measured_at) AS first_at FROM new GROUP BY device_id),
known AS (
    SELECT * FROM firsts WHERE EXISTS (
        SELECT FROM readings e WHERE e.device_id = firsts.device AND e.measured_at < first_at
    )
)
SELECT true, {_SNAPSHOT} FROM new
UNION ALL
SELECT false, p.* FROM known AS firsts CROSS JOIN LATERAL (
    SELECT {_SNAPSHOT} FROM readings r
    WHERE r.device_id = firsts.device AND r.measured_at < firsts.first_at
    ORDER BY r.measured_at DESC LIMIT 1
) AS p
"""


@dataclass(frozen=True)
class WriteResult:
    inserted: int
    duplicates: int
    rejected: int
    rejects_by_reason: Counter[str] = field(default_factory=Counter)
    events_by_kind: Counter[str] = field(default_factory=Counter)


def write_batch(
    conn: psycopg.Connection, batch: Batch, rules: EventRules | None = None
) -> WriteResult:
    """Store a batch's new readings, its rejects and (with `rules`) the events they derive."""
    events: list[Event] = []
    collections: list[Collection] = []
    inserted = 0
    with conn.transaction(), conn.cursor() as cur:
        rows = _without_repeated_counters(batch.rows)
        if rows:
            cur.execute(
                "CREATE TEMP TABLE IF NOT EXISTS readings_staging "
                "(LIKE readings INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
            )
            with cur.copy(f"COPY readings_staging ({_COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(_TYPES)
                for row in rows:
                    copy.write_row(row.values())
            if rules is None:
                cur.execute(_INSERT)
                inserted = cur.rowcount
            else:  # only readings that are new derive events
                cur.execute(_INSERT_WITH_PREVIOUS)
                new: list[Snapshot] = []
                previous: dict[str, Snapshot] = {}
                for is_new, *values in cur.fetchall():
                    if is_new:
                        new.append(Snapshot(*values))
                    else:
                        previous[values[0]] = Snapshot(*values)
                inserted = len(new)
                if new:
                    events, collections = _derive_all(new, previous, rules)
                    _store_events(cur, events, collections)
        if batch.rejects:
            cur.executemany(
                "INSERT INTO ingest_rejects (received_at, topic, payload, reason, detail) "
                "VALUES (%s, %s, %s, %s, %s)",
                [(r.received_at, r.topic, r.payload, r.reason, r.detail) for r in batch.rejects],
            )
    return WriteResult(
        inserted=inserted,
        duplicates=len(batch.rows) - inserted,
        rejected=len(batch.rejects),
        rejects_by_reason=Counter(r.reason for r in batch.rejects),
        events_by_kind=Counter(e.kind for e in events),
    )


def _without_repeated_counters(rows: list[Row]) -> list[Row]:
    """Drop a batch's second copy of a receive-timed reading with the same frame counter."""
    seen: set[tuple[str, int]] = set()
    kept = []
    for row in rows:
        m = row.measurement
        if m.time_is_receive and m.seq is not None:
            key = (row.device_id, m.seq)
            if key in seen:
                continue
            seen.add(key)
        kept.append(row)
    return kept


def _derive_all(
    inserted: list[Snapshot], previous: dict[str, Snapshot], rules: EventRules
) -> tuple[list[Event], list[Collection]]:
    by_device: dict[str, list[Snapshot]] = defaultdict(list)
    for snapshot in inserted:
        by_device[snapshot.device_id].append(snapshot)
    events: list[Event] = []
    collections: list[Collection] = []
    for device, snapshots in by_device.items():
        snapshots.sort(key=lambda s: s.measured_at)
        found, emptied = derive(previous.get(device), snapshots, rules)
        events.extend(found)
        collections.extend(emptied)
    return events, collections


def _store_events(
    cur: psycopg.Cursor[Any], events: list[Event], collections: list[Collection]
) -> None:
    if events:
        cur.executemany(
            "INSERT INTO events (device_id, bin_id, kind, occurred_at, value, detail) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            [(e.device_id, e.bin_id, e.kind, e.occurred_at, e.value, e.detail) for e in events],
        )
    if collections:
        cur.executemany(
            "INSERT INTO collections (bin_id, collected_at, source, fill_before, fill_after,"
            " device_id) VALUES (%s, %s, 'sensor', %s, %s, %s) ON CONFLICT DO NOTHING",
            [
                (c.bin_id, c.collected_at, c.fill_before, c.fill_after, c.device_id)
                for c in collections
            ],
        )


def silent_sweep(conn: psycopg.Connection, after_intervals: float) -> int:
    """Record a `silent` event for each device quiet for `after_intervals` report intervals.

    The event's time is when the device became overdue, so sweeping again (from this worker
    or another) records nothing new until the device speaks and falls silent again.
    """
    cur = conn.execute(
        """INSERT INTO events (device_id, bin_id, kind, occurred_at, value, detail)
           SELECT d.id, d.bin_id, 'silent',
                  last.at + make_interval(secs => d.report_interval_s * %(k)s),
                  extract(epoch FROM now() - last.at),
                  'no reading for ' || round(extract(epoch FROM now() - last.at) / 3600, 1)
                      || ' h'
           FROM devices d
           CROSS JOIN LATERAL (
               SELECT max(measured_at) AS at FROM readings WHERE device_id = d.id
           ) AS last
           WHERE last.at < now() - make_interval(secs => d.report_interval_s * %(k)s)
           ON CONFLICT DO NOTHING""",
        {"k": after_intervals},
    )
    return cur.rowcount
