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
from numpy.typing import NDArray

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


@dataclass(frozen=True)
class Places:
    """Many spots at once, in local metres, with their addresses."""

    x: NDArray[np.float64]
    y: NDArray[np.float64]
    addresses: tuple[str, ...]

    def __post_init__(self) -> None:
        if not len(self.x) == len(self.y) == len(self.addresses):
            raise ValueError("places: x, y and addresses need one entry per place")

    def __len__(self) -> int:
        return len(self.addresses)


def places_along(streets: tuple[Street, ...], rng: np.random.Generator, count: int) -> Places:
    """`count` spots uniformly along the network, each 4 to 12 m to one side of its street,
    addressed; the streets' pieces are laid end to end so one draw places all of them."""
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    starts, ends, owners, offsets = [], [], [], []
    travelled = 0.0
    for index, street in enumerate(streets):
        along = 0.0
        for a, b in zip(street.points, street.points[1:], strict=False):
            starts.append(a)
            ends.append(b)
            owners.append(index)
            offsets.append((travelled, along))
            piece = math.dist(a, b)
            travelled += piece
            along += piece
    if travelled <= 0:
        raise ValueError("the street network has no length")
    a_xy, b_xy = np.array(starts), np.array(ends)
    first, along_street = np.array(offsets).T
    piece = np.hypot(*(b_xy - a_xy).T)

    u = rng.uniform(0.0, travelled, size=count)
    k = np.clip(np.searchsorted(first + piece, u, side="right"), 0, len(piece) - 1)
    t = np.clip((u - first[k]) / np.where(piece[k] > 0, piece[k], 1.0), 0.0, 1.0)
    ux, uy = ((b_xy[k] - a_xy[k]) / np.where(piece[k] > 0, piece[k], 1.0)[:, None]).T
    side = np.where(rng.random(count) < 0.5, 1, -1)  # +1: left of the direction of travel
    offset = side * rng.uniform(4.0, 12.0, size=count)
    x = a_xy[k, 0] + t * (b_xy[k, 0] - a_xy[k, 0]) - offset * uy
    y = a_xy[k, 1] + t * (b_xy[k, 1] - a_xy[k, 1]) + offset * ux
    s = along_street[k] + t * piece[k]
    numbers = 2 * (s // HOUSE_PITCH_M).astype(np.int64) + np.where(side > 0, 1, 2)
    names = [streets[owner].name for owner in owners]
    addresses = tuple(
        f"{names[piece_index]} {number}"
        for piece_index, number in zip(k.tolist(), numbers.tolist(), strict=True)
    )
    return Places(x, y, addresses)


def place_along(streets: tuple[Street, ...], rng: np.random.Generator) -> Place:
    """One spot along the network, as `places_along` draws them."""
    places = places_along(streets, rng, 1)
    return Place(float(places.x[0]), float(places.y[0]), places.addresses[0])


def to_lat_lon(centre: Point, x: float, y: float) -> Point:
    """Local metres around the centre as latitude and longitude (equirectangular)."""
    lat0, lon0 = centre
    metres_per_degree = EARTH_RADIUS_M * math.pi / 180
    lat = lat0 + y / metres_per_degree
    lon = lon0 + x / (metres_per_degree * math.cos(math.radians(lat0)))
    return lat, lon


def to_lat_lon_many(
    centre: Point, x: NDArray[np.float64], y: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """`to_lat_lon` for arrays of places."""
    lat0, lon0 = centre
    metres_per_degree = EARTH_RADIUS_M * math.pi / 180
    lat = lat0 + y / metres_per_degree
    lon = lon0 + x / (metres_per_degree * math.cos(math.radians(lat0)))
    return lat, lon


def to_local_many(
    centre: Point, lat: NDArray[np.float64], lon: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Latitudes and longitudes as local metres around the centre: `to_lat_lon` undone."""
    lat0, lon0 = centre
    metres_per_degree = EARTH_RADIUS_M * math.pi / 180
    y = (lat - lat0) * metres_per_degree
    x = (lon - lon0) * metres_per_degree * math.cos(math.radians(lat0))
    return x, y


def haversine_m(a: Point, b: Point) -> float:
    """Great-circle distance in metres between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))
