"""Simulated time on the wall clock: as fast as the broker takes it, in real time, or faster.

A `Pacer` holds each message back until the wall clock reaches the moment its simulated time
maps to: `speed` simulated seconds pass per real second (1: real time; 10,080: a week in a
minute). Without a pacer ("history" mode) messages go out as fast as the broker takes them.

A timed run ends now-ish rather than starting now: `timed_window` lays the simulated window
so that simulated time reaches the wall clock's at the very end of the run and is never
ahead of it before. The ingest refuses readings from the future, so a week played at x10,080
is the week before the minute it takes. In real time (speed 1) the window starts now.

The clock and the sleep are injected, so tests pace a run without waiting for it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

MAX_SPEED = 1e7
"""Beyond this the pacing is a rounding error: use history mode."""


def check_speed(speed: float) -> float:
    """A speed factor, or ValueError: finite and within (0, MAX_SPEED]."""
    if isinstance(speed, bool) or not (math.isfinite(speed) and 0 < speed <= MAX_SPEED):
        raise ValueError(f"speed must be a number within (0, {MAX_SPEED:g}], got {speed!r}")
    return float(speed)


def timed_window(hours: float, speed: float, now: datetime) -> tuple[datetime, datetime]:
    """The simulated (start, end) of `hours` played at `speed` from the wall-clock time `now`.

    The run lasts `hours / speed` real hours and ends when simulated time reaches the wall
    clock: end = now + hours / speed, start = end - hours.
    """
    if not (math.isfinite(hours) and hours > 0):
        raise ValueError(f"hours must be positive, got {hours!r}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    end = now.astimezone(UTC) + timedelta(hours=hours / check_speed(speed))
    return end - timedelta(hours=hours), end


class Pacer:
    """Maps simulated time onto the wall clock: `sim_start` at the first `wait`'s call."""

    def __init__(
        self,
        speed: float,
        sim_start: datetime,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if sim_start.tzinfo is None or sim_start.utcoffset() is None:
            raise ValueError("sim_start must be timezone-aware")
        self.speed = check_speed(speed)
        self.sim_start = sim_start
        self._clock = clock
        self._sleep = sleep
        self._real_start: float | None = None

    def due(self, sim_time: datetime) -> float:
        """Seconds after the pacer's start at which `sim_time` comes."""
        return (sim_time - self.sim_start).total_seconds() / self.speed

    def wait(self, sim_time: datetime) -> None:
        """Return once the wall clock has reached `sim_time` (at once for a past one)."""
        now = self._clock()
        if self._real_start is None:
            self._real_start = now
        delay = self._real_start + self.due(sim_time) - now
        if delay > 0:
            self._sleep(delay)
