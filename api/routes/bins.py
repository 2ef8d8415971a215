"""Bins with their latest fill level, and one bin's readings over a time range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from api import queries, schemas
from api.deps import Conn

router = APIRouter(prefix="/v1/bins", tags=["bins"])


@router.get("")
def list_bins(
    conn: Conn,
    waste_stream: str | None = None,
    min_fill_pct: Annotated[float | None, Query(ge=0, le=100)] = None,
) -> list[schemas.Bin]:
    """Every bin with its latest fill level, filtered by waste stream and minimum fill."""
    return queries.bins(conn, waste_stream, min_fill_pct)


@router.get("/{bin_id}")
def get_bin(conn: Conn, bin_id: str) -> schemas.Bin:
    """One bin with its latest fill level."""
    found = queries.bin_by_id(conn, bin_id)
    if found is None:
        raise HTTPException(404, f"no bin {bin_id!r}")
    return found


@router.get("/{bin_id}/readings")
def bin_readings(
    conn: Conn,
    bin_id: str,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
) -> list[schemas.Reading]:
    """A bin's readings measured in [start, end), oldest first; by default the last 7 days."""
    end = _aware(end) if end else datetime.now(UTC)
    start = _aware(start) if start else end - timedelta(days=7)
    if start >= end:
        raise HTTPException(422, "start must be before end")
    if queries.bin_by_id(conn, bin_id) is None:
        raise HTTPException(404, f"no bin {bin_id!r}")
    return queries.readings(conn, bin_id, start, end, limit)


def _aware(moment: datetime) -> datetime:
    """Times without an offset are taken as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
