"""Tests of api/routes/bins.py."""

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
