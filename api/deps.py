"""FastAPI dependencies: a database connection from the pool opened in the lifespan, and
the API key a request carries (`require`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Annotated

import psycopg
from fastapi import Depends, HTTPException, Request
from psycopg_pool import ConnectionPool

from api import queries, schemas
from api.keys import ApiKey, find_key


def get_conn(request: Request) -> Iterator[psycopg.Connection]:
    pool: ConnectionPool = request.app.state.pool
    with pool.connection() as conn:
        yield conn


Conn = Annotated[psycopg.Connection, Depends(get_conn)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.headers.get("x-api-key")


def require(*roles: str) -> Callable[..., ApiKey]:
    """A dependency admitting a live key of one of `roles` (or admin): 401 without a key or
    with an unknown or revoked one, 403 with a key of another role."""

    def check(request: Request, conn: Conn) -> ApiKey:
        token = _bearer(request)
        found = None if token is None else find_key(conn, token)
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
