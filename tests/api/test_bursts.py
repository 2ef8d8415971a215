"""A burst of requests larger than the worker threads and the connection pool together."""

import asyncio

import httpx
import psycopg
import pytest

from api import ApiSettings, create_app

BURST = 100
"""More requests at once than anyio's 40 worker threads."""


@pytest.mark.usefixtures("two_bins")
def test_a_burst_beyond_the_pool_and_the_threads_is_served(
    db: psycopg.Connection, database_url: str
) -> None:
    """With two connections and 40 threads, 100 requests at once are all answered. (When a
    request waited for its connection in a worker thread, the waiting requests took every
    thread, those holding the connections had none left to run their endpoints, and all of
    them failed when the pool gave up after 30 seconds.)"""
    app = create_app(ApiSettings(database_url=database_url, pool_min_size=2, pool_max_size=2))

    async def burst() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://api") as client,
        ):
            answers = await asyncio.gather(*(client.get("/v1/bins/bin-a") for _ in range(BURST)))
        return [answer.status_code for answer in answers]

    assert asyncio.run(burst()) == [200] * BURST
