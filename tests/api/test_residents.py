"""Tests of the residents' pickups: JSON and the iCalendar feed, read back with `icalendar`."""

from datetime import date, timedelta

import icalendar
import psycopg
import pytest
from fastapi.testclient import TestClient

TODAY = date.today()


def _next(weekday: int) -> date:
    """The first day from today that falls on `weekday` (0 is Monday)."""
    return TODAY + timedelta(days=(weekday - TODAY.weekday()) % 7)


MONDAY, WEDNESDAY = _next(0), _next(2)
HOLIDAY = MONDAY + timedelta(days=7)
"""The second Monday is a public holiday: its collection moves to the Tuesday."""


@pytest.fixture
def street(db: psycopg.Connection) -> None:
    """Korenmarkt 1: residual on Mondays, paper on Wednesdays; a glass bank by need at
    Veldstraat 9, planned for the Thursday."""
    db.execute(
        """INSERT INTO bins (id, lat, lon, address, waste_stream, volume_l, empty_distance_mm,
                             full_distance_mm, schedule, round_weekday)
           VALUES ('k1-rest', 51.05, 3.72, 'Korenmarkt 1', 'residual', 240, 1000, 200,
                   'calendar', 0),
                  ('k1-paper', 51.05, 3.72, 'Korenmarkt 1', 'paper', 240, 1000, 200,
                   'calendar', 2),
                  ('glass-9', 51.06, 3.73, 'Veldstraat 9', 'glass', 3000, 2000, 300,
                   'need', NULL)"""
    )
    db.execute(
        "INSERT INTO holidays (day, name, moved_to) VALUES (%s, 'Holiday', %s)",
        (HOLIDAY, HOLIDAY + timedelta(days=1)),
    )
    db.execute("INSERT INTO depots (id, name, lat, lon) VALUES ('d', 'Depot', 51.0, 3.7)")
    db.execute(
        "INSERT INTO vehicles (id, depot_id, capacity_l, capacity_kg) VALUES ('c', 'd', 1e4, 1e4)"
    )
    thursday = _next(3)
    db.execute(
        "INSERT INTO plans (plan_date, version, solver, distance_m, duration_s)"
        " VALUES (%s, 1, 'ortools', 1000, 3600)",
        (thursday,),
    )
    db.execute("INSERT INTO plan_routes VALUES (1, 'c', 1000, 3600, 100)")
    db.execute(
        "INSERT INTO plan_stops VALUES (1, 'c', 1, 'bin', 'glass-9', %s, 100, 80)",
        (f"{thursday}T08:00Z",),
    )


@pytest.mark.usefixtures("street")
def test_pickups_by_address_follow_the_calendar_and_its_holiday(client: TestClient) -> None:
    response = client.get("/v1/pickups?street=korenmarkt&number=1&weeks=2")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["address"] == "Korenmarkt 1"
    got = [(p["day"], p["waste_stream"], p["moved_from"]) for p in body["pickups"]]
    wanted = [
        (str(MONDAY), "residual", None),
        (str(WEDNESDAY), "paper", None),
        (str(HOLIDAY + timedelta(days=1)), "residual", str(HOLIDAY)),
        (str(WEDNESDAY + timedelta(days=7)), "paper", None),
    ]
    assert sorted(got) == sorted(w for w in wanted if w[0] < str(TODAY + timedelta(days=14)))


@pytest.mark.usefixtures("street")
def test_a_bin_by_need_shows_the_days_a_plan_collects_it(client: TestClient) -> None:
    body = client.get("/v1/pickups?bin_id=glass-9").json()
    assert body["address"] == "Veldstraat 9"
    assert [(p["day"], p["planned"], p["title"]) for p in body["pickups"]] == [
        (str(_next(3)), True, "Glass")
    ]


@pytest.mark.usefixtures("street")
def test_the_calendar_feed_reads_back(client: TestClient) -> None:
    response = client.get("/v1/pickups.ics?street=Korenmarkt&number=1&weeks=2")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert "\r\n" in response.text
    feed = icalendar.Calendar.from_ical(response.text)
    events = list(feed.walk("VEVENT"))
    by_uid = {str(e["UID"]): e for e in events}
    moved = by_uid[f"k1-rest-{HOLIDAY:%Y%m%d}@curbside"]  # named after the day it was due
    assert moved.decoded("DTSTART") == HOLIDAY + timedelta(days=1)
    assert "public holiday" in str(moved["DESCRIPTION"])
    [alarm] = moved.walk("VALARM")
    assert alarm.decoded("TRIGGER") == timedelta(hours=-6)
    assert {str(e["SUMMARY"]) for e in events} == {"Residual waste", "Paper and cardboard"}
    again = client.get("/v1/pickups.ics?street=Korenmarkt&number=1&weeks=2").text
    assert {str(e["UID"]) for e in icalendar.Calendar.from_ical(again).walk("VEVENT")} == set(
        by_uid
    )


