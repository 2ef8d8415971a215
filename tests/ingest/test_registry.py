"""Tests of ingest/registry.py: distance to fill level."""

import pytest

from ingest import BinGeometry

GEOMETRY = BinGeometry(empty_distance_mm=1000, full_distance_mm=200, blind_zone_mm=250)


@pytest.mark.parametrize(
    ("distance_mm", "fill_pct"),
    [(1000, 0.0), (1200, 0.0), (600, 50.0), (400, 75.0), (260, 92.5), (240, 100.0), (0, 100.0)],
)
def test_fill_from_distance(distance_mm: int, fill_pct: float) -> None:
    """Distances map linearly between the empty and full marks, clamped; the blind zone is full."""
    assert GEOMETRY.fill_pct(distance_mm) == fill_pct


@pytest.mark.parametrize(("empty", "full"), [(100, 100), (100, 200), (100, -1)])
def test_geometry_needs_full_nearer_than_empty(empty: int, full: int) -> None:
    """A geometry where full is not nearer than empty is refused."""
    with pytest.raises(ValueError, match="full distance"):
        BinGeometry(empty, full)
