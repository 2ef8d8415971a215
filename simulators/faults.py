"""Faults injected on request, each at its own rate, all drawn from the seed: reproducible.

Per reading, at most one of (their rates add up to at most 1):

- `dropout`: the reading is not sent (no gateway heard it, the device's modem failed);
- `duplicate`: it is sent twice, byte for byte (a retry, a bridge publishing again);
- `out_of_order`: it is held back one to three report intervals, so later readings of the
  device arrive before it (a backlog in a gateway or a bridge);
- `garbage`: what arrives cannot be read and the ingest must reject it: cut-off JSON, a
  canonical object without a level or with an impossible one, or a network server's uplink
  around bytes that are not the sensor's frame.

Per device and day, the chance that the event starts (a Poisson process of that daily rate):

- `death`: the device stops for good;
- `knock_over`: the bin is knocked over for `KNOCKED_HOURS`: the sensor faces the street and
  sees far past the bottom; devices that sense their tilt say so (canonical `tilt_deg`,
  EM310-UDL position), the others show only the implausible distance;
- `fire`: the waste burns: over `FIRE_READINGS` readings the temperature climbs from the air's
  to `FIRE_PEAK_C`, past the ingest's fire alarm (60 degC), then the sensor burns out and
  falls silent. Only devices that report a temperature can show a fire; the EM310-UDL,
  which has no thermometer, never gets one.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from simulators.city import SimBin, SimDevice
from simulators.devices import parse_shares
from simulators.draws import exponential, random_bytes, uniforms
from simulators.formats import EM310_PORT, LDDS75_PORT, Frame
from simulators.radio import Network
from simulators.sensors import Reading, air_temperature, reading_payload
from simulators.uplinks import Message, encode

PER_READING = ("dropout", "duplicate", "out_of_order", "garbage")
PER_DEVICE_DAY = ("death", "knock_over", "fire")
DELAY_INTERVALS = (1.0, 3.0)
"""How long an out-of-order reading is held back, in the device's report intervals."""
KNOCKED_HOURS = (2.0, 24.0)
"""How long a knocked-over bin lies before someone puts it upright, drawn evenly."""
KNOCKED_TILT_DEG = (60.0, 100.0)
KNOCKED_DISTANCE = (1.3, 3.0)
"""What a knocked-over sensor sees: this many times the bin's depth (the street, a wall)."""
MAX_RANGE_MM = 7500
FIRE_READINGS = 4
FIRE_PEAK_C = 95.0


@dataclass(frozen=True)
class FaultRates:
    """How often each fault happens: per reading, or per device and day (see the module)."""

    dropout: float = 0.0
    duplicate: float = 0.0
    out_of_order: float = 0.0
    garbage: float = 0.0
    death: float = 0.0
    knock_over: float = 0.0
    fire: float = 0.0

    def __post_init__(self) -> None:
        for name in (*PER_READING, *PER_DEVICE_DAY):
            rate = getattr(self, name)
            if not (isinstance(rate, int | float) and math.isfinite(rate) and 0 <= rate <= 1):
                raise ValueError(f"fault rate {name} must be within [0, 1], got {rate!r}")
        if sum(getattr(self, name) for name in PER_READING) > 1:
            raise ValueError("the per-reading fault rates must add up to at most 1")

    @classmethod
    def parse(cls, text: str) -> FaultRates:
        """`dropout=0.01,duplicate=0.02,fire=0.001`; faults left out do not happen."""
        return cls(**parse_shares(text, (*PER_READING, *PER_DEVICE_DAY), "fault"))


@dataclass(frozen=True)
class DeviceFaults:
    """The events of one device within a simulation."""

    dies_at: datetime | None = None
    """It sends nothing from then on (its own death, or burnt out after a fire)."""
    knocked: tuple[tuple[datetime, datetime], ...] = ()
    """Times its bin lies knocked over, from (inclusive) and to (exclusive)."""
    fire_at: datetime | None = None

    def is_knocked(self, at: datetime) -> bool:
        return any(begin <= at < end for begin, end in self.knocked)


