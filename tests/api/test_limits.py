"""Tests of the public endpoints' rate limit and of CORS."""

import psycopg
from fastapi.testclient import TestClient

from api import ApiSettings, create_app
from api.ratelimit import RateLimiter


def test_a_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=2, clock=lambda: now[0])
    assert [limiter.admit("a"), limiter.admit("a")] == [0.0, 0.0]
    assert limiter.admit("a") == 1.0  # one a second: the next in a second
    assert limiter.admit("b") == 0.0  # another address has its own bucket
    now[0] = 1.0
    assert limiter.admit("a") == 0.0


def test_public_endpoints_answer_429_past_the_burst(
    database_url: str, db: psycopg.Connection
) -> None:
    """With a burst of 3 and a trickle, the fourth lookup in a row is refused with a
    Retry-After; keyed and health endpoints are not counted."""
    settings = ApiSettings(database_url=database_url, public_burst=3, public_per_minute=0.5)
    with TestClient(create_app(settings)) as client:
        codes = [client.get("/v1/open/containers.csv").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        refused = client.get("/v1/open/containers.csv")
        assert refused.headers["content-type"] == "application/problem+json"
        assert int(refused.headers["retry-after"]) >= 1
        assert client.get("/health").status_code == 200


def test_cors_only_for_configured_origins(database_url: str, db: psycopg.Connection) -> None:
    settings = ApiSettings(database_url=database_url, cors_origins=("https://app.example",))
    with TestClient(create_app(settings)) as client:
        allowed = client.get("/v1/open/containers.csv", headers={"Origin": "https://app.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
        other = client.get("/v1/open/containers.csv", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_a_nul_character_is_refused_not_a_server_error(
    database_url: str, db: psycopg.Connection
) -> None:
    """Schemathesis found a 500 from a NUL in a query (the database refuses NUL in text)."""
    with TestClient(create_app(ApiSettings(database_url=database_url))) as client:
        for url in ("/v1/containers/nearest?waste_stream=a%00b&lat=1&lon=1", "/v1/bins/x%00y"):
            response = client.get(url)
            assert response.status_code == 422
            assert "NUL" in response.json()["detail"]
