"""How much waste goes into each bin, day by day: the city's demand, seeded and reproducible.

`FillModel(city, seed).added_pct(day)` is what residents and passers-by throw into every bin
of the city on that day, in percent of the bin's volume, in `city.bins` order. The same
city, seed and day always give the same figures, whatever else was asked before. The twin
and the sensor publisher both take their fill levels from here, so what the sensors report
is what the trucks find.

A bin's day is its mean rate (`SimBin.fill_rate_pct_per_day`, which already makes a few bins
at busy spots fill several times faster) times:

- its stream's **weekday pattern** (`WEEKDAY_PATTERN`, averaging 1 over a week);
- on a **public holiday**, Sunday's pattern times `HOLIDAY_FACTOR`; the **day after**, times
  `AFTER_HOLIDAY_FACTOR` of its stream;
- for litter bins within `MARKET_RADIUS_M` of the centre, `MARKET_FACTOR` on the
  **market day**;
- its stream's **season** (`SEASON_AMPLITUDE`, a yearly cosine averaging 1);
- a **burst** now and then: with `BURST_DAILY_PROBABILITY` a day a bin starts one to
  `BURST_MAX_DAYS` days at `BURST_FACTOR_RANGE` times its rate (a party, a move out, a
  clear-out of the attic, an event in the street);
- a lognormal **day-to-day variation** (`DAY_TO_DAY_SIGMA`).

Every random draw comes from its own generator keyed by the seed and the day, so a day's
figures need no other day to have been computed (a burst that started the day before is
drawn again from that day's key).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from simulators.calendar import is_belgian_holiday
from simulators.city import City
from simulators.containers import STREAM_CODES, WASTE_STREAMS
from simulators.streets import to_local_many

Floats = NDArray[np.float64]

WEEKDAY_PATTERN: dict[str, tuple[float, ...]] = {
    # Monday to Sunday. Households fill their bins most on Monday, with what the weekend at
    # home produced, and least late in the week.
    "residual": (1.25, 1.05, 0.95, 0.90, 0.90, 0.95, 1.00),
    # Gardening happens at weekends: clippings go in on Sunday and Monday.
    "bio": (1.30, 1.00, 0.90, 0.85, 0.85, 1.00, 1.10),
    "paper": (1.25, 1.05, 0.95, 0.90, 0.90, 0.95, 1.00),
    "packaging": (1.25, 1.05, 0.95, 0.90, 0.90, 0.95, 1.00),
    # Bottles from Saturday's parties go on Saturday and Monday: Belgian towns forbid
    # throwing glass into the banks on Sundays (noise), so Sunday is quiet.
    "glass": (1.20, 0.95, 0.95, 0.90, 1.00, 1.40, 0.60),
    # Streets and parks are busiest on Friday evenings and weekends.
    "litter": (0.80, 0.80, 0.85, 0.90, 1.05, 1.40, 1.20),
}
"""Each stream's day-of-week factor, Monday first; each averages 1 over the week, so a bin's
mean rate stays its `fill_rate_pct_per_day`."""
SUNDAY = 6
HOLIDAY_FACTOR = 1.2
"""A public holiday is a Sunday and a little more: people are home or out, cooking, visiting."""
AFTER_HOLIDAY_FACTOR: dict[str, float] = {
    "residual": 1.4,
    "bio": 1.3,
    "paper": 1.4,
    "packaging": 1.4,
    "glass": 1.5,
    "litter": 1.0,
}
"""The day after a holiday the household streams take the celebration's leftovers (and what
was kept back over the holiday); glass the most, litter nothing more."""
MARKET_WEEKDAY = 4
"""Friday: Ghent's weekly market on the Vrijdagmarkt, near the default centre."""
MARKET_RADIUS_M = 500.0
"""Litter bins within this distance of the centre serve the market."""
MARKET_FACTOR = 2.0
"""Market stalls, snacks and shoppers double what goes into the litter bins around it."""
SEASON_AMPLITUDE: dict[str, float] = {"bio": 0.25, "litter": 0.20}
"""Garden waste is heaviest in early summer, litter in high summer; other streams are flat."""
SEASON_PEAK_DAY: dict[str, int] = {"bio": 152, "litter": 200}
"""Day of the year (1 June, 19 July) of each seasonal stream's peak."""
BURST_DAILY_PROBABILITY = 0.004
"""Chance that a bin starts a burst on a given day: about one and a half a year."""
BURST_MAX_DAYS = 3
"""A burst lasts one to this many days, equally likely."""
BURST_FACTOR_RANGE = (3.0, 5.0)
"""During a burst the bin gets this many times its usual day (uniform); overlapping bursts
do not add up, the larger factor counts."""
DAY_TO_DAY_SIGMA = 0.15
"""Sigma of the lognormal day-to-day variation of a bin's fill around its expected day."""

