"""What a level sensor measures: the true level seen through noise, a blind zone and echoes.

Pure functions, no I/O. A bin's true fill level comes from a `LevelSource` (the fill model,
the twin) or, by default, grows linearly from its initial level at the start of the
simulation. The sensor on the lid then sees:

- the waste surface, uneven: Gaussian noise of `NOISE_PCT` of the bin's depth;
- a full bin heaped above its full mark, anywhere up to the lid, often inside the sensor's
  blind zone: the reading says so (`in_blind_zone`) and each uplink format reports it its
  own way (the nearest distance it can measure, or the device's invalid value);
- now and then (`ECHO_RATE`) an echo from the side wall coming back first: a distance far
  too short;
- its battery, drained per day and per reading until it is empty and the device falls silent;
- the air temperature, with a daily cycle.

Each device reports at its own phase within its own interval (`report_times_of`), and every
draw depends on the seed, the device and the time only: the same reading comes out identical
however often, and in whatever window, it is produced.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from simulators.city import City, SimBin, SimDevice
from simulators.draws import normal, uniforms

NOISE_PCT = 2.0
"""Standard deviation of the waste surface around the true level, in percent of the depth
between the full mark and the bottom (waste does not lie flat)."""
ECHO_RATE = 0.02
"""Share of readings in which an echo off the side wall comes back before the surface's."""
ECHO_SHARE = (0.1, 0.6)
"""Where an echo puts the surface: this share of the way from the blind zone to the truth."""
TEMPERATURE_MEAN_C = 11.0
TEMPERATURE_SWING_C = 5.0
"""Amplitude of the daily temperature cycle, warmest at `WARMEST_HOUR_UTC`."""
WARMEST_HOUR_UTC = 14.0
TEMPERATURE_NOISE_C = 0.5
BATTERY_DRAIN_PCT_PER_DAY = 0.007
"""Sleep current and self-discharge of a lithium thionyl chloride cell."""
BATTERY_DRAIN_PCT_PER_READING = 0.002
"""One measurement and one uplink: an hourly sensor lasts about five years on a battery."""
SERVICE_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
"""When the simulated sensors were switched on: frame counters count reports since then."""
_U32 = 2**32


def fill_at(bin: SimBin, elapsed_h: float) -> float:
    """The bin's true fill level `elapsed_h` hours after the start: linear, clamped to 100."""
    if not (math.isfinite(elapsed_h) and elapsed_h >= 0):
        raise ValueError(f"elapsed_h must be a finite number >= 0, got {elapsed_h!r}")
    return min(100.0, bin.initial_fill_pct + bin.fill_rate_pct_per_day * elapsed_h / 24.0)


@dataclass(frozen=True)
class Reading:
    """One measurement of one device: what it would send, in Curbside's units."""

    device_id: str
    ts: datetime
    fill_pct: float
    """The level the distance means through the bin's geometry (100 inside the blind zone)."""
    distance_mm: int
    battery_pct: float
    temperature_c: float
    seq: int
    """The device's frame counter: reports since `SERVICE_EPOCH`, modulo 2**32."""
    tilt_deg: float | None = None
    """How far the bin leans, when it does not stand upright (knocked over)."""
    in_blind_zone: bool = False
    """The surface was nearer than the blind zone: `distance_mm` is the blind zone's edge."""

    def __post_init__(self) -> None:
        if self.ts.tzinfo is None or self.ts.utcoffset() is None:
            raise ValueError(f"{self.device_id}: ts must be timezone-aware")
        if not 0 <= self.fill_pct <= 100:
            raise ValueError(f"{self.device_id}: fill_pct must be within [0, 100]")
        if self.distance_mm < 0:
            raise ValueError(f"{self.device_id}: distance_mm must be >= 0")
        if not 0 <= self.battery_pct <= 100:
            raise ValueError(f"{self.device_id}: battery_pct must be within [0, 100]")
        if not 0 <= self.seq < _U32:
            raise ValueError(f"{self.device_id}: seq must be within [0, 2**32)")
        if self.tilt_deg is not None and not 0 <= self.tilt_deg <= 180:
            raise ValueError(f"{self.device_id}: tilt_deg must be within [0, 180]")


def reading_payload(reading: Reading) -> bytes:
    """The canonical JSON object of a reading (ARCHITECTURE.md, MQTT contract).

    `tilt_deg` is there only when the bin leans; a canonical device has no invalid value, so
    inside the blind zone it reports the blind zone's edge, that is a full bin.
    """
    document: dict[str, object] = {
        "ts": reading.ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "fill_pct": round(reading.fill_pct, 1),
        "distance_mm": reading.distance_mm,
        "battery_pct": round(reading.battery_pct, 1),
        "temperature_c": round(reading.temperature_c, 1),
        "seq": reading.seq,
    }
    if reading.tilt_deg is not None:
        document["tilt_deg"] = round(reading.tilt_deg, 1)
    return json.dumps(document, separators=(",", ":")).encode()


