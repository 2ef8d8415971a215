"""Tests of simulators/fleet.py: vehicle kinds and how many crews a weekly round needs."""

import dataclasses

import numpy as np
import pytest

from simulators import KIND_OF_STREAM, VEHICLE_KINDS, WASTE_STREAMS
from simulators.containers import draw_containers
from simulators.fleet import REAR_LOADER, RoundDay, VehicleKind, fleet_sizes, vehicles_needed
from simulators.sites import SitePlace

NEARBY = RoundDay(
    bins=100, litres=30_000.0, kg=3_600.0, area_m2=1e6, depot_m=0.0, facility_m=0.0, unload_s=0
)
"""100 bins on a square kilometre, the depot and the plant next door: about 7,300 s of work
(6,000 s emptying, 1,330 s driving between them) in one load."""


def test_every_stream_has_a_kind_that_takes_it() -> None:
    """Each stream maps to exactly one kind, and that kind lists it."""
    assert set(KIND_OF_STREAM) == set(WASTE_STREAMS)
    for stream, kind in KIND_OF_STREAM.items():
        assert stream in kind.waste_streams
        assert VEHICLE_KINDS[kind.name] is kind
    assert sorted(s for k in VEHICLE_KINDS.values() for s in k.waste_streams) == sorted(
        WASTE_STREAMS
    )


def test_crews_follow_the_work() -> None:
    """No bins need no crew; 100 nearby bins fit one shift; 400 (some 26,700 s) need two."""
    assert vehicles_needed(REAR_LOADER, dataclasses.replace(NEARBY, bins=0)) == 0
    assert vehicles_needed(REAR_LOADER, NEARBY) == 1
    assert vehicles_needed(REAR_LOADER, dataclasses.replace(NEARBY, bins=400)) == 2


def test_loads_and_distant_plants_add_crews() -> None:
    """Ten loads driven 2 x 5 km to a plant with 10 min unloading do not fit one shift."""
    heavy = dataclasses.replace(NEARBY, litres=400_000.0, facility_m=5_000.0, unload_s=600)
    assert vehicles_needed(REAR_LOADER, heavy) == 2
    heavier = dataclasses.replace(heavy, kg=150_000.0)  # 15 loads by weight, 10 by volume
    assert vehicles_needed(REAR_LOADER, heavier) == 3


def test_a_city_too_wide_for_a_shift_is_refused() -> None:
    """When a trip to the plant does not fit a shift after the drive from the depot: error."""
    far = dataclasses.replace(NEARBY, depot_m=50_000.0, facility_m=20_000.0)
    with pytest.raises(ValueError, match="too far"):
        vehicles_needed(REAR_LOADER, far)


def test_fleet_sizes_grow_with_the_bins() -> None:
    """Every stream gets at least one vehicle; ten times the bins on the same area get more."""
    rng = np.random.default_rng(1)
    plants = tuple(SitePlace(3000.0, 0.0) for _ in range(4))
    sizes = {}
    for count in (50, 20_000):
        containers = draw_containers(rng, count)
        x, y = rng.uniform(-1500, 1500, (2, count))
        weekdays = rng.integers(0, 5, count).tolist()
        depots = (SitePlace(-2000.0, 0.0),)
        sizes[count] = fleet_sizes(x, y, containers, weekdays, 2500.0, depots, plants)
    assert sizes[50] == dict.fromkeys(WASTE_STREAMS, 1)
    assert all(sizes[20_000][s] >= 1 for s in WASTE_STREAMS)
    assert sum(sizes[20_000].values()) > 2 * len(WASTE_STREAMS)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"waste_streams": ("sand",)}, "waste_streams"),
        ({"waste_streams": ()}, "waste_streams"),
        ({"capacity_l": 0.0}, "positive"),
        ({"service_s": 0}, "positive"),
    ],
)
def test_bad_kinds_are_refused(change: dict[str, object], message: str) -> None:
    """A kind of unknown streams or without capacity or service time is a ValueError."""
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(REAR_LOADER, **change)  # type: ignore[arg-type]


def test_bad_round_days_are_refused() -> None:
    """Negative or infinite work is a ValueError."""
    with pytest.raises(ValueError, match="non-negative"):
        dataclasses.replace(NEARBY, litres=-1.0)
    with pytest.raises(ValueError, match="non-negative"):
        dataclasses.replace(NEARBY, area_m2=float("inf"))
    assert isinstance(REAR_LOADER, VehicleKind)
