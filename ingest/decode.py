"""Canonical JSON payloads (ARCHITECTURE.md) into measurements: pure functions, no I/O.

A payload is one JSON object or an array of them. Each object needs `fill_pct` or
`distance_mm`; `ts` is RFC 3339 or epoch seconds and, when absent, the receive time stands in
(and the measurement says so). Fields outside the contract are kept in `extra`.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from ingest.errors import RejectError

# Accepted ranges; a value outside is a reject with reason "out_of_range".
RANGES: dict[str, tuple[float, float]] = {
    "fill_pct": (0.0, 100.0),
    "distance_mm": (0.0, 20_000.0),
    "battery_pct": (0.0, 100.0),
    "battery_v": (0.0, 12.0),
    "temperature_c": (-50.0, 150.0),
    "tilt_deg": (0.0, 180.0),
}
_INTEGER_FIELDS = ("distance_mm", "seq")
KNOWN_FIELDS = frozenset(RANGES) | {"ts", "seq"}

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
        document = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
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
    values = check_values(obj)
    if obj.get("ts") is None:
        measured_at, time_is_receive = received_at, True
    else:
        measured_at, time_is_receive = parse_timestamp(obj["ts"], received_at), False
    return Measurement(
        measured_at=measured_at,
        time_is_receive=time_is_receive,
        extra={key: value for key, value in obj.items() if key not in KNOWN_FIELDS} or None,
        **values,
    )


def check_values(obj: dict[str, Any]) -> dict[str, Any]:
    """The measurement fields of `obj` (absent ones None), each checked for type and range."""
    return {name: _number(obj, name) for name in (*RANGES, "seq")}


def _number(obj: dict[str, Any], name: str) -> Any:
    value = obj.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RejectError("invalid_field", f"{name} must be a finite number, got {value!r}")
    if name in _INTEGER_FIELDS:
        if value != int(value):
            raise RejectError("invalid_field", f"{name} must be an integer, got {value!r}")
        value = int(value)
    bounds = RANGES.get(name)
    if bounds is not None and not bounds[0] <= value <= bounds[1]:
        raise RejectError("out_of_range", f"{name}={value} outside {bounds[0]:g}..{bounds[1]:g}")
    return value


def parse_timestamp(value: Any, received_at: datetime) -> datetime:
    """RFC 3339 text or epoch seconds into an aware UTC time, within the accepted window."""
    try:
        if isinstance(value, bool):
            raise TypeError("a boolean")
        if isinstance(value, int | float):
            parsed = datetime.fromtimestamp(value, UTC)
        elif isinstance(value, str):
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
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
