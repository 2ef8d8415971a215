"""Road-network travel matrices from an OSRM-compatible `table` service, cached on disk.

`OsrmTable(url)` stands in for the great-circle `TravelModel` as a problem's travel source.
It asks `{url}/table/v1/{profile}/{lon,lat;...}?annotations=distance,duration` (the OSRM
HTTP API; Valhalla and GraphHopper offer compatible endpoints) in blocks of at most
`block` sources and destinations, so a large day never becomes one huge request. Road
matrices are asymmetric (one-way streets); they are kept as they come. With `cache_dir`,
each matrix is stored under a hash of the service, profile and points, and a later day over
the same sites reads it back instead of asking again.
"""

from __future__ import annotations

import hashlib
import json
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from optimizer.errors import PlanningError
from optimizer.geo import TravelMatrices


class TravelServiceError(PlanningError):
    """The routing service could not give the travel matrices."""


@dataclass(frozen=True)
class OsrmTable:
    """Travel matrices from an OSRM-compatible table service."""

    url: str
    """The service's base address, e.g. http://127.0.0.1:5000."""
    profile: str = "driving"
    block: int = 100
    """Sources and destinations per request at most."""
    timeout_s: float = 60.0
    cache_dir: Path | None = None

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"the table service needs an http(s) URL, got {self.url!r}")
        if self.block < 1:
            raise ValueError(f"block must be at least 1, got {self.block}")

    def matrices(self, points: Sequence[tuple[float, float]]) -> TravelMatrices:
        """Metres and seconds between (lat, lon) points, from the cache or the service."""
        cached = self._cache_path(points)
        if cached is not None and cached.exists():
            with np.load(cached) as stored:
                return TravelMatrices(stored["distance_m"], stored["duration_s"])
        n = len(points)
        distance = np.zeros((n, n), dtype=np.int64)
        duration = np.zeros((n, n), dtype=np.int64)
        for rows in range(0, n, self.block):
            for cols in range(0, n, self.block):
                sources = range(rows, min(n, rows + self.block))
                targets = range(cols, min(n, cols + self.block))
                d, t = self._block(points, sources, targets)
                distance[rows : rows + len(sources), cols : cols + len(targets)] = d
                duration[rows : rows + len(sources), cols : cols + len(targets)] = t
        matrices = TravelMatrices(distance, duration)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            np.savez_compressed(cached, distance_m=distance, duration_s=duration)
        return matrices

    def _block(
        self, points: Sequence[tuple[float, float]], sources: range, targets: range
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """One request: the sources' and targets' points, each listed once."""
        chosen = sorted(set(sources) | set(targets))
        position = {site: k for k, site in enumerate(chosen)}
        coordinates = ";".join(f"{points[i][1]:.6f},{points[i][0]:.6f}" for i in chosen)
        query = "annotations=distance,duration"
        query += "&sources=" + ";".join(str(position[i]) for i in sources)
        query += "&destinations=" + ";".join(str(position[i]) for i in targets)
        address = f"{self.url.rstrip('/')}/table/v1/{self.profile}/{coordinates}?{query}"
        answer = self._get(address)
        if answer.get("code") != "Ok":
            detail = f"{answer.get('code')} {answer.get('message', '')}".strip()
            raise TravelServiceError(f"table service: {detail}")
        try:
            return _whole(answer["distances"]), _whole(answer["durations"])
        except (KeyError, TypeError, ValueError) as exc:
            raise TravelServiceError(f"table service answered without matrices: {exc}") from exc

    def _get(self, address: str) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(address, timeout=self.timeout_s) as response:
                answer: dict[str, Any] = json.load(response)
                return answer
        except OSError as exc:
            raise TravelServiceError(f"table service unreachable at {self.url}: {exc}") from exc
        except ValueError as exc:
            raise TravelServiceError(f"table service sent no JSON: {exc}") from exc

    def _cache_path(self, points: Sequence[tuple[float, float]]) -> Path | None:
        if self.cache_dir is None:
            return None
        key = json.dumps([self.url, self.profile, [list(p) for p in points]]).encode()
        return self.cache_dir / f"{hashlib.sha256(key).hexdigest()}.npz"


def _whole(rows: Any) -> NDArray[np.int64]:
    """A matrix of the service's numbers, rounded; an unreachable pair (null) is refused."""
    values = np.array(rows, dtype=np.float64)
    if values.ndim != 2 or np.isnan(values).any():
        raise ValueError("a pair of points is not connected by the road network")
    whole: NDArray[np.int64] = np.rint(values).astype(np.int64)
    return whole
