"""Open data (public): containers and their current status as GeoJSON, CSV and NGSI-LD
WasteContainer entities (FIWARE Smart Data Models), and daily statistics per waste stream.

Household bins stand at people's addresses, so only the containers collected by need
(glass banks, litter bins, street containers) are published, and no address is.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, HTTPException, Query, Response

from api import queries
from api.deps import Conn
from api.openapi import GEOJSON, answers

router = APIRouter(tags=["open data"])
NGSI_LD_CONTEXT = [
    "https://raw.githubusercontent.com/smart-data-models/dataModel.WasteManagement/master/context.jsonld",
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld",
]
WASTE_KIND = {
    "bio": "organic", "paper": "paper", "packaging": "plastic", "glass": "glass",
    "residual": "other", "litter": "other",
}  # fmt: skip
"""Smart Data Models' `storedWasteKind` of each stream."""
NGSI_LD_ENTITIES = {
    "type": "array",
    "items": {"type": "object", "required": ["id", "type", "@context"]},
}
CSV_COLUMNS = ("id", "lat", "lon", "waste_stream", "volume_l", "fill_pct", "measured_at",
               "status", "last_emptied")  # fmt: skip


def _status(row: dict[str, Any]) -> str:
    """The container's safety status in Smart Data Models' terms."""
    if row["burning"]:
        return "burning"
    if row["dropped"]:
        return "dropped"
    return "unknown" if row["offline"] else "ok"


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"], "lat": row["lat"], "lon": row["lon"],
        "waste_stream": row["waste_stream"], "volume_l": row["volume_l"],
        "fill_pct": row["fill_pct"], "measured_at": row["measured_at"],
        "status": _status(row), "last_emptied": row["last_emptied"],
    }  # fmt: skip


@router.get(
    "/v1/open/containers.geojson",
    response_class=Response,
    responses=answers("A GeoJSON FeatureCollection", "application/geo+json", schema=GEOJSON),
)
def containers_geojson(conn: Conn) -> Response:
    """Every container collected by need: where, which stream, how full, its status."""
    features = []
    for row in queries.containers(conn):
        properties = _public(row)
        lat, lon = properties.pop("lat"), properties.pop("lon")
        features.append({"type": "Feature", "id": row["id"],
                         "geometry": {"type": "Point", "coordinates": [lon, lat]},
                         "properties": properties})  # fmt: skip
    body = orjson.dumps({"type": "FeatureCollection", "features": features})
    return Response(body, media_type="application/geo+json")


@router.get(
    "/v1/open/containers.csv",
    response_class=Response,
    responses=answers("CSV with a header row", "text/csv"),
)
def containers_csv(conn: Conn) -> Response:
    """The same containers as CSV, one row each."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in queries.containers(conn):
        public = _public(row)
        writer.writerow(["" if public[c] is None else public[c] for c in CSV_COLUMNS])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8")


@router.get("/v1/open/stats")
def daily_stats(
    conn: Conn,
    start: Annotated[date, Query(description="first day, YYYY-MM-DD")],
    end: Annotated[date, Query(description="day after the last")],
) -> list[dict[str, Any]]:
    """Per day (UTC) and waste stream: bins that reported, their mean fill level, and how
    many bins were emptied. Aggregates only: no bin, no address, no person."""
    if not start < end <= start + timedelta(days=366):
        raise HTTPException(422, "end must be after start, and at most 366 days after it")
    return queries.daily_stats(conn, start, end)


@router.get(
    "/ngsi-ld/v1/entities",
    response_class=Response,
    responses={
        **answers("NGSI-LD entities", "application/ld+json", schema=NGSI_LD_ENTITIES),
        400: {"description": "Only entities of type WasteContainer are served."},
    },
)
def ngsi_ld_entities(
    conn: Conn, type: Annotated[str, Query(description="WasteContainer")] = "WasteContainer"
) -> Response:
    """The containers as NGSI-LD `WasteContainer` entities (Smart Data Models, Waste
    Management), normalized form, with their @context."""
    if type != "WasteContainer":
        raise HTTPException(400, "only entities of type WasteContainer are served")
    entities = []
    for row in queries.containers(conn):
        observed = row["measured_at"].isoformat() if row["measured_at"] else None
        entity: dict[str, Any] = {
            "id": f"urn:ngsi-ld:WasteContainer:{row['id']}",
            "type": "WasteContainer",
            "location": {"type": "GeoProperty",
                         "value": {"type": "Point", "coordinates": [row["lon"], row["lat"]]}},
            "storedWasteKind": {"type": "Property",
                                "value": WASTE_KIND.get(row["waste_stream"], "other")},
            "binCapacity": {"type": "Property", "value": row["volume_l"], "unitCode": "LTR"},
            "status": {"type": "Property", "value": _status(row)},
            "@context": NGSI_LD_CONTEXT,
        }  # fmt: skip
        if row["fill_pct"] is not None:
            entity["fillingLevel"] = {"type": "Property", "value": round(row["fill_pct"] / 100, 3),
                                      "observedAt": observed}  # fmt: skip
        if row["temperature_c"] is not None:
            entity["temperature"] = {"type": "Property", "value": row["temperature_c"],
                                     "observedAt": observed}  # fmt: skip
        if row["last_emptied"] is not None:
            entity["dateLastEmptying"] = {
                "type": "Property",
                "value": {"@type": "DateTime", "@value": row["last_emptied"].isoformat()},
            }
        entities.append(entity)
    return Response(orjson.dumps(entities), media_type="application/ld+json")
