"""Tests of the dispatchers' endpoints: a bin's events and collections, requesting and
approving a plan, and a route exported as GPX, GeoJSON, CSV and a printable manifest."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import psycopg
import pytest
import xmlschema
from fastapi.testclient import TestClient

from api.keys import create_key

DAY = date.today() + timedelta(days=3)
T = datetime.now(UTC) - timedelta(hours=1)
AddRow = Callable[..., None]
GPX = "{http://www.topografix.com/GPX/1/1}"
GPX_SCHEMA = Path(__file__).parent.parent / "data" / "gpx-1.1.xsd"


@pytest.fixture
def headers(
    db: psycopg.Connection,
    add_depot: AddRow,
    add_vehicle: AddRow,
    add_bin: AddRow,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, dict[str, str]]:
    """Three full bins and one truck; the planner picks by threshold within a second."""
    add_depot()
    add_vehicle("t1")
    for i in range(3):
        add_bin(f"b{i}", 1.0 + i * 0.5, (-1) ** i * 1.0, [(T, 80.0)], 400.0)
    db.execute("UPDATE bins SET address = 'Korenmarkt ' || id")
    db.execute(
        "INSERT INTO events (device_id, bin_id, kind, occurred_at, value)"
        " VALUES ('dev-b0', 'b0', 'tilt', now(), 70)"
    )
    for name, value in {
        "SELECTION": "threshold",
        "TIME_LIMIT_S": "2",
        "SOLUTION_LIMIT": "50",
    }.items():
        monkeypatch.setenv(f"CURBSIDE_{name}", value)
    return {
        role: {"Authorization": f"Bearer {create_key(db, role, role)[1]}"}
        for role in ("dispatcher", "driver")
    }


def test_request_approve_and_export_a_plan(
    client: TestClient, headers: dict[str, dict[str, str]], db: psycopg.Connection
) -> None:
    dispatcher = headers["dispatcher"]
    assert client.post(f"/v1/plans/{DAY}", headers=headers["driver"]).status_code == 403
    made = client.post(f"/v1/plans/{DAY}", headers=dispatcher)
    assert made.status_code == 201, made.text
    plan = made.json()
    assert (plan["version"], plan["status"]) == (1, "proposed")
    approved = client.post(f"/v1/plans/{DAY}/approve", headers=dispatcher).json()
    assert approved["status"] == "approved"
    logged = db.execute("SELECT kind, changed_by FROM plan_changes").fetchall()
    assert logged == [("approve", "dispatcher")]

    base = f"/v1/plans/{DAY}/routes/t1"
    gpx = client.get(f"{base}.gpx", headers=headers["driver"])
    assert gpx.headers["content-type"] == "application/gpx+xml"
    xmlschema.XMLSchema(GPX_SCHEMA).validate(gpx.content.decode())
    root = ElementTree.fromstring(gpx.content)
    assert (root.tag, root.get("version")) == (f"{GPX}gpx", "1.1")
    names = [w.findtext(f"{GPX}name") for w in root.findall(f"{GPX}wpt")]
    assert names[0] == names[-1] == "depot"
    assert sorted(n for n in names if n and n.startswith("b")) == ["b0", "b1", "b2"]
    assert len(root.findall(f"{GPX}rte/{GPX}rtept")) == len(names)

    features = client.get(f"{base}.geojson", headers=dispatcher).json()["features"]
    assert features[0]["geometry"]["type"] == "LineString"
    assert len(features[0]["geometry"]["coordinates"]) == len(names)
    assert [f["properties"]["site_id"] for f in features[1:]] == names

    lines = client.get(f"{base}.csv", headers=dispatcher).text.splitlines()
    assert lines[0].startswith("position,kind,site_id,address,waste_stream,arrival_at")
    assert len(lines) == 1 + len(names)

    page = client.get(f"{base}/manifest", headers=dispatcher)
    assert page.headers["content-type"].startswith("text/html")
    assert "Korenmarkt b1" in page.text
    assert "Totals: 3 bins" in page.text


def test_exports_need_a_plan_and_a_key(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    assert client.get(f"/v1/plans/{DAY}/routes/t1.gpx").status_code == 401
    missing = client.get(f"/v1/plans/{DAY}/routes/t1.csv", headers=headers["dispatcher"])
    assert missing.status_code == 404
    assert client.post(f"/v1/plans/{DAY}/approve", headers=headers["dispatcher"]).status_code == 404


def test_a_plan_is_for_a_day_within_a_year(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    """Schemathesis found a plan for the year 4096 taking minutes (the forecast steps day by
    day): a day more than a year from today is refused with 422 at once."""
    for far in (date.today() + timedelta(days=400), date(1900, 1, 1), date(4096, 1, 20)):
        refused = client.post(f"/v1/plans/{far}", headers=headers["dispatcher"])
        assert refused.status_code == 422
        assert "within 366 days" in refused.json()["detail"]


def test_a_bins_events_and_collections(
    client: TestClient, headers: dict[str, dict[str, str]], db: psycopg.Connection
) -> None:
    db.execute(
        "INSERT INTO collections (bin_id, collected_at, source, fill_before, fill_after)"
        " VALUES ('b0', now() - interval '1 day', 'sensor', 85, 3)"
    )
    events = client.get("/v1/bins/b0/events", headers=headers["dispatcher"]).json()
    assert [(e["kind"], e["value"]) for e in events] == [("tilt", 70.0)]
    emptied = client.get("/v1/bins/b0/collections", headers=headers["dispatcher"]).json()
    assert [(c["source"], c["fill_before"]) for c in emptied] == [("sensor", 85.0)]
    assert client.get("/v1/bins/b0/events", headers=headers["driver"]).status_code == 403
