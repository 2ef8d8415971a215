"""The residents' and dispatchers' pages: served outside the API schema, and loaded in headless
Chromium from a real server (uvicorn on a free port) over the test database, where they show
that data; each page is photographed (the folder is printed: `pytest -rP` shows it)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import uvicorn
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api import ApiSettings, create_app
from api.keys import create_key
from tests.api.browser import Element, dump_dom, elements, png_size, screenshot, tile_png
from tests.api.webdriver import chromium_session

DAY = date.today() + timedelta(days=2)
NOW = datetime.now(UTC)
Serve = Callable[..., str]
TileServer = tuple[str, list[str]]

# id, lat, lon, address, stream, schedule weekday (None: by need), fill, hours since reading
BINS = [
    ("k1-rest", 51.0545, 3.7215, "Korenmarkt 1", "residual", 0, 92.0, 1),
    ("k1-paper", 51.0546, 3.7217, "Korenmarkt 1", "paper", 2, 35.0, 1),
    ("v9-glass", 51.0500, 3.7230, "Veldstraat 9", "glass", None, 65.0, 2),
    ("v9-rest", 51.0498, 3.7227, "Veldstraat 9", "residual", 0, 70.0, 2),
    ("k3-rest", 51.0520, 3.7260, "Kouter 3", "residual", 0, 55.0, 72),
]
DEPOT = (51.0440, 3.7060)
ROUTES = {"t1": ["k1-rest", "k1-paper"], "t2": ["v9-glass", "v9-rest"]}


@pytest.fixture
def town(db: psycopg.Connection) -> str:
    """Five bins near the Korenmarkt (full, low, medium, medium with a tilt alarm, and one
    whose sensor went silent three days ago), a depot, and the plan of DAY: two trucks
    each collecting two bins, the silent one left out. Returns a dispatcher's key."""
    for bin_id, lat, lon, address, stream, weekday, fill, hours in BINS:
        db.execute(
            "INSERT INTO bins (id, lat, lon, address, waste_stream, volume_l, empty_distance_mm,"
            " full_distance_mm, schedule, round_weekday)"
            " VALUES (%s, %s, %s, %s, %s, 240, 1000, 200, %s, %s)",
            (bin_id, lat, lon, address, stream, "need" if weekday is None else "calendar", weekday),
        )
        at = NOW - timedelta(hours=hours)
        db.execute(
            "INSERT INTO readings (device_id, bin_id, measured_at, received_at, fill_pct)"
            " VALUES (%s, %s, %s, %s, %s)",
            (f"dev-{bin_id}", bin_id, at, at, fill),
        )
    db.execute(
        "INSERT INTO events (device_id, bin_id, kind, occurred_at, value)"
        " VALUES ('dev-v9-rest', 'v9-rest', 'tilt', now(), 80)"
    )
    db.execute("INSERT INTO depots VALUES ('depot', 'Depot Dok', %s, %s)", DEPOT)
    plan = db.execute(
        "INSERT INTO plans (plan_date, version, solver, distance_m, duration_s)"
        " VALUES (%s, 1, 'ortools', 9400, 7200) RETURNING id",
        (DAY,),
    ).fetchone()
    assert plan is not None
    start = datetime.combine(DAY, datetime.min.time(), UTC) + timedelta(hours=6)
    for vehicle, bins in ROUTES.items():
        db.execute(
            "INSERT INTO vehicles (id, depot_id, capacity_l, capacity_kg) VALUES (%s, 'depot',"
            " 10000, 10000)",
            (vehicle,),
        )
        db.execute("INSERT INTO plan_routes VALUES (%s, %s, 4700, 3600, 480)", (plan[0], vehicle))
        sites = [("depot", "depot"), *(("bin", b) for b in bins), ("depot", "depot")]
        for position, (kind, site) in enumerate(sites):
            db.execute(
                "INSERT INTO plan_stops VALUES (%s, %s, %s, %s, %s, %s, %s, NULL)",
                (plan[0], vehicle, position, kind, site, start + timedelta(minutes=20 * position),
                 240 * min(position, len(bins))),
            )  # fmt: skip
    db.execute("INSERT INTO plan_omissions VALUES (%s, 'k3-rest', 'sensor silent')", (plan[0],))
    return create_key(db, "Dispatch desk", "dispatcher")[1]


