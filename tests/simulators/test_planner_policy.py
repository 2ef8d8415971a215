"""Tests of simulators/planner_policy.py: the production planner's choice on the twin."""

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pytest

from optimizer.select import SelectionSettings
from simulators.city import City
from simulators.planner_policy import PlannerPolicy
from simulators.policies import DayView, policy_named
from tests.simulators.test_twin import small_city

MONDAY = date(2026, 3, 2)


def _city() -> City:
    """A household wheelie bin (calendar, Mondays) and two 1,100 l containers (by need)."""
    city = small_city([10.0, 95.0, 50.0])
    household = replace(city.bins[0], volume_l=120.0, round_weekday=0)
    containers = [replace(b, volume_l=1100.0) for b in city.bins[1:]]
    return replace(city, bins=(household, *containers))


def _view(day: date, city: City) -> DayView:
    measured = np.array([10.0, 95.0, 50.0])
    rates = np.array([5.0, 20.0, 5.0])
    return DayView(day, city, measured, rates, day + timedelta(days=1), 14 * 3600)


def test_the_planner_keeps_calendars_and_takes_bins_at_risk_or_worth_it() -> None:
    city = _city()
    assert [b.schedule for b in city.bins] == ["calendar", "need", "need"]
    chosen = PlannerPolicy().select(_view(MONDAY, city))
    assert sorted(chosen.required) == [0, 1]
    ((index, prize),) = chosen.optional
    fill = 50.0 + 5.0 * 5 / 24  # from the 05:00 reading to the 10:00 pickup
    assert index == 2
    assert prize == pytest.approx(SelectionSettings().visit_cost * fill / 90, abs=1e-3)


def test_off_its_day_the_household_bin_waits() -> None:
    chosen = PlannerPolicy().select(_view(MONDAY + timedelta(days=1), _city()))
    assert 0 not in chosen.required
    assert 0 not in dict(chosen.optional)


def test_the_planner_is_a_named_policy() -> None:
    assert policy_named("planner").name == "planner"


def test_off_its_area_day_a_container_waits_unless_it_would_stand_full_for_days() -> None:
    """Tuesday; the containers' area is Monday's. The one at 95 % filling 20 % a day would
    stand full for six days before next Monday: required. The one at 50 % filling 5 % a day
    reaches about 82 % by then: neither required nor offered."""
    chosen = PlannerPolicy().select(_view(MONDAY + timedelta(days=1), _city()))
    assert [b.round_weekday for b in _city().bins[1:]] == [0, 0]
    assert chosen.required == (1,)
    assert chosen.optional == ()
