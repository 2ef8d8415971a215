"""Tests of optimizer/osrm.py against an HTTP server that answers like OSRM's table service.

No OSRM server can be installed here (it needs a prepared road graph); the test server
speaks the documented `table/v1` request and response and computes its numbers from the
coordinates, one-way: going east costs more than going west, so asymmetry is visible.
"""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from optimizer.osrm import OsrmTable, TravelServiceError

POINTS = [(45.0, 7.0), (45.0, 7.01), (45.01, 7.0), (45.02, 7.03), (44.99, 6.98)]


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """A stand-in road distance: 100 km per degree, a fifth more going east."""
    (lon_a, lat_a), (lon_b, lat_b) = a, b
    flat = 100_000 * (abs(lat_b - lat_a) + abs(lon_b - lon_a))
    return flat * (1.2 if lon_b > lon_a else 1.0)


def _lon_lat(pair: str) -> tuple[float, float]:
    lon, lat = pair.split(",")
    return float(lon), float(lat)


class TableService(BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        url = urlsplit(self.path)  # not urlparse: it cuts the path at ";"
        type(self).requests.append(url.path)
        _, _, _, profile, coordinates = url.path.split("/", 4)
        points = [_lon_lat(pair) for pair in coordinates.split(";")]
        query = parse_qs(url.query)
        sources = [int(i) for i in query["sources"][0].split(";")]
        targets = [int(i) for i in query["destinations"][0].split(";")]
        distances = [[_metres(points[s], points[t]) for t in targets] for s in sources]
        body: dict[str, object] = {
            "code": "Ok",
            "distances": distances,
            "durations": [[d / 10 for d in row] for row in distances],
        }
        if profile != "driving":
            body = {"code": "InvalidOptions", "message": f"no profile {profile}"}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def service() -> Iterator[str]:
    """The test table service's base URL; its requests are recorded."""
    TableService.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), TableService)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_blocks_assemble_the_whole_asymmetric_matrix(service: str) -> None:
    """Requests of two by two sites fill the matrix the one request would, one-way costs kept."""
    whole = OsrmTable(service).matrices(POINTS)
    blocks = OsrmTable(service, block=2).matrices(POINTS)
    assert np.array_equal(whole.distance_m, blocks.distance_m)
    assert np.array_equal(whole.duration_s, blocks.duration_s)
    assert whole.distance_m[0, 1] == 1200  # east: a fifth more
    assert whole.distance_m[1, 0] == 1000
    assert whole.duration_s[0, 1] == 120
    assert len(TableService.requests) == 1 + 9


def test_the_cache_answers_the_same_sites_without_the_service(service: str, tmp_path: Path) -> None:
    """A second day over the same sites reads the matrices from the cache."""
    first = OsrmTable(service, cache_dir=tmp_path).matrices(POINTS)
    asked = len(TableService.requests)
    again = OsrmTable(service, cache_dir=tmp_path).matrices(POINTS)
    assert len(TableService.requests) == asked
    assert np.array_equal(first.distance_m, again.distance_m)
    OsrmTable(service, cache_dir=tmp_path).matrices(POINTS[:3])
    assert len(TableService.requests) == asked + 1  # other sites: asked again


def test_a_refusal_is_a_clear_error(service: str) -> None:
    """A service answering with an error code fails the run with its words."""
    with pytest.raises(TravelServiceError, match="InvalidOptions no profile cycling"):
        OsrmTable(service, profile="cycling").matrices(POINTS)


def test_an_unreachable_service_is_a_clear_error() -> None:
    """A service that does not answer fails the run naming its address."""
    with pytest.raises(TravelServiceError, match=r"unreachable at http://127\.0\.0\.1:9"):
        OsrmTable("http://127.0.0.1:9", timeout_s=2).matrices(POINTS)


@pytest.mark.parametrize(
    ("fields", "message"), [({"url": "osrm:5000"}, "http"), ({"block": 0}, "block")]
)
def test_bad_settings(fields: dict[str, object], message: str) -> None:
    """A service without an http(s) address, or an empty block, is refused."""
    with pytest.raises(ValueError, match=message):
        OsrmTable(**{"url": "http://osrm:5000", **fields})  # type: ignore[arg-type]
