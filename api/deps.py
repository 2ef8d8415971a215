"""FastAPI dependencies: a database connection from the pools opened in the lifespan, and
the API key a request carries (`require`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Annotated

import psycopg
from fastapi import Depends, HTTPException, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from psycopg_pool import AsyncConnectionPool, ConnectionPool, PoolTimeout

from api import queries, schemas
from api.keys import ApiKey, find_key
from api.residents_index import ResidentsIndex
from optimizer.pickups import Lookups

IDLE_WAIT_S = 0.001
"""How long `get_conn` waits, in the event loop, for an idle connection before it waits in a
worker thread (the pool counts a timeout of 0 as already passed)."""


async def get_conn(request: Request) -> AsyncIterator[psycopg.Connection]:
    """A connection from the pool, held for the request. A request waits for one here, in
    the event loop: waiting in a worker thread, as a synchronous dependency would, lets a
    burst of requests take every thread while the requests holding the connections wait
    for a thread to run their endpoints, and the API stalls until the pool's timeout."""
    pool: ConnectionPool = request.app.state.pool
    async with request.app.state.connection_slots:
        try:  # with a slot, a connection is almost always idle: taken at once, no thread
            conn = pool.getconn(timeout=IDLE_WAIT_S)
        except PoolTimeout:  # the pool is still opening it, or replacing an old one
            conn = await run_in_threadpool(pool.getconn)
        try:
            yield conn
        finally:
            pool.putconn(conn)  # an idle connection in autocommit: no round trip


Conn = Annotated[psycopg.Connection, Depends(get_conn)]


def residents_pool(request: Request) -> AsyncConnectionPool:
    """The pool of asynchronous connections for the residents' endpoints: their queries run
    in the event loop, without a hop to a worker thread and back (their own pool: the
    synchronous one's connections cannot be awaited). They take a connection from it
    themselves and only for their query: a dependency yielding one would hold it while the
    answer is written too (docs/api.md, Speed)."""
    pool: AsyncConnectionPool = request.app.state.residents_pool
    return pool


async def residents_lookups(request: Request) -> Lookups:
    """What the residents' lookups read, from the process's copy (api/residents_index.py)."""
    index: ResidentsIndex = request.app.state.residents_index
    return await index.lookups()


RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]
"""A path parameter naming a row by its id: a positive bigint (a larger one is a 422, not a
database error)."""


# The two ways to send a key, as FastAPI security schemes: the OpenAPI document then says
# which operations take a key (and api/openapi.py declares their 401 and 403).
_BEARER = HTTPBearer(
    scheme_name="bearer", description="An API key: `Authorization: Bearer <key>`.", auto_error=False
)
_HEADER = APIKeyHeader(
    name="X-API-Key", scheme_name="apiKeyHeader", description="The same key in `X-API-Key`.",
    auto_error=False,
)  # fmt: skip
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]
HeaderKey = Annotated[str | None, Depends(_HEADER)]


def require(*roles: str) -> Callable[..., ApiKey]:
    """A dependency admitting a live key of one of `roles` (or admin): 401 without a key or
    with an unknown or revoked one, 403 with a key of another role."""

    def check(conn: Conn, bearer: Bearer, header: HeaderKey) -> ApiKey:
        token = (bearer.credentials.strip() if bearer else "") or (header or "").strip()
        found = find_key(conn, token) if token else None
        if found is None:
            raise HTTPException(
                401,
                "an API key is needed: Authorization: Bearer <key>",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not found.allows(*roles):
            raise HTTPException(403, f"a {found.role} key may not do this")
        return found

    return check


def check_vehicle(key: ApiKey, vehicle_id: str) -> None:
    """403 when the key is a driver's for another vehicle."""
    if key.vehicle_id is not None and key.vehicle_id != vehicle_id:
        raise HTTPException(403, f"this key is for vehicle {key.vehicle_id}'s route")


def latest_route(
    conn: psycopg.Connection, key: ApiKey, plan_date: date, vehicle_id: str
) -> tuple[schemas.Plan, schemas.Route]:
    """The day's latest plan and the vehicle's route in it, for a key that may see it: 403
    for another driver's vehicle, 404 without a plan or a route."""
    check_vehicle(key, vehicle_id)
    found = queries.plan(conn, plan_date, None)
    if found is None:
        raise HTTPException(404, f"no plan for {plan_date}")
    route = next((r for r in found.routes if r.vehicle_id == vehicle_id), None)
    if route is None:
        raise HTTPException(404, f"{vehicle_id} has no route on {plan_date}")
    return found, route
