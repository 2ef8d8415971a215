"""Residents: the next pickups at an address, as JSON or as a calendar feed (public)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Self

import orjson
from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api import schemas
from api.deps import Conn, residents_lookups, residents_pool
from api.ics import pickup_calendar, stream_title
from optimizer.geo import haversine_m
from optimizer.pickups import AddressBins
from optimizer.reports import NEAREST_BIN, bin_within

router = APIRouter(prefix="/v1", tags=["residents"])
NEAR_M = 200.0
"""A position finds the address of the nearest bin within this distance."""

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No bin at that address, by that id or within 200 m."}
}
"""What a lookup by address answers when it finds nothing (its other errors: api/openapi.py)."""


class AddressQuery(BaseModel):
    """How a resident names an address, in the query: street and number, a bin, or a
    position; exactly one of them, completely. (A model rather than one parameter each:
    FastAPI checks it in one validation, which is cheaper.)"""

    model_config = ConfigDict(frozen=True)
    street: str | None = Field(None, min_length=1, max_length=200, description="e.g. Korenmarkt")
    number: str | None = Field(None, min_length=1, max_length=20, description="e.g. 1 or 12b")
    bin_id: str | None = Field(None, min_length=1, max_length=100)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        given = [self.street is not None or self.number is not None, self.bin_id is not None]
        given.append(self.lat is not None or self.lon is not None)
        if sum(given) != 1:
            raise ValueError("give street and number, or bin_id, or lat and lon")
        if given[0] and (self.street is None or self.number is None):
            raise ValueError("give both street and number")
        if given[2] and (self.lat is None or self.lon is None):
            raise ValueError("give both lat and lon")
        return self


class AheadQuery(AddressQuery):
    """An address, and how many weeks of its pickups."""

    weeks: int = Field(8, ge=1, le=26, description="how far ahead")


Asked = Annotated[AddressQuery, Query()]
"""The address a resident asks about (the query's street and number, bin_id, or lat and
lon)."""
AskedAhead = Annotated[AheadQuery, Query()]


async def _find(request: Request, asked: AddressQuery, days: int) -> AddressBins:
    """The address asked for, its bins and what their pickups over `days` days need; 404
    when there are none. From the process's copy (api/residents_index.py), but for the bin
    nearest a position, which the database finds."""
    lookups = await residents_lookups(request)
    start = date.today()
    if asked.street is not None and asked.number is not None:
        address = f"{asked.street.strip()} {asked.number.strip()}"
        found = lookups.find(start, days, address=address)
        if found is None:
            raise HTTPException(404, f"no bins registered at {address}")
        return found
    bin_id = asked.bin_id
    if asked.lat is not None and asked.lon is not None:
        async with residents_pool(request).connection() as conn:
            cursor = await conn.execute(NEAREST_BIN, {"lat": asked.lat, "lon": asked.lon})
            bin_id = bin_within(await cursor.fetchone(), asked.lat, asked.lon, NEAR_M)
        if bin_id is None:
            raise HTTPException(404, f"no bin within {NEAR_M:.0f} m of that position")
    found = lookups.find(start, days, bin_id=bin_id)
    if found is None:
        raise HTTPException(404, f"no bin {bin_id!r}")
    return found


# The residents' endpoints are the API's busiest. They answer in the event loop from the
# process's copy of what they read (api/residents_index.py), querying the database only to
# find the bin nearest a position and for today's reports, asynchronously: no hop to a
# worker thread and back. The pickups are written as JSON directly (orjson) instead of
# FastAPI validating the answer against its model and serializing it; the model still
# documents it.


@router.get("/pickups", response_model=schemas.Pickups, responses=NOT_FOUND)
async def get_pickups(request: Request, asked: AskedAhead) -> Response:
    """The next pickups at an address (street and house number), at a bin's address, or at
    the address of the nearest bin to a position (within 200 m), by day."""
    found = await _find(request, asked, 7 * asked.weeks)
    pickups = [
        {
            "day": p.day,
            "waste_stream": p.waste_stream,
            "title": stream_title(p.waste_stream),
            "bin_id": p.bin_id,
            "moved_from": p.moved_from,
            "planned": p.planned,
        }
        for p in found.pickups()
    ]
    body = {"address": found.address, "bin_ids": [b.id for b in found.bins], "pickups": pickups}
    return Response(orjson.dumps(body), media_type="application/json")


@router.get(
    "/pickups.ics",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "an iCalendar feed"},
        **NOT_FOUND,
    },
)
async def get_pickups_calendar(request: Request, asked: AskedAhead) -> Response:
    """The same pickups as an iCalendar feed to subscribe to: one all-day event each, a
    reminder at 18:00 the evening before, stable event ids (a pickup a holiday moves stays
    the same event)."""
    found = await _find(request, asked, 7 * asked.weeks)
    name = f"Waste collection, {found.address or found.bins[0].id}"
    text = pickup_calendar(found.pickups(), name, datetime.now(UTC))
    return Response(text, media_type="text/calendar; charset=utf-8")


@router.get("/collected", responses=NOT_FOUND)
async def get_collected(request: Request, asked: Asked) -> schemas.CollectedToday:
    """Was it collected today, and if not why: each bin at the address on today's latest
    plan, as the drivers reported it (on that version or an earlier one of the day)."""
    today = date.today()
    at_address = await _find(request, asked, 0)
    async with residents_pool(request).connection() as conn:
        cursor = await conn.execute(
            "SELECT s.site_id, s.arrival_at, r.status, r.reason, r.reported_at "
            "FROM plans AS p JOIN plan_stops AS s ON s.plan_id = p.id AND s.kind = 'bin' "
            "LEFT JOIN stop_reports AS r ON r.bin_id = s.site_id "
            "AND r.plan_id IN (SELECT id FROM plans WHERE plan_date = p.plan_date) "
            "WHERE p.plan_date = %s AND s.site_id = ANY(%s) "
            "AND p.version = (SELECT max(version) FROM plans WHERE plan_date = %s)",
            (today, [b.id for b in at_address.bins], today),
        )
        on_plan = {row[0]: row[1:] for row in await cursor.fetchall()}
    found = []
    for info in at_address.bins:
        if info.id not in on_plan:
            found.append(schemas.BinToday(
                bin_id=info.id, waste_stream=info.waste_stream, status="not planned",
                reason=None, at=None,
            ))  # fmt: skip
            continue
        arrival, status, reason, reported_at = on_plan[info.id]
        found.append(schemas.BinToday(
            bin_id=info.id, waste_stream=info.waste_stream,
            status="collected" if status == "done" else status or "planned",
            reason=reason, at=reported_at or arrival,
        ))  # fmt: skip
    return schemas.CollectedToday(address=at_address.address, day=today, bins=found)


@router.get("/containers/nearest")
def get_nearest(
    conn: Conn,
    waste_stream: Annotated[str, Query(min_length=1, max_length=50, description="e.g. glass")],
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
    below_pct: Annotated[float, Query(ge=0, le=100)] = 80.0,
    limit: Annotated[int, Query(ge=1, le=20)] = 3,
) -> list[schemas.NearbyContainer]:
    """The nearest bins of a stream whose latest reading is below `below_pct` (a bin whose
    sensor has not reported is left out: nobody knows it has room)."""
    rows = conn.execute(
        "SELECT b.id, b.address, b.lat, b.lon, b.waste_stream, r.fill_pct FROM bins AS b "
        "JOIN LATERAL (SELECT fill_pct FROM readings WHERE readings.bin_id = b.id "
        "  AND fill_pct IS NOT NULL ORDER BY measured_at DESC LIMIT 1) AS r ON true "
        "WHERE b.waste_stream = %s AND r.fill_pct < %s "
        "ORDER BY (b.lat - %s) ^ 2 + ((b.lon - %s) * cos(radians(%s))) ^ 2 LIMIT %s",
        (waste_stream, below_pct, lat, lon, lat, limit),
    ).fetchall()
    return [
        schemas.NearbyContainer(
            bin_id=row[0],
            address=row[1],
            lat=row[2],
            lon=row[3],
            waste_stream=row[4],
            distance_m=round(haversine_m((lat, lon), (row[2], row[3])), 1),
            fill_pct=row[5],
        )
        for row in rows
    ]
