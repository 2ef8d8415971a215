"""Tests of the whole units loads are counted in: demand rounds up, capacity down."""

import math

import pytest

from optimizer.backends.units import capacity_units, demand_units


@pytest.mark.parametrize(
    ("value", "demand", "capacity"),
    [(100.0, 100, 100), (100.2, 101, 100), (99.9999999999, 100, 100), (1e-12, 0, 0)],
)
def test_loads_round_against_the_plan(value: float, demand: int, capacity: int) -> None:
    """Demands round up and capacities down, so an integer plan fits the real loads."""
    assert (demand_units(value), capacity_units(value, 10_000)) == (demand, capacity)


def test_an_unlimited_capacity_is_the_bound() -> None:
    """An infinite capacity (no weight limit) becomes the bound it is given."""
    assert capacity_units(math.inf, 5000) == 5000


def test_a_capacity_is_capped_only_when_asked() -> None:
    """A cap bounds the room; without one, a finite capacity is kept whole."""
    assert capacity_units(12_000.5, 5000, 5000) == 5000
    assert capacity_units(12_000.5, 5000) == 12_000
