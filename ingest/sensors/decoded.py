"""The network server's decoded object into values: the fallback when there are no raw bytes.

Key names differ between decoders and their versions (spec 3.1, 3.3): Milesight `battery`,
`distance`, `position` (older TTN codec: `tilt`), `temperature`, `*_alarm`; Dragino `Bat`,
`Distance`, `TempC_DS18B20`, `Sensor_flag`, `Interrupt_flag`, some as text with a unit
("2025 mm", "3.338 V", "0.00 °C") or a marker ("No Sensor", "Invalid Reading"); generic
decoders `distance_mm`, `fill_pct`, `battery_pct`, `battery_v`, `temperature_c`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from ingest.errors import RejectError
from ingest.sensors.dragino import INVALID_MM, NO_SENSOR_MM
from ingest.sensors.frames import model_key
from ingest.sensors.values import SensorValues

# Field -> the keys it may come under, most specific first, and the units it may carry.
_KEYS: dict[str, tuple[str, ...]] = {
    "distance_mm": ("distance_mm", "distance", "Distance"),
    "fill_pct": ("fill_pct",),
    "battery_pct": ("battery_pct", "battery"),
    "battery_v": ("battery_v", "Bat"),
    "temperature_c": ("temperature_c", "temperature", "TempC_DS18B20"),
}
_UNITS: dict[str, dict[str, float]] = {
    "distance_mm": {"": 1, "mm": 1, "cm": 10, "m": 1000},
    "fill_pct": {"": 1, "%": 1},
    "battery_pct": {"": 1, "%": 1},
    "battery_v": {"": 1, "v": 1, "mv": 0.001},
    "temperature_c": {"": 1, "c": 1, "°c": 1, "℃": 1},
}
_TILT_KEYS = ("tilt", "position")
_ALARM_KEYS = ("alarm", "distance_alarm", "temperature_alarm")
_FLAGS = {
    "0": False,
    "1": True,
    "normal": False,
    "tilt": True,
    "threshold_alarm": True,
    "threshold_alarm_release": False,
}
_MARKERS = ("no sensor", "invalid reading")
_NUMBER = re.compile(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S*)\s*")


def values_from_decoded(model: str, decoded: Mapping[str, Any]) -> SensorValues:
    """Values from a decoded object; raise RejectError when it holds nothing usable."""
    found = {name: item for name, keys in _KEYS.items() if (item := _first(decoded, keys))}
    tilt = _flag(decoded, _TILT_KEYS)
    alarms = {key: flag for key in _ALARM_KEYS if (flag := _flag(decoded, (key,))) is not None}
    if not found and tilt is None and not alarms and decoded.get("Sensor_flag") is None:
        raise RejectError("undecodable_payload", f"no known keys in {sorted(decoded)[:12]}")
    distance, note = _distance(model_key(model), decoded, found.pop("distance_mm", None))
    numbers: dict[str, Any] = {name: _number(name, *item) for name, item in found.items()}
    if found.get("temperature_c", ("",))[0] == "TempC_DS18B20" and numbers["temperature_c"] == 0:
        numbers["temperature_c"] = None  # 0: no DS18B20 probe
    if note:
        numbers.pop("fill_pct", None)  # the sensor cannot vouch for a level now
    elif distance is None and numbers.get("fill_pct") is None:
        note = "no level in decoded object"
    extra: dict[str, Any] = {key: flag for key, flag in alarms.items() if key != "alarm"}
    if isinstance(interrupt := decoded.get("Interrupt_flag"), int):
        extra["interrupt"] = interrupt
    try:
        return SensorValues(
            distance_mm=distance,
            **numbers,
            tilt=tilt,
            alarm=any(alarms.values()) if alarms else None,
            valid=not note,
            note=note,
            extra=extra,
        )
    except ValueError as exc:
        raise RejectError("invalid_field", str(exc)) from exc


def _distance(
    model: str, decoded: Mapping[str, Any], item: tuple[str, Any] | None
) -> tuple[int | None, str]:
    """The distance in mm or, when the sensor has no trustworthy one, None and why."""
    if decoded.get("Sensor_flag") == 0:
        return None, "no sensor"
    if item is None:
        return None, ""
    key, value = item
    if isinstance(value, str) and value.strip().lower() in _MARKERS:
        return None, value.strip().lower()
    distance = round(_number("distance_mm", key, value))
    if model == "ldds75" and distance in (NO_SENSOR_MM, INVALID_MM):
        return None, "no sensor" if distance == NO_SENSOR_MM else "invalid reading"
    return distance, ""


def _number(name: str, key: str, value: Any) -> float:
    """A number, or numeric text with one of the field's units, in the field's unit."""
    match = _NUMBER.fullmatch(value) if isinstance(value, str) else None
    try:
        if match is not None:
            number, unit = float(match[1]), match[2].lower()
        elif isinstance(value, int | float) and not isinstance(value, bool):
            number, unit = float(value), ""
        else:
            raise RejectError("invalid_field", f"{key}={value!r} is not a number")
    except OverflowError as exc:
        raise RejectError("invalid_field", f"{key}={value!r} is too large") from exc
    scale = _UNITS[name].get(unit)
    if scale is None or not math.isfinite(number * scale):
        raise RejectError("invalid_field", f"{key}={value!r} is not a finite {name}")
    return number * scale


def _first(decoded: Mapping[str, Any], keys: tuple[str, ...]) -> tuple[str, Any] | None:
    """The first of the keys that holds a value, with that value."""
    for key in keys:
        if decoded.get(key) is not None:
            return key, decoded[key]
    return None


def _flag(decoded: Mapping[str, Any], keys: tuple[str, ...]) -> bool | None:
    """A yes/no field given as a boolean, 0/1 or the vendor's words; anything else is None."""
    for key in keys:
        value = decoded.get(key)
        if isinstance(value, bool):
            return value
        flag = _FLAGS.get(str(value).strip().lower()) if isinstance(value, int | str) else None
        if flag is not None:
            return flag
    return None
