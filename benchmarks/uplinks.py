"""The benchmarks' uplinks: a fleet's distinct canonical readings and a lean QoS 1 publisher.

`Workload` numbers its readings 0..N-1: reading i comes from device i mod D, and each device's
readings are `step_s` apart, ending now, so every (device, measurement time) is distinct and
the stored row count proves that nothing was lost. Payloads follow the canonical format
(simulators/sensors.py); the fill level rises, so the ingest derives no events from them.

`Publisher` is the load generator's lean MQTT client (simulators/load_mqtt.py): QoS 1 with
at most `window` messages unacknowledged, many times paho-mqtt's rate, so publishing costs
the machine little next to the broker, the ingest and the database being measured.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from curbside.settings import BrokerAddress
from curbside.topics import uplink_topic
from simulators.load_mqtt import LeanPublisher as Publisher
from simulators.load_mqtt import Message

__all__ = ["EMPTY_MM", "FULL_MM", "Message", "Publisher", "Workload", "clear_session", "publish"]

MAX_AGE = timedelta(days=300)
"""Oldest measurement time allowed (the ingest rejects readings more than a year old)."""
EMPTY_MM, FULL_MM = 1200, 100
"""The registered bins' geometry: sensor-to-bottom distance and the distance when full."""


@dataclass(frozen=True)
class Workload:
    """`readings` distinct readings of `devices` devices, the last ones at `end`."""

    readings: int
    devices: int
    end: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))
    step_s: int = 60

    def __post_init__(self) -> None:
        if self.readings < 1 or self.devices < 1 or self.step_s < 1:
            raise ValueError("readings, devices and step_s must be at least 1")
        if self.end.tzinfo is None:
            raise ValueError("end must be timezone-aware")
        if timedelta(seconds=self.per_device * self.step_s) > MAX_AGE:
            raise ValueError(
                f"{self.per_device:,} readings per device {self.step_s} s apart reach further "
                f"back than {MAX_AGE.days} days: use more devices"
            )

    @property
    def per_device(self) -> int:
        return -(-self.readings // self.devices)

    def measured_at(self, k: int) -> datetime:
        """The measurement time of each device's `k`-th reading."""
        return self.end - timedelta(seconds=(self.per_device - 1 - k) * self.step_s)

    @property
    def last_round(self) -> int:
        """How many readings carry the last measurement time (the last ones published)."""
        return self.readings - (self.per_device - 1) * self.devices

    def device_id(self, device: int) -> str:
        return f"bench-{device:05d}"

    def topics(self, prefix: str) -> list[bytes]:
        return [uplink_topic(self.device_id(d), prefix).encode() for d in range(self.devices)]

    def payload(self, i: int, extra: str = "") -> bytes:
        """Reading `i` as canonical JSON; `extra` is appended inside the object (`,"k":v`)."""
        k = i // self.devices
        ts = self.measured_at(k)
        fill = round(100 * k / self.per_device, 1)
        distance = round(EMPTY_MM - fill / 100 * (EMPTY_MM - FULL_MM))
        return (
            f'{{"ts":"{ts:%Y-%m-%dT%H:%M:%SZ}","fill_pct":{fill},"distance_mm":{distance},'
            f'"battery_pct":90.0,"temperature_c":18.5,"seq":{k}{extra}}}'
        ).encode()

    def messages(self, prefix: str) -> list[Message]:
        """Every reading with its device's topic under `prefix`, devices taking turns."""
        topics = self.topics(prefix)
        return [(topics[i % self.devices], self.payload(i)) for i in range(self.readings)]


def publish(broker: BrokerAddress, client_id: str, messages: Sequence[Message]) -> float:
    """Publish and wait for every acknowledgement; return the seconds it took."""
    started = time.perf_counter()
    with Publisher(broker, client_id) as publisher:
        for start in range(0, len(messages), 10_000):
            publisher.send(messages[start : start + 10_000])
        publisher.flush()
    return time.perf_counter() - started


def clear_session(broker: BrokerAddress, client_id: str) -> None:
    """Make the broker forget `client_id`'s session and whatever it queued for it."""
    with Publisher(broker, client_id, clean_session=True):
        pass