@pytest.fixture
def serve(db: psycopg.Connection, database_url: str) -> Iterator[Serve]:
    """`serve(**settings)`: the API with those settings on a free port, served by uvicorn in
    a thread until the test ends; returns its base URL."""
    running: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(map_tile_url: str = "", map_tile_attribution: str = "") -> str:
        settings = ApiSettings(
            database_url=database_url,
            map_tile_url=map_tile_url,
            map_tile_attribution=map_tile_attribution,
        )
        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        running.append((server, thread))
        deadline = time.monotonic() + 30
        while not (server.started and server.servers):
            if time.monotonic() > deadline or not thread.is_alive():
                pytest.fail("the API did not start")
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in running:
        server.should_exit = True
        thread.join(15)


@pytest.fixture
def tile_server() -> Iterator[TileServer]:
    """A tile server on a free port answering every path with the same PNG tile; returns
    its base URL and the paths asked for, in order."""
    asked: list[str] = []
    tile = tile_png()

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # the name http.server calls
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(tile)))
            self.end_headers()
            self.wfile.write(tile)

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", asked
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go."""
    return tmp_path_factory.mktemp("screenshots")


def _photograph(url: str, path: Path) -> None:
    data = screenshot(url, path)
    assert png_size(data) == (1280, 900)
    assert len(data) > 20_000  # a page with its data drawn, not a blank one
    print(f"screenshot: {path}")


def _by(found: list[Element], attribute: str) -> dict[str, Element]:
    return {e.attrs[attribute]: e for e in found if attribute in e.attrs}


def _points(polyline: Element) -> list[tuple[float, float]]:
    pairs = (p.split(",") for p in polyline.attrs["points"].split())
    return [(float(x), float(y)) for x, y in pairs]


def _centre(marker: Element) -> tuple[float, float]:
    if marker.tag == "circle":
        return float(marker.attrs["cx"]), float(marker.attrs["cy"])
    corners = _points(marker)  # the alarm's triangle: its apex is 11 px above the bin
    return corners[0][0], corners[0][1] + 11


# --- served, and not in the schema ---------------------------------------------------------


def test_the_pages_and_their_files_are_served_outside_the_schema(client: TestClient) -> None:
    """/ and /dispatcher are HTML with a content security policy; their scripts and styles
    are under /pages/; none of it is in the OpenAPI schema."""
    for path in ("/", "/dispatcher"):
        page = client.get(path)
        assert page.status_code == 200
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert "default-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/pages/map.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/pages/common.css").headers["content-type"].startswith("text/css")
    assert client.get("/pages/config.json").json() == {"tile_url": "", "tile_attribution": ""}
    for missing in ("/pages/nothing.js", "/pages/resident.html", "/pages/..%2F..%2Fapp.py"):
        assert client.get(missing).status_code == 404
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p in ("/", "/dispatcher") or p.startswith("/pages")]


def test_the_pages_cost_no_public_requests(database_url: str, db: psycopg.Connection) -> None:
    """Loading a page is not counted against the public rate limit (its API calls are)."""
    settings = ApiSettings(database_url=database_url, public_burst=1, public_per_minute=0.5)
    with TestClient(create_app(settings)) as client:
        codes = [client.get(p).status_code for p in ("/", "/pages/resident.js", "/", "/")]
        assert codes == [200, 200, 200, 200]


@pytest.mark.parametrize(
    "url",
    [
        "tiles.example/{z}/{x}/{y}.png",
        "ftp://tiles.example/{z}/{x}/{y}.png",
        "https://tiles.example/{z}/{x}.png",
    ],
)
def test_a_tile_url_is_a_web_template_with_z_x_and_y(url: str) -> None:
    """A tile URL without http(s) or without one of its placeholders fails at start."""
    with pytest.raises(ValidationError, match="tile URL"):
        ApiSettings(map_tile_url=url)


# --- in Chromium ---------------------------------------------------------------------------


def test_the_dispatcher_page_maps_the_bins_and_the_days_routes(
    town: str, serve: Serve, shots: Path
) -> None:
    """Without a tile server: each bin coloured by its fill level (grey when silent, a
    triangle for the alarm), a line per route through its bins, the depot, the plan's table."""
    base = serve()
    url = f"{base}/dispatcher?date={DAY}#key={town}"
    found = elements(dump_dom(url))
    body = next(e for e in found if e.tag == "body")
    assert body.attrs["data-state"] == "ready"
    bins = {e.attrs["data-bin-id"]: e for e in found if "bin" in e.classes}
    got = {b: (sorted(e.classes), e.attrs["data-fill"]) for b, e in bins.items()}
    assert got == {
        "k1-rest": (["bin", "fill-high"], "92"),
        "k1-paper": (["bin", "fill-low"], "35"),
        "v9-glass": (["bin", "fill-mid"], "65"),
        "v9-rest": (["alarm", "bin", "fill-mid"], "70"),
        "k3-rest": (["bin", "fill-offline"], "55"),
    }
    assert bins["v9-rest"].tag == "polygon"
    routes = {
        e.attrs["data-vehicle"]: e for e in found if "route" in e.classes and e.tag == "polyline"
    }
    assert sorted(routes) == ["t1", "t2"]
    assert routes["t1"].attrs["stroke"] != routes["t2"].attrs["stroke"]
    [depot] = [e for e in found if "depot" in e.classes and e.tag == "rect"]
    assert depot.attrs["data-site-id"] == "depot"
    depot_at = float(depot.attrs["x"]) + 8, float(depot.attrs["y"]) + 8
    for vehicle, stops in ROUTES.items():
        path = _points(routes[vehicle])
        assert len(path) == len(stops) + 2
        assert path[0] == path[-1] == pytest.approx(depot_at, abs=0.15)
        for point, bin_id in zip(path[1:-1], stops, strict=True):
            assert point == pytest.approx(_centre(bins[bin_id]), abs=0.15)
    assert not [e for e in found if e.tag == "image"]  # no tiles configured
    rows = [e.attrs["data-vehicle"] for e in found if e.tag == "tr" and "data-vehicle" in e.attrs]
    assert rows == ["t1", "t2"]
    assert "k3-rest: sensor silent" in [e.text for e in found if e.tag == "li"]
    _photograph(url, shots / "dispatcher.png")


