"""Tests of the open data: containers (no household bins, no addresses) as GeoJSON, CSV and
NGSI-LD WasteContainer entities, and the daily statistics."""

import csv
import io

import psycopg
import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def city(db: psycopg.Connection) -> None:
    """A household bin at an address; a glass bank at 40 %, emptied a year ago and silent
    since; a litter bin at 90 % with a fire alarm."""
    db.execute(
        """INSERT INTO bins (id, lat, lon, address, waste_stream, volume_l, empty_distance_mm,
                             full_distance_mm, schedule, round_weekday)
           VALUES ('home-1', 51.05, 3.72, 'Korenmarkt 1', 'residual', 240, 1000, 200,
                   'calendar', 0),
                  ('glass-1', 51.06, 3.73, 'Veldstraat 9', 'glass', 3000, 2000, 300, 'need', NULL),
                  ('litter-1', 51.07, 3.74, NULL, 'litter', 100, 900, 100, 'need', NULL)"""
    )
    for device, bin_id in (("d-home", "home-1"), ("d-glass", "glass-1"), ("d-lit", "litter-1")):
        db.execute("INSERT INTO devices (id, sensor_model, bin_id) VALUES (%s, 'x', %s)",
                   (device, bin_id))  # fmt: skip
    db.execute(
        """INSERT INTO readings (device_id, bin_id, measured_at, received_at, fill_pct,
                                 temperature_c)
           VALUES ('d-home', 'home-1', '2025-11-26T08:00Z', now(), 70, NULL),
                  ('d-glass', 'glass-1', '2025-11-26T08:00Z', now(), 20, NULL),
                  ('d-glass', 'glass-1', '2025-11-26T20:00Z', now(), 40, NULL),
                  ('d-lit', 'litter-1', now() - interval '5 minutes', now(), 90, 71)"""
    )
    db.execute(
        "INSERT INTO collections (bin_id, collected_at, source) VALUES"
        " ('glass-1', '2025-11-26T06:00Z', 'sensor'), ('home-1', '2025-11-26T07:00Z', 'driver')"
    )
    db.execute(
        "INSERT INTO events (device_id, bin_id, kind, occurred_at, value)"
        " VALUES ('d-lit', 'litter-1', 'fire_risk', now(), 71)"
    )


@pytest.mark.usefixtures("city")
def test_containers_as_geojson_and_csv(client: TestClient) -> None:
    response = client.get("/v1/open/containers.geojson")
    assert response.headers["content-type"] == "application/geo+json"
    assert "Veldstraat" not in response.text  # no addresses
    features = {f["id"]: f for f in response.json()["features"]}
    assert set(features) == {"glass-1", "litter-1"}  # the household bin is not published
    glass = features["glass-1"]
    assert glass["geometry"]["coordinates"] == [3.73, 51.06]
    assert (glass["properties"]["fill_pct"], glass["properties"]["status"]) == (40.0, "unknown")
    assert features["litter-1"]["properties"]["status"] == "burning"
    rows = list(csv.DictReader(io.StringIO(client.get("/v1/open/containers.csv").text)))
    assert [(r["id"], r["status"]) for r in rows] == [
        ("glass-1", "unknown"),
        ("litter-1", "burning"),
    ]
    assert rows[0]["last_emptied"].startswith("2025-11-26 06:00")


@pytest.mark.usefixtures("city")
def test_containers_as_ngsi_ld_waste_containers(client: TestClient) -> None:
    response = client.get("/ngsi-ld/v1/entities?type=WasteContainer")
    assert response.headers["content-type"] == "application/ld+json"
    entities = {e["id"]: e for e in response.json()}
    glass = entities["urn:ngsi-ld:WasteContainer:glass-1"]
    assert glass["type"] == "WasteContainer"
    assert glass["fillingLevel"]["value"] == 0.4
    assert glass["storedWasteKind"]["value"] == "glass"
    assert glass["location"]["value"] == {"type": "Point", "coordinates": [3.73, 51.06]}
    assert glass["dateLastEmptying"]["value"]["@type"] == "DateTime"
    assert any("WasteManagement" in url for url in glass["@context"])
    litter = entities["urn:ngsi-ld:WasteContainer:litter-1"]
    assert (litter["status"]["value"], litter["temperature"]["value"]) == ("burning", 71.0)
    assert client.get("/ngsi-ld/v1/entities?type=Vehicle").status_code == 400


@pytest.mark.usefixtures("city")
def test_daily_statistics_per_stream(client: TestClient) -> None:
    stats = client.get("/v1/open/stats?start=2025-11-26&end=2025-11-27").json()
    by_stream = {s["waste_stream"]: s for s in stats}
    assert by_stream["glass"] == {
        "day": "2025-11-26", "waste_stream": "glass", "bins_reporting": 1,
        "mean_fill_pct": 30.0, "collections": 1,
    }  # fmt: skip
    assert by_stream["residual"]["collections"] == 1
    assert client.get("/v1/open/stats?start=2026-01-01&end=2027-06-01").status_code == 422
