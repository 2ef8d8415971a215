"""Bins with their latest fill level, and one bin's readings over a time range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response

from api import queries, schemas
from api.deps import Conn

router = APIRouter(prefix="/v1/bins", tags=["bins"])


Stream = Annotated[str | None, Query(max_length=50)]
MinFill = Annotated[float | None, Query(ge=0, le=100)]
Offline = Annotated[bool | None, Query(description="sensor silent for 26 hours")]
Alarm = Annotated[bool | None, Query(description="fire risk or tilt in the last 24 hours")]


@router.get("")
def list_bins(
    conn: Conn,
    waste_stream: Stream = None,
    min_fill_pct: MinFill = None,
    offline: Offline = None,
    alarm: Alarm = None,
) -> list[schemas.Bin]:
    """Every bin with its latest fill level, filtered by waste stream, minimum fill, sensor
    offline and alarm."""
    return queries.bins(conn, waste_stream, min_fill_pct, offline, alarm)


@router.get(
    ".geojson",
    response_class=Response,
    responses={200: {"content": {"application/geo+json": {}}, "description": "GeoJSON"}},
)
def bins_geojson(
    conn: Conn,
    waste_stream: Stream = None,
    min_fill_pct: MinFill = None,
    offline: Offline = None,
    alarm: Alarm = None,
) -> Response:
    """The same bins as a GeoJSON FeatureCollection of points (RFC 7946: lon, lat)."""
    body = queries.bins_geojson(conn, waste_stream, min_fill_pct, offline, alarm)
    return Response(body, media_type="application/geo+json")


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
