"""From MQTT messages to rows and rejects: pure, so every rule is testable with a list."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ingest.decode import Measurement, decode_canonical
from ingest.errors import RejectError
from ingest.registry import Device
from ingest.topics import device_from_topic


@dataclass(frozen=True)
class Message:
    """A message as received: `ack` is what the source needs to acknowledge it later."""

    topic: str
    payload: bytes
    received_at: datetime
    ack: Any = None


@dataclass(frozen=True)
class Row:
    """A reading ready for the readings table."""

    device_id: str
    bin_id: str | None
    measurement: Measurement
    received_at: datetime
    fill_pct: float | None

    def values(self) -> tuple[Any, ...]:
        m = self.measurement
        return (
            self.device_id, self.bin_id, m.measured_at, self.received_at, m.time_is_receive,
            self.fill_pct, m.distance_mm, m.battery_pct, m.battery_v, m.temperature_c,
            m.tilt_deg, m.seq, m.extra or None, m.suspect, m.tilted,
        )  # fmt: skip


@dataclass(frozen=True)
class Reject:
    topic: str
    payload: bytes
    received_at: datetime
    reason: str
    detail: str


@dataclass
class Batch:
    """What one batch of messages became; every message is in `acks` exactly once."""

    rows: list[Row] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    acks: list[Any] = field(default_factory=list)


def unknown_devices(
    messages: Iterable[Message], registry: Mapping[str, Device], prefix: str
) -> set[str]:
    """Devices named by these messages' topics that the registry does not know."""
    unknown = set()
    for message in messages:
        try:
            device_id = device_from_topic(message.topic, prefix)
        except RejectError:
            continue
        if device_id not in registry:
            unknown.add(device_id)
    return unknown


def process(messages: Iterable[Message], registry: Mapping[str, Device], prefix: str) -> Batch:
    """Turn messages into rows, or into rejects with their reason; nothing is dropped."""
    batch = Batch()
    for message in messages:
        batch.acks.append(message.ack)
        try:
            batch.rows.extend(_rows(message, registry, prefix))
        except RejectError as exc:
            batch.rejects.append(
                Reject(message.topic, message.payload, message.received_at, exc.reason, exc.detail)
            )
    return batch


def _rows(message: Message, registry: Mapping[str, Device], prefix: str) -> list[Row]:
    device_id = device_from_topic(message.topic, prefix)
    device = registry.get(device_id)
    if device is None:
        raise RejectError("unknown_device", device_id)
    return [
        Row(device_id, device.bin_id, m, message.received_at, _fill(m, device))
        for m in decode_canonical(message.payload, message.received_at)
    ]


def _fill(measurement: Measurement, device: Device) -> float | None:
    if measurement.fill_pct is not None:
        return measurement.fill_pct
    if measurement.distance_mm is None or device.geometry is None:
        return None
    return device.geometry.fill_pct(measurement.distance_mm)
