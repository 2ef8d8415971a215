"""Milesight EM310-UDL and EM400-UDL/-MUD frames: a stream of (channel id, type, value) items.

The value's size follows from the (id, type) pair. Parsing stops at an unknown pair or a
truncated item, as the vendor decoders do (Milesight-IoT/SensorDecoders, EM310-UDL and
EM400-UDL `_Decoder.js`); what was read before it is kept. The port is not checked (85 in
practice): the vendor decoders ignore it too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ingest.errors import RejectError
from ingest.sensors.values import SensorValues

_Reader = Callable[[bytes], dict[str, Any]]


def _battery(value: bytes) -> dict[str, Any]:
    return {"battery_pct": float(value[0])}


def _distance(value: bytes) -> dict[str, Any]:
    return {"distance_mm": int.from_bytes(value[:2], "little")}


def _temperature(value: bytes) -> dict[str, Any]:
    return {"temperature_c": int.from_bytes(value[:2], "little", signed=True) / 10}


def _position(value: bytes) -> dict[str, Any]:
    return {"tilt": _flag(value[0])}


def _distance_alarm(value: bytes) -> dict[str, Any]:
    return {**_distance(value), "distance_alarm": _flag(value[2])}


def _temperature_alarm(value: bytes) -> dict[str, Any]:
    return {**_temperature(value), "temperature_alarm": _flag(value[2])}


def _flag(byte: int) -> bool | None:
    """0 and 1 as the vendor maps them; any other value is "unknown" there, None here."""
    return {0: False, 1: True}.get(byte)


_Items = dict[tuple[int, int], tuple[int, _Reader | None]]
"""(channel id, type) -> (value size, reader); items without a reader are skipped."""

# Sizes of skipped items by type: device information (id 0xFF) and, from the vendor decoders'
# handle_downlink_response, replies to downlink commands (ids 0xFE and 0xFF).
_DEVICE_INFO = {0x01: 1, 0x09: 2, 0x0A: 2, 0x0B: 1, 0x0F: 1, 0x16: 8, 0xFE: 1, 0xFF: 2}
_EM310_REPLIES = {0x02: 2, 0x03: 2, 0x06: 9, 0x10: 1}
_EM400_REPLIES = {0x13: 1, 0x1C: 2, 0x28: 1, 0x3E: 1, 0x4A: 1, 0x56: 1, 0x70: 2, 0x71: 1}


def _items(telemetry: _Items, replies: dict[int, int], others: _Items) -> _Items:
    """A model's items: its telemetry, device information (id 0xFF) and downlink replies."""
    info = {(0xFF, kind): (size, None) for kind, size in _DEVICE_INFO.items()}
    answers = {(ch, kind): (size, None) for ch in (0xFE, 0xFF) for kind, size in replies.items()}
    return {**answers, **info, **others, **telemetry}


_EM310 = _items(
    {(0x01, 0x75): (1, _battery), (0x03, 0x82): (2, _distance), (0x04, 0x00): (1, _position)},
    _EM310_REPLIES,
    {},
)
_EM400 = _items(
    {
        (0x01, 0x75): (1, _battery),
        (0x03, 0x67): (2, _temperature),
        (0x04, 0x82): (2, _distance),
        (0x05, 0x00): (1, _position),
        (0x83, 0x67): (3, _temperature_alarm),
        (0x84, 0x82): (3, _distance_alarm),
    },
    _EM310_REPLIES | _EM400_REPLIES,
    {(0x06, 0x88): (9, None)},  # NB-IoT variant only: location and motion
)


def decode_em310(f_port: int | None, data: bytes) -> SensorValues:
    """An EM310-UDL frame: battery %, distance mm, tilt."""
    return _decode(data, _EM310)


def decode_em400(f_port: int | None, data: bytes) -> SensorValues:
    """An EM400-UDL/-MUD frame: battery %, temperature, distance mm, tilt, threshold alarms."""
    return _decode(data, _EM400)


def _decode(data: bytes, items: _Items) -> SensorValues:
    if not data:
        raise RejectError("undecodable_payload", "empty frame")
    found: dict[str, Any] = {}
    offset, stop = 0, ""
    while offset < len(data):
        head = data[offset : offset + 2]
        item = items.get((head[0], head[1])) if len(head) == 2 else (0, None)
        if item is None:
            stop = f"unknown item {_hex(head)} at offset {offset}"
            break
        size, reader = item
        value = data[offset + 2 : offset + 2 + size]
        if len(head) < 2 or len(value) < size:
            stop = f"truncated item {_hex(data[offset:])} at offset {offset}"
            break
        if reader is not None:
            found.update(reader(value))
        offset += 2 + size
    if not found and stop:
        raise RejectError("undecodable_payload", stop)
    return _values(found, stop)


def _values(found: dict[str, Any], stop: str) -> SensorValues:
    alarms = {
        name: found.pop(name) for name in ("distance_alarm", "temperature_alarm") if name in found
    }
    reported = [flag for flag in alarms.values() if flag is not None]
    notes = [f"stopped at {stop}"] if stop else []
    if not found:
        notes.insert(0, "device information only")
    elif found.get("distance_mm") is None:
        notes.insert(0, "no distance in frame")
    return SensorValues(
        **found,
        alarm=any(reported) if reported else None,
        valid=found.get("distance_mm") is not None,
        note="; ".join(notes),
        extra={name: flag for name, flag in alarms.items() if flag is not None},
    )


def _hex(data: bytes) -> str:
    return data.hex(" ").upper()
