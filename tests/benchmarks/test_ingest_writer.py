"""A tiny run of benchmarks/ingest_writer.py: both writers store the same de-duplicated rows."""

import psycopg

from benchmarks.ingest_writer import make_batches, measure


def test_batches_repeat_one_reading_in_ten() -> None:
    """The benchmark's input carries duplicates, as redeliveries would."""
    rows = [r for b in make_batches(1000, 300) for r in b.rows]
    distinct = {(r.device_id, r.measurement.measured_at) for r in rows}
    assert (len(rows), len(distinct)) == (1000, 900)


def test_smoke_run_stores_every_distinct_reading(db: psycopg.Connection, database_url: str) -> None:
    """Both writers pass the benchmark's own row-count check and report a rate."""
    rates = measure(database_url, rows=2000, batch_size=500, rounds=1)
    assert set(rates) == {"copy", "baseline"}
    assert all(rate > 0 for rate in rates.values())
    assert db.execute("SELECT count(*) FROM readings").fetchone() == (1800,)
