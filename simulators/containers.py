"""What stands on the street: waste streams, container types and the sensors fitted to them.

Typical European kerbside equipment: 120 and 240 l wheelie bins, 660 and 1100 l four-wheel
containers, 3000 l glass banks and 100 l street litter bins. Each type has the inner depth a
lid-mounted ultrasonic sensor sees when it is empty; each sensor has a blind zone it cannot
measure inside. How fast a bin fills depends on its stream and, strongly, on its spot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

WASTE_STREAMS = ("residual", "bio", "paper", "packaging", "glass", "litter")

FULL_MARGIN_MM = 50
"""The full mark lies this far below the sensor's blind zone, where it can still measure."""
MOUNT_JITTER_MM = 20
"""Sensors are not all mounted at the same height: the empty distance varies by this much."""
FAST_SHARE = 0.05
"""Share of bins at busy spots (a bus stop, a shop) that fill several times faster."""
FAST_FACTOR = 3.0
RATE_SPREAD = 0.45
"""Sigma of the lognormal spread of fill rates around a stream's median."""
MAX_RATE_PCT_PER_DAY = 150.0


@dataclass(frozen=True)
class Sensor:
    """A level sensor model: its name and the distance below which it cannot measure."""

    model: str
    blind_zone_mm: int


EM310_UDL = Sensor("em310-udl", 250)
"""Milesight EM310-UDL, for wheelie and litter bins."""
LDDS75 = Sensor("ldds75", 280)
"""Dragino LDDS75, for large containers and glass banks."""
SENSORS = {sensor.model: sensor for sensor in (EM310_UDL, LDDS75)}


@dataclass(frozen=True)
class ContainerType:
    """A container size: its volume, the depth from the lid to the empty bottom, its sensor."""

    volume_l: float
    depth_mm: int
    sensor: Sensor


CONTAINERS = {
    100: ContainerType(100.0, 700, EM310_UDL),
    120: ContainerType(120.0, 850, EM310_UDL),
    240: ContainerType(240.0, 1000, EM310_UDL),
    660: ContainerType(660.0, 1100, LDDS75),
    1100: ContainerType(1100.0, 1200, LDDS75),
    3000: ContainerType(3000.0, 1700, LDDS75),
}


@dataclass(frozen=True)
class StreamProfile:
    """How a stream shows up in a city: its share of bins, their sizes, how fast they fill."""

    share: float
    sizes: tuple[tuple[int, float], ...]
    """Container volumes (keys of CONTAINERS) with their weights."""
    median_rate_pct_per_day: float


STREAMS = {
    "residual": StreamProfile(0.30, ((120, 0.2), (240, 0.4), (660, 0.15), (1100, 0.25)), 12.0),
    "bio": StreamProfile(0.12, ((120, 0.4), (240, 0.6)), 10.0),
    "paper": StreamProfile(0.14, ((240, 0.4), (660, 0.2), (1100, 0.4)), 7.0),
    "packaging": StreamProfile(0.14, ((240, 0.4), (660, 0.2), (1100, 0.4)), 10.0),
    "glass": StreamProfile(0.10, ((3000, 1.0),), 3.0),
    "litter": StreamProfile(0.20, ((100, 1.0),), 20.0),
}


@dataclass(frozen=True)
class Container:
    """One drawn container: stream, size, sensor geometry and how fast it fills."""

    waste_stream: str
    volume_l: float
    sensor: Sensor
    empty_distance_mm: int
    full_distance_mm: int
    fill_rate_pct_per_day: float


def draw_container(rng: np.random.Generator) -> Container:
    """A container of a stream drawn by the streams' shares, with its geometry and fill rate."""
    streams = list(STREAMS)
    shares = np.array([STREAMS[s].share for s in streams])
    stream = streams[int(rng.choice(len(streams), p=shares / shares.sum()))]
    profile = STREAMS[stream]
    weights = np.array([weight for _, weight in profile.sizes])
    size = profile.sizes[int(rng.choice(len(weights), p=weights / weights.sum()))][0]
    kind = CONTAINERS[size]
    empty_mm = kind.depth_mm + int(rng.integers(-MOUNT_JITTER_MM, MOUNT_JITTER_MM + 1))
    rate = profile.median_rate_pct_per_day * math.exp(rng.normal(0.0, RATE_SPREAD))
    if rng.random() < FAST_SHARE:
        rate *= FAST_FACTOR
    return Container(
        waste_stream=stream,
        volume_l=kind.volume_l,
        sensor=kind.sensor,
        empty_distance_mm=empty_mm,
        full_distance_mm=kind.sensor.blind_zone_mm + FULL_MARGIN_MM,
        fill_rate_pct_per_day=round(min(rate, MAX_RATE_PCT_PER_DAY), 2),
    )