@pytest.mark.usefixtures("street")
@pytest.mark.parametrize(
    ("query", "status", "says"),
    [
        ("lat=51.0501&lon=3.7201", 200, ""),  # about 13 m from Korenmarkt 1
        ("lat=51.10&lon=3.72", 404, "no bin within 200 m"),  # 5.5 km away
        ("", 422, "query: give street and number, or bin_id, or lat and lon"),
        ("street=Korenmarkt", 422, "give both street and number"),
        ("lat=51.05", 422, "give both lat and lon"),
        ("street=Korenmarkt&number=1&bin_id=glass-9", 422, "or bin_id"),
        ("street=Nowhere&number=3", 404, "no bins registered at Nowhere 3"),
        ("bin_id=nope", 404, "no bin 'nope'"),
        ("street=Korenmarkt&number=1&weeks=27", 422, "query.weeks: Input should be less"),
    ],
)
def test_finding_the_address(client: TestClient, query: str, status: int, says: str) -> None:
    response = client.get(f"/v1/pickups?{query}")
    assert response.status_code == status
    if status == 200:
        assert response.json()["address"] == "Korenmarkt 1"
    else:
        assert response.headers["content-type"] == "application/problem+json"
        assert says in response.json()["detail"]


@pytest.fixture
def today_plan(db: psycopg.Connection) -> None:
    """Today's plan collects both Korenmarkt bins; the driver skipped the paper bin."""
    today = TODAY.isoformat()
    db.execute(
        "INSERT INTO plans (plan_date, version, solver, distance_m, duration_s)"
        " VALUES (%s, 1, 'ortools', 1000, 3600)",
        (today,),
    )
    plan_id = db.execute("SELECT max(id) FROM plans").fetchone()
    assert plan_id is not None
    db.execute("INSERT INTO plan_routes VALUES (%s, 'c', 1000, 3600, 100)", (plan_id[0],))
    db.execute(
        "INSERT INTO plan_stops VALUES (%s, 'c', 1, 'bin', 'k1-rest', %s, 50, 60),"
        " (%s, 'c', 2, 'bin', 'k1-paper', %s, 100, 60)",
        (plan_id[0], f"{today}T08:00Z", plan_id[0], f"{today}T08:10Z"),
    )
    db.execute(
        "INSERT INTO stop_reports (plan_id, bin_id, status, reason, reported_at)"
        " VALUES (%s, 'k1-paper', 'skipped', 'not put out', %s)",
        (plan_id[0], f"{today}T08:11Z"),
    )


@pytest.mark.usefixtures("street", "today_plan")
def test_was_my_street_collected_today(client: TestClient) -> None:
    body = client.get("/v1/collected?street=Korenmarkt&number=1").json()
    got = {b["bin_id"]: (b["status"], b["reason"]) for b in body["bins"]}
    assert got == {"k1-rest": ("planned", None), "k1-paper": ("skipped", "not put out")}
    glass = client.get("/v1/collected?bin_id=glass-9").json()["bins"]
    assert [(b["status"], b["at"]) for b in glass] == [("not planned", None)]


@pytest.mark.usefixtures("street")
def test_the_nearest_glass_bank_with_room(client: TestClient, db: psycopg.Connection) -> None:
    """Two glass banks: the nearer one is full, so the farther one is offered first."""
    db.execute(
        """INSERT INTO bins (id, lat, lon, waste_stream, volume_l, empty_distance_mm,
                             full_distance_mm)
           VALUES ('glass-near', 51.0501, 3.7201, 'glass', 3000, 2000, 300)"""
    )
    db.execute("INSERT INTO devices (id, sensor_model, bin_id) VALUES ('g1', 'x', 'glass-near')")
    db.execute("INSERT INTO devices (id, sensor_model, bin_id) VALUES ('g9', 'x', 'glass-9')")
    db.execute(
        "INSERT INTO readings (device_id, bin_id, measured_at, received_at, fill_pct) VALUES"
        " ('g1', 'glass-near', now(), now(), 95), ('g9', 'glass-9', now(), now(), 30)"
    )
    found = client.get("/v1/containers/nearest?waste_stream=glass&lat=51.05&lon=3.72").json()
    assert [(c["bin_id"], c["fill_pct"]) for c in found] == [("glass-9", 30.0)]
    assert 1000 < found[0]["distance_m"] < 1500
    everything = client.get(
        "/v1/containers/nearest?waste_stream=glass&lat=51.05&lon=3.72&below_pct=100"
    ).json()
    assert [c["bin_id"] for c in everything] == ["glass-near", "glass-9"]
