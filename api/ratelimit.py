"""A rate limit for the public endpoints: a token bucket per client address, in memory.

Each address may make `per_minute` requests a minute on average, in bursts of up to
`burst`; past that it gets 429 with `Retry-After`. Keyed requests (a dispatcher, a driver,
a gateway) are not limited here. The buckets live in the process: behind several API
replicas each keeps its own (docs/api.md).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

PUBLIC_PREFIXES = ("/v1/pickups", "/v1/collected", "/v1/containers", "/v1/reports",
                   "/v1/open/", "/open311/", "/ngsi-ld/")  # fmt: skip


@dataclass
class RateLimiter:
    per_minute: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Per address: tokens left, and when they were counted."""

    def admit(self, address: str) -> float:
        """0 when the request may go ahead; else the seconds until it may."""
        now = self.clock()
        tokens, at = self._buckets.get(address, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.per_minute / 60)
        if tokens >= 1:
            self._buckets[address] = (tokens - 1, now)
            return 0.0
        self._buckets[address] = (tokens, now)
        if len(self._buckets) > 100_000:  # forget the quiet ones, keep memory bounded
            self._buckets = {a: b for a, b in self._buckets.items() if now - b[1] < 600}
        return (1 - tokens) * 60 / self.per_minute


def is_public(path: str) -> bool:
    return path.startswith(PUBLIC_PREFIXES)


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
