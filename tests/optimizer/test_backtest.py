"""Tests of optimizer/backtest.py on made-up histories with known answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from optimizer.backtest import BacktestSettings, backtest

START = datetime(2026, 10, 5, tzinfo=UTC)


def _history(
    days: int, rate: float, noise: float, empty_every_d: float, seed: int
) -> tuple[list[datetime], list[float]]:
    rng = np.random.default_rng(seed)
    times: list[datetime] = []
    levels: list[float] = []
    level = 5.0
    for hour in range(days * 24):
        if hour and hour % round(empty_every_d * 24) == 0:
            level = 3.0
        times.append(START + timedelta(hours=hour))
        levels.append(float(np.clip(level + rng.normal(0, noise), 0, 100)))
        level = min(100.0, level + rate / 24)
    return times, levels


def test_a_noise_free_bin_is_predicted_exactly() -> None:
    result = backtest({"b": _history(21, 12.0, 0.0, 6.0, seed=1)})
    assert result.cases >= 5
    assert result.mae_pct == pytest.approx(0.0, abs=1e-6)
    # Right after an emptying the naive forecast has one reading and no rate: it misses.
    assert result.naive_mae_pct > 1.0


def test_with_noise_ours_beats_the_last_rate_continuing() -> None:
    history = {f"b{k}": _history(28, 8.0 + k, 2.0, 5.0, seed=k) for k in range(5)}
    result = backtest(history)
    assert result.bins == 5
    assert result.mae_pct < 0.5 * result.naive_mae_pct


def test_a_cut_with_an_emptying_before_the_target_is_not_scored() -> None:
    every_day = _history(21, 40.0, 0.0, 1.0, seed=1)  # emptied daily: no 24 h without one
    with pytest.raises(ValueError, match="too little history"):
        backtest({"b": every_day})


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="horizon_h"):
        BacktestSettings(horizon_h=0)
