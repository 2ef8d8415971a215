"""Where trucks start and unload: depots and the disposal facilities of each waste stream.

A city sends each stream to its own kind of plant. The plants lie just outside the built-up
disc, clustered in one industrial zone as they usually are (near a port, a canal or a
ring motorway); the depots stand on the other side of the city, spread around the edge when
a large city has several. Places are in local metres around the centre (x east, y north).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import time

import numpy as np

from simulators.containers import WASTE_STREAMS

BINS_PER_DEPOT = 25_000
"""A depot houses the fleet of about this many bins (some 50 to 70 trucks, see fleet.py)."""
DEPOT_DISTANCE = 0.85
"""Depots stand this share of the city's radius from the centre: inside the edge, on a
main road out."""
INDUSTRIAL_SPREAD_RAD = 0.9
"""The plants lie within this many radians either side of the industrial zone's bearing."""


@dataclass(frozen=True)
class FacilityType:
    """A kind of disposal plant: the streams it accepts, when it takes deliveries, how long a
    truck spends there (weighbridge in and out, queue, tipping), how far out it lies."""

    key: str
    name: str
    waste_streams: tuple[str, ...]
    opens_at: time
    closes_at: time
    unload_s: int
    distance: float
    """Distance from the centre, as a multiple of the city's radius."""

    def __post_init__(self) -> None:
        if not self.waste_streams or not set(self.waste_streams) <= set(WASTE_STREAMS):
            raise ValueError(f"{self.key}: waste_streams must be known streams")
        if not self.opens_at < self.closes_at:
            raise ValueError(f"{self.key}: must open before it closes")
        if self.unload_s < 0 or self.distance <= 0:
            raise ValueError(f"{self.key}: unload_s and distance must be positive")


FACILITY_TYPES = (
    # Incinerators burn around the clock; the tipping hall takes trucks from early to late,
    # and a compactor truck tips into the bunker in a few minutes (10 min with weighing).
    FacilityType(
        "wte", "Waste-to-energy plant", ("residual", "litter"), time(6), time(22), 600, 1.15
    ),
    # Composting sites keep site hours; bio waste is tipped on a floor and checked for
    # plastics before the truck leaves (12 min).
    FacilityType("compost", "Composting site", ("bio",), time(7), time(17), 720, 1.35),
    # Paper and packaging go to a sorting centre; the load is inspected and tipped (15 min).
    FacilityType(
        "recycling", "Recycling centre", ("paper", "packaging"), time(6, 30), time(17), 900, 1.05
    ),
    # A crane truck tips its glass into a bay by colour, then waits for the loader to clear
    # the tipping area (20 min with weighing).
    FacilityType("glass", "Glass recycler", ("glass",), time(7), time(16), 1200, 1.25),
)
"""One plant per stream family; together they accept every stream."""


@dataclass(frozen=True)
class SitePlace:
    """A site's spot in local metres."""

    x: float
    y: float


def depot_count(bins: int) -> int:
    """Depots for a city of `bins` bins: one per started `BINS_PER_DEPOT`, at least one."""
    return max(1, math.ceil(bins / BINS_PER_DEPOT))


_COMPASS = ("East", "North-east", "North", "North-west", "West", "South-west", "South",
            "South-east")  # fmt: skip


def depot_name(spot: SitePlace, count: int) -> str:
    """'Central depot' for a city's only depot, else the depot's side of the city."""
    if count == 1:
        return "Central depot"
    sector = round(math.atan2(spot.y, spot.x) / (math.pi / 4)) % len(_COMPASS)
    return f"{_COMPASS[sector]} depot"


def industrial_bearing(rng: np.random.Generator) -> float:
    """The bearing (radians, counter-clockwise from east) of the city's industrial zone."""
    return float(rng.uniform(0.0, 2 * math.pi))


def facility_places(
    rng: np.random.Generator, radius_m: float, bearing: float
) -> tuple[SitePlace, ...]:
    """One place per `FACILITY_TYPES` entry, in the industrial zone at its distance."""
    places = []
    for kind in FACILITY_TYPES:
        angle = bearing + rng.uniform(-INDUSTRIAL_SPREAD_RAD, INDUSTRIAL_SPREAD_RAD)
        places.append(_polar(kind.distance * radius_m, angle))
    return tuple(places)


def depot_places(
    rng: np.random.Generator, count: int, radius_m: float, bearing: float
) -> tuple[SitePlace, ...]:
    """`count` depots spread evenly around the edge, the first opposite the industrial zone."""
    places = []
    for k in range(count):
        angle = bearing + math.pi + 2 * math.pi * k / count + rng.uniform(-0.3, 0.3)
        places.append(_polar(DEPOT_DISTANCE * radius_m, angle))
    return tuple(places)


def _polar(distance_m: float, angle: float) -> SitePlace:
    return SitePlace(distance_m * math.cos(angle), distance_m * math.sin(angle))
