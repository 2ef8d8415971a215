"""Tests of api/routes/plans.py."""

import psycopg
import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def stored_plans(db: psycopg.Connection) -> None:
    """Two versions of the plan for 2026-11-28; version 2 has one route with one bin."""
    db.execute("INSERT INTO depots (id, name, lat, lon) VALUES ('d', 'Depot', 51.0, 3.7)")
    db.execute(
        "INSERT INTO vehicles (id, depot_id, capacity_l, capacity_kg) VALUES ('t1', 'd', 1e4, 1e4)"
    )
    for version in (1, 2):
        db.execute(
            "INSERT INTO plans (plan_date, version, solver, distance_m, duration_s)"
            " VALUES ('2026-11-28', %s, 'ortools', %s, 3600)",
            (version, 1000.0 * version),
        )
    db.execute("INSERT INTO plan_routes VALUES (2, 't1', 2000, 3600, 200)")
    db.execute(
        """INSERT INTO plan_stops VALUES
           (2, 't1', 0, 'depot', 'd', '2026-11-28T06:00Z', 0, NULL),
           (2, 't1', 1, 'bin', 'bin-a', '2026-11-28T06:10Z', 200, 83.5),
           (2, 't1', 2, 'depot', 'd', '2026-11-28T07:00Z', 200, NULL)"""
    )
    db.execute("INSERT INTO plan_omissions VALUES (2, 'bin-z', 'capacity')")


@pytest.mark.usefixtures("stored_plans")
def test_newest_plan_version_with_routes_and_stops(client: TestClient) -> None:
    """Without a version the newest plan comes back with its ordered stops."""
    plan = client.get("/v1/plans/2026-11-28").json()
    assert (plan["version"], plan["distance_m"]) == (2, 2000.0)
    [route] = plan["routes"]
    assert [s["site_id"] for s in route["stops"]] == ["d", "bin-a", "d"]
    assert route["stops"][1]["expected_fill_pct"] == 83.5
    assert plan["omitted"] == [{"bin_id": "bin-z", "reason": "capacity"}]


@pytest.mark.usefixtures("stored_plans")
def test_a_given_version(client: TestClient) -> None:
    """An older version can still be read."""
    plan = client.get("/v1/plans/2026-11-28?version=1").json()
    assert (plan["version"], plan["routes"]) == (1, [])


@pytest.mark.usefixtures("stored_plans")
@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/v1/plans/2026-11-29", 404),
        ("/v1/plans/tomorrow", 422),
        ("/v1/plans/2026-11-28?version=9", 404),
        ("/v1/plans/2026-11-28?version=2147483648", 422),  # past int4: a 500 once
    ],
)
def test_missing_or_malformed_dates(client: TestClient, url: str, status: int) -> None:
    """A date without a plan is 404; a malformed date or version is 422."""
    assert client.get(url).status_code == status