def plan_device(
    device: SimDevice,
    has_thermometer: bool,
    start: datetime,
    end: datetime,
    rates: FaultRates,
    seed: int,
) -> DeviceFaults:
    """The device's death, knock-overs and fire between `start` and `end`, from the seed."""
    days = max(0.0, (end - start).total_seconds() / 86_400)
    death_u, fire_u = uniforms(("device faults", seed, device.id), 2)
    death = _first_event(death_u, rates.death, start, days)
    knocked = []
    elapsed = 0.0  # days; knock-overs come as a Poisson process
    for n in itertools.count():
        gap_u, hours_u = uniforms(("knock over", seed, device.id, n), 2)
        elapsed += exponential(gap_u, _hazard(rates.knock_over))
        if elapsed >= days:
            break
        begin = start + timedelta(days=elapsed)
        hours = KNOCKED_HOURS[0] + (KNOCKED_HOURS[1] - KNOCKED_HOURS[0]) * hours_u
        knocked.append((begin, begin + timedelta(hours=hours)))
    fire = _first_event(fire_u, rates.fire, start, days) if has_thermometer else None
    if fire is not None:
        burnt = fire + timedelta(seconds=FIRE_READINGS * device.report_interval_s)
        death = burnt if death is None else min(death, burnt)
    return DeviceFaults(death, tuple(knocked), fire)


def afflict(
    reading: Reading, bin: SimBin, device: SimDevice, faults: DeviceFaults, seed: int
) -> Reading:
    """The reading as the device's faults change it: a knocked-over bin, a fire."""
    if faults.fire_at is not None and faults.fire_at <= reading.ts:
        step = int((reading.ts - faults.fire_at).total_seconds() // device.report_interval_s) + 1
        if step <= FIRE_READINGS:
            air = air_temperature(reading.ts)
            heat = air + (FIRE_PEAK_C - air) * step / FIRE_READINGS
            reading = dataclasses.replace(reading, temperature_c=round(heat, 1))
    if faults.is_knocked(reading.ts):
        far_u, tilt_u = uniforms(("knocked", seed, device.id, reading.seq), 2)
        low, high = KNOCKED_DISTANCE
        far = min(MAX_RANGE_MM, round(bin.empty_distance_mm * (low + (high - low) * far_u)))
        least, most = KNOCKED_TILT_DEG
        reading = dataclasses.replace(
            reading,
            distance_mm=far,
            fill_pct=bin.geometry.fill_pct(far),
            in_blind_zone=False,
            tilt_deg=round(least + (most - least) * tilt_u, 1),
        )
    return reading


def delivery_fault(rates: FaultRates, seed: int, device_id: str, seq: int) -> str | None:
    """Which per-reading fault, if any, befalls the device's reading `seq`."""
    [u] = uniforms(("delivery", seed, device_id, seq), 1)
    edge = 0.0
    for name in PER_READING:
        edge += getattr(rates, name)
        if u < edge:
            return name
    return None


def hold_back(device: SimDevice, seed: int, seq: int) -> timedelta:
    """How long an out-of-order reading is held back."""
    [u] = uniforms(("hold back", seed, device.id, seq), 1)
    low, high = DELAY_INTERVALS
    return timedelta(seconds=device.report_interval_s * (low + (high - low) * u))


def garble(
    reading: Reading, device: SimDevice, network: Network, prefix: str, seed: int
) -> Message:
    """A message in place of the reading that the ingest cannot take and must reject."""
    key = ("garbage", seed, device.id, reading.seq)
    variant_u, cut_u, level_u = uniforms(key, 3)
    variant = int(variant_u * (3 if device.uplink == "canonical" else 2))
    junk = random_bytes(key, 5)
    if variant == 0:  # cut off in the middle: no longer JSON
        message = encode(reading, device, network, prefix)
        cut = 1 + int(cut_u * (len(message.payload) - 1))
        return Message(message.topic, message.payload[:cut])
    if device.uplink != "canonical":  # an uplink around bytes that are not the sensor's frame
        if device.hardware == "ldds75":
            frame = Frame(LDDS75_PORT, junk)  # the LDDS75 sends 8 bytes, not 5
        else:
            frame = Frame(EM310_PORT, bytes([0x99, 0x99]) + junk)  # no such channel
        return encode(reading, device, network, prefix, frame=frame)
    document = json.loads(reading_payload(reading))
    if variant == 1:  # no level at all
        del document["fill_pct"], document["distance_mm"]
    else:  # an impossible level
        document["fill_pct"] = round(101.0 + 299.0 * level_u, 1)
    message = encode(reading, device, network, prefix)
    return Message(message.topic, json.dumps(document, separators=(",", ":")).encode())


def _hazard(daily: float) -> float:
    """The Poisson rate per day whose chance of at least one event a day is `daily` (a
    certainty counts as one chance in a billion of a quiet day)."""
    return -math.log1p(-min(daily, 1 - 1e-9))


def _first_event(u: float, daily: float, start: datetime, days: float) -> datetime | None:
    """When a Poisson process of that daily chance first fires within `days`; None: not."""
    wait = exponential(u, _hazard(daily))
    return start + timedelta(days=wait) if wait < days else None
