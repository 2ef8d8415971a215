"""Tests of POST /v1/uplinks: gateways over HTTP, through the ingest's own decoders."""

import json
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from api import ApiSettings, create_app
from api.keys import create_key

URL = "/v1/uplinks"
DATA = Path(__file__).parents[1] / "data"


@pytest.fixture
def gateway(db: psycopg.Connection) -> dict[str, str]:
    """A registered sensor dev-a on bin-a, and a gateway's key."""
    db.execute(
        "INSERT INTO bins (id, lat, lon, waste_stream, volume_l, empty_distance_mm,"
        " full_distance_mm) VALUES ('bin-a', 51.05, 3.72, 'residual', 240, 1000, 200)"
    )
    db.execute("INSERT INTO devices (id, sensor_model, bin_id) VALUES ('dev-a', 'x', 'bin-a')")
    return {"Authorization": f"Bearer {create_key(db, 'Gateway 7', 'gateway')[1]}"}


def _reading(ts: str, fill: float) -> dict[str, object]:
    return {"topic": "curbside/v1/devices/dev-a/up", "payload": {"ts": ts, "fill_pct": fill}}


def test_a_batch_is_stored_once_and_a_retry_stores_nothing(
    client: TestClient, gateway: dict[str, str], db: psycopg.Connection
) -> None:
    batch = {
        "messages": [
            _reading("2026-11-27T08:00:00Z", 40.0),
            {"topic": "curbside/v1/devices/dev-a/up", "payload": [
                {"ts": "2026-11-27T09:00:00Z", "fill_pct": 41.0},
                {"ts": "2026-11-27T10:00:00Z", "fill_pct": 42.0},
            ]},
            {"topic": "curbside/v1/devices/ghost/up", "payload": {"fill_pct": 10.0}},
        ]
    }  # fmt: skip
    first = client.post(URL, json=batch, headers=gateway)
    assert first.status_code == 200, first.text
    assert first.json() == {
        "stored": 3, "duplicates": 0, "rejected": 1, "rejects_by_reason": {"unknown_device": 1}
    }  # fmt: skip
    assert db.execute("SELECT count(*) FROM readings").fetchone() == (3,)
    retry = client.post(URL, json=batch, headers=gateway).json()
    assert (retry["stored"], retry["duplicates"]) == (0, 3)
    assert db.execute("SELECT count(*) FROM readings").fetchone() == (3,)


def test_only_a_gateway_may_post(
    client: TestClient, gateway: dict[str, str], db: psycopg.Connection
) -> None:
    dispatcher = {"Authorization": f"Bearer {create_key(db, 'Desk', 'dispatcher')[1]}"}
    batch = {"messages": [_reading("2026-11-27T08:00:00Z", 40.0)]}
    assert client.post(URL, json=batch).status_code == 401
    assert client.post(URL, json=batch, headers=dispatcher).status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {"messages": []},
        {"messages": [{"topic": "", "payload": {}}]},
        {"messages": [{"topic": "t", "payload": "not json"}]},
        {"messages": [_reading("2026-11-27T08:00:00Z", 1.0)] * 1001},
    ],
)
def test_malformed_batches_are_refused_whole(
    client: TestClient, gateway: dict[str, str], db: psycopg.Connection, body: dict[str, object]
) -> None:
    response = client.post(URL, json=body, headers=gateway)
    assert response.status_code == 422
    assert response.json()["errors"]
    assert db.execute("SELECT count(*) FROM readings").fetchone() == (0,)


def test_a_network_server_uplink_goes_through_the_same_decoder(
    client: TestClient, gateway: dict[str, str], db: psycopg.Connection
) -> None:
    """A The Things Stack v3 uplink of an EM310-UDL: its bytes decoded to 2,116 mm."""
    db.execute(
        "INSERT INTO devices (id, sensor_model, bin_id, dev_eui) "
        "VALUES ('bin-0042', 'em310-udl', 'bin-a', '24e124713b123456')"
    )
    uplink = json.loads((DATA / "tts_em310_uplink.json").read_text())
    message = {
        "topic": "v3/curbside/devices/bin-0042/up",
        "payload": uplink,
        "received_at": "2024-06-01T08:15:03Z",
    }
    result = client.post(URL, json={"messages": [message]}, headers=gateway).json()
    assert (result["stored"], result["rejected"]) == (1, 0)
    row = db.execute("SELECT distance_mm, time_is_receive FROM readings").fetchone()
    assert row == (2116, True)


def test_a_body_over_the_limit_is_refused(
    database_url: str, db: psycopg.Connection, gateway: dict[str, str]
) -> None:
    """With a 1 kB limit, a 2 kB batch is 413 before anything is read or stored."""
    settings = ApiSettings(database_url=database_url, max_body_bytes=1000)
    big = {"messages": [_reading("2026-11-27T08:00:00Z", 1.0)] * 30}
    with TestClient(create_app(settings)) as small:
        response = small.post(URL, json=big, headers=gateway)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert db.execute("SELECT count(*) FROM readings").fetchone() == (0,)


def test_a_nul_character_is_a_reject_or_a_422_not_a_server_error(
    client: TestClient, gateway: dict[str, str], db: psycopg.Connection
) -> None:
    """Schemathesis found a 500 from NUL in an uplink (the database takes no NUL in text): in
    a payload's string the message is a reject; in a topic, which MQTT forbids, a 422."""
    reading = _reading("2026-11-27T08:00:00Z", 40.0)
    with_nul = {**reading, "payload": {"fill_pct": 40.0, "note": "a\u0000b"}}
    stored = client.post(URL, json={"messages": [with_nul, reading]}, headers=gateway)
    assert stored.status_code == 200, stored.text
    assert (stored.json()["stored"], stored.json()["rejects_by_reason"]) == (
        1, {"malformed_json": 1}
    )  # fmt: skip
    bad_topic = {"messages": [{**reading, "topic": "curbside/v1/devices/a\u0000/up"}]}
    assert client.post(URL, json=bad_topic, headers=gateway).status_code == 422
