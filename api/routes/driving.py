"""Drivers' routes and reports, and dispatchers' changes of a day's plan (API keys)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

import psycopg
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool

from api import queries, schemas
from api.deps import Conn, RowId, check_vehicle, latest_route, require
from api.keys import ApiKey
from api.openapi import answers
from api.photos import BINARY, PHOTO_BODY, PHOTO_TYPES, photo_body
from optimizer import PlannerSettings, PlanningError
from optimizer.amend import AmendError
from optimizer.lifecycle import Change, attach_stop_photo, change_plan, report_stop, stop_photo

router = APIRouter(prefix="/v1", tags=["drivers and dispatchers"])
Crew = Annotated[ApiKey, Depends(require("driver", "dispatcher"))]
Dispatcher = Annotated[ApiKey, Depends(require("dispatcher"))]


@router.get("/routes/{plan_date}/{vehicle_id}")
def get_route(conn: Conn, key: Crew, plan_date: date, vehicle_id: str) -> schemas.DriverRoute:
    """The vehicle's route in the day's latest plan, with the reports made on it."""
    found, route = latest_route(conn, key, plan_date, vehicle_id)
    reports = queries.stop_reports(conn, found.id)
    stops = []
    for stop in route.stops:
        report, reason = (
            reports.get(stop.site_id, (None, None)) if stop.kind == "bin" else (None, None)
        )
        stops.append(schemas.DriverStop(**stop.model_dump(), report=report, skip_reason=reason))
    return schemas.DriverRoute(
        plan_id=found.id,
        plan_date=found.plan_date,
        version=found.version,
        vehicle_id=vehicle_id,
        distance_m=route.distance_m,
        duration_s=route.duration_s,
        stops=stops,
    )


@router.put(
    "/plans/{plan_id}/stops/{bin_id}/report",
    status_code=201,
    responses={
        200: {"model": schemas.ReportStored, "description": "The same report was there."},
        409: {"description": "Another report on the stop is there, or the plan is over."},
    },
)
def put_report(
    conn: Conn,
    key: Crew,
    plan_id: RowId,
    bin_id: str,
    report: schemas.StopReport,
    response: Response,
) -> schemas.ReportStored:
    """Report a stop done or skipped (with a reason). The same report again changes
    nothing (200); a different one for the same stop is refused (409)."""
    _check_stop(conn, key, plan_id, bin_id)
    at = report.reported_at or datetime.now(UTC)
    try:
        stored = report_stop(conn, plan_id, bin_id, report.status, at, report.reason, report.note)
    except AmendError as exc:
        raise HTTPException(409, str(exc)) from exc
    if not stored:
        response.status_code = 200
    return schemas.ReportStored(plan_id=plan_id, bin_id=bin_id, stored=stored)


@router.put(
    "/plans/{plan_id}/stops/{bin_id}/report/photo",
    status_code=201,
    openapi_extra=PHOTO_BODY,
    responses={
        200: {"model": schemas.ReportStored, "description": "The same photo was there."},
        409: {"description": "The stop has no report yet: report it first."},
        415: {"description": "The body is not a JPEG, PNG or WebP image."},
    },
)
async def put_stop_photo(
    request: Request, conn: Conn, key: Crew, plan_id: RowId, bin_id: str, response: Response
) -> schemas.ReportStored:
    """A photo with the stop's report (the body: a JPEG, PNG or WebP image of at most 5 MiB),
    in place of an earlier one. Sending the same photo again changes nothing (200)."""
    photo, media_type = await photo_body(request)
    changed = await run_in_threadpool(_attach_photo, conn, key, plan_id, bin_id, photo, media_type)
    if not changed:
        response.status_code = 200
    return schemas.ReportStored(plan_id=plan_id, bin_id=bin_id, stored=changed)


def _attach_photo(
    conn: psycopg.Connection, key: ApiKey, plan_id: int, bin_id: str, photo: bytes, media: str
) -> bool:
    _check_stop(conn, key, plan_id, bin_id)
    try:
        return attach_stop_photo(conn, plan_id, bin_id, photo, media)
    except AmendError as exc:
        raise HTTPException(409, str(exc)) from exc


@router.get(
    "/plans/{plan_id}/stops/{bin_id}/report/photo",
    response_class=Response,
    responses=answers("The photo", *PHOTO_TYPES, schema=BINARY),
)
def get_stop_photo(conn: Conn, key: Crew, plan_id: RowId, bin_id: str) -> Response:
    """The photo kept with the stop's report."""
    _check_stop(conn, key, plan_id, bin_id)
    found = stop_photo(conn, plan_id, bin_id)
    if found is None:
        raise HTTPException(404, f"the report on {bin_id} has no photo")
    return Response(found[0], media_type=found[1])


def _check_stop(conn: psycopg.Connection, key: ApiKey, plan_id: int, bin_id: str) -> None:
    """404 for a stop not on the plan, 403 for another driver's."""
    vehicle = queries.vehicle_of_stop(conn, plan_id, bin_id)
    if vehicle is None:
        raise HTTPException(404, f"{bin_id} is not a stop of plan {plan_id}")
    check_vehicle(key, vehicle)


@router.post(
    "/plans/{plan_date}/changes",
    status_code=201,
    responses={409: {"description": "The plan cannot take the change: `detail` says why."}},
)
def post_change(
    conn: Conn, key: Dispatcher, plan_date: date, change: schemas.PlanChange
) -> schemas.PlanVersion:
    """Change the day's latest plan; every change goes through the route engine's checker
    and makes the next version. A change the plan cannot take is refused (409)."""
    try:
        wanted = Change(
            change.kind, tuple(change.bin_ids), change.vehicle_id, change.position,
            by=key.name, note=change.note,
        )  # fmt: skip
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    settings = PlannerSettings()
    try:
        plan_id = change_plan(conn, plan_date, wanted, settings, datetime.now(UTC))
    except PlanningError as exc:  # an AmendError, or a bin that is not there
        raise HTTPException(409, str(exc)) from exc
    version, unplaced = queries.version_of(conn, plan_id)
    return schemas.PlanVersion(
        plan_id=plan_id, plan_date=plan_date, version=version, unplaced=unplaced
    )