_VARIATION, _BURSTS = 0, 1
"""Keys of the two random draws of a day."""


class FillModel:
    """Each bin's daily fill: its mean rate under the city's calendar, bursts and noise.

    `holidays` are the days treated as public holidays; None (the default) takes the Belgian
    public holidays of whatever year is asked. `market_weekday` is the market day (0 Monday),
    or None for a city without one.
    """

    def __init__(
        self,
        city: City,
        seed: int,
        *,
        holidays: Collection[date] | None = None,
        market_weekday: int | None = MARKET_WEEKDAY,
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        if market_weekday is not None and market_weekday not in range(7):
            raise ValueError(f"market_weekday must be 0 to 6 or None, got {market_weekday!r}")
        self.city = city
        self.seed = seed
        self.holidays = None if holidays is None else frozenset(holidays)
        self.market_weekday = market_weekday
        self._rates = np.array([b.fill_rate_pct_per_day for b in city.bins], dtype=np.float64)
        self._streams = np.array([STREAM_CODES[b.waste_stream] for b in city.bins], dtype=np.int64)
        lat = np.array([b.lat for b in city.bins], dtype=np.float64)
        lon = np.array([b.lon for b in city.bins], dtype=np.float64)
        x, y = to_local_many(city.centre, lat, lon)
        self._market = (self._streams == STREAM_CODES["litter"]) & (
            np.hypot(x, y) <= MARKET_RADIUS_M
        )

    def is_holiday(self, day: date) -> bool:
        """Whether the model treats `day` as a public holiday."""
        return is_belgian_holiday(day) if self.holidays is None else day in self.holidays

    def stream_factors(self, day: date) -> Floats:
        """Each stream's calendar factor on `day` (weekday, holidays, season), in
        WASTE_STREAMS order."""
        weekday = SUNDAY if self.is_holiday(day) else day.weekday()
        factors: Floats = np.array([WEEKDAY_PATTERN[s][weekday] for s in WASTE_STREAMS])
        if self.is_holiday(day):
            factors *= HOLIDAY_FACTOR
        if self.is_holiday(day - timedelta(days=1)):
            factors *= np.array([AFTER_HOLIDAY_FACTOR[s] for s in WASTE_STREAMS])
        factors *= np.array([_season(s, day) for s in WASTE_STREAMS])
        return factors

    def expected_pct(self, day: date) -> Floats:
        """Each bin's expected fill on `day` from the calendar alone (no burst, no noise)."""
        expected = self._rates * self.stream_factors(day)[self._streams]
        if day.weekday() == self.market_weekday:
            expected = np.where(self._market, expected * MARKET_FACTOR, expected)
        return expected

    def burst_factors(self, day: date) -> Floats:
        """Each bin's burst factor on `day`: 1 outside a burst."""
        factors = np.ones(len(self._rates))
        for days_ago in range(BURST_MAX_DAYS):
            start = day - timedelta(days=days_ago)
            rng = np.random.default_rng([self.seed, start.toordinal(), _BURSTS])
            starting = np.flatnonzero(rng.random(len(self._rates)) < BURST_DAILY_PROBABILITY)
            lengths = rng.integers(1, BURST_MAX_DAYS + 1, size=len(starting))
            strengths = rng.uniform(*BURST_FACTOR_RANGE, size=len(starting))
            going_on = lengths > days_ago
            bursting = starting[going_on]
            factors[bursting] = np.maximum(factors[bursting], strengths[going_on])
        return factors

    def added_pct(self, day: date) -> Floats:
        """Percent of each bin's volume thrown in during `day` (may add up past 100: the
        rest lies beside the bin, which is what overflow means)."""
        rng = np.random.default_rng([self.seed, day.toordinal(), _VARIATION])
        variation = rng.lognormal(0.0, DAY_TO_DAY_SIGMA, len(self._rates))
        added: Floats = self.expected_pct(day) * self.burst_factors(day) * variation
        return added


def _season(stream: str, day: date) -> float:
    """A stream's seasonal factor: a yearly cosine around 1, highest on its peak day."""
    amplitude = SEASON_AMPLITUDE.get(stream, 0.0)
    if not amplitude:
        return 1.0
    phase = 2 * math.pi * (day.timetuple().tm_yday - SEASON_PEAK_DAY[stream]) / 365.25
    return 1.0 + amplitude * math.cos(phase)


class LevelSource(Protocol):
    """Where the sensors read a bin's true fill level: the fill model alone, or the twin,
    which also empties bins."""

    def fill_pct(self, bin_index: int, at: datetime) -> float:
        """The true fill level (0 to 100) of `city.bins[bin_index]` at `at`."""
        ...
