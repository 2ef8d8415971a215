"""Keeping the readings table to a chosen age.

The Apache-licensed TimescaleDB build has no retention policies (`add_retention_policy` is in
the community edition), but it drops whole chunks on request: `drop_chunks` removes every
chunk whose readings are all older than the cut, at the cost of deleting files. On plain
PostgreSQL the old readings are deleted row by row instead.
"""

from __future__ import annotations

from datetime import timedelta

import psycopg

from curbside import migrate


def prune_readings(conn: psycopg.Connection, keep: timedelta) -> str:
    """Remove readings measured more than `keep` ago; what was removed, in words. With
    TimescaleDB a chunk that also holds younger readings stays until all of them are old."""
    if keep <= timedelta(0):
        raise ValueError(f"keep must be positive, got {keep}")
    if migrate.timescaledb_version(conn) is not None:
        dropped = conn.execute(
            "SELECT drop_chunks('readings', older_than => now() - %s)", (keep,)
        ).fetchall()
        return f"{len(dropped)} chunk(s) of readings dropped"
    deleted = conn.execute("DELETE FROM readings WHERE measured_at < now() - %s", (keep,))
    return f"{deleted.rowcount} reading(s) deleted"
