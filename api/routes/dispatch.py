"""Dispatchers: a bin's events and collections, requesting and approving a day's plan, and a
route exported as GPX, GeoJSON, CSV or a printable manifest (API keys)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response

from api import exports, queries, schemas
from api.deps import Conn, latest_route, require
from api.keys import ApiKey
from api.openapi import GEOJSON, answers
from optimizer import PlannerSettings, PlanningError, plan_day

router = APIRouter(prefix="/v1", tags=["dispatchers"])
Dispatcher = Annotated[ApiKey, Depends(require("dispatcher"))]
Crew = Annotated[ApiKey, Depends(require("dispatcher", "driver"))]
HORIZON = timedelta(days=366)
"""A plan is requested for a day at most this far from today: the forecast of a day centuries
away takes minutes (schemathesis found it), and means nothing."""


@router.get("/bins/{bin_id}/events")
def bin_events(
    conn: Conn, key: Dispatcher, bin_id: str, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[dict[str, Any]]:
    """The bin's events (battery low, fire risk, tilt, emptied, silent), newest first."""
    rows = conn.execute(
        "SELECT kind, occurred_at, value, detail, device_id FROM events WHERE bin_id = %s "
        "ORDER BY occurred_at DESC LIMIT %s",
        (bin_id, limit),
    ).fetchall()
    keys = ("kind", "occurred_at", "value", "detail", "device_id")
    return [dict(zip(keys, row, strict=True)) for row in rows]


@router.get("/bins/{bin_id}/collections")
def bin_collections(
    conn: Conn, key: Dispatcher, bin_id: str, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[dict[str, Any]]:
    """When the bin was emptied (seen by its sensor, or reported by a driver), newest first."""
    rows = conn.execute(
        "SELECT collected_at, source, fill_before, fill_after FROM collections "
        "WHERE bin_id = %s ORDER BY collected_at DESC LIMIT %s",
        (bin_id, limit),
    ).fetchall()
    keys = ("collected_at", "source", "fill_before", "fill_after")
    return [dict(zip(keys, row, strict=True)) for row in rows]


@router.post(
    "/plans/{plan_date}",
    status_code=201,
    responses={409: {"description": "The day cannot be planned (e.g. no vehicle)."}},
)
def request_plan(conn: Conn, key: Dispatcher, plan_date: date) -> schemas.Plan:
    """Plan the day now (the next version), from what is known now or at 18:00 the evening
    before; it takes up to the planner's time limit (`CURBSIDE_TIME_LIMIT_S`). The day is
    within a year of today."""
    if abs(plan_date - date.today()) > HORIZON:
        raise HTTPException(422, f"a plan is for a day within {HORIZON.days} days of today")
    try:
        summary = plan_day(conn, plan_date, PlannerSettings())
    except PlanningError as exc:
        raise HTTPException(409, str(exc)) from exc
    found = queries.plan(conn, plan_date, summary.version)
    assert found is not None  # just stored
    return found


@router.post("/plans/{plan_date}/approve")
def approve_plan(conn: Conn, key: Dispatcher, plan_date: date) -> schemas.Plan:
    """Approve the day's latest plan, as it is."""
    found = queries.plan(conn, plan_date, None)
    if found is None:
        raise HTTPException(404, f"no plan for {plan_date}")
    with conn.transaction():
        conn.execute("UPDATE plans SET status = 'approved' WHERE id = %s", (found.id,))
        conn.execute(
            "INSERT INTO plan_changes (plan_date, from_plan, to_plan, kind, changed_by) "
            "VALUES (%s, %s, %s, 'approve', %s)",
            (plan_date, found.id, found.id, key.name),
        )
    return found.model_copy(update={"status": "approved"})


def _route(
    conn: Conn, key: ApiKey, plan_date: date, vehicle_id: str
) -> tuple[schemas.Plan, schemas.Route, list[dict[str, Any]]]:
    """The day's latest plan, the vehicle's route in it and its visits with where they are."""
    found, route = latest_route(conn, key, plan_date, vehicle_id)
    return found, route, queries.route_sites(conn, found.id, vehicle_id)


@router.get(
    "/plans/{plan_date}/routes/{vehicle_id}.gpx",
    response_class=Response,
    responses=answers("GPX 1.1", "application/gpx+xml"),
)
def route_gpx(conn: Conn, key: Crew, plan_date: date, vehicle_id: str) -> Response:
    """The route as GPX 1.1: a waypoint per visit and a route through them, in order."""
    found, _, sites = _route(conn, key, plan_date, vehicle_id)
    body = exports.gpx(sites, f"{vehicle_id} {plan_date} v{found.version}")
    return Response(body, media_type="application/gpx+xml")


@router.get(
    "/plans/{plan_date}/routes/{vehicle_id}.geojson",
    response_class=Response,
    responses=answers("A GeoJSON FeatureCollection", "application/geo+json", schema=GEOJSON),
)
def route_geojson(conn: Conn, key: Crew, plan_date: date, vehicle_id: str) -> Response:
    """The route as GeoJSON: its path as a LineString and each visit as a Point."""
    found, _, sites = _route(conn, key, plan_date, vehicle_id)
    about = {"vehicle_id": vehicle_id, "plan_id": found.id, "version": found.version}
    return Response(exports.geojson(sites, about), media_type="application/geo+json")


@router.get(
    "/plans/{plan_date}/routes/{vehicle_id}.csv",
    response_class=Response,
    responses=answers("CSV with a header row", "text/csv"),
)
def route_csv(conn: Conn, key: Crew, plan_date: date, vehicle_id: str) -> Response:
    """The route's visits in order, one row each."""
    _, _, sites = _route(conn, key, plan_date, vehicle_id)
    return Response(exports.csv_text(sites), media_type="text/csv; charset=utf-8")


@router.get(
    "/plans/{plan_date}/routes/{vehicle_id}/manifest",
    response_class=Response,
    responses=answers("A printable HTML page", "text/html"),
)
def route_manifest(conn: Conn, key: Crew, plan_date: date, vehicle_id: str) -> Response:
    """A printable manifest: stop order, time, address, stream, expected fill, notes, and
    the totals."""
    found, route, sites = _route(conn, key, plan_date, vehicle_id)
    title = f"{vehicle_id}, {plan_date:%A %d %B %Y} (plan version {found.version})"
    page = exports.manifest(sites, title, route.load_l, route.distance_m, route.duration_s)
    return Response(page, media_type="text/html; charset=utf-8")
