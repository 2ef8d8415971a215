"""Tests of simulators/streets.py: the street network and places along it."""

import math

import numpy as np
import pytest

from simulators.streets import (
    Street,
    place_along,
    places_along,
    street_network,
    to_lat_lon,
    to_lat_lon_many,
    to_local_many,
)


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


def test_many_places_at_once() -> None:
    """Places drawn together stand along the streets, within the disc, in proportion to the
    streets' lengths, and repeat for the same seed."""
    streets = street_network(np.random.default_rng(8), 1500.0)
    places = places_along(streets, np.random.default_rng(1), 20_000)
    assert len(places) == len(places.x) == 20_000
    assert (np.hypot(places.x, places.y) <= 1500.0 + 12.0).all()
    on_ring = sum(a.startswith("Stadsring ") for a in places.addresses) / len(places)
    ring = next(s for s in streets if s.name == "Stadsring")
    assert on_ring == pytest.approx(ring.length_m / sum(s.length_m for s in streets), rel=0.1)
    again = places_along(streets, np.random.default_rng(1), 20_000)
    assert again.addresses == places.addresses
    assert len(places_along(streets, np.random.default_rng(1), 0)) == 0


def test_a_place_stands_beside_its_street_at_its_house_number() -> None:
    """Along an L-shaped street a place is 4 to 12 m off the piece it belongs to, and its
    number counts the metres along the whole street."""
    streets = (Street("L-straat", ((0.0, 0.0), (100.0, 0.0), (100.0, 500.0))),)
    places = places_along(streets, np.random.default_rng(3), 500)
    for x, y, address in zip(places.x, places.y, places.addresses, strict=True):
        number = int(address.rsplit(" ", 1)[1])
        if 12 < x < 88:  # beside the first piece
            assert 4.0 <= abs(y) <= 12.0
            assert number < 2 * (100 // 16) + 3
        if y > 112:  # beside the second piece
            assert 4.0 <= abs(x - 100.0) <= 12.0
            assert number >= 2 * int((100 + y - 12) // 16) - 1


def test_local_metres_become_degrees() -> None:
    """1 km north is about 0.009 degrees of latitude; east shrinks with the cosine."""
    lat, lon = to_lat_lon((60.0, 10.0), 1000.0, 1000.0)
    assert lat - 60.0 == pytest.approx(0.008993, rel=1e-3)
    assert lon - 10.0 == pytest.approx(0.008993 * 2, rel=1e-3)


def test_arrays_of_places_convert_both_ways() -> None:
    """Local metres to degrees and back give the same places, as the single conversion does."""
    x, y = np.array([0.0, 1000.0, -250.0]), np.array([0.0, 1000.0, 3000.0])
    lat, lon = to_lat_lon_many((60.0, 10.0), x, y)
    assert (lat[1], lon[1]) == to_lat_lon((60.0, 10.0), 1000.0, 1000.0)
    back_x, back_y = to_local_many((60.0, 10.0), lat, lon)
    np.testing.assert_allclose(back_x, x, atol=1e-6)
    np.testing.assert_allclose(back_y, y, atol=1e-6)


def test_a_street_needs_two_points() -> None:
    """A street of one point is refused."""
    with pytest.raises(ValueError, match="two points"):
        Street("Nergens", ((0.0, 0.0),))
