"""Tests of the keyed endpoints: drivers' routes and reports, dispatchers' changes, and the
refusals (no key, a revoked key, the wrong role, another driver's route, bad input)."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.keys import create_key, revoke_key
from optimizer import PlannerSettings, plan_day

DAY = date.today() + timedelta(days=7)
"""A day ahead, so nothing of its plan is done yet when a dispatcher changes it now."""
T = datetime.now(UTC) - timedelta(hours=1)
AddRow = Callable[..., None]
Keys = dict[str, str]


@pytest.fixture
def planned(db: psycopg.Connection, add_depot: AddRow, add_vehicle: AddRow, add_bin: AddRow) -> int:
    """Monday's plan: four full bins on two trucks; "extra" is not in it."""
    add_depot()
    add_vehicle("t1")
    add_vehicle("t2")
    for i in range(4):
        add_bin(f"b{i}", 1.0 + i * 0.5, (-1) ** i * 1.0, [(T, 75.0)], 400.0)
    add_bin("extra", 1.2, 0.2, [(T, 20.0)], 400.0)
    settings = PlannerSettings(selection="threshold", time_limit_s=5, solution_limit=100)
    return plan_day(db, DAY, settings).plan_id


@pytest.fixture
def keys(db: psycopg.Connection, planned: int) -> Keys:
    made = {
        "dispatcher": create_key(db, "Dispatch desk", "dispatcher")[1],
        "driver-t1": create_key(db, "Ann", "driver", "t1")[1],
        "driver": create_key(db, "Relief driver", "driver")[1],
        "gateway": create_key(db, "Gateway 7", "gateway")[1],
    }
    record, revoked = create_key(db, "Old", "dispatcher")
    revoke_key(db, record.id)
    made["revoked"] = revoked
    return made


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _route_stops(client: TestClient, vehicle: str, key: str) -> list[dict[str, object]]:
    response = client.get(f"/v1/routes/{DAY}/{vehicle}", headers=_auth(key))
    assert response.status_code == 200, response.text
    stops: list[dict[str, object]] = response.json()["stops"]
    return stops


def _a_bin_of(client: TestClient, keys: Keys, vehicle: str) -> str:
    stops = _route_stops(client, vehicle, keys["dispatcher"])
    return str(next(s["site_id"] for s in stops if s["kind"] == "bin"))


def test_a_driver_reads_the_route_and_reports_idempotently(
    client: TestClient, keys: Keys, planned: int
) -> None:
    bin_id = _a_bin_of(client, keys, "t1")
    url = f"/v1/plans/{planned}/stops/{bin_id}/report"
    report = {"status": "skipped", "reason": "blocked", "reported_at": f"{DAY}T08:00:00Z"}
    first = client.put(url, json=report, headers=_auth(keys["driver-t1"]))
    assert (first.status_code, first.json()["stored"]) == (201, True)
    again = client.put(url, json=report, headers=_auth(keys["driver-t1"]))
    assert (again.status_code, again.json()["stored"]) == (200, False)
    stops = _route_stops(client, "t1", keys["driver-t1"])
    reported = next(s for s in stops if s["site_id"] == bin_id)
    assert (reported["report"], reported["skip_reason"]) == ("skipped", "blocked")
    contradicting = client.put(url, json={"status": "done"}, headers=_auth(keys["driver-t1"]))
    assert contradicting.status_code == 409
    assert contradicting.headers["content-type"] == "application/problem+json"
    assert contradicting.json()["title"] == "Conflict"


@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 401), ("revoked", 401), ("gateway", 403), ("driver-t1", 403), ("driver", 200)],
)
def test_who_may_read_t2s_route(
    client: TestClient, keys: Keys, who: str | None, status: int
) -> None:
    """No key or a revoked one: 401; a gateway, or t1's driver: 403; any driver: 200."""
    headers = {} if who is None else _auth(keys[who])
    response = client.get(f"/v1/routes/{DAY}/t2", headers=headers)
    assert response.status_code == status
    if status != 200:
        body = response.json()
        assert (body["status"], body["type"]) == (status, "about:blank")
        assert body["detail"]


