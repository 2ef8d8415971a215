"""Forecasting a bin's fill level from its readings: pure functions, no I/O.

A bin fills between emptyings. From the readings since the last emptying (a lasting drop of
at least `emptied_drop_pct`) the forecaster fits a straight line of the level
against "busy time": days weighted by the bin's weekday pattern, so a bin that fills twice
as fast on Saturdays is not mistaken for one that suddenly doubled its rate. The fit is
Theil and Sen's (the median of the slopes between pairs of readings), which a few echoes
and spikes cannot pull away; readings far from the line are then left out as outliers and
the line is fitted again.

The forecast carries an uncertainty (the scatter of the readings about the line, and how
well that many readings pin the slope down, plus the day-to-day variation every bin has),
the predicted time at which the bin reaches its full threshold, and the probability that
it overflows before a given time. A sensor that has gone quiet, or whose readings make no
sense, is not trusted: the forecast falls back to the bin's own history or to its
neighbours' rates and says so in its flags.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray

DAY_S = 86_400.0
FLAT_WEEK = (1.0,) * 7


@dataclass(frozen=True)
class ForecastSettings:
    """How readings are read; the defaults suit hourly to six-hourly ultrasonic sensors."""

    full_pct: float = 100.0
    """The level at which a bin counts as full (overflowing beyond it)."""
    emptied_drop_pct: float = 25.0
    """A fall of at least this much between two readings is an emptying."""
    min_readings: int = 3
    """Fewer readings since the last emptying: the rate comes from history instead."""
    stale_after_h: float = 26.0
    """A sensor silent this long is stale: its last level is aged by the fallback rate."""
    outlier_pct: float = 12.0
    """A reading this far from the fitted line (at least) is an outlier (an echo, a spike)."""
    max_rate_pct_per_day: float = 200.0
    """A fitted rate beyond this is not believed."""
    day_to_day_cv: float = 0.25
    """Relative day-to-day variation of a bin's fill, which no fit removes."""
    max_points: int = 60
    """The fit uses the latest this many readings since the emptying."""

    def __post_init__(self) -> None:
        for name in ("full_pct", "emptied_drop_pct", "stale_after_h", "outlier_pct"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be positive, got {value!r}")
        if self.min_readings < 2:
            raise ValueError(f"min_readings must be at least 2, got {self.min_readings}")
        if self.max_points < self.min_readings:
            raise ValueError("max_points must be at least min_readings")
        if not (math.isfinite(self.day_to_day_cv) and self.day_to_day_cv >= 0):
            raise ValueError(f"day_to_day_cv must be >= 0, got {self.day_to_day_cv!r}")


@dataclass(frozen=True)
class Fallback:
    """What a bin's past and its neighbours say, for when its sensor cannot be trusted."""

    rate_pct_per_day: float
    source: str
    """"history" (the bin's own earlier fills) or "neighbours" (nearby bins of its stream)."""


@dataclass(frozen=True)
class Forecast:
    """A bin's level now and ahead: level(t) = level_pct + rate * busy days from `as_of`."""

    as_of: datetime
    level_pct: float
    """Estimated true level at `as_of` (not the last raw reading)."""
    level_sd_pct: float
    rate_pct_per_day: float
    """Fill per average day (the weekday pattern scales it day by day)."""
    rate_sd_pct_per_day: float
    weekday_factors: tuple[float, ...]
    """Fill on each weekday (Monday first) relative to the average day."""
    full_pct: float
    source: str
    """"sensor", or the fallback's source when the sensor was not trusted."""
    flags: tuple[str, ...] = ()
    """Why the sensor was not trusted: "stale", "few-readings", "outliers" (many readings
    far off the line), "implausible-rate", "erratic" (readings scattered far about the
    line), "no-readings"."""

    def busy_days(self, until: datetime) -> float:
        """Days from `as_of` to `until`, each weighted by its weekday factor."""
        return busy_days(self.as_of, until, self.weekday_factors)

    def level_at(self, moment: datetime) -> float:
        """Expected level at `moment` (not capped: above 100 is waste beside the bin)."""
        return self.level_pct + self.rate_pct_per_day * max(0.0, self.busy_days(moment))

    def level_sd_at(self, moment: datetime) -> float:
        ahead = max(0.0, self.busy_days(moment))
        spread = self.rate_sd_pct_per_day * ahead
        return math.sqrt(self.level_sd_pct**2 + spread**2)

    def overflow_probability(self, by: datetime) -> float:
        """Probability that the bin is above `full_pct` at `by` (it only fills meanwhile)."""
        mean, sd = self.level_at(by), self.level_sd_at(by)
        if sd <= 0:
            return 1.0 if mean >= self.full_pct else 0.0
        return 0.5 * math.erfc((self.full_pct - mean) / (sd * math.sqrt(2)))

    def full_at(self) -> datetime | None:
        """When the expected level reaches `full_pct`; None when it does not fill at all."""
        if self.level_pct >= self.full_pct:
            return self.as_of
        if self.rate_pct_per_day <= 0:
            return None
        needed = (self.full_pct - self.level_pct) / self.rate_pct_per_day
        return until_busy(self.as_of, needed, self.weekday_factors)


def busy_days(start: datetime, end: datetime, factors: Sequence[float]) -> float:
    """The days between two moments, each hour weighted by its weekday's factor."""
    if end <= start:
        return -busy_days(end, start, factors) if end < start else 0.0
    total, moment = 0.0, start
    while moment < end:
        midnight = datetime.combine(moment.date() + timedelta(days=1), datetime.min.time())
        next_day = midnight.replace(tzinfo=moment.tzinfo)
        step_end = min(end, next_day)
        total += factors[moment.weekday()] * (step_end - moment).total_seconds() / DAY_S
        moment = step_end
    return total


def until_busy(start: datetime, days: float, factors: Sequence[float]) -> datetime | None:
    """The moment `days` busy days after `start`; None when the week has no busy day."""
    if sum(factors) <= 0:
        return None
    moment, left = start, days
    while True:
        midnight = datetime.combine(moment.date() + timedelta(days=1), datetime.min.time())
        next_day = midnight.replace(tzinfo=moment.tzinfo)
        factor = factors[moment.weekday()]
        span = (next_day - moment).total_seconds() / DAY_S * factor
        if span >= left and factor > 0:
            return moment + timedelta(seconds=left / factor * DAY_S)
        left -= span
        moment = next_day


def since_emptying(levels: NDArray[np.float64], settings: ForecastSettings) -> int:
    """Index of the first reading after the last emptying (0 when none is seen).

    An emptying is a fall of `emptied_drop_pct` below the median of the three readings
    before it that the next reading confirms: a single echo or spike is no emptying, and
    neither is the fall back from one.
    """

    def emptied_at(i: int) -> bool:
        before = float(np.median(levels[max(0, i - 3) : i]))
        return bool(np.all(levels[i : i + 2] <= before - settings.emptied_drop_pct))

    for i in range(len(levels) - 1, 0, -1):
        if emptied_at(i):
            while i > 1 and emptied_at(i - 1):  # the first low reading of the emptying
                i -= 1
            return i
    return 0


def forecast(
    times: Sequence[datetime],
    levels: Sequence[float],
    as_of: datetime,
    fallback: Fallback,
    settings: ForecastSettings | None = None,
    weekday_factors: Sequence[float] = FLAT_WEEK,
) -> Forecast:
    """A bin's forecast at `as_of` from its readings (in time order, at or before `as_of`).

    `fallback` gives the rate to use when the sensor is not trusted; `weekday_factors` the
    bin's weekday pattern (see `weekday_pattern`).
    """
    settings = settings or ForecastSettings()
    factors = tuple(float(f) for f in weekday_factors)
    if len(factors) != 7 or min(factors) < 0 or sum(factors) <= 0:
        raise ValueError("weekday_factors must be seven non-negative numbers, not all zero")
    if len(times) != len(levels):
        raise ValueError("times and levels must have the same length")
    level_array = np.asarray(levels, dtype=np.float64)
    if not len(level_array):
        return _fallback(as_of, None, fallback, settings, factors, ("no-readings",))
    start = since_emptying(level_array, settings)
    start = max(start, len(level_array) - settings.max_points)
    segment_times, segment = list(times[start:]), level_array[start:]
    last_time, last_level = segment_times[-1], float(segment[-1])
    stale = (as_of - last_time).total_seconds() > settings.stale_after_h * 3600
    if len(segment) < settings.min_readings:
        few = ("few-readings", "stale") if stale else ("few-readings",)
        return _fallback(as_of, (last_time, last_level), fallback, settings, factors, few)
    x = np.array([busy_days(as_of, t, factors) for t in segment_times])  # <= 0, now is 0
    slope, intercept, residual_sd, outliers = _robust_line(x, segment, settings)
    flags: tuple[str, ...] = ("outliers",) if outliers > len(segment) // 3 else ()
    if not 0 <= slope <= settings.max_rate_pct_per_day:
        flags += ("implausible-rate",)
    if residual_sd > settings.outlier_pct / 2:
        flags += ("erratic",)  # no straight filling in sight: a jump, a stuck or broken sensor
    if flags:  # a faulty sensor: its readings say nothing, so age the level since the
        # emptying (or since the segment began) at the fallback rate instead
        anchor = (segment_times[0], float(np.median(segment[:3])))
        if stale:
            flags += ("stale",)
        return _fallback(as_of, anchor, fallback, settings, factors, flags)
    if stale:
        return _fallback(as_of, (last_time, last_level), fallback, settings, factors, ("stale",))
    spread = float(np.sum((x - x.mean()) ** 2))
    slope_sd = residual_sd / math.sqrt(spread) if spread > 0 else slope
    rate_sd = math.hypot(slope_sd, settings.day_to_day_cv * slope)
    level_sd = residual_sd / math.sqrt(len(segment)) + 1.0
    return Forecast(
        as_of=as_of,
        level_pct=max(0.0, intercept),
        level_sd_pct=level_sd,
        rate_pct_per_day=slope,
        rate_sd_pct_per_day=rate_sd,
        weekday_factors=factors,
        full_pct=settings.full_pct,
        source="sensor",
        flags=flags,
    )


def _fallback(
    as_of: datetime,
    last: tuple[datetime, float] | None,
    fallback: Fallback,
    settings: ForecastSettings,
    factors: tuple[float, ...],
    flags: tuple[str, ...],
) -> Forecast:
    """A trusted level (`last`: time and level) aged by the fallback rate, with a wide
    uncertainty; with no reading at all, half full give or take a third."""
    rate = fallback.rate_pct_per_day
    if last is None:
        level, level_sd = 50.0, 33.0
    else:
        aged = rate * max(0.0, busy_days(last[0], as_of, factors))
        level, level_sd = min(max(0.0, last[1] + aged), 100.0 + rate), 10.0 + 0.5 * aged
    return Forecast(
        as_of=as_of,
        level_pct=level,
        level_sd_pct=level_sd,
        rate_pct_per_day=rate,
        rate_sd_pct_per_day=max(0.5 * rate, settings.day_to_day_cv * rate),
        weekday_factors=factors,
        full_pct=settings.full_pct,
        source=fallback.source,
        flags=flags,
    )


def _robust_line(
    x: NDArray[np.float64], y: NDArray[np.float64], settings: ForecastSettings
) -> tuple[float, float, float, int]:
    """Theil-Sen line through (x, y), refitted without outliers: slope, intercept at x = 0,
    scatter of the kept points about it, and how many points were left out."""
    slope, intercept = _theil_sen(x, y)
    residuals = y - (intercept + slope * x)
    mad = float(np.median(np.abs(residuals - np.median(residuals))))
    limit = max(settings.outlier_pct, 4.0 * 1.4826 * mad)
    keep = np.abs(residuals) <= limit
    if 2 <= keep.sum() < len(y):
        slope, intercept = _theil_sen(x[keep], y[keep])
    kept = y[keep] - (intercept + slope * x[keep])
    scatter = float(np.sqrt(np.mean(kept**2))) if kept.size else settings.outlier_pct
    return slope, intercept, scatter, int(len(y) - keep.sum())


def _theil_sen(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[float, float]:
    i, j = np.triu_indices(len(x), k=1)
    dx = x[j] - x[i]
    usable = dx > 1e-9
    if not usable.any():
        return 0.0, float(np.median(y))
    slope = float(np.median((y[j] - y[i])[usable] / dx[usable]))
    return slope, float(np.median(y - slope * x))


def weekday_pattern(
    times: Sequence[datetime], levels: Sequence[float], settings: ForecastSettings | None = None
) -> tuple[float, ...]:
    """Each weekday's fill relative to the average day, from a bin's long history.

    Rises between consecutive readings at most a day apart count for the weekday they start
    on; falls (emptyings, noise) and rises into a full bin are left out. Unless every
    weekday has a day's worth of readings, the week is flat (every factor 1).
    """
    settings = settings or ForecastSettings()
    if len(times) < 2:
        return FLAT_WEEK
    seconds = np.array([t.timestamp() for t in times])
    level = np.asarray(levels, dtype=np.float64)
    rise, span_h = np.diff(level), np.diff(seconds) / 3600
    usable = (rise >= 0) & (span_h > 0) & (span_h <= 24) & (level[1:] < settings.full_pct)
    weekdays = np.array([t.weekday() for t in times[:-1]])[usable]
    added = np.bincount(weekdays, weights=rise[usable], minlength=7)
    hours = np.bincount(weekdays, weights=span_h[usable], minlength=7)
    if (hours < 24).any():
        return FLAT_WEEK
    rates = added / hours
    if rates.mean() <= 0:
        return FLAT_WEEK
    return tuple(round(float(f), 3) for f in rates / rates.mean())


def median_rise_rate(times: Sequence[datetime], levels: Sequence[float]) -> float:
    """A bin's typical rise a day over its history: the median rate between consecutive
    readings, which noise, echoes and emptyings do not pull away (0 with none)."""
    seconds = np.array([t.timestamp() for t in times])
    span_d = np.diff(seconds) / DAY_S
    usable = span_d > 0
    if not usable.any():
        return 0.0
    rates = np.diff(np.asarray(levels, dtype=np.float64))[usable] / span_d[usable]
    return max(0.0, float(np.median(rates)))
