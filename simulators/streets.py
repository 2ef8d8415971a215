"""A plausible street network around a city centre, and addressed places along it.

Streets are polylines in local metres around the centre (x east, y north): a grid turned by a
few degrees and clipped to a disc, a ring road, and radial avenues from near the centre out.
A place along a street stands a few metres to its side and gets a house number: odd on the
left, even on the right, one number pair every `HOUSE_PITCH_M` metres.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

EARTH_RADIUS_M = 6_371_008.8
HOUSE_PITCH_M = 16.0

_NAMES = (
    "Linden", "Eiken", "Beuken", "Kastanje", "Wilgen", "Berken", "Populier", "Esdoorn",
    "Iepen", "Platanen", "Rozen", "Tulpen", "Molen", "Kerk", "School", "Brug", "Kouter",
    "Veld", "Meers", "Akker", "Hof", "Dorp", "Kasteel", "Vijver", "Zand", "Steen", "Water",
    "Haven", "Markt", "Bloemen", "Vogel", "Zwanen", "Leeuw", "Ridder", "Abdij", "Koning",
    "Prinsen", "Smid", "Bakkers", "Wevers",
)  # fmt: skip
_SUFFIXES = ("straat", "dreef", "weg")


Point = tuple[float, float]


@dataclass(frozen=True)
class Street:
    """A named polyline in local metres."""

    name: str
    points: tuple[Point, ...]

    def __post_init__(self) -> None:
        if len(self.points) < 2:
            raise ValueError(f"street {self.name!r} needs at least two points")

    @property
    def length_m(self) -> float:
        return sum(math.dist(a, b) for a, b in zip(self.points, self.points[1:], strict=False))

    def at(self, s: float) -> tuple[Point, Point]:
        """The point `s` metres along the street and the unit direction of travel there."""
        last = len(self.points) - 2
        for i, (a, b) in enumerate(zip(self.points, self.points[1:], strict=False)):
            piece = math.dist(a, b)
            if piece == 0:
                continue
            if s <= piece or i == last:
                t = min(max(s / piece, 0.0), 1.0)
                ux, uy = (b[0] - a[0]) / piece, (b[1] - a[1]) / piece
                return (a[0] + t * ux * piece, a[1] + t * uy * piece), (ux, uy)
            s -= piece
        raise ValueError(f"street {self.name!r} has no length")


@dataclass(frozen=True)
class Place:
    """A spot in local metres with its address."""

    x: float
    y: float
    address: str


def street_network(rng: np.random.Generator, radius_m: float) -> tuple[Street, ...]:
    """A turned grid clipped to the disc, a ring road and four to six radial avenues."""
    if not (math.isfinite(radius_m) and radius_m > 0):
        raise ValueError(f"radius_m must be positive, got {radius_m!r}")
    names = [f"{name}{suffix}" for suffix in _SUFFIXES for name in _NAMES]
    names = [names[i] for i in rng.permutation(len(names))]
    lines: list[tuple[Point, ...]] = []

    angle = math.radians(rng.uniform(-25.0, 25.0))
    spacing = rng.uniform(0.08, 0.13) * radius_m
    for direction in (angle, angle + math.pi / 2):
        u = (math.cos(direction), math.sin(direction))
        v = (-u[1], u[0])
        count = int(radius_m // spacing)
        for k in range(-count, count + 1):
            c = k * spacing + rng.uniform(-0.1, 0.1) * spacing
            if abs(c) >= 0.95 * radius_m:
                continue
            h = math.sqrt(radius_m**2 - c**2)
            lines.append(
                (
                    (c * v[0] - h * u[0], c * v[1] - h * u[1]),
                    (c * v[0] + h * u[0], c * v[1] + h * u[1]),
                )
            )

    for k in range(int(rng.integers(4, 7))):
        theta = 2 * math.pi * k / 6 + rng.uniform(0, 2 * math.pi / 6)
        inner, outer = 0.12 * radius_m, radius_m
        lines.append(
            (
                (inner * math.cos(theta), inner * math.sin(theta)),
                (outer * math.cos(theta), outer * math.sin(theta)),
            )
        )
    streets = [
        Street(names[i] if i < len(names) else f"Straat {i + 1}", line)
        for i, line in enumerate(lines)
    ]

    ring = rng.uniform(0.45, 0.6) * radius_m
    corners = [2 * math.pi * k / 36 for k in range(37)]
    streets.append(
        Street("Stadsring", tuple((ring * math.cos(a), ring * math.sin(a)) for a in corners))
    )
    return tuple(streets)


def place_along(streets: tuple[Street, ...], rng: np.random.Generator) -> Place:
    """A spot uniformly along the network, 4 to 12 m to one side of its street, addressed."""
    lengths = np.array([street.length_m for street in streets])
    street = streets[int(rng.choice(len(streets), p=lengths / lengths.sum()))]
    s = rng.uniform(0.0, street.length_m)
    (x, y), (ux, uy) = street.at(s)
    side = 1 if rng.random() < 0.5 else -1  # +1: left of the direction of travel
    offset = side * rng.uniform(4.0, 12.0)
    number = 2 * int(s // HOUSE_PITCH_M) + (1 if side > 0 else 2)
    return Place(x - offset * uy, y + offset * ux, f"{street.name} {number}")


def to_lat_lon(centre: Point, x: float, y: float) -> Point:
    """Local metres around the centre as latitude and longitude (equirectangular)."""
    lat0, lon0 = centre
    metres_per_degree = EARTH_RADIUS_M * math.pi / 180
    lat = lat0 + y / metres_per_degree
    lon = lon0 + x / (metres_per_degree * math.cos(math.radians(lat0)))
    return lat, lon


def haversine_m(a: Point, b: Point) -> float:
    """Great-circle distance in metres between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))
