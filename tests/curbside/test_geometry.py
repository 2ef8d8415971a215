"""Tests of curbside/geometry.py: distances to fill levels and back."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curbside import BinGeometry

GEOMETRY = BinGeometry(empty_distance_mm=1000, full_distance_mm=200, blind_zone_mm=250)


@pytest.mark.parametrize(
    ("distance_mm", "fill_pct"),
    [(1000, 0.0), (1200, 0.0), (600, 50.0), (400, 75.0), (260, 92.5), (250, 100.0), (0, 100.0)],
)
def test_fill_from_distance(distance_mm: int, fill_pct: float) -> None:
    """Distances map linearly between the empty and full marks, clamped; the blind zone is full."""
    assert GEOMETRY.fill_pct(distance_mm) == fill_pct


@pytest.mark.parametrize(
    ("fill_pct", "distance_mm"),
    [(0.0, 1000), (50.0, 600), (75.0, 400), (100.0, 250), (-10.0, 1000), (200.0, 250)],
)
def test_distance_from_fill(fill_pct: float, distance_mm: int) -> None:
    """A fill level maps to a distance bounded by the blind zone and the bottom."""
    assert GEOMETRY.distance_mm(fill_pct) == distance_mm


@given(st.floats(min_value=0, max_value=90))
def test_fill_and_distance_round_trip(fill_pct: float) -> None:
    """Fill -> distance -> fill loses at most the millimetre rounding and the 0.1 % step."""
    back = GEOMETRY.fill_pct(GEOMETRY.distance_mm(fill_pct))
    assert back == pytest.approx(fill_pct, abs=0.5 * 100 / 800 + 0.05 + 1e-9)


@pytest.mark.parametrize(
    ("empty", "full", "blind"), [(100, 100, 0), (100, 200, 0), (100, -1, 0), (100, 50, -1)]
)
def test_impossible_geometries_are_refused(empty: int, full: int, blind: int) -> None:
    """Full must be nearer than empty, and distances are not negative."""
    with pytest.raises(ValueError, match=r"full distance|blind zone"):
        BinGeometry(empty, full, blind)
