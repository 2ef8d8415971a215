"""Settings of the ingest worker."""

from __future__ import annotations

from curbside.settings import ServiceSettings
from curbside.topics import DEFAULT_PREFIX


class IngestSettings(ServiceSettings):
    topic_prefix: str = DEFAULT_PREFIX
    client_id: str = "curbside-ingest-1"
    """Fixed, so the broker keeps this worker's session (and its messages) while it is down."""
    share_group: str | None = "curbside-ingest"
    """Workers with the same group split the stream; None subscribes to every message."""
    session_expiry_s: int = 7 * 24 * 3600
    batch_size: int = 1000
    batch_max_age_s: float = 0.5
    queue_size: int = 20_000
    """Messages held in memory at most; past that the broker waits (backpressure)."""
    registry_refresh_s: float = 1.0
    """How often at most the device registry is reloaded for devices it does not know."""
