"""Behind a reverse proxy: the public rate limit counts the client the proxy names in
X-Forwarded-For, when the proxy is trusted (CURBSIDE_FORWARDED_ALLOW_IPS), and the proxy's
own address otherwise. Runs `curbside api` itself: uvicorn reads the header, not the app."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from curbside.runtime import free_port

LOOKUP = "/v1/pickups?street=Nowhere&number=1"  # public: counted, then 404 (no such address)


def _serve(database_url: str, trusted: str) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "CURBSIDE_DATABASE_URL": database_url,
        "CURBSIDE_PUBLIC_PER_MINUTE": "1",
        "CURBSIDE_PUBLIC_BURST": "1",
        "CURBSIDE_FORWARDED_ALLOW_IPS": trusted,
    }
    command = [str(Path(sys.executable).parent / "curbside"), "api", "--port", str(port)]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/livez", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("the API did not start")
        yield base
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture
def trusting(database_url: str) -> Iterator[str]:
    """The API trusting this machine (the default) as its proxy."""
    yield from _serve(database_url, "127.0.0.1")


@pytest.fixture
def distrusting(database_url: str) -> Iterator[str]:
    """The API trusting another address as its proxy, not this machine."""
    yield from _serve(database_url, "10.9.8.7")


def _statuses(base: str, clients: list[str]) -> list[int]:
    return [
        httpx.get(base + LOOKUP, headers={"X-Forwarded-For": client}).status_code
        for client in clients
    ]


def test_a_trusted_proxy_has_each_client_counted(trusting: str) -> None:
    """One request each from two clients passes; the first client's second is refused."""
    assert _statuses(trusting, ["203.0.113.1", "203.0.113.2", "203.0.113.1"]) == [404, 404, 429]


def test_an_untrusted_proxy_is_counted_as_one_client(distrusting: str) -> None:
    """The header of a proxy not trusted is ignored: both requests count for its address."""
    assert _statuses(distrusting, ["203.0.113.1", "203.0.113.2"]) == [404, 429]
