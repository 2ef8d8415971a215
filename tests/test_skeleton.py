"""The walking skeleton end to end on real services: city -> MQTT -> ingest -> plan -> API."""

import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import psycopg
from fastapi.testclient import TestClient

import ingest
import optimizer
import simulators
from api import ApiSettings, create_app
from curbside import BrokerAddress


def test_simulated_city_is_ingested_planned_and_served(
    db: psycopg.Connection, database_url: str, mqtt_url: str, topic_prefix: str
) -> None:
    """Readings published by the simulated sensors reach the API, and so does the plan."""
    city = simulators.generate_city(bins=25, seed=7)
    simulators.import_city(db, city)
    settings = ingest.IngestSettings(
        database_url=database_url,
        mqtt_url=mqtt_url,
        topic_prefix=topic_prefix,
        client_id=f"skeleton-{uuid.uuid4().hex}",
        share_group=None,
        batch_max_age_s=0.05,
    )
    stop, ready = threading.Event(), threading.Event()
    worker = threading.Thread(target=ingest.run, args=(settings, stop, ready.set))
    worker.start()
    try:
        assert ready.wait(20)
        end = datetime.now(UTC).replace(microsecond=0)
        published = simulators.publish_history(
            city, BrokerAddress.parse(mqtt_url), topic_prefix, end, hours=24, step_h=6, seed=7
        )
        assert published == 25 * 5
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            stored = db.execute("SELECT count(*) FROM readings").fetchone()
            if stored == (published,):
                break
            time.sleep(0.1)
        assert stored == (published,)
    finally:
        stop.set()
        worker.join(20)

    tomorrow = date.today() + timedelta(days=1)
    planner = optimizer.PlannerSettings(
        database_url=database_url, selection="threshold", fill_threshold_pct=30, time_limit_s=1
    )
    # From everything stored: by default a plan made after 18:00 the evening before reads
    # only what was known at 18:00, and the API shows the latest readings.
    summary = optimizer.plan_day(db, tomorrow, planner, as_of=datetime.now(UTC))

    with TestClient(create_app(ApiSettings(database_url=database_url))) as client:
        bins = client.get("/v1/bins").json()
        assert len(bins) == 25
        assert all(b["fill_pct"] is not None for b in bins)
        due = {b["id"] for b in bins if b["fill_pct"] >= 30}
        plan = client.get(f"/v1/plans/{tomorrow}").json()
    served = {s["site_id"] for r in plan["routes"] for s in r["stops"] if s["kind"] == "bin"}
    omitted = {o["bin_id"] for o in plan["omitted"]}
    assert due, "the simulated city should have bins above the threshold"
    assert served | omitted == due
    assert not served & omitted
    assert plan["version"] == summary.version
    assert len(served) == summary.stops_served > 0
    for route in plan["routes"]:
        kinds = [s["kind"] for s in route["stops"]]
        assert kinds[0] == kinds[-1] == "depot"
        arrivals = [s["arrival_at"] for s in route["stops"]]
        assert arrivals == sorted(arrivals)
