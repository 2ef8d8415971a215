"""Tests of api/routes/bins.py."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient


@pytest.mark.usefixtures("two_bins")
def test_bins_carry_their_latest_fill_level(client: TestClient) -> None:
    """Each bin shows its newest reading; a bin without readings shows none."""
    response = client.get("/v1/bins")
    assert response.status_code == 200
    by_id = {b["id"]: b for b in response.json()}
    assert by_id["bin-a"]["fill_pct"] == 80
    assert by_id["bin-a"]["measured_at"].startswith("2026-11-26T08:00:00")
    assert by_id["bin-b"]["fill_pct"] is None


@pytest.mark.usefixtures("two_bins")
@pytest.mark.parametrize(
    ("query", "expected"),
    [("waste_stream=paper", ["bin-b"]), ("min_fill_pct=50", ["bin-a"]), ("min_fill_pct=90", [])],
)
def test_bins_filter(client: TestClient, query: str, expected: list[str]) -> None:
    """Filters by waste stream and minimum fill level."""
    assert [b["id"] for b in client.get(f"/v1/bins?{query}").json()] == expected


@pytest.mark.usefixtures("two_bins")
def test_readings_over_a_time_range(client: TestClient) -> None:
    """Only readings inside [start, end) come back, oldest first."""
    url = "/v1/bins/bin-a/readings?start=2026-11-24T00:00:00Z&end=2026-11-26T00:00:00Z"
    readings = client.get(url).json()
    assert [r["fill_pct"] for r in readings] == [20]
    url = "/v1/bins/bin-a/readings?start=2026-11-24T00:00:00Z&end=2026-11-27T00:00:00Z"
    assert [r["fill_pct"] for r in client.get(url).json()] == [20, 80]


@pytest.mark.usefixtures("two_bins")
@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/v1/bins/nope", 404),
        ("/v1/bins/nope/readings", 404),
        ("/v1/bins/bin-a/readings?start=2026-11-26T00:00:00Z&end=2026-11-25T00:00:00Z", 422),
        ("/v1/bins/bin-a/readings?start=yesterday", 422),
        ("/v1/bins?min_fill_pct=150", 422),
    ],
)
def test_bad_requests_get_clear_errors(client: TestClient, url: str, status: int) -> None:
    """Unknown bins are 404; malformed parameters are 422 with a detail."""
    response = client.get(url)
    assert response.status_code == status
    assert response.json()["detail"]


def test_health_reports_timescaledb(client: TestClient) -> None:
    """The health check reaches the database and names the TimescaleDB version."""
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["timescaledb"]


@pytest.fixture
def live_and_alarmed(db: psycopg.Connection, two_bins: None) -> None:
    """bin-b's sensor reported a minute ago and tilted an hour ago; bin-a's last reading
    is from 2026-11-26, more than 26 h before now."""
    db.execute("INSERT INTO devices (id, sensor_model, bin_id) VALUES ('dev-b', 'x', 'bin-b')")
    db.execute(
        "INSERT INTO readings (device_id, bin_id, measured_at, received_at, fill_pct)"
        " VALUES ('dev-b', 'bin-b', now() - interval '1 minute', now(), 35)"
    )
    db.execute(
        "INSERT INTO events (device_id, bin_id, kind, occurred_at, value)"
        " VALUES ('dev-b', 'bin-b', 'tilt', now() - interval '1 hour', 60)"
    )


@pytest.mark.usefixtures("live_and_alarmed")
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("offline=true", ["bin-a"]),
        ("offline=false", ["bin-b"]),
        ("alarm=true", ["bin-b"]),
        ("alarm=false&waste_stream=residual", ["bin-a"]),
    ],
)
def test_bins_offline_and_alarmed(client: TestClient, query: str, expected: list[str]) -> None:
    assert [b["id"] for b in client.get(f"/v1/bins?{query}").json()] == expected


@pytest.mark.usefixtures("live_and_alarmed")
def test_bins_as_geojson(client: TestClient) -> None:
    response = client.get("/v1/bins.geojson?alarm=true")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    [feature] = collection["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [3.73, 51.06]}
    assert (feature["id"], feature["properties"]["fill_pct"]) == ("bin-b", 35.0)
    assert feature["properties"]["alarm"] is True


@pytest.fixture
def filling_bins(add_bin: Callable[..., None]) -> datetime:
    """ "fast" fills 10 % a day and stands near 70 % now; "slow" fills 1 % a day from 10 %;
    "silent" has never reported. Returns now."""
    now = datetime.now(UTC)
    hours = (48, 36, 24, 12, 0)
    add_bin("fast", 1.0, 0.0, [(now - timedelta(hours=h), 70.0 - h * 10 / 24) for h in hours])
    add_bin("slow", 0.0, 1.0, [(now - timedelta(hours=h), 12.0 - h / 24) for h in hours])
    add_bin("silent", 1.0, 1.0)
    return now


@pytest.mark.usefixtures("filling_bins")
@pytest.mark.parametrize(("hours", "expected"), [(12, []), (96, ["fast"])])
def test_bins_at_risk_of_overflowing(client: TestClient, hours: int, expected: list[str]) -> None:
    """At 10 % a day from 70 %, "fast" is full in about three days, not within twelve hours;
    "slow" is not at risk within four days; the silent bin is never listed, as the planner
    does not act on a forecast without readings."""
    listed = client.get(f"/v1/bins?at_risk_within_h={hours}").json()
    assert [b["id"] for b in listed] == expected
    mapped = client.get(f"/v1/bins.geojson?at_risk_within_h={hours}").json()
    assert [f["id"] for f in mapped["features"]] == expected


def test_a_bins_forecast(client: TestClient, filling_bins: datetime) -> None:
    """The fast bin's level, rate and time to full, hand-computed from its readings."""
    response = client.get("/v1/bins/fast/forecast?days=4")
    assert response.status_code == 200, response.text
    found = response.json()
    assert (found["source"], found["flags"], found["trusted"]) == ("sensor", [], True)
    assert found["level_pct"] == pytest.approx(70.0, abs=0.5)
    assert found["rate_pct_per_day"] == pytest.approx(10.0, abs=0.2)
    full_at = datetime.fromisoformat(found["full_at"])
    assert abs(full_at - (filling_bins + timedelta(days=3))) < timedelta(hours=2)
    levels = [point["level_pct"] for point in found["ahead"]]
    assert levels == pytest.approx([80.0, 90.0, 100.0, 110.0], abs=0.6)
    chances = [point["overflow_probability"] for point in found["ahead"]]
    assert chances == sorted(chances)
    assert chances[0] < 0.05
    assert chances[2] == pytest.approx(0.5, abs=0.05)  # expected to stand at full then
    assert chances[-1] > 0.8


@pytest.mark.usefixtures("filling_bins")
def test_a_silent_bins_forecast_is_not_trusted(client: TestClient) -> None:
    """Without readings, the forecast borrows its stream's rate and says it cannot be trusted."""
    found = client.get("/v1/bins/silent/forecast").json()
    assert found["source"] == "neighbours"
    assert "no-readings" in found["flags"]
    assert found["trusted"] is False


@pytest.mark.parametrize(
    ("url", "status"),
    [("/v1/bins/nope/forecast", 404), ("/v1/bins/fast/forecast?days=0", 422),
     ("/v1/bins?at_risk_within_h=0", 422)],
)  # fmt: skip
@pytest.mark.usefixtures("filling_bins")
def test_bad_forecast_requests(client: TestClient, url: str, status: int) -> None:
    assert client.get(url).status_code == status
