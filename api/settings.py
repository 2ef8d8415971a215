"""Settings of the HTTP API."""

from __future__ import annotations

from curbside.settings import ServiceSettings


class ApiSettings(ServiceSettings):
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    pool_min_size: int = 1
    pool_max_size: int = 10
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
