"""What the collection policies know of the bins: noisy morning readings and past emptyings.

A policy never sees the twin's true levels. Every morning at `READING_S` each bin's sensor
reports its level with Gaussian noise (`NOISE_PCT`, drawn from the seed and the day, so
every policy run from the same state sees the same readings), and the system knows when its
trucks emptied which bin. From these it estimates each bin's fill rate.

Rates are measured on the fill clock (`fill_clock`): whole days plus the share of a day's
waste already in (`twin.fill_share`), so a bin emptied at 10:00 and read the next morning
counts the 80 % of a day's waste that came after 10:00. A bin's rate is the least-squares
slope through its readings since it was last emptied, anchored at 0 % at the emptying (or,
before its first known emptying, at its first reading). Readings at or above
`SATURATED_PCT` are left out: a full bin's sensor says only that the bin is full. A bin
without a usable reading keeps the rate it had before its emptying, else takes the median
rate of its stream.
"""

from __future__ import annotations

import copy
from datetime import date

import numpy as np

from simulators.city import City
from simulators.twin import DayRecord, Floats, fill_share

READING_S = 5 * 3600
"""Policies decide at 05:00, on the reading taken then, before the first truck leaves."""
NOISE_PCT = 2.0
"""Standard deviation of a sensor's level reading, in percent (as `simulators.sensors`)."""
SATURATED_PCT = 98.0
MIN_SPAN_DAYS = 0.25
"""A reading this close (in fill-clock days) to its anchor says too little about the rate."""


def fill_clock(day: date, seconds: float | Floats) -> Floats:
    """Days of waste since an arbitrary origin: the day's ordinal plus the day's share."""
    return np.asarray(day.toordinal() + fill_share(seconds), dtype=np.float64)


class Observations:
    """The system's knowledge of the city, morning after morning."""

    def __init__(self, city: City, seed: int, noise_pct: float = NOISE_PCT) -> None:
        if not noise_pct >= 0:
            raise ValueError(f"noise_pct must be >= 0, got {noise_pct!r}")
        self.city = city
        self.seed = seed
        self.noise_pct = noise_pct
        count = len(city.bins)
        self.streams = np.array([b.waste_stream for b in city.bins])
        self.measured_pct = np.full(count, np.nan)
        """The latest reading of every bin."""
        self._anchor_clock = np.full(count, np.nan)
        self._anchor_pct = np.zeros(count)
        self._sxy = np.zeros(count)
        self._sxx = np.zeros(count)
        self._prior = np.full(count, np.nan)

    def read(self, day: date, true_pct: Floats) -> Floats:
        """Record the sensors' readings of `day` at `READING_S` of the given true levels."""
        rng = np.random.default_rng([self.seed, day.toordinal(), 0x5E45])
        noisy = true_pct + rng.normal(0.0, self.noise_pct, len(true_pct))
        measured: Floats = np.clip(noisy, 0.0, 100.0)
        clock = float(fill_clock(day, READING_S))
        first = np.isnan(self._anchor_clock)
        self._anchor_clock[first] = clock
        self._anchor_pct[first] = measured[first]
        span = clock - self._anchor_clock
        usable = (span >= MIN_SPAN_DAYS) & (measured < SATURATED_PCT)
        rise = measured - self._anchor_pct
        self._sxy += np.where(usable, span * rise, 0.0)
        self._sxx += np.where(usable, span * span, 0.0)
        self.measured_pct = measured
        return measured

    def emptied(self, record: DayRecord) -> None:
        """Record the day's emptyings: each emptied bin restarts from 0 % at that moment."""
        done = record.emptied
        if not np.any(done):
            return
        self._prior[done] = self._own_rates()[done]
        self._anchor_clock[done] = fill_clock(record.day, record.emptied_s[done])
        self._anchor_pct[done] = 0.0
        self._sxy[done] = 0.0
        self._sxx[done] = 0.0

    def rates(self) -> Floats:
        """Every bin's estimated fill rate, in percent of its volume per day (>= 0)."""
        rates = self._own_rates()
        for stream in np.unique(self.streams):
            in_stream = self.streams == stream
            known = rates[in_stream & ~np.isnan(rates)]
            fallback = float(np.median(known)) if len(known) else 0.0
            rates[in_stream & np.isnan(rates)] = fallback
        result: Floats = np.maximum(rates, 0.0)
        return result

    def _own_rates(self) -> Floats:
        """Each bin's rate from its own readings (or before its last emptying); NaN: none."""
        with np.errstate(invalid="ignore", divide="ignore"):
            own = np.where(self._sxx > 0, self._sxy / self._sxx, np.nan)
        rates: Floats = np.where(np.isnan(own), self._prior, own)
        return rates

    def copy(self) -> Observations:
        """An independent copy, to follow another policy from here."""
        other = copy.copy(self)
        for name in ("_anchor_clock", "_anchor_pct", "_sxy", "_sxx", "_prior"):
            setattr(other, name, getattr(self, name).copy())
        return other


def is_working_day(day: date) -> bool:
    """Collection days: Monday to Friday."""
    return day.weekday() < 5


def next_working_day(day: date) -> date:
    """The first collection day after `day`."""
    following = date.fromordinal(day.toordinal() + 1)
    while not is_working_day(following):
        following = date.fromordinal(following.toordinal() + 1)
    return following