def test_a_driver_cannot_report_on_another_trucks_stop(
    client: TestClient, keys: Keys, planned: int
) -> None:
    bin_id = _a_bin_of(client, keys, "t2")
    response = client.put(
        f"/v1/plans/{planned}/stops/{bin_id}/report",
        json={"status": "done"},
        headers=_auth(keys["driver-t1"]),
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {"status": "skipped", "reason": "raining"},
        {"status": "finished"},
        {"status": "done", "note": "x" * 1001},
    ],
)
def test_bad_reports_are_refused_with_the_reason(
    client: TestClient, keys: Keys, planned: int, body: dict[str, str]
) -> None:
    bin_id = _a_bin_of(client, keys, "t1")
    response = client.put(
        f"/v1/plans/{planned}/stops/{bin_id}/report", json=body, headers=_auth(keys["driver-t1"])
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"]
    assert problem["detail"].startswith("body.")


def test_a_dispatcher_changes_the_plan_and_a_driver_may_not(
    client: TestClient, keys: Keys, db: psycopg.Connection
) -> None:
    url = f"/v1/plans/{DAY}/changes"
    change = {"kind": "add", "bin_ids": ["extra"], "note": "called in"}
    assert client.post(url, json=change, headers=_auth(keys["driver"])).status_code == 403
    made = client.post(url, json=change, headers=_auth(keys["dispatcher"]))
    assert made.status_code == 201, made.text
    assert (made.json()["version"], made.json()["unplaced"]) == (2, [])
    logged = db.execute("SELECT kind, bin_id, changed_by FROM plan_changes").fetchall()
    assert logged == [("add", "extra", "Dispatch desk")]
    twice = client.post(url, json=change, headers=_auth(keys["dispatcher"]))
    assert twice.status_code == 409
    assert "already on a route" in twice.json()["detail"]
    malformed = {"kind": "move", "bin_ids": ["extra"]}
    assert client.post(url, json=malformed, headers=_auth(keys["dispatcher"])).status_code == 422
    unknown = {"kind": "urgent", "bin_ids": ["nowhere"]}  # a 500 once (schemathesis)
    refused = client.post(url, json=unknown, headers=_auth(keys["dispatcher"]))
    assert (refused.status_code, refused.json()["detail"]) == (409, "no bin 'nowhere'")


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def test_a_photo_goes_with_a_stop_report_idempotently(
    client: TestClient, keys: Keys, planned: int, db: psycopg.Connection
) -> None:
    """A photo needs the report first; sent twice it is kept once; the dispatcher reads it
    back byte for byte; another photo replaces it."""
    bin_id = _a_bin_of(client, keys, "t1")
    url = f"/v1/plans/{planned}/stops/{bin_id}/report"
    ann = {**_auth(keys["driver-t1"]), "Content-Type": "image/png"}
    early = client.put(f"{url}/photo", content=PNG, headers=ann)
    assert early.status_code == 409
    assert "report the stop first" in early.json()["detail"]
    skipped = {"status": "skipped", "reason": "contaminated"}
    assert client.put(url, json=skipped, headers=_auth(keys["driver-t1"])).status_code == 201
    first = client.put(f"{url}/photo", content=PNG, headers=ann)
    assert (first.status_code, first.json()["stored"]) == (201, True)
    again = client.put(f"{url}/photo", content=PNG, headers=ann)
    assert (again.status_code, again.json()["stored"]) == (200, False)
    read = client.get(f"{url}/photo", headers=_auth(keys["dispatcher"]))
    assert (read.status_code, read.headers["content-type"], read.content) == (200, "image/png", PNG)
    other = client.put(f"{url}/photo", content=PNG + b"\0", headers=ann)
    assert (other.status_code, other.json()["stored"]) == (201, True)
    stored = db.execute("SELECT photo FROM stop_reports WHERE bin_id = %s", (bin_id,)).fetchone()
    assert stored is not None
    assert bytes(stored[0]) == PNG + b"\0"


@pytest.mark.parametrize(
    ("who", "media_type", "body", "status"),
    [
        ("driver-t2-stop", "image/png", PNG, 403),  # t1's driver on t2's stop
        ("own", "text/plain", b"hello", 415),
        ("own", "image/jpeg", b"", 422),
        ("own", "image/jpeg", b"\xff" * (5 * 1024 * 1024 + 1), 413),
        ("none", "image/png", PNG, 401),
    ],
)
def test_bad_stop_photos_are_refused(
    client: TestClient, keys: Keys, planned: int, who: str, media_type: str, body: bytes,
    status: int,
) -> None:  # fmt: skip
    vehicle = "t2" if who == "driver-t2-stop" else "t1"
    bin_id = _a_bin_of(client, keys, vehicle)
    url = f"/v1/plans/{planned}/stops/{bin_id}/report"
    done = client.put(url, json={"status": "done"}, headers=_auth(keys["dispatcher"]))
    assert done.status_code == 201
    headers = {"Content-Type": media_type}
    if who != "none":
        headers.update(_auth(keys["driver-t1"]))
    refused = client.put(f"{url}/photo", content=body, headers=headers)
    assert refused.status_code == status, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
