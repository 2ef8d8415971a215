"""The web pages: the residents' (`/`) and the dispatchers' (`/dispatcher`), their scripts
and styles (`/pages/...`), and the map settings those scripts read (`/pages/config.json`).

Plain files from the package, read once and served from memory; none is in the OpenAPI
schema. The pages call the API from the browser like any other client (docs/api.md).
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Request, Response

from api.settings import ApiSettings

router = APIRouter(include_in_schema=False)
ASSET_NAME = re.compile(r"[a-z][a-z0-9-]*\.(css|js)")
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
}
CACHE = "public, max-age=300"


@cache
def _read(name: str) -> bytes | None:
    """A file of the package's `pages` folder, or None when there is none by that name."""
    path = files("api").joinpath("pages", name)
    return path.read_bytes() if path.is_file() else None


def _settings(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


def _policy(tile_url: str) -> str:
    """A Content-Security-Policy: the page's own scripts and styles, its own API, and
    images from the tile server when there is one."""
    images = "'self' data:"
    if tile_url:
        parts = urlsplit(tile_url)
        images += f" {parts.scheme}://{parts.netloc}"
    return (
        f"default-src 'self'; img-src {images}; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    )


def _page(request: Request, name: str) -> Response:
    body = _read(name)
    assert body is not None  # the pages are package data
    headers = {
        "Content-Security-Policy": _policy(_settings(request).map_tile_url),
        "Cache-Control": CACHE,
        "X-Content-Type-Options": "nosniff",
    }
    return Response(body, media_type=MEDIA_TYPES["html"], headers=headers)


@router.get("/")
def resident_page(request: Request) -> Response:
    """Find my pickups, subscribe to the calendar, report a problem."""
    return _page(request, "resident.html")


@router.get("/dispatcher")
def dispatcher_page(request: Request) -> Response:
    """The bins on a map by fill level and alarm, and a day's plan with its routes."""
    return _page(request, "dispatcher.html")


@router.get("/pages/config.json")
def page_config(request: Request) -> dict[str, str]:
    """What the map needs to know: the tile server's URL template and its credit."""
    settings = _settings(request)
    return {
        "tile_url": settings.map_tile_url,
        "tile_attribution": settings.map_tile_attribution,
    }


@router.get("/pages/{name}")
def page_asset(name: str) -> Response:
    """A script or a style sheet of the pages."""
    body = _read(name) if ASSET_NAME.fullmatch(name) else None
    if body is None:
        raise HTTPException(404, f"no page file {name!r}")
    media_type = MEDIA_TYPES[name.rpartition(".")[2]]
    headers = {"Cache-Control": CACHE, "X-Content-Type-Options": "nosniff"}
    return Response(body, media_type=media_type, headers=headers)
