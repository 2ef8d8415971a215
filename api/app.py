"""The FastAPI application: built from settings, with the database pool opened in the lifespan."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from api import metrics, openapi, problems
from api.ratelimit import RateLimiter
from api.residents_index import ResidentsIndex
from api.routes import (
    bins,
    dispatch,
    driving,
    health,
    opendata,
    pages,
    plans,
    reports,
    residents,
    uplinks,
)
from api.settings import ApiSettings
from curbside import migrate

SETTINGS_VARIABLE = "CURBSIDE_API_SETTINGS_JSON"
"""How `curbside api --workers N` hands its settings to uvicorn's worker processes."""
METRICS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
"""prometheus_client's multiprocess mode: the folder where each worker keeps its metrics."""


def create_app_from_environment() -> FastAPI:
    """The API in one of uvicorn's worker processes, with the settings its parent resolved
    (as JSON in `CURBSIDE_API_SETTINGS_JSON`); the workers share their request metrics
    through the folder in `PROMETHEUS_MULTIPROC_DIR`, when the parent set one."""
    shared = os.environ.get(METRICS_VARIABLE)
    return create_app(
        ApiSettings.model_validate_json(os.environ[SETTINGS_VARIABLE]),
        metrics_dir=Path(shared) if shared else None,
    )


def create_app(settings: ApiSettings, metrics_dir: Path | None = None) -> FastAPI:
    """The API for these settings; migrations run and the pool opens when it starts.
    `metrics_dir`: where several server processes keep their request metrics (api/metrics.py);
    None, the process's own."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        migrate.upgrade(settings.dsn)
        low, high = settings.pool_min_size, settings.pool_max_size
        autocommit = {"autocommit": True}
        with ConnectionPool(settings.dsn, min_size=low, max_size=high, kwargs=autocommit) as pool:
            async with AsyncConnectionPool(
                settings.dsn, min_size=low, max_size=high, kwargs=autocommit, open=False
            ) as residents_pool:
                app.state.pool = pool
                app.state.connection_slots = asyncio.Semaphore(settings.pool_max_size)
                app.state.residents_pool = residents_pool
                index = ResidentsIndex(settings.dsn, residents_pool)
                async with index.listening():
                    app.state.residents_index = index
                    yield

    app = FastAPI(
        title="Curbside",
        summary="Sensor-driven waste collection: bins, readings and collection plans.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings  # the pages read the map's tile server from it
    # A request is matched against the routes in this order, one by one: the residents'
    # lookups, the busiest endpoints, come first after the probes.
    routers = (health, residents, bins, plans, dispatch, driving, uplinks, reports, opendata, pages)
    for module in routers:
        app.include_router(module.router)
    limiter = RateLimiter(settings.public_per_minute, settings.public_burst)
    problems.install(app, settings.max_body_bytes, limiter)
    openapi.install(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PUT"],
            allow_headers=["Authorization", "Content-Type", "X-API-Key"],
        )
    metrics.install(app, metrics_dir)  # last: its middleware times everything else
    return app
