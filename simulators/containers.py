"""What stands on the street: waste streams, container types and the sensors fitted to them.

Typical European kerbside equipment: 120 and 240 l wheelie bins, 660 and 1100 l four-wheel
containers, 3000 l glass banks and 100 l street litter bins. Each type has the inner depth a
lid-mounted ultrasonic sensor sees when it is empty; each sensor has a blind zone it cannot
measure inside. How fast a bin fills depends on its stream and, strongly, on its spot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

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
    "residual": StreamProfile(0.30, ((120, 0.2), (240, 0.4), (660, 0.15), (1100, 0.25)), 8.0),
    "bio": StreamProfile(0.12, ((120, 0.4), (240, 0.6)), 7.0),
    "paper": StreamProfile(0.14, ((240, 0.4), (660, 0.2), (1100, 0.4)), 5.0),
    "packaging": StreamProfile(0.14, ((240, 0.4), (660, 0.2), (1100, 0.4)), 7.0),
    "glass": StreamProfile(0.10, ((3000, 1.0),), 2.5),
    "litter": StreamProfile(0.20, ((100, 1.0),), 15.0),
}
"""Median fill rates (percent of the bin a day) are set so that the weekly round, the usual
practice, finds the typical household bin a little over half full (residual: 8 % a day, 56 %
a week at the median, about 62 % on average) and overflows now and then rather than every
week, as a round that works does; containers are sized alike, glass banks last about six
weeks, litter bins a week. The lognormal spread and the fast bins still give every stream
bins that outgrow a weekly round."""


STREAM_CODES = {stream: code for code, stream in enumerate(WASTE_STREAMS)}
"""Each stream's position in WASTE_STREAMS, as the number arrays of drawn containers use."""


@dataclass(frozen=True)
class Containers:
    """Containers drawn for a whole city at once: one entry per bin in each array."""

    stream_codes: NDArray[np.int64]
    """Index into WASTE_STREAMS."""
    volume_l: NDArray[np.float64]
    empty_distance_mm: NDArray[np.int64]
    full_distance_mm: NDArray[np.int64]
    blind_zone_mm: NDArray[np.int64]
    sensor_models: tuple[str, ...]
    fill_rate_pct_per_day: NDArray[np.float64]

    def __post_init__(self) -> None:
        count = len(self.stream_codes)
        arrays = (
            self.volume_l,
            self.empty_distance_mm,
            self.full_distance_mm,
            self.blind_zone_mm,
            self.sensor_models,
            self.fill_rate_pct_per_day,
        )
        if any(len(array) != count for array in arrays):
            raise ValueError("containers: every array needs one entry per bin")

    def __len__(self) -> int:
        return len(self.stream_codes)


def draw_containers(rng: np.random.Generator, count: int) -> Containers:
    """`count` containers: streams by their shares, sizes by each stream's weights, the
    sensor's geometry with a mounting jitter, and lognormal fill rates with a few fast bins."""
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    shares = np.array([STREAMS[stream].share for stream in WASTE_STREAMS])
    codes = rng.choice(len(WASTE_STREAMS), size=count, p=shares / shares.sum()).astype(np.int64)
    sizes = np.zeros(count, dtype=np.int64)
    for code, stream in enumerate(WASTE_STREAMS):
        members = np.flatnonzero(codes == code)
        volumes = np.array([size for size, _ in STREAMS[stream].sizes])
        weights = np.array([weight for _, weight in STREAMS[stream].sizes])
        sizes[members] = rng.choice(volumes, size=len(members), p=weights / weights.sum())
    kinds = [CONTAINERS[int(size)] for size in sizes]
    jitter = rng.integers(-MOUNT_JITTER_MM, MOUNT_JITTER_MM + 1, size=count)
    medians = np.array([STREAMS[stream].median_rate_pct_per_day for stream in WASTE_STREAMS])
    rates = medians[codes] * np.exp(rng.normal(0.0, RATE_SPREAD, size=count))
    rates = np.where(rng.random(count) < FAST_SHARE, rates * FAST_FACTOR, rates)
    blind = np.array([kind.sensor.blind_zone_mm for kind in kinds], dtype=np.int64)
    return Containers(
        stream_codes=codes,
        volume_l=sizes.astype(np.float64),
        empty_distance_mm=np.array([kind.depth_mm for kind in kinds], dtype=np.int64) + jitter,
        full_distance_mm=blind + FULL_MARGIN_MM,
        blind_zone_mm=blind,
        sensor_models=tuple(kind.sensor.model for kind in kinds),
        fill_rate_pct_per_day=np.round(np.minimum(rates, MAX_RATE_PCT_PER_DAY), 2),
    )
