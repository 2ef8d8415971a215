"""Tests of optimizer/forecast.py on hand-made readings with known answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from optimizer.forecast import (
    FLAT_WEEK,
    Fallback,
    ForecastSettings,
    busy_days,
    forecast,
    since_emptying,
    until_busy,
    weekday_pattern,
)

MONDAY = datetime(2026, 11, 2, tzinfo=UTC)
HISTORY = Fallback(5.0, "history")


def _hourly(
    start: datetime, hours: int, level0: float, rate_per_day: float
) -> tuple[list[datetime], list[float]]:
    times = [start + timedelta(hours=h) for h in range(hours)]
    return times, [level0 + rate_per_day * h / 24 for h in range(hours)]


def test_a_steady_bin_is_read_exactly() -> None:
    times, levels = _hourly(MONDAY, 48, 20.0, 12.0)  # 20 % to 43.5 % over two days
    now = times[-1]
    found = forecast(times, levels, now, HISTORY)
    assert found.source == "sensor"
    assert found.flags == ()
    assert found.rate_pct_per_day == pytest.approx(12.0)
    assert found.level_pct == pytest.approx(levels[-1])
    assert found.level_at(now + timedelta(days=1)) == pytest.approx(levels[-1] + 12.0)
    full_at = found.full_at()
    assert full_at is not None
    assert (full_at - now).total_seconds() / 86_400 == pytest.approx((100 - levels[-1]) / 12.0)


def test_echoes_and_spikes_do_not_move_the_rate() -> None:
    times, levels = _hourly(MONDAY, 72, 10.0, 10.0)
    rng = np.random.default_rng(1)
    noisy = [level + rng.normal(0, 2.0) for level in levels]
    for k in (5, 17, 30, 44, 60):  # side-wall echoes: far too short a distance, far too full
        noisy[k] = min(100.0, noisy[k] + 45.0)
    found = forecast(times, noisy, times[-1], HISTORY)
    assert found.source == "sensor"
    assert found.rate_pct_per_day == pytest.approx(10.0, abs=0.8)
    assert found.level_pct == pytest.approx(levels[-1], abs=2.0)


def test_only_readings_since_the_last_emptying_count() -> None:
    before, full = _hourly(MONDAY, 24, 40.0, 50.0)  # filled fast before it was emptied
    after, refill = _hourly(MONDAY + timedelta(hours=24), 24, 3.0, 6.0)
    levels = np.array(full + refill)
    assert since_emptying(levels, ForecastSettings()) == 24
    found = forecast(before + after, list(levels), after[-1], HISTORY)
    assert found.rate_pct_per_day == pytest.approx(6.0)


def test_a_silent_sensor_falls_back_and_ages_its_last_level() -> None:
    times, levels = _hourly(MONDAY, 24, 30.0, 12.0)
    now = times[-1] + timedelta(days=2)
    found = forecast(times, levels, now, Fallback(10.0, "neighbours"))
    assert found.source == "neighbours"
    assert "stale" in found.flags
    assert found.level_pct == pytest.approx(levels[-1] + 20.0)
    assert found.rate_pct_per_day == 10.0


def test_too_few_readings_or_none_fall_back() -> None:
    times, levels = _hourly(MONDAY, 2, 30.0, 12.0)
    assert forecast(times, levels, times[-1], HISTORY).flags == ("few-readings",)
    nothing = forecast([], [], MONDAY, HISTORY)
    assert nothing.flags == ("no-readings",)
    assert nothing.source == "history"
    assert nothing.level_sd_pct > 30


def test_a_sensor_reading_a_falling_level_is_not_believed() -> None:
    times, levels = _hourly(MONDAY, 24, 80.0, -15.0)  # slowly "emptying" itself: faulty
    found = forecast(times, levels, times[-1], HISTORY)
    assert "implausible-rate" in found.flags
    assert found.source == "history"


def test_a_faulty_sensor_does_not_make_a_bin_full() -> None:
    """A knocked-over bin reads full from one hour on: the level comes from history."""
    times, levels = _hourly(MONDAY, 48, 10.0, 5.0)
    levels[24:] = [100.0] * 24
    found = forecast(times, levels, times[-1], HISTORY)
    assert found.source == "history"
    assert found.level_pct == pytest.approx(10.0 + 5.0 * (47 / 24), abs=1.0)


def test_busy_days_weigh_each_weekday() -> None:
    saturday_twice = (1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 1.0)
    friday_noon = MONDAY + timedelta(days=4, hours=12)
    sunday_noon = friday_noon + timedelta(days=2)
    assert busy_days(friday_noon, sunday_noon, saturday_twice) == pytest.approx(3.0)
    assert busy_days(sunday_noon, friday_noon, saturday_twice) == pytest.approx(-3.0)
    assert until_busy(friday_noon, 3.0, saturday_twice) == sunday_noon
    assert busy_days(MONDAY, MONDAY + timedelta(days=7), FLAT_WEEK) == pytest.approx(7.0)


def test_a_weekday_pattern_is_learned_and_used() -> None:
    rates = {5: 20.0, 6: 20.0}  # weekends twice the weekdays' 10 % a day
    times, levels, level = [], [], 0.0
    for hour in range(21 * 24):
        moment = MONDAY + timedelta(hours=hour)
        if level > 90:
            level = 0.0
        times.append(moment)
        levels.append(level)
        level += rates.get(moment.weekday(), 10.0) / 24
    factors = weekday_pattern(times, levels)
    assert factors[5] == pytest.approx(2 * factors[0], rel=0.05)
    friday = MONDAY + timedelta(days=18)
    recent = [i for i, t in enumerate(times) if t <= friday][-30:]
    found = forecast(
        [times[i] for i in recent], [levels[i] for i in recent], friday, HISTORY,
        weekday_factors=factors,
    )  # fmt: skip
    sunday = friday + timedelta(days=2)
    assert found.level_at(sunday) - found.level_pct == pytest.approx(10.0 + 20.0, rel=0.05)


def test_overflow_probability_follows_the_expected_level() -> None:
    times, levels = _hourly(MONDAY, 48, 50.0, 20.0)  # 89 % at the last reading
    found = forecast(times, levels, times[-1], HISTORY)
    now = times[-1]
    assert found.overflow_probability(now + timedelta(days=3)) > 0.99
    assert found.overflow_probability(now) < 0.01
    halfway = found.full_at()
    assert halfway is not None
    assert found.overflow_probability(halfway) == pytest.approx(0.5, abs=0.01)


def test_bad_settings_and_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="min_readings"):
        ForecastSettings(min_readings=1)
    with pytest.raises(ValueError, match="full_pct"):
        ForecastSettings(full_pct=0)
    with pytest.raises(ValueError, match="weekday_factors"):
        forecast([], [], MONDAY, HISTORY, weekday_factors=(1.0,) * 6)
    with pytest.raises(ValueError, match="same length"):
        forecast([MONDAY], [], MONDAY, HISTORY)
