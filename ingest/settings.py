"""Settings of the ingest worker."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from curbside.settings import ServiceSettings
from curbside.topics import DEFAULT_PREFIX
from ingest.events import EventRules

Format = Literal["canonical", "tts", "chirpstack"]


DEFAULT_BATCH_SIZE = 10_000


class IngestSettings(ServiceSettings):
    topic_prefix: str = DEFAULT_PREFIX
    formats: tuple[Format, ...] = ("canonical", "tts", "chirpstack")
    """Which uplinks to subscribe to: Curbside's own topics, The Things Stack v3, ChirpStack v4."""
    client_id: str = "curbside-ingest-1"
    """Fixed, so the broker keeps this worker's session (and its messages) while it is down."""
    share_group: str | None = "curbside-ingest"
    """Workers with the same group split the stream; empty or None: a plain subscription."""
    session_expiry_s: int = Field(default=7 * 24 * 3600, ge=0)
    mqtt_protocol: Literal["auto", "5", "3.1.1"] = "auto"
    mqtt_ca_file: str | None = None
    """CA certificates for an mqtts:// broker (default: the system's)."""
    mqtt_cert_file: str | None = None
    mqtt_key_file: str | None = None
    batch_size: int = Field(default=DEFAULT_BATCH_SIZE, ge=1)
    """Messages committed together at most: larger batches cost less per reading (fewer
    transactions, one look-up of each device's previous reading per batch)."""
    batch_max_age_s: float = Field(default=0.2, gt=0)
    """A batch is committed at the latest this long after its first message arrived."""
    max_pending: int = Field(default=20_000, ge=1)
    """Messages held in memory at most; past that the broker waits (backpressure)."""
    registry_refresh_s: float = Field(default=5.0, ge=0)
    """How long a device id found unregistered is not looked up again (its messages are
    rejected meanwhile, and can be replayed once it is registered)."""
    registry_reload_s: float = Field(default=60.0, gt=0)
    """How often the whole registry is reloaded, to follow devices moved between bins."""
    metrics_port: int | None = None
    """Serve Prometheus metrics on this port (0.0.0.0); None: no metrics endpoint."""
    # The event rules (ingest.events.EventRules) hold the defaults.
    battery_low_pct: float = EventRules.battery_low_pct
    battery_low_v: float = EventRules.battery_low_v
    fire_temperature_c: float = EventRules.fire_temperature_c
    tilt_deg: float = EventRules.tilt_deg
    emptied_drop_pct: float = EventRules.emptied_drop_pct
    """A fill drop of at least this many points, down to `emptied_below_pct`, is an emptying."""
    emptied_below_pct: float = EventRules.emptied_below_pct
    silent_after_intervals: float = 3.0
    """A device is silent when it missed this many report intervals."""
    silent_check_s: float = Field(default=60.0, gt=0)

    def event_rules(self) -> EventRules:
        return EventRules(
            battery_low_pct=self.battery_low_pct,
            battery_low_v=self.battery_low_v,
            fire_temperature_c=self.fire_temperature_c,
            tilt_deg=self.tilt_deg,
            emptied_drop_pct=self.emptied_drop_pct,
            emptied_below_pct=self.emptied_below_pct,
        )

    @field_validator("share_group")
    @classmethod
    def _empty_means_none(cls, value: str | None) -> str | None:
        return value or None