def measure(
    bin: SimBin,
    device: SimDevice,
    start: datetime,
    at: datetime,
    seq: int,
    seed: int,
    *,
    level_pct: float | None = None,
) -> Reading:
    """What the device in the bin reports at `at`, the simulation having started at `start`.

    `level_pct` is the bin's true level at `at` (from a `LevelSource`); without it the level
    grows linearly from the bin's initial one (`fill_at`).
    """
    elapsed_s = (at - start).total_seconds()
    true_pct = fill_at(bin, elapsed_s / 3600.0) if level_pct is None else level_pct
    if not (math.isfinite(true_pct) and 0 <= true_pct <= 100):
        raise ValueError(f"{bin.id}: the true level must be within [0, 100], got {true_pct!r}")
    u = uniforms(("measure", seed, device.id, int(at.timestamp())), 7)
    surface_noise, temperature_noise = normal(u[0], u[1]), normal(u[2], u[3])
    heap, echo, echo_share = u[4:7]
    full, empty = bin.full_distance_mm, bin.empty_distance_mm
    span = empty - full
    if true_pct >= 100.0:
        surface = full * (1.0 - heap)  # heaped anywhere between the full mark and the lid
    else:
        surface = empty - true_pct / 100.0 * span + surface_noise * NOISE_PCT / 100.0 * span
        surface = min(surface, float(empty))  # the bottom stops it
    blind = bin.blind_zone_mm
    if echo < ECHO_RATE and surface > blind:
        low, high = ECHO_SHARE
        surface = blind + (surface - blind) * (low + (high - low) * echo_share)
    in_blind_zone = surface < blind
    distance = blind if in_blind_zone else max(0, round(surface))
    return Reading(
        device_id=device.id,
        ts=at,
        fill_pct=bin.geometry.fill_pct(distance),
        distance_mm=distance,
        battery_pct=round(max(0.0, battery_at(device, start, at)), 1),
        temperature_c=round(air_temperature(at) + TEMPERATURE_NOISE_C * temperature_noise, 1),
        seq=seq,
        in_blind_zone=in_blind_zone,
    )


def air_temperature(at: datetime) -> float:
    """The air temperature at `at`, before sensor noise: a daily cycle around the mean."""
    utc = at.astimezone(UTC)
    hour = utc.hour + utc.minute / 60.0
    return TEMPERATURE_MEAN_C + TEMPERATURE_SWING_C * math.cos(
        2 * math.pi * (hour - WARMEST_HOUR_UTC) / 24.0
    )


def battery_at(device: SimDevice, start: datetime, at: datetime) -> float:
    """The device's battery at `at` (negative once empty): drained per day and per reading."""
    elapsed_s = max(0.0, (at - start).total_seconds())
    readings = elapsed_s / device.report_interval_s
    return (
        device.battery_pct
        - BATTERY_DRAIN_PCT_PER_DAY * elapsed_s / 86_400.0
        - BATTERY_DRAIN_PCT_PER_READING * readings
    )


def report_times_of(device: SimDevice, start: datetime, end: datetime) -> Iterator[datetime]:
    """The device's own report times within [start, end]: its phase past every multiple of
    its interval since the Unix epoch, in whole seconds, UTC."""
    first, last = math.ceil(_seconds(start)), math.floor(_seconds(end))
    interval, offset = device.report_interval_s, device.report_offset_s
    k = -((offset - first) // interval)  # the first k with offset + k * interval >= first
    moment = offset + k * interval
    while moment <= last:
        yield datetime.fromtimestamp(moment, UTC)
        moment += interval


def frame_counter(at: datetime, interval_s: int) -> int:
    """A device's frame counter at `at`: its reports since `SERVICE_EPOCH`, modulo 2**32."""
    return int((at - SERVICE_EPOCH).total_seconds() // interval_s) % _U32


def report_times(end: datetime, hours: float, step_h: float) -> list[datetime]:
    """Times on a common grid: back from `end` at `step_h` spacing, for `hours` hours.

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
    """Every device's readings of the `hours` before `end` on a common grid of `step_h`, in time
    order (then city order), the levels growing linearly from each bin's initial one.

    The simulation starts `hours` before `end`. Frame counters count steps since
    `SERVICE_EPOCH`. Each device's own interval and phase are what `simulators.feed` plays.
    """
    times = report_times(end, hours, step_h)
    start = _whole_seconds(end) - timedelta(seconds=round(hours * 3600))
    step_s = max(1, round(step_h * 3600))
    bins = {b.id: b for b in city.bins}
    for at in times:
        seq = frame_counter(at, step_s)
        for device in city.devices:
            yield measure(bins[device.bin_id], device, start, at, seq, seed)


def history_count(city: City, end: datetime, hours: float, step_h: float) -> int:
    """How many readings `history` gives for the same arguments."""
    return len(city.devices) * len(report_times(end, hours, step_h))


def _seconds(moment: datetime) -> float:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("times must be timezone-aware")
    return moment.timestamp()


def _whole_seconds(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("end must be a timezone-aware datetime")
    return datetime.fromtimestamp(math.floor(moment.timestamp()), UTC)