def test_without_a_key_the_dispatcher_page_shows_bins_and_asks_for_one(
    town: str, serve: Serve
) -> None:
    """Without a key the bins are drawn (here filtered to the alarms), no route, and the page
    says that a key draws them."""
    found = elements(dump_dom(f"{serve()}/dispatcher?date={DAY}&alarm=1"))
    assert [e.attrs["data-bin-id"] for e in found if "bin" in e.classes] == ["v9-rest"]
    assert not [e for e in found if e.tag == "polyline"]
    status = _by(found, "id")["status"].text
    assert "key" in status


def test_the_dispatcher_map_lies_on_tiles_when_a_tile_server_is_set(
    town: str, serve: Serve, tile_server: TileServer, shots: Path
) -> None:
    """With a tile URL the map is Web Mercator over the server's tiles: Chromium fetches
    them, and each bin lies in the tile that holds its position at the map's zoom."""
    tiles, asked = tile_server
    base = serve(map_tile_url=f"{tiles}/{{z}}/{{x}}/{{y}}.png", map_tile_attribution="Test tiles")
    url = f"{base}/dispatcher?date={DAY}#key={town}"
    found = elements(dump_dom(url))
    zoom = int(_by(found, "id")["map"].attrs["data-zoom"])
    assert 12 <= zoom <= 18
    images = {e.attrs["href"]: e for e in found if e.tag == "image"}
    assert images
    assert all(href.startswith(f"{tiles}/{zoom}/") for href in images)
    bins = {e.attrs["data-bin-id"]: e for e in found if "bin" in e.classes}
    for bin_id, lat, lon, *_ in BINS:
        x, y = _tile_of(lat, lon, zoom)
        image = images[f"{tiles}/{zoom}/{x}/{y}.png"]
        left, top = float(image.attrs["x"]), float(image.attrs["y"])
        cx, cy = _centre(bins[bin_id])
        assert left <= cx < left + 256
        assert top <= cy < top + 256
    depot_x, depot_y = _tile_of(*DEPOT, zoom)
    assert f"/{zoom}/{depot_x}/{depot_y}.png" in asked  # Chromium fetched it
    assert _by(found, "id")["attribution"].text == "Test tiles"
    _photograph(url, shots / "dispatcher-tiles.png")


