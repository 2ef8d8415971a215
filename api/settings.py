"""Settings of the HTTP API."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, field_validator

from curbside.settings import ServiceSettings

TILE_PLACEHOLDERS = ("{z}", "{x}", "{y}")


class ApiSettings(ServiceSettings):
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_workers: int = Field(default=1, ge=1, le=64)
    """Server processes; each has its own connection pools and its own count of the public
    rate limit (so a client may make up to this many times the limit)."""
    forwarded_allow_ips: str = "127.0.0.1"
    """Proxies whose X-Forwarded-For the API believes (comma-separated addresses or
    networks, or "*"): behind a reverse proxy or a load balancer, its address, so that the
    public rate limit counts each client, not the proxy."""
    pool_min_size: int = 1
    pool_max_size: int = 10
    """Of each of a worker's two pools (the residents' lookups have their own)."""
    max_body_bytes: int = 6 * 1024 * 1024
    """Requests with a larger body (by their Content-Length) are refused with 413; room for
    a report's photo of up to 5 MiB."""
    public_per_minute: float = 120.0
    """Requests a minute each client address may make to the public endpoints, on average."""
    public_burst: int = 60
    """How many it may make at once."""
    cors_origins: tuple[str, ...] = ()
    """Web origins whose pages may call the API from a browser (e.g. a city app's site);
    none by default."""
    map_tile_url: str = ""
    """A slippy-map tile server for the dispatcher's page, as a URL template with `{z}`,
    `{x}` and `{y}` (Web Mercator, 256-pixel tiles); empty: the map has a plain background."""
    map_tile_attribution: str = ""
    """The credit the tile server asks for, shown on the map."""

    @field_validator("map_tile_url")
    @classmethod
    def _tile_template(cls, url: str) -> str:
        if not url:
            return url
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise ValueError(f"a tile URL starts with http:// or https://, got {url!r}")
        missing = [p for p in TILE_PLACEHOLDERS if p not in url]
        if missing:
            raise ValueError(f"a tile URL needs {', '.join(missing)}: {url!r}")
        return url
