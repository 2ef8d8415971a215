"""Tests of simulators/policies.py: which bins each collection policy selects, and why."""

from datetime import date, timedelta

import numpy as np
import pytest

from simulators import generate_city
from simulators.city import City
from simulators.observations import Observations, next_working_day
from simulators.policies import (
    CurbsideParams,
    CurbsidePolicy,
    DayView,
    FixedRound,
    Selection,
    Threshold,
    overflow_risk,
    policy_named,
)

MONDAY = date(2026, 3, 2)
FRIDAY = MONDAY + timedelta(days=4)
SHIFT_END_S = 14 * 3600
CITY = generate_city(bins=200, seed=4)


def view_of(
    city: City, day: date, measured: list[float] | np.ndarray, rates: list[float] | np.ndarray
) -> DayView:
    return DayView(
        day,
        city,
        np.asarray(measured, dtype=np.float64),
        np.asarray(rates, dtype=np.float64),
        next_working_day(day),
        SHIFT_END_S,
    )


@pytest.mark.parametrize("weekday", range(5))
def test_the_fixed_round_takes_exactly_the_bins_of_the_weekday(weekday: int) -> None:
    """Monday to Friday: every bin whose round is that weekday, however full or empty."""
    day = MONDAY + timedelta(days=weekday)
    levels = np.linspace(0, 100, len(CITY.bins))
    selection = FixedRound().select(view_of(CITY, day, levels, levels))

    expected = [i for i, b in enumerate(CITY.bins) if b.round_weekday == weekday]
    assert list(selection.required) == expected
    assert expected, "every weekday has bins in a city of 200"
    assert selection.optional == ()


def test_the_threshold_policy_goes_by_the_measured_level_not_the_truth() -> None:
    """Bins whose reading is at or above 70 % are taken, including some truly below it, and
    none whose reading is below, including some truly above it."""
    truth = np.linspace(60.0, 80.0, len(CITY.bins))
    measured = Observations(CITY, seed=3).read(MONDAY, truth)
    selection = Threshold(70.0).select(view_of(CITY, MONDAY, measured, np.zeros_like(truth)))

    chosen = set(selection.required)
    assert chosen == {i for i, level in enumerate(measured) if level >= 70.0}
    assert any(truth[i] < 70.0 for i in chosen), "noise lifts some bins over the threshold"
    assert any(truth[i] >= 70.0 for i in set(range(len(truth))) - chosen)


def test_a_bin_sure_to_overflow_before_the_next_day_is_required() -> None:
    """At 80 % and 20 % a day on Monday, a bin would overflow before Tuesday's shift ends."""
    city = generate_city(bins=3, seed=1)
    view = view_of(city, MONDAY, [80.0, 10.0, 45.0], [20.0, 2.0, 5.0])
    selection = CurbsidePolicy().select(view)

    assert selection.required == (0,)
    assert 1 not in dict(selection.optional), "an empty slow bin is left alone"
    assert 2 in dict(selection.optional), "a fairly full bin is offered with a prize"


def test_on_friday_the_planner_looks_over_the_weekend() -> None:
    """At 40 % and 20 % a day a bin is safe until Tuesday's shift ends, but not until
    Monday's after a weekend: required on Friday, not on a Monday."""
    city = generate_city(bins=1, seed=1)
    on_monday = CurbsidePolicy().select(view_of(city, MONDAY, [40.0], [20.0]))
    on_friday = CurbsidePolicy().select(view_of(city, FRIDAY, [40.0], [20.0]))

    assert on_monday.required == ()
    assert on_friday.required == (0,)


def test_prizes_grow_with_the_level_and_the_risk() -> None:
    """A fuller bin earns more; a bin at the edge of the risk limit earns the overflow share."""
    city = generate_city(bins=3, seed=1)
    params = CurbsideParams(visit_cost=10.0, overflow_cost=0.0, optional_from_pct=40.0)
    view = view_of(city, MONDAY, [45.0, 60.0, 75.0], [0.0, 0.0, 0.0])
    prizes = dict(CurbsidePolicy(params).select(view).optional)

    assert prizes == pytest.approx({0: 4.5, 1: 6.0, 2: 7.5})


def test_overflow_risk_is_a_normal_tail() -> None:
    """Expected at 100 %: even odds; two standard deviations below: about 2.3 %."""
    risk = overflow_risk(np.array([100.0, 80.0, 0.0]), np.array([5.0, 10.0, 10.0]))
    assert risk == pytest.approx([0.5, 0.02275, 0.0], abs=1e-4)


@pytest.mark.parametrize(
    ("required", "optional", "message"),
    [
        ((1, 2), ((2, 1.0),), "more than once"),
        ((-1,), (), ">= 0"),
        ((), ((3, -1.0),), "prizes"),
        ((), ((3, float("nan")),), "prizes"),
    ],
)
def test_bad_selections_are_refused(
    required: tuple[int, ...], optional: tuple[tuple[int, float], ...], message: str
) -> None:
    """A bin selected twice, a negative index or a bad prize raises ValueError."""
    with pytest.raises(ValueError, match=message):
        Selection(required, optional)


def test_policies_are_found_by_name() -> None:
    """fixed, threshold-X and curbside; anything else is an error."""
    assert isinstance(policy_named("fixed"), FixedRound)
    assert policy_named("threshold-65") == Threshold(65.0)
    assert policy_named("threshold-65").name == "above 65 %"
    assert isinstance(policy_named("curbside"), CurbsidePolicy)
    for bad in ("thresh", "threshold-x", "threshold-120"):
        with pytest.raises(ValueError, match=r"polic|threshold"):
            policy_named(bad)
