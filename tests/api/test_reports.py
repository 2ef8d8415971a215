"""Tests of residents' problem reports: the form with a photo, the urgent event they become
for the planner, and the same reports as Open311 GeoReport v2."""

from collections.abc import Callable
from datetime import UTC, date, datetime

import psycopg
import pytest
from fastapi.testclient import TestClient

from optimizer import PlannerSettings, plan_day
from optimizer.reports import file_report

DAY = date(2025, 3, 3)
T = datetime(2025, 3, 2, 18, tzinfo=UTC)
AddRow = Callable[..., None]
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
SETTINGS = PlannerSettings(selection="threshold", time_limit_s=5, solution_limit=100)


@pytest.fixture
def town(add_depot: AddRow, add_vehicle: AddRow, add_bin: AddRow) -> None:
    """Two full bins, and "quiet", 10 % full, which no threshold would choose."""
    add_depot()
    add_vehicle("t1", shift=("08:00", "16:00"))
    add_bin("b0", 1.0, 0.0, [(T, 80.0)], 400.0)
    add_bin("b1", 1.5, 0.5, [(T, 80.0)], 400.0)
    add_bin("quiet", 2.0, -0.5, [(T, 10.0)], 400.0)


def _near_quiet(db: psycopg.Connection) -> tuple[float, float]:
    row = db.execute("SELECT lat + 0.0001, lon FROM bins WHERE id = 'quiet'").fetchone()
    assert row is not None
    return float(row[0]), float(row[1])


@pytest.mark.usefixtures("town")
def test_a_report_with_a_photo_goes_into_the_next_plan(
    client: TestClient, db: psycopg.Connection
) -> None:
    """No plan runs today: the report stays open, names the bin 11 m away, keeps its photo;
    the next plan takes that bin although it is only 10 % full."""
    lat, lon = _near_quiet(db)
    form = {"kind": "overflowing", "lat": str(lat), "lon": str(lon), "description": "bags"}
    response = client.post("/v1/reports", data=form, files={"photo": ("p.png", PNG, "image/png")})
    assert response.status_code == 201, response.text
    report = response.json()
    assert (report["bin_id"], report["status"]) == ("quiet", "open")
    photo = client.get(report["photo_url"])
    assert (photo.content, photo.headers["content-type"]) == (PNG, "image/png")
    plan = plan_day(db, DAY, SETTINGS)
    stops = db.execute(
        "SELECT site_id FROM plan_stops WHERE plan_id = %s AND kind = 'bin'", (plan.plan_id,)
    ).fetchall()
    assert ("quiet",) in stops
    again = client.get(f"/v1/reports/{report['id']}").json()
    assert (again["status"], again["plan_id"]) == ("planned", plan.plan_id)


@pytest.mark.usefixtures("town")
def test_an_urgent_report_joins_todays_running_routes(db: psycopg.Connection) -> None:
    planned = plan_day(db, DAY, SETTINGS).plan_id
    lat, lon = _near_quiet(db)
    now = datetime(2025, 3, 3, 8, 1, tzinfo=UTC)  # the truck has just left
    report = file_report(db, "missed collection", lat, lon, settings=SETTINGS, now=now)
    assert report.status == "planned"
    assert report.plan_id is not None
    assert report.plan_id != planned
    changed = db.execute("SELECT kind, bin_id, changed_by FROM plan_changes").fetchall()
    assert changed == [("urgent", "quiet", f"resident report {report.id}")]


@pytest.mark.usefixtures("town")
@pytest.mark.parametrize(
    ("form", "files", "status"),
    [
        ({"kind": "smelly", "lat": "45", "lon": "7"}, None, 422),
        ({"kind": "damaged", "lat": "95", "lon": "7"}, None, 422),
        ({"kind": "damaged", "lat": "45", "lon": "7", "bin_id": "nope"}, None, 422),
        (
            {"kind": "damaged", "lat": "45", "lon": "7"},
            {"photo": ("a.gif", b"GIF89a", "image/gif")},
            415,
        ),
    ],
)
def test_bad_reports_are_refused(
    client: TestClient,
    db: psycopg.Connection,
    form: dict[str, str],
    files: dict[str, tuple[str, bytes, str]] | None,
    status: int,
) -> None:
    response = client.post("/v1/reports", data=form, files=files)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert db.execute("SELECT count(*) FROM resident_reports").fetchone() == (0,)


@pytest.mark.usefixtures("town")
def test_open311_services_and_requests(client: TestClient, db: psycopg.Connection) -> None:
    services = client.get("/open311/v2/services.json").json()
    assert {s["service_code"] for s in services} == {
        "overflowing", "damaged", "missed collection", "illegal dumping"
    }  # fmt: skip
    lat, lon = _near_quiet(db)
    form = {"service_code": "illegal dumping", "lat": str(lat), "long": str(lon),
            "description": "a sofa"}  # fmt: skip
    created = client.post("/open311/v2/requests.json", data=form)
    assert created.status_code == 201
    [ticket] = created.json()
    [request] = client.get(f"/open311/v2/requests/{ticket['service_request_id']}.json").json()
    assert (request["status"], request["service_code"], request["description"]) == (
        "open", "illegal dumping", "a sofa"
    )  # fmt: skip
    assert request["long"] == pytest.approx(lon)
    listed = client.get("/open311/v2/requests.json").json()
    assert [r["service_request_id"] for r in listed] == [ticket["service_request_id"]]
    bad = client.post("/open311/v2/requests.json", data={**form, "service_code": "noise"})
    assert bad.status_code == 422
