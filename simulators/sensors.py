"""What the sensors measure: fill levels over time, distances through a bin's geometry, payloads.

Pure functions, no I/O. A simulation runs from a start to an end; the sensors measure at a
fixed spacing back from the end, and each bin fills linearly from its initial level at the
start. Each measurement carries Gaussian noise drawn from the seed, the device and the time
only, so the same reading comes out identical however often it is produced.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from simulators.city import City, SimBin, SimDevice

NOISE_PCT = 2.0
"""Standard deviation of the level measurement, in fill percent."""
TEMPERATURE_MEAN_C = 11.0
TEMPERATURE_SWING_C = 5.0
"""Amplitude of the daily temperature cycle, warmest at `WARMEST_HOUR_UTC`."""
WARMEST_HOUR_UTC = 14.0
TEMPERATURE_NOISE_C = 0.5
BATTERY_DRAIN_PCT_PER_DAY = 0.02
_U64 = 2**64 - 1


def fill_at(bin: SimBin, elapsed_h: float) -> float:
    """The bin's true fill level `elapsed_h` hours after the start: linear, clamped to 100."""
    if not (math.isfinite(elapsed_h) and elapsed_h >= 0):
        raise ValueError(f"elapsed_h must be a finite number >= 0, got {elapsed_h!r}")
    return min(100.0, bin.initial_fill_pct + bin.fill_rate_pct_per_day * elapsed_h / 24.0)


@dataclass(frozen=True)
class Reading:
    """One measurement of one device, as it goes into a canonical payload."""

    device_id: str
    ts: datetime
    fill_pct: float
    distance_mm: int
    battery_pct: float
    temperature_c: float
    seq: int

    def __post_init__(self) -> None:
        if self.ts.tzinfo is None or self.ts.utcoffset() is None:
            raise ValueError(f"{self.device_id}: ts must be timezone-aware")
        if not 0 <= self.fill_pct <= 100:
            raise ValueError(f"{self.device_id}: fill_pct must be within [0, 100]")
        if self.distance_mm < 0:
            raise ValueError(f"{self.device_id}: distance_mm must be >= 0")
        if not 0 <= self.battery_pct <= 100:
            raise ValueError(f"{self.device_id}: battery_pct must be within [0, 100]")
        if self.seq < 0:
            raise ValueError(f"{self.device_id}: seq must be >= 0")


def reading_payload(reading: Reading) -> bytes:
    """The canonical JSON object of a reading (ARCHITECTURE.md, MQTT contract)."""
    document = {
        "ts": reading.ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "fill_pct": round(reading.fill_pct, 1),
        "distance_mm": reading.distance_mm,
        "battery_pct": round(reading.battery_pct, 1),
        "temperature_c": round(reading.temperature_c, 1),
        "seq": reading.seq,
    }
    return json.dumps(document, separators=(",", ":")).encode()


def measure(
    bin: SimBin, device: SimDevice, start: datetime, at: datetime, seq: int, seed: int
) -> Reading:
    """What the device in the bin reports at `at`, the simulation having started at `start`."""
    elapsed_s = (at - start).total_seconds()
    rng = np.random.default_rng([seed, _key(device.id), int(at.timestamp()) & _U64])
    noisy = fill_at(bin, elapsed_s / 3600.0) + rng.normal(0.0, NOISE_PCT)
    distance = bin.geometry.distance_mm(noisy)
    utc = at.astimezone(UTC)
    hour = utc.hour + utc.minute / 60.0
    daily = math.cos(2 * math.pi * (hour - WARMEST_HOUR_UTC) / 24.0)
    temperature = (
        TEMPERATURE_MEAN_C + TEMPERATURE_SWING_C * daily + rng.normal(0.0, TEMPERATURE_NOISE_C)
    )
    battery = device.battery_pct - BATTERY_DRAIN_PCT_PER_DAY * elapsed_s / 86_400.0
    return Reading(
        device_id=device.id,
        ts=at,
        fill_pct=bin.geometry.fill_pct(distance),
        distance_mm=distance,
        battery_pct=round(max(0.0, battery), 1),
        temperature_c=round(temperature, 1),
        seq=seq,
    )


def report_times(end: datetime, hours: float, step_h: float) -> list[datetime]:
    """When every sensor measures: back from `end` at `step_h` spacing, for `hours` hours.

    Both ends are included when `hours` is a multiple of `step_h`: 24 h at 6 h spacing are five
    readings. Times are whole seconds, in UTC.
    """
    last = _whole_seconds(end)
    if not (math.isfinite(hours) and hours > 0):
        raise ValueError(f"hours must be positive, got {hours!r}")
    if not (math.isfinite(step_h) and step_h > 0):
        raise ValueError(f"step_h must be positive, got {step_h!r}")
    step_s = max(1, round(step_h * 3600))
    count = round(hours * 3600) // step_s + 1
    return [last - timedelta(seconds=k * step_s) for k in reversed(range(count))]


def history(city: City, end: datetime, hours: float, step_h: float, seed: int) -> Iterator[Reading]:
    """Every device's readings of the `hours` before `end`, in time order (then city order).

    The simulation starts `hours` before `end`: each bin is at its initial level then, and each
    device's frame counter `seq` counts its readings from 0.
    """
    times = report_times(end, hours, step_h)
    start = _whole_seconds(end) - timedelta(seconds=round(hours * 3600))
    bins = {b.id: b for b in city.bins}
    for seq, at in enumerate(times):
        for device in city.devices:
            yield measure(bins[device.bin_id], device, start, at, seq, seed)


def history_count(city: City, end: datetime, hours: float, step_h: float) -> int:
    """How many readings `history` gives for the same arguments."""
    return len(city.devices) * len(report_times(end, hours, step_h))


def _whole_seconds(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("end must be a timezone-aware datetime")
    return datetime.fromtimestamp(math.floor(moment.timestamp()), UTC)


def _key(device_id: str) -> int:
    """A stable number for a device id (Python's hash() changes between runs)."""
    return zlib.crc32(device_id.encode())
