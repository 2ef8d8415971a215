"""Who the sensors are on the network: the uplink format each speaks, its LoRaWAN ids, its phase.

A city's devices reach the broker the three ways real ones do: Curbside's canonical JSON on
its own topic (a vendor cloud or an NB-IoT backend that speaks it), or through a LoRaWAN
network server, The Things Stack v3 or ChirpStack v4, which publishes the sensor's own bytes
in its envelope. Which way a device goes is drawn from a `FormatMix`. A LoRaWAN device has a
DevEUI under its maker's OUI (Milesight 24-E1-24, Dragino A8-40-41) and is registered under
its hardware's model name, which is what the ingest decodes its bytes by. Every device
reports at its own phase within its interval, so a city's sensors do not all fire at once.

Pure functions of the seed and the device's number: hashes, not the city's random streams,
so the identities do not change when the generator draws something else.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from simulators.city import City

UPLINKS = ("canonical", "tts", "chirpstack")
"""Uplink formats, named as the ingest names their topics."""
LORAWAN_UPLINKS = ("tts", "chirpstack")
DEV_EUI = re.compile(r"^[0-9a-f]{16}$")
"""How the devices table stores a DevEUI: 16 lower-case hex digits."""
OUI = {"em310-udl": "24e124", "ldds75": "a84041"}
"""The maker's IEEE OUI that starts a device's DevEUI: Milesight, Dragino."""
EUI_FAMILY = {"em310-udl": "71", "ldds75": "00"}
"""The byte after the OUI, as the makers' own DevEUIs have it."""
NEW_BATTERY_PCT = (55.0, 100.0)
"""Battery left in most sensors at the start: installed within the last few years."""
WORN_SHARE = 0.02
"""Share of sensors near the end of their battery (1 to 15 % left): the oldest ones."""
WORN_BATTERY_PCT = (1.0, 15.0)
REPORT_INTERVALS_S = (1800, 3600, 3600, 3600, 7200)
"""Report intervals operators configure, drawn evenly: most sensors hourly, some each half
hour (busy spots), some every two hours (to save battery)."""


@dataclass(frozen=True)
class FormatMix:
    """Shares of a city's devices per uplink format; they need not sum to 1 (normalised)."""

    canonical: float = 0.2
    tts: float = 0.4
    chirpstack: float = 0.4

    def __post_init__(self) -> None:
        for name in UPLINKS:
            share = getattr(self, name)
            if not (isinstance(share, int | float) and math.isfinite(share) and share >= 0):
                raise ValueError(f"format share {name} must be a finite number >= 0, got {share!r}")
        if self.canonical + self.tts + self.chirpstack <= 0:
            raise ValueError("format shares must not all be 0")

    @classmethod
    def parse(cls, text: str) -> FormatMix:
        """`canonical=0.2,tts=0.4,chirpstack=0.4`; formats left out get share 0."""
        shares = parse_shares(text, UPLINKS, "format")
        return cls(**{name: shares.get(name, 0.0) for name in UPLINKS})

    def pick(self, u: float) -> str:
        """The format at quantile `u` (0 <= u < 1) of the mix."""
        total = self.canonical + self.tts + self.chirpstack
        edge = 0.0
        for name in UPLINKS:
            edge += getattr(self, name) / total
            if u < edge:
                return name
        return next(name for name in reversed(UPLINKS) if getattr(self, name) > 0)


@dataclass(frozen=True)
class DeviceTraits:
    """What a generated device is on the network: format, DevEUI, interval and phase."""

    uplink: str
    dev_eui: str | None
    report_interval_s: int
    report_offset_s: int


def device_traits(number: int, hardware: str, seed: int, mix: FormatMix) -> DeviceTraits:
    """The traits of the city's device number `number` (1, 2, ...) of this hardware."""
    if number < 1:
        raise ValueError(f"device number must be >= 1, got {number}")
    draws = _uniforms(seed, number)
    uplink = mix.pick(draws[0])
    interval = REPORT_INTERVALS_S[int(draws[1] * len(REPORT_INTERVALS_S))]
    return DeviceTraits(
        uplink=uplink,
        dev_eui=dev_eui(hardware, number, seed) if uplink in LORAWAN_UPLINKS else None,
        report_interval_s=interval,
        report_offset_s=int(draws[2] * interval),
    )


def battery_levels(rng: np.random.Generator, count: int) -> list[float]:
    """Batteries of `count` new devices at the start of a simulation, to 0.1 %."""
    levels = rng.uniform(*NEW_BATTERY_PCT, count)
    worn = rng.random(count) < WORN_SHARE
    levels[worn] = rng.uniform(*WORN_BATTERY_PCT, int(worn.sum()))
    rounded: list[float] = np.round(levels, 1).tolist()
    return rounded


def dev_eui(hardware: str, number: int, seed: int) -> str:
    """A DevEUI under the maker's OUI; distinct for distinct numbers of one seed and hardware."""
    if hardware not in OUI:
        raise ValueError(f"no DevEUI block for hardware {hardware!r}")
    base = int.from_bytes(_digest(("eui", seed)), "big") % 2**32
    return f"{OUI[hardware]}{EUI_FAMILY[hardware]}{(base + number) % 2**32:08x}"


def assign_uplinks(city: City, mix: FormatMix) -> City:
    """The same city with its devices' formats and DevEUIs drawn again from `mix`.

    Device numbers follow the city's order; intervals and phases stay as they are.
    """
    from simulators.city import CANONICAL_MODEL

    devices = []
    for number, device in enumerate(city.devices, start=1):
        traits = device_traits(number, device.hardware, city.seed, mix)
        lorawan = traits.uplink in LORAWAN_UPLINKS
        devices.append(
            dataclasses.replace(
                device,
                uplink=traits.uplink,
                dev_eui=traits.dev_eui,
                sensor_model=device.hardware if lorawan else CANONICAL_MODEL,
            )
        )
    return dataclasses.replace(city, devices=tuple(devices))


def parse_shares(text: str, names: tuple[str, ...], what: str) -> dict[str, float]:
    """`a=0.1,b=0.2` into numbers, each name one of `names` and given once (command lines)."""
    values: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, number = (s.strip() for s in part.partition("="))
        if not sep or name not in names:
            known = ", ".join(names)
            raise ValueError(f"expected {what}=NUMBER with {what} one of {known}: {part!r}")
        if name in values:
            raise ValueError(f"{what} {name} is given twice")
        try:
            values[name] = float(number)
        except ValueError:
            raise ValueError(f"{name}: not a number: {number!r}") from None
    if not values:
        raise ValueError(f"no {what} shares given")
    return values


def _digest(key: tuple[object, ...]) -> bytes:
    return hashlib.blake2b(repr(key).encode(), digest_size=32).digest()


def _uniforms(seed: int, number: int) -> list[float]:
    """Four uniform numbers in [0, 1) from the seed and the device number."""
    digest = _digest(("device", seed, number))
    return [int.from_bytes(digest[i : i + 8], "big") / 2**64 for i in range(0, 32, 8)]
