"""From MQTT messages to rows and rejects: pure, so every rule is testable with a list."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from ingest.decode import Measurement, decode_canonical
from ingest.envelopes import classify_topic, parse_chirpstack, parse_tts
from ingest.errors import RejectError, UnknownDeviceError
from ingest.lorawan import lorawan_measurement
from ingest.registry import Device

NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
"""A NUL character in a JSON string (an escaped backslash before `u0000` is not one)."""


class Message(NamedTuple):
    """A message as received: `ack` is what the source needs to acknowledge it later."""

    topic: str
    payload: bytes
    received_at: datetime
    ack: Any = None


class Row(NamedTuple):
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
            m.tilt_deg, m.seq, m.extra, m.suspect, m.tilted,
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
    unknown_keys: set[str] = field(default_factory=set)
    """Device ids and DevEUIs that named no registered device."""


def process(messages: Iterable[Message], registry: Mapping[str, Device], prefix: str) -> Batch:
    """Turn messages into rows, or into rejects with their reason; nothing is dropped."""
    batch = Batch()
    for message in messages:
        batch.acks.append(message.ack)
        try:
            batch.rows.extend(_rows(message, registry, prefix))
        except UnknownDeviceError as exc:
            batch.unknown_keys.update(exc.keys)
            batch.rejects.append(
                Reject(message.topic, message.payload, message.received_at, exc.reason, exc.detail)
            )
        except RejectError as exc:
            batch.rejects.append(
                Reject(message.topic, message.payload, message.received_at, exc.reason, exc.detail)
            )
    return batch


def _rows(message: Message, registry: Mapping[str, Device], prefix: str) -> list[Row]:
    if NUL_ESCAPE.search(message.payload):  # the database takes no NUL in text or jsonb
        raise RejectError("malformed_json", "a string holds a NUL character (\\u0000)")
    match = classify_topic(message.topic, prefix)
    if match.format == "canonical":
        device = _device(registry, (match.device_id,))
        measurements = decode_canonical(message.payload, message.received_at)
    else:
        parse = parse_tts if match.format == "tts" else parse_chirpstack
        envelope = parse(message.payload, message.received_at)
        device = _device(registry, (match.device_id, *envelope.device_keys))
        measurements = [lorawan_measurement(envelope, device.sensor_model)]
    return [_row(device, m, message.received_at) for m in measurements]


def _device(registry: Mapping[str, Device], keys: tuple[str, ...]) -> Device:
    for key in keys:
        device = registry.get(key)
        if device is not None:
            return device
    raise UnknownDeviceError(keys)


def _row(device: Device, m: Measurement, received_at: datetime) -> Row:
    """The reading tied to the bin the device sat in when it measured."""
    assignment = device.bin_at(m.measured_at)
    fill = m.fill_pct
    if m.distance_mm is not None and assignment is not None:
        if fill is None:
            fill = assignment.geometry.fill_pct(m.distance_mm)
        if not assignment.geometry.trusts(m.distance_mm):
            m = m._replace(suspect=True)
    bin_id = None if assignment is None else assignment.bin_id
    return Row(device.device_id, bin_id, m, received_at, fill)
