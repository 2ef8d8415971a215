"""Tests of simulators/fill.py: each bin's daily fill under the calendar, bursts and noise."""

from datetime import date, timedelta

import numpy as np
import pytest

from simulators import WASTE_STREAMS, FillModel, generate_city
from simulators.fill import (
    AFTER_HOLIDAY_FACTOR,
    BURST_DAILY_PROBABILITY,
    BURST_FACTOR_RANGE,
    BURST_MAX_DAYS,
    MARKET_FACTOR,
    WEEKDAY_PATTERN,
)

CITY = generate_city(bins=20_000, seed=21)
MODEL = FillModel(CITY, seed=5)
STREAMS = np.array([b.waste_stream for b in CITY.bins])
RATES = np.array([b.fill_rate_pct_per_day for b in CITY.bins])
EASTER_MONDAY = date(2025, 4, 21)
"""A Belgian public holiday; Tuesday 22 April follows it, Tuesday 29 April does not."""


def mean_ratio(model: FillModel, stream: str, day: date, other: date) -> float:
    """How much more the stream's bins get on `day` than on `other`, summed over the city."""
    bins = stream == STREAMS
    return float(model.added_pct(day)[bins].sum() / model.added_pct(other)[bins].sum())


def test_one_figure_per_bin_positive_around_the_rates() -> None:
    """A day gives one non-negative figure per bin, about each bin's mean rate overall."""
    days = [date(2025, 3, 3) + timedelta(days=k) for k in range(14)]
    added = np.array([MODEL.added_pct(day) for day in days])
    assert added.shape == (14, len(CITY.bins))
    assert (added >= 0).all()
    assert added.mean() == pytest.approx(RATES.mean(), rel=0.08)


def test_the_same_day_gives_the_same_figures_whatever_was_asked_before() -> None:
    """Days asked in any order, by any model of the same city and seed, repeat exactly."""
    days = [date(2025, 6, 1) + timedelta(days=k) for k in range(10)]
    forward = [MODEL.added_pct(day) for day in days]
    backward = [FillModel(CITY, seed=5).added_pct(day) for day in reversed(days)]
    for a, b in zip(forward, reversed(backward), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(FillModel(CITY, seed=6).added_pct(days[0]), forward[0])
    assert not np.array_equal(forward[0], forward[1])


def test_every_weekday_pattern_averages_one() -> None:
    """Over a week each stream's factors average 1, so the mean rate stays the bin's rate."""
    for stream, pattern in WEEKDAY_PATTERN.items():
        assert len(pattern) == 7
        assert sum(pattern) / 7 == pytest.approx(1.0), stream


def test_litter_bins_fill_more_on_saturday_than_on_tuesday() -> None:
    """Over the city, litter bins get far more on a Saturday than on the Tuesday before."""
    assert mean_ratio(MODEL, "litter", date(2025, 3, 15), date(2025, 3, 11)) > 1.5


def test_household_bins_fill_more_on_monday_than_on_thursday() -> None:
    """Residual bins take the weekend's waste on Monday."""
    assert mean_ratio(MODEL, "residual", date(2025, 3, 10), date(2025, 3, 13)) > 1.2


def test_the_day_after_a_holiday_is_heavier() -> None:
    """The Tuesday after Easter Monday takes some 40 % more than the next Tuesday."""
    ratio = mean_ratio(MODEL, "residual", date(2025, 4, 22), date(2025, 4, 29))
    assert 1.25 < ratio < 1.55


def test_a_holiday_is_a_sunday() -> None:
    """On Easter Monday litter bins fill like on a Sunday and more, not like on a Monday."""
    assert MODEL.is_holiday(EASTER_MONDAY)
    assert mean_ratio(MODEL, "litter", EASTER_MONDAY, date(2025, 4, 28)) > 1.5


def test_holidays_can_be_given() -> None:
    """A model without holidays treats Easter Monday as a Monday; a given day is a holiday."""
    plain = FillModel(CITY, seed=5, holidays=())
    assert not plain.is_holiday(EASTER_MONDAY)
    residual = WASTE_STREAMS.index("residual")
    tuesday = WEEKDAY_PATTERN["residual"][1]
    assert plain.stream_factors(date(2025, 4, 22))[residual] == pytest.approx(tuesday)
    after = MODEL.stream_factors(date(2025, 4, 22))[residual]
    assert after == pytest.approx(tuesday * AFTER_HOLIDAY_FACTOR["residual"])
    own = FillModel(CITY, seed=5, holidays={date(2025, 4, 29)})
    assert own.is_holiday(date(2025, 4, 29))
    assert not own.is_holiday(EASTER_MONDAY)


def test_litter_bins_near_the_centre_double_on_market_day() -> None:
    """On Friday the market's litter bins get twice what the others of their rate get."""
    friday, thursday = date(2025, 3, 14), date(2025, 3, 13)
    with_market = MODEL.expected_pct(friday) / MODEL.expected_pct(thursday)
    litter = STREAMS == "litter"
    boosted = litter & (with_market > with_market[litter].min() * 1.5)
    assert 0 < boosted.sum() < 0.2 * litter.sum()
    assert with_market[boosted] == pytest.approx(with_market[litter].min() * MARKET_FACTOR)
    no_market = FillModel(CITY, seed=5, market_weekday=None)
    plain = no_market.expected_pct(friday) / no_market.expected_pct(thursday)
    assert plain[litter] == pytest.approx(plain[litter][0])


def test_garden_waste_is_heavier_in_summer() -> None:
    """Bio bins expect more on a June Wednesday than on a December Wednesday."""
    june, december = date(2025, 6, 4), date(2025, 12, 3)
    bio = STREAMS == "bio"
    assert MODEL.expected_pct(june)[bio].sum() > 1.3 * MODEL.expected_pct(december)[bio].sum()


def test_bursts_occur_at_the_configured_rate() -> None:
    """Over 20,000 bins and 60 days, bursts start and last as configured, and show in the fill."""
    days = [date(2025, 9, 1) + timedelta(days=k) for k in range(60)]
    factors = np.array([MODEL.burst_factors(day) for day in days])
    bursting = factors > 1
    expected_share = BURST_DAILY_PROBABILITY * (1 + BURST_MAX_DAYS) / 2
    assert bursting.mean() == pytest.approx(expected_share, rel=0.1)
    assert factors[bursting].min() >= BURST_FACTOR_RANGE[0]
    assert factors[bursting].max() <= BURST_FACTOR_RANGE[1]
    starts = bursting[1:] & ~bursting[:-1]
    assert starts.mean() == pytest.approx(BURST_DAILY_PROBABILITY, rel=0.12)
    # the same bin-days stand out in what goes into the bins: more than twice the calendar's
    jumps = np.array([MODEL.added_pct(d) / MODEL.expected_pct(d) for d in days[:20]]) > 2
    assert (jumps == bursting[:20]).mean() > 0.999


@pytest.mark.parametrize(
    ("seed", "market_weekday", "message"),
    [(-1, 4, "seed"), (1, 7, "market_weekday")],
)
def test_bad_arguments_are_refused(seed: int, market_weekday: int, message: str) -> None:
    """A negative seed or an impossible market day is a ValueError."""
    with pytest.raises(ValueError, match=message):
        FillModel(CITY, seed, market_weekday=market_weekday)
