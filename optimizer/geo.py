"""Distances and travel times between sites, from coordinates alone.

The default travel source of the optimizer: great-circle (haversine) distances stretched by a
detour factor for the road network, and times at an average speed. A road-network source
(an OSRM-compatible server) can later stand in for `TravelModel` with the same `matrices`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG), in metres."""


def haversine_matrix(lat: ArrayLike, lon: ArrayLike) -> NDArray[np.float64]:
    """Great-circle distances in metres between every pair of points given in degrees."""
    lat_deg = np.asarray(lat, dtype=np.float64)
    lon_deg = np.asarray(lon, dtype=np.float64)
    if lat_deg.ndim != 1 or lat_deg.shape != lon_deg.shape:
        raise ValueError("lat and lon must be one-dimensional arrays of the same length")
    if not (np.all(np.abs(lat_deg) <= 90) and np.all(np.abs(lon_deg) <= 180)):
        raise ValueError("coordinates must be degrees within [-90, 90] and [-180, 180]")
    lat_rad = np.radians(lat_deg)
    lon_rad = np.radians(lon_deg)
    dlat = lat_rad[:, None] - lat_rad[None, :]
    dlon = lon_rad[:, None] - lon_rad[None, :]
    cos_lat = np.cos(lat_rad)
    h = np.sin(dlat / 2) ** 2 + cos_lat[:, None] * cos_lat[None, :] * np.sin(dlon / 2) ** 2
    # Clipping keeps rounding from pushing h just past 1 for antipodal points.
    distances: NDArray[np.float64] = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0, 1)))
    return distances


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lat, lon) points in degrees."""
    return float(haversine_matrix([a[0], b[0]], [a[1], b[1]])[0, 1])


@dataclass(frozen=True, eq=False)
class TravelMatrices:
    """Whole metres and seconds between every pair of sites, in the order they were given."""

    distance_m: NDArray[np.int64]
    duration_s: NDArray[np.int64]

    def __post_init__(self) -> None:
        n = self.distance_m.shape[0] if self.distance_m.ndim == 2 else -1
        if self.distance_m.shape != (n, n) or self.duration_s.shape != (n, n):
            raise ValueError("travel matrices must be square and of the same size")
        if np.any(self.distance_m < 0) or np.any(self.duration_s < 0):
            raise ValueError("travel matrices must not hold negative values")

    @property
    def size(self) -> int:
        return int(self.distance_m.shape[0])


@dataclass(frozen=True)
class TravelModel:
    """Road distance as great-circle distance times a detour factor, driven at one speed."""

    detour_factor: float = 1.3
    """Road distance over straight-line distance; 1.3 is typical of city street grids."""
    speed_kmh: float = 25.0
    """Average speed of a collection vehicle between stops, in km/h."""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.detour_factor) and self.detour_factor >= 1):
            raise ValueError(f"detour_factor must be at least 1, got {self.detour_factor}")
        if not (math.isfinite(self.speed_kmh) and self.speed_kmh > 0):
            raise ValueError(f"speed_kmh must be positive, got {self.speed_kmh}")

    def matrices(self, points: Sequence[tuple[float, float]]) -> TravelMatrices:
        """Distance (m) and travel time (s) matrices, rounded to integers, for (lat, lon) points."""
        if not points:
            empty = np.zeros((0, 0), dtype=np.int64)
            return TravelMatrices(empty, empty.copy())
        coords = np.asarray(points, dtype=np.float64)
        road_m = haversine_matrix(coords[:, 0], coords[:, 1]) * self.detour_factor
        seconds = road_m / (self.speed_kmh / 3.6)
        return TravelMatrices(
            distance_m=np.rint(road_m).astype(np.int64),
            duration_s=np.rint(seconds).astype(np.int64),
        )
