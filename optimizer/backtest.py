"""How good the forecasts are: replay stored readings and score the level predicted 24 h ahead.

At each cut (every `every_h` hours through a bin's history) the forecaster sees only the
readings up to the cut and predicts the level `horizon_h` later; the prediction is scored
against the reading nearest that moment (within `tolerance_h`), unless the bin was emptied
in between (the forecast is of filling, not of the trucks). Beside it, the naive forecast
a planner without a model would use: the rate between the last two readings continues.
Pure functions; `optimizer.store` loads the readings.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from optimizer.forecast import (
    Fallback,
    ForecastSettings,
    forecast,
    median_rise_rate,
    since_emptying,
    weekday_pattern,
)


@dataclass(frozen=True)
class BacktestSettings:
    horizon_h: float = 24.0
    every_h: float = 24.0
    tolerance_h: float = 1.5
    warmup_days: float = 7.0
    """History before the first cut, from which weekday patterns are learned."""

    def __post_init__(self) -> None:
        for name in ("horizon_h", "every_h", "tolerance_h", "warmup_days"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be positive, got {value!r}")


@dataclass(frozen=True)
class BacktestResult:
    """Absolute errors of the predicted level (fill percent), ours and the naive one."""

    cases: int
    bins: int
    mae_pct: float
    rmse_pct: float
    naive_mae_pct: float
    naive_rmse_pct: float
    p90_pct: float
    naive_p90_pct: float


Series = tuple[Sequence[datetime], Sequence[float]]


def backtest(
    history: Mapping[str, Series],
    settings: BacktestSettings | None = None,
    forecast_settings: ForecastSettings | None = None,
) -> BacktestResult:
    """Score the forecaster and the naive forecast on every bin's readings (time order)."""
    settings = settings or BacktestSettings()
    forecast_settings = forecast_settings or ForecastSettings()
    ours: list[float] = []
    naive: list[float] = []
    scored_bins = 0
    for times, levels in history.values():
        before = len(ours)
        _score_bin(list(times), list(levels), settings, forecast_settings, ours, naive)
        scored_bins += len(ours) > before
    if not ours:
        raise ValueError("no forecast could be scored: too little history")
    a, b = np.abs(ours), np.abs(naive)
    return BacktestResult(
        cases=len(ours),
        bins=scored_bins,
        mae_pct=float(a.mean()),
        rmse_pct=float(np.sqrt(np.mean(a**2))),
        naive_mae_pct=float(b.mean()),
        naive_rmse_pct=float(np.sqrt(np.mean(b**2))),
        p90_pct=float(np.percentile(a, 90)),
        naive_p90_pct=float(np.percentile(b, 90)),
    )


def _score_bin(
    times: list[datetime],
    levels: list[float],
    settings: BacktestSettings,
    forecast_settings: ForecastSettings,
    ours: list[float],
    naive: list[float],
) -> None:
    if len(times) < 3:
        return
    horizon = timedelta(hours=settings.horizon_h)
    tolerance = timedelta(hours=settings.tolerance_h)
    cut = times[0] + timedelta(days=settings.warmup_days)
    while cut + horizon <= times[-1]:
        seen = bisect_right(times, cut)
        target = _nearest(times, cut + horizon)
        if seen >= 2 and abs(times[target] - (cut + horizon)) <= tolerance:
            window = np.array(levels[seen - 1 : target + 1], dtype=np.float64)
            if since_emptying(window, forecast_settings) == 0:  # no emptying in between
                actual = levels[target]
                factors = weekday_pattern(times[:seen], levels[:seen], forecast_settings)
                fallback = Fallback(median_rise_rate(times[:seen], levels[:seen]), "history")
                found = forecast(
                    times[:seen], levels[:seen], cut, fallback, forecast_settings, factors
                )
                ours.append(min(found.level_at(cut + horizon), 100.0) - actual)
                naive.append(
                    _naive(times[:seen], levels[:seen], cut + horizon, forecast_settings) - actual
                )
        cut += timedelta(hours=settings.every_h)


def _nearest(times: list[datetime], moment: datetime) -> int:
    i = bisect_right(times, moment)
    if i == 0:
        return 0
    if i == len(times) or moment - times[i - 1] <= times[i] - moment:
        return i - 1
    return i


def _naive(
    times: list[datetime], levels: list[float], moment: datetime, settings: ForecastSettings
) -> float:
    """The rate between the last two readings since the last emptying, continued from the
    last reading (with one reading since the emptying, the level stays)."""
    tail = np.array(levels[-3:], dtype=np.float64)
    rate = 0.0
    if since_emptying(tail, settings) <= len(tail) - 2:  # both readings since the emptying
        span_d = (times[-1] - times[-2]).total_seconds() / 86_400
        rate = (levels[-1] - levels[-2]) / span_d if span_d > 0 else 0.0
    ahead_d = (moment - times[-1]).total_seconds() / 86_400
    return min(max(levels[-1] + rate * ahead_d, 0.0), 100.0)
