"""Bins with their latest fill level, and one bin's readings over a time range and forecast."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Response

from api import forecasts, queries, schemas
from api.deps import Conn

router = APIRouter(prefix="/v1/bins", tags=["bins"])


Stream = Annotated[str | None, Query(max_length=50)]
MinFill = Annotated[float | None, Query(ge=0, le=100)]
Offline = Annotated[bool | None, Query(description="sensor silent for 26 hours")]
Alarm = Annotated[bool | None, Query(description="fire risk or tilt in the last 24 hours")]
AtRisk = Annotated[
    int | None,
    Query(
        ge=1,
        le=336,
        description="likely to overflow within this many hours (a forecast probability of at "
        "least 20 %, the planner's threshold)",
    ),
]


def bin_filter(
    conn: Conn,
    waste_stream: Stream = None,
    min_fill_pct: MinFill = None,
    offline: Offline = None,
    alarm: Alarm = None,
    at_risk_within_h: AtRisk = None,
) -> queries.BinFilter:
    """The filters of a bin list, from its query."""
    ids = None
    if at_risk_within_h is not None:
        ids = forecasts.at_risk_ids(conn, waste_stream, at_risk_within_h, datetime.now(UTC))
    return queries.BinFilter(waste_stream, min_fill_pct, offline, alarm, ids)


Chosen = Annotated[queries.BinFilter, Depends(bin_filter)]


@router.get("")
def list_bins(conn: Conn, chosen: Chosen) -> list[schemas.Bin]:
    """Every bin with its latest fill level, filtered by waste stream, minimum fill, sensor
    offline, alarm and risk of overflowing."""
    return queries.bins(conn, chosen)


@router.get(
    ".geojson",
    response_class=Response,
    responses={200: {"content": {"application/geo+json": {}}, "description": "GeoJSON"}},
)
def bins_geojson(conn: Conn, chosen: Chosen) -> Response:
    """The same bins as a GeoJSON FeatureCollection of points (RFC 7946: lon, lat)."""
    return Response(queries.bins_geojson(conn, chosen), media_type="application/geo+json")


@router.get("/{bin_id}")
def get_bin(conn: Conn, bin_id: str) -> schemas.Bin:
    """One bin with its latest fill level."""
    found = queries.bin_by_id(conn, bin_id)
    if found is None:
        raise HTTPException(404, f"no bin {bin_id!r}")
    return found


@router.get("/{bin_id}/forecast")
def bin_forecast(
    conn: Conn, bin_id: str, days: Annotated[int, Query(ge=1, le=14)] = 3
) -> schemas.BinForecast:
    """The bin's forecast: its level now, its fill rate and weekday pattern, when it will be
    full, and its expected level and overflow probability at each of the next `days` days."""
    found = forecasts.bin_forecast(conn, bin_id, days, datetime.now(UTC))
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
