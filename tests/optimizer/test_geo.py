"""Tests of great-circle distances and the travel model."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer import TravelModel, haversine_m, haversine_matrix
from optimizer.geo import TravelMatrices

PARIS = (48.8566, 2.3522)
LONDON = (51.5074, -0.1278)

points = st.lists(
    st.tuples(st.floats(-90, 90, allow_nan=False), st.floats(-180, 180, allow_nan=False)),
    min_size=1,
    max_size=8,
)


def test_paris_london() -> None:
    """Paris to London is about 343.5 km along the great circle."""
    assert haversine_m(PARIS, LONDON) == pytest.approx(343_550, abs=500)


def test_one_degree_of_latitude() -> None:
    """A degree of latitude along a meridian is about 111.2 km."""
    assert haversine_m((10.0, 20.0), (11.0, 20.0)) == pytest.approx(111_195, abs=1)


def test_antipodes_are_half_a_circumference_apart() -> None:
    """Opposite points on the globe are pi times the Earth's radius apart."""
    assert haversine_m((0.0, 0.0), (0.0, 180.0)) == pytest.approx(math.pi * 6_371_008.8)


@settings(database=None, max_examples=60)
@given(points)
def test_matrix_is_a_metric(coords: list[tuple[float, float]]) -> None:
    """The matrix is symmetric, zero on the diagonal and obeys the triangle inequality."""
    lat, lon = zip(*coords, strict=True)
    d = haversine_matrix(lat, lon)
    assert np.allclose(d, d.T)
    assert np.allclose(np.diag(d), 0)
    n = len(coords)
    for k in range(n):
        assert np.all(d <= d[:, [k]] + d[[k], :] + 1e-6)


@pytest.mark.parametrize(
    ("lat", "lon", "message"),
    [
        ([0.0, 1.0], [0.0], "same length"),
        ([[0.0]], [[0.0]], "one-dimensional"),
        ([91.0], [0.0], "within"),
        ([0.0], [-180.5], "within"),
        ([math.nan], [0.0], "within"),
    ],
)
def test_bad_coordinates(lat: object, lon: object, message: str) -> None:
    """Mismatched or out-of-range coordinates are refused."""
    with pytest.raises(ValueError, match=message):
        haversine_matrix(lat, lon)  # type: ignore[arg-type]


def test_travel_model_scales_distance_and_time() -> None:
    """Road distance is the detour factor times the great circle; time follows from the speed."""
    model = TravelModel(detour_factor=1.5, speed_kmh=36.0)
    m = model.matrices([PARIS, LONDON])
    straight = haversine_m(PARIS, LONDON)
    assert m.distance_m[0, 1] == round(1.5 * straight)
    assert m.duration_s[0, 1] == round(1.5 * straight / 10.0)  # 36 km/h is 10 m/s
    assert m.distance_m.dtype == np.int64
    assert m.duration_s[1, 1] == 0


def test_travel_model_defaults() -> None:
    """By default roads are 1.3 times the great circle and vehicles average 25 km/h."""
    m = TravelModel().matrices([(0.0, 0.0), (0.1, 0.0)])
    assert m.distance_m[1, 0] == round(1.3 * haversine_m((0.0, 0.0), (0.1, 0.0)))
    assert m.duration_s[1, 0] == round(m.distance_m[1, 0] / (25 / 3.6))


def test_no_points_give_empty_matrices() -> None:
    """With no sites the matrices are empty."""
    assert TravelModel().matrices([]).size == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"detour_factor": 0.9}, "detour_factor"),
        ({"detour_factor": math.inf}, "detour_factor"),
        ({"speed_kmh": 0.0}, "speed_kmh"),
        ({"speed_kmh": -5.0}, "speed_kmh"),
        ({"speed_kmh": math.nan}, "speed_kmh"),
    ],
)
def test_bad_travel_model(fields: dict[str, float], message: str) -> None:
    """A detour factor below 1 or a speed that is not positive is refused."""
    with pytest.raises(ValueError, match=message):
        TravelModel(**fields)


def test_bad_matrices() -> None:
    """Travel matrices must be square, of one size, and not negative."""
    square = np.zeros((2, 2), dtype=np.int64)
    with pytest.raises(ValueError, match="square"):
        TravelMatrices(square, np.zeros((3, 3), dtype=np.int64))
    with pytest.raises(ValueError, match="negative"):
        TravelMatrices(square - 1, square)
