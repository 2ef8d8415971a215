"""Tests of simulators/sites.py: depots and disposal plants, their numbers and places."""

import dataclasses
import math
from datetime import time

import numpy as np
import pytest

from simulators import WASTE_STREAMS
from simulators.sites import (
    DEPOT_DISTANCE,
    FACILITY_TYPES,
    depot_count,
    depot_places,
    facility_places,
)


@pytest.mark.parametrize(
    ("bins", "depots"), [(1, 1), (25_000, 1), (25_001, 2), (60_000, 3), (100_000, 4)]
)
def test_one_depot_per_25000_bins(bins: int, depots: int) -> None:
    """A depot per started 25,000 bins, at least one."""
    assert depot_count(bins) == depots


def test_the_plants_take_every_stream_once() -> None:
    """Each stream goes to exactly one kind of plant."""
    streams = [s for kind in FACILITY_TYPES for s in kind.waste_streams]
    assert sorted(streams) == sorted(WASTE_STREAMS)


def test_plants_lie_beyond_the_edge_in_one_zone() -> None:
    """Each plant lies at its distance from the centre, all within the industrial spread."""
    rng = np.random.default_rng(4)
    places = facility_places(rng, 2000.0, bearing=1.0)
    for kind, place in zip(FACILITY_TYPES, places, strict=True):
        assert math.hypot(place.x, place.y) == pytest.approx(kind.distance * 2000.0)
        assert abs(math.remainder(math.atan2(place.y, place.x) - 1.0, 2 * math.pi)) <= 0.9


def test_depots_spread_around_the_edge() -> None:
    """Four depots stand inside the edge, a quarter turn apart give or take their jitter."""
    places = depot_places(np.random.default_rng(2), 4, 3000.0, bearing=0.0)
    assert all(math.hypot(p.x, p.y) == pytest.approx(DEPOT_DISTANCE * 3000.0) for p in places)
    angles = sorted(math.atan2(p.y, p.x) % (2 * math.pi) for p in places)
    gaps = np.diff([*angles, angles[0] + 2 * math.pi])
    assert all(math.pi / 2 - 0.6 <= gap <= math.pi / 2 + 0.6 for gap in gaps)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"waste_streams": ("sand",)}, "waste_streams"),
        ({"opens_at": time(23)}, "open before"),
        ({"unload_s": -1}, "positive"),
    ],
)
def test_bad_plant_types_are_refused(change: dict[str, object], message: str) -> None:
    """A plant type of unknown streams, closed all day or with negative times: ValueError."""
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(FACILITY_TYPES[0], **change)  # type: ignore[arg-type]
