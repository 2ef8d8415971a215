"""Residents report problems (public), also as Open311 GeoReport v2 service requests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Response, UploadFile

from api import schemas
from api.deps import Conn, RowId
from api.openapi import answers
from api.photos import BINARY, MAX_PHOTO_BYTES, PHOTO_TYPES
from optimizer.reports import KINDS, Report, file_report, list_reports, report_by_id, report_photo

router = APIRouter(tags=["residents"])
SERVICES = {
    "overflowing": "A bin or container is full or overflowing",
    "damaged": "A bin or container is damaged",
    "missed collection": "A bin was not collected on its day",
    "illegal dumping": "Waste dumped where it should not be",
}


def _public(report: Report) -> schemas.ResidentReport:
    photo = f"/v1/reports/{report.id}/photo" if report.has_photo else None
    return schemas.ResidentReport(
        id=report.id, kind=report.kind, description=report.description, lat=report.lat,
        lon=report.lon, bin_id=report.bin_id, status=report.status, plan_id=report.plan_id,
        created_at=report.created_at, photo_url=photo,
    )  # fmt: skip


async def _photo(photo: UploadFile | None) -> tuple[bytes, str] | None:
    if photo is None:
        return None
    if photo.content_type not in PHOTO_TYPES:
        raise HTTPException(415, f"a photo is {', '.join(PHOTO_TYPES)}, not {photo.content_type}")
    data = await photo.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise HTTPException(413, f"a photo is at most {MAX_PHOTO_BYTES // 1024 // 1024} MiB")
    return data, photo.content_type


def _file(conn: Conn, kind: str, lat: float, lon: float, text: str, bin_id: str | None,
          photo: tuple[bytes, str] | None) -> Report:  # fmt: skip
    try:
        return file_report(conn, kind, lat, lon, text, bin_id, photo)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc


@router.post(
    "/v1/reports",
    status_code=201,
    responses={415: {"description": "The photo is not a JPEG, PNG or WebP image."}},
)
async def post_report(
    conn: Conn,
    kind: Annotated[str, Form(json_schema_extra={"enum": list(KINDS)})],
    lat: Annotated[float, Form(ge=-90, le=90)],
    lon: Annotated[float, Form(ge=-180, le=180)],
    description: Annotated[str, Form(max_length=2000)] = "",
    bin_id: Annotated[str | None, Form(max_length=100)] = None,
    photo: UploadFile | None = None,
) -> schemas.ResidentReport:
    """Report a problem at a position (a form, with an optional photo of at most 5 MiB). An
    overflowing bin or a missed collection goes into today's running routes when it fits,
    else into the next plan."""
    return _public(_file(conn, kind, lat, lon, description, bin_id, await _photo(photo)))


@router.get("/v1/reports/{report_id}")
def get_report(conn: Conn, report_id: RowId) -> schemas.ResidentReport:
    found = report_by_id(conn, report_id)
    if found is None:
        raise HTTPException(404, f"no report {report_id}")
    return _public(found)


@router.get(
    "/v1/reports/{report_id}/photo",
    response_class=Response,
    responses=answers("The photo", *PHOTO_TYPES, schema=BINARY),
)
def get_report_photo(conn: Conn, report_id: RowId) -> Response:
    found = report_photo(conn, report_id)
    if found is None:
        raise HTTPException(404, f"report {report_id} has no photo")
    return Response(found[0], media_type=found[1])


# --- Open311 GeoReport v2 ------------------------------------------------------------------


def _request(report: Report) -> dict[str, Any]:
    stamp = report.created_at.astimezone(UTC).isoformat()
    return {
        "service_request_id": str(report.id),
        "status": "closed" if report.status == "closed" else "open",
        "status_notes": {"planned": "a collection is planned"}.get(report.status),
        "service_code": report.kind,
        "service_name": SERVICES[report.kind],
        "description": report.description,
        "requested_datetime": stamp,
        "updated_datetime": stamp,
        "lat": report.lat,
        "long": report.lon,
        "media_url": f"/v1/reports/{report.id}/photo" if report.has_photo else None,
    }


@router.get("/open311/v2/services.json")
def open311_services() -> list[dict[str, Any]]:
    """The problems residents may report, as Open311 services."""
    return [
        {"service_code": code, "service_name": name, "description": name, "metadata": False,
         "type": "realtime", "keywords": "waste", "group": "waste"}
        for code, name in SERVICES.items()
    ]  # fmt: skip


@router.post("/open311/v2/requests.json", status_code=201)
def open311_post(
    conn: Conn,
    service_code: Annotated[str, Form(json_schema_extra={"enum": list(SERVICES)})],
    lat: Annotated[float, Form(ge=-90, le=90)],
    long: Annotated[float, Form(ge=-180, le=180)],
    description: Annotated[str, Form(max_length=2000)] = "",
) -> list[dict[str, Any]]:
    """Create a service request (Open311 GeoReport v2 `POST requests`)."""
    report = _file(conn, service_code, lat, long, description, None, None)
    return [{"service_request_id": str(report.id), "service_notice": "", "account_id": None}]


@router.get("/open311/v2/requests.json")
def open311_requests(
    conn: Conn,
    start_date: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
) -> list[dict[str, Any]]:
    """Service requests, newest first (Open311 `GET requests`)."""
    since: date | None = start_date.date() if start_date else None
    return [_request(r) for r in list_reports(conn, since, limit)]


@router.get("/open311/v2/requests/{request_id}.json")
def open311_request(conn: Conn, request_id: RowId) -> list[dict[str, Any]]:
    found = report_by_id(conn, request_id)
    if found is None:
        raise HTTPException(404, f"no service request {request_id}")
    return [_request(found)]
