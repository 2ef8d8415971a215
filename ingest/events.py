"""Events derived from a device's new readings: pure rules, applied to each reading in turn.

A condition raises an event when it starts to hold (battery low, fire risk, tilted), so a
sensor that stays low on battery raises one event, not one per reading. A fill drop large
enough, to a low level, is an emptying and records a collection. Silent sensors are found by
a periodic query instead (see writer.silent_sweep).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple


@dataclass(frozen=True)
class EventRules:
    battery_low_pct: float = 15.0
    battery_low_v: float = 3.2
    fire_temperature_c: float = 60.0
    tilt_deg: float = 20.0
    emptied_drop_pct: float = 30.0
    emptied_below_pct: float = 25.0


class Snapshot(NamedTuple):
    """What the rules look at in one stored reading."""

    device_id: str
    bin_id: str | None
    measured_at: datetime
    fill_pct: float | None
    battery_pct: float | None
    battery_v: float | None
    temperature_c: float | None
    tilt_deg: float | None
    tilted: bool | None
    suspect: bool


@dataclass(frozen=True)
class Event:
    device_id: str
    bin_id: str | None
    kind: str
    occurred_at: datetime
    value: float | None
    detail: str


@dataclass(frozen=True)
class Collection:
    bin_id: str
    collected_at: datetime
    fill_before: float
    fill_after: float
    device_id: str


def battery_low(s: Snapshot, rules: EventRules) -> float | None:
    if s.battery_pct is not None and s.battery_pct < rules.battery_low_pct:
        return s.battery_pct
    if s.battery_v is not None and s.battery_v < rules.battery_low_v:
        return s.battery_v
    return None


def fire_risk(s: Snapshot, rules: EventRules) -> float | None:
    hot = s.temperature_c is not None and s.temperature_c >= rules.fire_temperature_c
    return s.temperature_c if hot else None


def tilt(s: Snapshot, rules: EventRules) -> float | None:
    if s.tilted or (s.tilt_deg is not None and s.tilt_deg >= rules.tilt_deg):
        return s.tilt_deg if s.tilt_deg is not None else 1.0
    return None


_CONDITIONS = {
    "battery_low": (battery_low, "battery below its threshold"),
    "fire_risk": (fire_risk, "temperature at or above the fire threshold"),
    "tilt": (tilt, "knocked over or lid open"),
}


def derive(
    previous: Snapshot | None, readings: Sequence[Snapshot], rules: EventRules
) -> tuple[list[Event], list[Collection]]:
    """Events and collections of one device's new readings, oldest first, after `previous`."""
    events: list[Event] = []
    collections: list[Collection] = []
    last = previous
    trusted = previous if previous is not None and _trusted(previous) else None
    for now in readings:
        for kind, (condition, detail) in _CONDITIONS.items():
            value = condition(now, rules)
            if value is not None and (last is None or condition(last, rules) is None):
                events.append(
                    Event(now.device_id, now.bin_id, kind, now.measured_at, value, detail)
                )
        if _trusted(now):
            emptied = _emptied(trusted, now, rules)
            if emptied is not None:
                events.append(emptied[0])
                collections.append(emptied[1])
            trusted = now
        last = now
    return events, collections


def _trusted(s: Snapshot) -> bool:
    """A fill level to compare with: present, and not flagged by the sensor."""
    return s.fill_pct is not None and not s.suspect


def _emptied(
    before: Snapshot | None, now: Snapshot, rules: EventRules
) -> tuple[Event, Collection] | None:
    if before is None or before.fill_pct is None or now.fill_pct is None:
        return None
    if now.bin_id is None or now.bin_id != before.bin_id:
        return None
    drop = before.fill_pct - now.fill_pct
    if drop < rules.emptied_drop_pct or now.fill_pct > rules.emptied_below_pct:
        return None
    detail = f"fill dropped from {before.fill_pct:g} % to {now.fill_pct:g} %"
    event = Event(now.device_id, now.bin_id, "emptied", now.measured_at, before.fill_pct, detail)
    collection = Collection(
        now.bin_id, now.measured_at, before.fill_pct, now.fill_pct, now.device_id
    )
    return event, collection
