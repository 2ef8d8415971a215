"""Liveness and readiness: the API answers and its database does."""

from __future__ import annotations

from fastapi import APIRouter

from api import schemas
from api.deps import Conn
from curbside import migrate

router = APIRouter(tags=["health"])


@router.get("/health")
def health(conn: Conn) -> schemas.Health:
    conn.execute("SELECT 1")
    return schemas.Health(status="ok", database="ok", timescaledb=migrate.timescaledb_version(conn))


@router.get("/livez")
async def livez() -> dict[str, str]:
    """The process answers (no database asked): for a liveness probe, and the benchmark's
    measure of what the framework alone serves on this machine."""
    return {"status": "alive"}
