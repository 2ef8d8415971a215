"""How much waste goes into each bin, day by day: the city's demand, seeded and reproducible.

`FillModel(city, seed).added_pct(day)` is what residents and passers-by throw into every bin
of the city on that day, in percent of the bin's volume, in `city.bins` order. The same
city, seed and day always give the same figures, whatever else was asked before. The twin
and the sensor publisher both take their fill levels from here, so what the sensors report
is what the trucks find.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from simulators.city import City

DAY_TO_DAY_SIGMA = 0.15
"""Sigma of the lognormal day-to-day variation of a bin's fill around its mean rate."""


class FillModel:
    """Each bin's daily fill: its mean rate with day-to-day variation."""

    def __init__(self, city: City, seed: int) -> None:
        self.city = city
        self.seed = seed
        self._rates = np.array([b.fill_rate_pct_per_day for b in city.bins], dtype=np.float64)

    def added_pct(self, day: date) -> NDArray[np.float64]:
        """Percent of each bin's volume thrown in during `day` (may add up past 100: the
        rest lies beside the bin, which is what overflow means)."""
        rng = np.random.default_rng([self.seed, day.toordinal()])
        variation = rng.lognormal(0.0, DAY_TO_DAY_SIGMA, len(self._rates))
        added: NDArray[np.float64] = self._rates * variation
        return added


class LevelSource(Protocol):
    """Where the sensors read a bin's true fill level: the fill model alone, or the twin,
    which also empties bins."""

    def fill_pct(self, bin_index: int, at: datetime) -> float:
        """The true fill level (0 to 100) of `city.bins[bin_index]` at `at`."""
        ...
