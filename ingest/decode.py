"""Canonical JSON payloads (ARCHITECTURE.md) into measurements: pure functions, no I/O.

A payload is one JSON object or an array of them. Each object needs `fill_pct` or
`distance_mm`; `ts` is RFC 3339 or epoch seconds and, when absent, the receive time stands in
(and the measurement says so). Fields outside the contract are kept in `extra`.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import orjson

from ingest.errors import RejectError

# Accepted ranges, in the order of `Measurement`; a value outside is an "out_of_range" reject.
RANGES: dict[str, tuple[float, float]] = {
    "fill_pct": (0.0, 100.0),
    "distance_mm": (0.0, 20_000.0),
    "battery_pct": (0.0, 100.0),
    "battery_v": (0.0, 12.0),
    "temperature_c": (-50.0, 150.0),
    "tilt_deg": (0.0, 180.0),
    "seq": (0, 2**63 - 1),  # a frame counter, stored as bigint
}
_INTEGER_FIELDS = ("distance_mm", "seq")
_FIELDS = tuple(RANGES)
"""The numeric fields in the order of `Measurement`."""
_CHECKS = tuple((name, RANGES[name]) for name in _FIELDS)
KNOWN_FIELDS = frozenset(RANGES) | {"ts"}

MAX_FUTURE = timedelta(hours=1)
MAX_AGE = timedelta(days=365)


class Measurement(NamedTuple):
    """One decoded reading of one device, before it is tied to a bin.

    A named tuple rather than a dataclass: one is built per reading on the ingest's hot path.
    """

    measured_at: datetime
    time_is_receive: bool = False
    fill_pct: float | None = None
    distance_mm: int | None = None
    battery_pct: float | None = None
    battery_v: float | None = None
    temperature_c: float | None = None
    tilt_deg: float | None = None
    seq: int | None = None
    extra: dict[str, Any] | None = None
    """Fields outside the contract, kept with the reading."""
    tilted: bool | None = None
    """The sensor's own tilt flag (Milesight's position), apart from an angle."""
    suspect: bool = False
    """A value the sensor cannot vouch for: inside its blind zone, past the bottom, tilted."""


def decode_canonical(payload: bytes, received_at: datetime) -> list[Measurement]:
    """Decode a canonical payload; raise RejectError naming what is wrong."""
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:  # also invalid UTF-8, NaN, integers past 64 bits
        raise RejectError("malformed_json", str(exc)) from exc
    objects = document if isinstance(document, list) else [document]
    if not objects:
        raise RejectError("empty_payload", "an empty array")
    return [_measurement(obj, received_at) for obj in objects]


def _measurement(obj: Any, received_at: datetime) -> Measurement:
    if not isinstance(obj, dict):
        raise RejectError("invalid_field", f"expected a JSON object, got {type(obj).__name__}")
    if obj.get("fill_pct") is None and obj.get("distance_mm") is None:
        raise RejectError("missing_level", "needs fill_pct or distance_mm")
    fill, distance, battery_pct, battery_v, temperature, tilt, seq = _checked(obj)
    ts = obj.get("ts")
    if ts is None:
        measured_at, time_is_receive = received_at, True
    else:
        measured_at, time_is_receive = parse_timestamp(ts, received_at), False
    extra = {key: value for key, value in obj.items() if key not in KNOWN_FIELDS} or None
    return Measurement(
        measured_at, time_is_receive, fill, distance, battery_pct, battery_v, temperature, tilt,
        seq, extra,
    )  # fmt: skip


def check_values(obj: dict[str, Any]) -> dict[str, Any]:
    """The measurement fields of `obj` (absent ones None), each checked for type and range."""
    return dict(zip(_FIELDS, _checked(obj), strict=True))


def _checked(obj: dict[str, Any]) -> list[Any]:
    """The values of `_FIELDS` in `obj`, in that order (absent ones None), each checked."""
    values = []
    for name, bounds in _CHECKS:
        value = obj.get(name)
        if value is not None:
            value = _number(name, value, bounds)
        values.append(value)
    return values


def _number(name: str, value: Any, bounds: tuple[float, float]) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RejectError("invalid_field", f"{name} must be a finite number, got {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RejectError("invalid_field", f"{name} must be a finite number, got {value!r}")
        if name in _INTEGER_FIELDS:
            if not value.is_integer():
                raise RejectError("invalid_field", f"{name} must be an integer, got {value!r}")
            value = int(value)
    if not bounds[0] <= value <= bounds[1]:
        raise RejectError("out_of_range", f"{name}={value} outside {bounds[0]:g}..{bounds[1]:g}")
    return value


def parse_timestamp(value: Any, received_at: datetime) -> datetime:
    """RFC 3339 text or epoch seconds into an aware UTC time, within the accepted window."""
    try:
        if isinstance(value, bool):
            raise TypeError("a boolean")
        if isinstance(value, int | float):
            parsed = datetime.fromtimestamp(value, UTC)
        elif isinstance(value, str):  # Python 3.11 reads a final "Z", not yet a "z"
            parsed = datetime.fromisoformat(value[:-1] + "Z" if value.endswith("z") else value)
        else:
            raise TypeError(type(value).__name__)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise RejectError("bad_timestamp", f"ts={value!r}: {exc}") from exc
    if parsed.tzinfo is None:
        raise RejectError("bad_timestamp", f"ts={value!r} has no time zone")
    parsed = parsed.astimezone(UTC)
    if parsed > received_at + MAX_FUTURE:
        raise RejectError("bad_timestamp", f"ts={value!r} is in the future")
    if parsed < received_at - MAX_AGE:
        raise RejectError("bad_timestamp", f"ts={value!r} is more than a year old")
    return parsed
