"""How much disk a reading takes, stored the way the ingest stores it, for sizing a database.

One run starts a throwaway TimescaleDB cluster, registers `--devices` devices and stores
`--readings` canonical readings (benchmarks/uplinks.py: fill level, distance, battery,
temperature and frame counter, as a typical ultrasonic sensor reports) through the ingest's
own decoding and batch writer (no broker: only the rows matter here). It prints the readings
table's size with its indexes, per reading, and what that comes to for a city over a year at
a few reporting intervals.

    .venv/bin/python -m benchmarks.storage [--readings 500000] [--devices 2000]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from benchmarks.uplinks import Workload
from benchmarks.workers import register
from curbside import migrate
from curbside.runtime import LocalPostgres, free_port
from ingest.process import Message, process
from ingest.registry import load_registry
from ingest.writer import write_batch

PREFIX = "curbside/v1"
BATCH = 5_000
CITY_BINS = 10_000
READINGS_A_DAY = (4, 12, 24)
"""Reporting intervals a sizing considers: every 6 hours, 2 hours, hour."""


def store(database_url: str, workload: Workload) -> int:
    """Every reading of `workload` through the ingest's processing and writer; rows stored."""
    stored = 0
    with psycopg.connect(database_url, autocommit=True) as conn:
        registry = load_registry(conn)
        received = datetime.now(UTC)
        messages = [
            Message(topic.decode(), payload, received)
            for topic, payload in workload.messages(PREFIX)
        ]
        for start in range(0, len(messages), BATCH):
            batch = process(messages[start : start + BATCH], registry, PREFIX)
            stored += write_batch(conn, batch).inserted
    return stored


def readings_bytes(database_url: str) -> tuple[int, int, str]:
    """The readings table with its indexes (a hypertable's chunks included): total bytes, of
    which indexes, and how it was measured."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        if migrate.timescaledb_version(conn) is not None:
            row = conn.execute(
                "SELECT total_bytes, index_bytes FROM hypertable_detailed_size('readings')"
            ).fetchone()
            how = "hypertable_detailed_size"
        else:
            row = conn.execute(
                "SELECT pg_total_relation_size('readings'), pg_indexes_size('readings')"
            ).fetchone()
            how = "pg_total_relation_size"
    assert row is not None
    return int(row[0]), int(row[1]), how


def report(stored: int, total: int, indexes: int) -> list[str]:
    per = total / stored
    years = [per * CITY_BINS * n * 365 / 2**30 for n in READINGS_A_DAY]
    return [
        "| bytes per reading | of which indexes | "
        + " | ".join(f"{CITY_BINS:,} bins, {n}/day, a year" for n in READINGS_A_DAY)
        + " |",
        "|---:|---:|" + "---:|" * len(READINGS_A_DAY),
        f"| {per:,.0f} | {indexes / stored:,.0f} | "
        + " | ".join(f"{gib:,.1f} GiB" for gib in years)
        + " |",
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=500_000)
    parser.add_argument("--devices", type=int, default=2_000)
    args = parser.parse_args(argv)
    workload = Workload(args.readings, args.devices)
    root = Path(tempfile.mkdtemp(prefix="curbside-storage-"))
    root.chmod(0o755)
    cluster = LocalPostgres(root / "postgres", free_port())
    try:
        cluster.start()
        migrate.upgrade(cluster.url)
        register(cluster.url, workload)
        stored = store(cluster.url, workload)
        total, indexes, how = readings_bytes(cluster.url)
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
    print(f"readings={stored:,} devices={args.devices:,} (measured with {how})")
    print("\n".join(report(stored, total, indexes)))


if __name__ == "__main__":
    main()
