"""Ingest writer throughput: COPY into staging + one de-duplicating insert, against a baseline.

The baseline is the obvious alternative: `executemany` of `INSERT ... ON CONFLICT DO NOTHING`
(psycopg 3 pipelines it). Both write the same batches, with one duplicate in ten, into the
same fresh table on a throwaway TimescaleDB cluster; rounds alternate so machine noise hits
both alike. The figure is the ratio of rows per second.

    .venv/bin/python -m benchmarks.ingest_writer [--rows 200000] [--batch 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from curbside import migrate
from curbside.runtime import LocalPostgres, free_port
from ingest import Batch, Measurement, write_batch
from ingest.process import Row

Writer = Callable[[psycopg.Connection, Batch], object]


def make_batches(rows: int, batch_size: int, devices: int = 500) -> list[Batch]:
    """Readings of `devices` devices, hourly, one in ten repeated (a redelivery)."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    batches, current = [], Batch()
    for i in range(rows):
        n = i - 1 if i % 10 == 9 else i
        measured_at = start + timedelta(hours=n // devices)
        measurement = Measurement(measured_at, fill_pct=float(n % 100), battery_pct=90.0, seq=n)
        current.rows.append(Row(f"dev-{n % devices}", f"bin-{n % devices}", measurement,
                                measured_at, float(n % 100)))  # fmt: skip
        if len(current.rows) == batch_size:
            batches.append(current)
            current = Batch()
    if current.rows:
        batches.append(current)
    return batches


def baseline_write(conn: psycopg.Connection, batch: Batch) -> object:
    """Row-by-row inserts (pipelined by executemany), duplicates skipped by the key."""
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO readings (device_id, bin_id, measured_at, received_at, time_is_receive,"
            " fill_pct, distance_mm, battery_pct, battery_v, temperature_c, tilt_deg, seq, extra,"
            " suspect, tilted) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (device_id, measured_at) DO NOTHING",
            [row.values() for row in batch.rows],  # no extras here: no jsonb to wrap
        )
    return None


def timed_run(dsn: str, writer: Writer, batches: list[Batch]) -> float:
    """Rows per second for writing every batch into an emptied readings table."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("TRUNCATE readings")
        started = time.perf_counter()
        for batch in batches:
            writer(conn, batch)
        elapsed = time.perf_counter() - started
        stored = conn.execute("SELECT count(*) FROM readings").fetchone()
    expected = len({(r.device_id, r.measurement.measured_at) for b in batches for r in b.rows})
    if stored is None or stored[0] != expected:
        raise RuntimeError(f"{writer.__name__} stored {stored} rows, expected {expected}")
    return sum(len(b.rows) for b in batches) / elapsed


def measure(dsn: str, rows: int, batch_size: int, rounds: int) -> dict[str, float]:
    batches = make_batches(rows, batch_size)
    results: dict[str, list[float]] = {"copy": [], "baseline": []}
    for _ in range(rounds):
        results["baseline"].append(timed_run(dsn, baseline_write, batches))
        results["copy"].append(timed_run(dsn, write_batch, batches))
    return {name: statistics.median(values) for name, values in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="curbside-bench-"))
    root.chmod(0o755)
    cluster = LocalPostgres(root / "postgres", free_port())
    try:
        cluster.start()
        migrate.upgrade(cluster.url)
        rates = measure(cluster.url, args.rows, args.batch, args.rounds)
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
    print(f"rows={args.rows} batch={args.batch} rounds={args.rounds} (median rows/s)")
    print(f"  baseline executemany insert: {rates['baseline']:>10,.0f}")
    print(f"  COPY binary + staging:       {rates['copy']:>10,.0f}")
    print(f"  ratio COPY / baseline:       {rates['copy'] / rates['baseline']:>10.1f}x")


if __name__ == "__main__":
    main()