def _tile_of(lat: float, lon: float, zoom: int) -> tuple[int, int]:
    """The slippy-map tile holding a position."""
    n = 2**zoom
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def test_the_resident_page_shows_the_pickups_and_the_calendar_links(
    town: str, serve: Serve, shots: Path
) -> None:
    """/?street=&number= lists the pickups the API gives for that address, the next one of
    each stream, and links to its calendar feed (https and webcal)."""
    base = serve()
    query = "street=Korenmarkt&number=1"
    wanted = httpx.get(f"{base}/v1/pickups?{query}", timeout=10).json()
    assert wanted["pickups"]
    found = elements(dump_dom(f"{base}/?{query}"))
    by_id = _by(found, "id")
    assert by_id["address"].text == "Korenmarkt 1"
    assert "hidden" not in by_id["pickups"].attrs
    rows = [
        (e.attrs["data-day"], e.attrs["data-bin-id"])
        for e in found
        if e.tag == "tr" and "data-day" in e.attrs
    ]
    assert rows == [(p["day"], p["bin_id"]) for p in wanted["pickups"]]
    days = [e.attrs["datetime"] for e in found if e.tag == "time"]
    first: dict[str, Any] = {}
    for p in wanted["pickups"]:
        first.setdefault(p["waste_stream"], p)
    streams = [e.attrs["data-stream"] for e in found if "pickup" in e.classes]
    assert streams == list(first)
    assert days[: len(first)] == [p["day"] for p in first.values()]
    titles = [e.text for e in found if "stream" in e.classes]
    assert titles == [p["title"] for p in first.values()]
    feed = f"{base}/v1/pickups.ics?{query}"
    assert by_id["ics"].attrs["href"] == feed
    assert by_id["webcal"].attrs["href"] == feed.replace("http:", "webcal:", 1)
    assert httpx.get(feed, timeout=10).text.startswith("BEGIN:VCALENDAR")
    assert [
        e.attrs["value"]
        for e in found
        if e.tag == "option" and e.attrs.get("value", "").startswith("k1")
    ] == [
        "k1-paper",
        "k1-rest",
    ]
    _photograph(f"{base}/?{query}", shots / "resident.png")


def test_the_resident_page_follows_a_report(town: str, serve: Serve) -> None:
    """/?report=ID shows the report's number and status, as the form does once it is sent."""
    base = serve()
    made = httpx.post(
        f"{base}/v1/reports",
        data={"kind": "damaged", "lat": "51.0545", "lon": "3.7215", "description": "lid broken"},
        timeout=10,
    )
    assert made.status_code == 201, made.text
    report = made.json()
    found = elements(dump_dom(f"{base}/?report={report['id']}"))
    status = _by(found, "id")["report-status"]
    assert status.attrs["data-report-id"] == str(report["id"])
    assert status.attrs["data-report-status"] == report["status"] == "open"


def test_a_resident_reports_a_damaged_bin_with_a_photo_through_the_form(
    town: str, serve: Serve, db: psycopg.Connection, tmp_path: Path
) -> None:
    """On the page of an address: choose the bin, describe, attach a photo and send; the page
    shows the stored report's number and status, placed at the bin (no position given)."""
    base = serve()
    photo = tmp_path / "lid.png"
    photo.write_bytes(tile_png(32))
    with chromium_session() as page:
        page.open(f"{base}/?street=Korenmarkt&number=1")
        page.wait_for('#report-bin option[value="k1-paper"]')
        page.click('#kind option[value="damaged"]')
        page.click('#report-bin option[value="k1-paper"]')
        page.type("#description", "The lid is broken")
        page.type("#photo", str(photo))
        page.click('#report-form button[type="submit"]')
        page.wait_for("#report-status[data-report-id]")
        report_id = page.attribute("#report-status", "data-report-id")
        assert page.attribute("#report-status", "data-report-status") == "open"
        assert page.text("#report-status").startswith(f"Report {report_id}: open")
    row = db.execute(
        "SELECT kind, bin_id, description, lat, lon, photo FROM resident_reports WHERE id = %s",
        (int(report_id or 0),),
    ).fetchone()
    assert row == ("damaged", "k1-paper", "The lid is broken", 51.0546, 3.7217, photo.read_bytes())
