"""True fill levels for the sensors to measure when no twin empties the bins.

Two `LevelSource`s (`simulators.fill`): `LinearLevels`, each bin growing at its mean rate
from its initial level (what `sensors.fill_at` gives), and `FilledLevels`, the fill model's
day-by-day amounts (weekdays, holidays, bursts), thrown in evenly over each day. Neither
empties a bin: a full bin stays at 100 %. The collection twin (`simulators.twin`) is the
source that also empties them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from simulators.city import City
from simulators.sensors import fill_at


class DailyFill(Protocol):
    """Percent of each bin's volume thrown in on a day, in `city.bins` order (`FillModel`)."""

    def added_pct(self, day: date) -> NDArray[np.float64]: ...


class LinearLevels:
    """Each bin at its initial level at `start`, then growing at its mean rate."""

    def __init__(self, city: City, start: datetime) -> None:
        _check_aware(start)
        self.city = city
        self.start = start

    def fill_pct(self, bin_index: int, at: datetime) -> float:
        elapsed_h = (at - self.start).total_seconds() / 3600.0
        if elapsed_h < 0:
            raise ValueError(f"{at.isoformat()} is before the start {self.start.isoformat()}")
        return fill_at(self.city.bins[bin_index], elapsed_h)


class FilledLevels:
    """Each bin at its initial level at `start`, then filled by `fill`'s daily amounts."""

    def __init__(self, city: City, fill: DailyFill, start: datetime) -> None:
        _check_aware(start)
        self.start = start.astimezone(UTC)
        self._first_day = self.start.date()
        self._initial = np.array([b.initial_fill_pct for b in city.bins], dtype=np.float64)
        self._fill = fill
        self._added: list[NDArray[np.float64]] = []
        self._before: list[NDArray[np.float64]] = [np.zeros(len(city.bins))]
        """Waste thrown in from the first midnight to the midnight starting each day."""

    def fill_pct(self, bin_index: int, at: datetime) -> float:
        if at < self.start:
            raise ValueError(f"{at.isoformat()} is before the start {self.start.isoformat()}")
        level = self._initial[bin_index] + self._since_midnight(bin_index, at.astimezone(UTC))
        return float(min(100.0, level - self._since_midnight(bin_index, self.start)))

    def _since_midnight(self, bin_index: int, moment: datetime) -> float:
        """Waste thrown into the bin from the first day's midnight to `moment`."""
        day = (moment.date() - self._first_day).days
        while len(self._added) <= day:
            added = np.asarray(self._fill.added_pct(self._first_day + timedelta(len(self._added))))
            self._added.append(added)
            self._before.append(self._before[-1] + added)
        midnight = datetime.combine(moment.date(), datetime.min.time(), UTC)
        share = (moment - midnight).total_seconds() / 86_400.0
        return float(self._before[day][bin_index] + self._added[day][bin_index] * share)


def _check_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("start must be timezone-aware")
