"""Batches into the database: readings through a binary COPY and one de-duplicating insert.

A batch is committed in one transaction, readings and rejects together, so the caller may
acknowledge its messages to the broker as soon as `write_batch` returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from ingest.process import Batch

_COLUMNS = (
    "device_id, bin_id, measured_at, received_at, time_is_receive, fill_pct, distance_mm, "
    "battery_pct, battery_v, temperature_c, tilt_deg, seq, extra"
)
_TYPES = [
    "text", "text", "timestamptz", "timestamptz", "bool", "float4", "int4",
    "float4", "float4", "float4", "float4", "int8", "jsonb",
]  # fmt: skip


@dataclass(frozen=True)
class WriteResult:
    inserted: int
    duplicates: int
    rejected: int


def write_batch(conn: psycopg.Connection, batch: Batch) -> WriteResult:
    """Store a batch's readings (skipping ones already stored) and rejects; commit once."""
    inserted = 0
    with conn.transaction(), conn.cursor() as cur:
        if batch.rows:
            cur.execute(
                "CREATE TEMP TABLE IF NOT EXISTS readings_staging "
                "(LIKE readings INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
            )
            with cur.copy(f"COPY readings_staging ({_COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(_TYPES)
                for row in batch.rows:
                    copy.write_row(row.values())
            cur.execute(
                f"INSERT INTO readings ({_COLUMNS}) SELECT {_COLUMNS} FROM readings_staging "
                "ON CONFLICT (device_id, measured_at) DO NOTHING"
            )
            inserted = cur.rowcount
        if batch.rejects:
            cur.executemany(
                "INSERT INTO ingest_rejects (received_at, topic, payload, reason, detail) "
                "VALUES (%s, %s, %s, %s, %s)",
                [(r.received_at, r.topic, r.payload, r.reason, r.detail) for r in batch.rejects],
            )
    return WriteResult(inserted, len(batch.rows) - inserted, len(batch.rejects))
