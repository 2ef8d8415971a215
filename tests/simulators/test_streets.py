"""Tests of simulators/streets.py: the street network and places along it."""

import math

import numpy as np
import pytest

from simulators.streets import Street, place_along, street_network, to_lat_lon


def test_streets_stay_within_the_disc() -> None:
    """Every street point lies within the radius; there is a grid, a ring and avenues."""
    streets = street_network(np.random.default_rng(3), 2000.0)
    assert all(math.hypot(x, y) <= 2000.0 + 1e-6 for s in streets for x, y in s.points)
    assert len(streets) > 20
    assert sum(s.name == "Stadsring" for s in streets) == 1
    assert len({s.name for s in streets}) == len(streets)


def test_a_point_along_a_street() -> None:
    """`at` walks along the polyline and gives the direction of the piece it lands on."""
    street = Street("L-straat", ((0.0, 0.0), (100.0, 0.0), (100.0, 50.0)))
    assert street.length_m == 150.0
    assert street.at(40.0) == ((40.0, 0.0), (1.0, 0.0))
    assert street.at(120.0) == ((100.0, 20.0), (0.0, 1.0))


def test_house_numbers_are_odd_on_the_left_and_even_on_the_right() -> None:
    """A place left of an eastbound street has an odd number and lies north of it."""
    streets = (Street("Oost-straat", ((0.0, 0.0), (1000.0, 0.0))),)
    rng = np.random.default_rng(5)
    for _ in range(50):
        place = place_along(streets, rng)
        number = int(place.address.rsplit(" ", 1)[1])
        assert 4.0 <= abs(place.y) <= 12.0
        assert (number % 2 == 1) == (place.y > 0)


def test_local_metres_become_degrees() -> None:
    """1 km north is about 0.009 degrees of latitude; east shrinks with the cosine."""
    lat, lon = to_lat_lon((60.0, 10.0), 1000.0, 1000.0)
    assert lat - 60.0 == pytest.approx(0.008993, rel=1e-3)
    assert lon - 10.0 == pytest.approx(0.008993 * 2, rel=1e-3)


def test_a_street_needs_two_points() -> None:
    """A street of one point is refused."""
    with pytest.raises(ValueError, match="two points"):
        Street("Nergens", ((0.0, 0.0),))
