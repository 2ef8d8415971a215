"""Tests of the result data's own checks and totals."""

from datetime import UTC, datetime, timedelta

import pytest

from optimizer import Omission, OmissionReason, Result, Route, Visit

T0 = datetime(2025, 3, 3, 6, tzinfo=UTC)


def _route(vehicle_id: str, *stop_ids: str) -> Route:
    visits = tuple(
        Visit(stop_id, T0 + timedelta(minutes=i + 1), 100.0 * (i + 1))
        for i, stop_id in enumerate(stop_ids)
    )
    return Route(
        vehicle_id, "depot", T0, T0 + timedelta(hours=1), visits, 5000, 3600, 100.0 * len(visits)
    )


def test_totals_add_up_over_routes() -> None:
    """Distance, duration, load and stop count are the sums over the routes."""
    result = Result(
        (_route("v1", "a", "b"), _route("v2", "c")),
        (Omission("d", OmissionReason.CAPACITY),),
        "test",
        "ok",
        0,
    )
    assert (result.distance_m, result.duration_s, result.load_l) == (10_000, 7200, 300.0)
    assert result.num_served == 3
    assert result.served_ids == {"a", "b", "c"}
    assert result.omission_of("d") == Omission("d", OmissionReason.CAPACITY)
    assert result.omission_of("a") is None


@pytest.mark.parametrize(
    ("routes", "omitted", "message"),
    [
        ((_route("v1", "a"), _route("v2", "a")), (), "more than once"),
        ((_route("v1", "a"),), ("a",), "more than once"),
        ((_route("v1", "a"), _route("v1", "b")), (), "more than one route"),
    ],
)
def test_a_stop_is_served_once_or_omitted(
    routes: tuple[Route, ...], omitted: tuple[str, ...], message: str
) -> None:
    """No stop is served twice or served and omitted; no vehicle has two routes."""
    omissions = tuple(Omission(s, OmissionReason.CAPACITY) for s in omitted)
    with pytest.raises(ValueError, match=message):
        Result(routes, omissions, "test", "ok", 0)


def test_bad_route() -> None:
    """A route that ends before it starts, or visits out of order, is refused."""
    with pytest.raises(ValueError, match="ends before"):
        Route("v1", "depot", T0, T0 - timedelta(seconds=1), (), 0, 0, 0.0)
    late, early = Visit("a", T0 + timedelta(hours=1), 1.0), Visit("b", T0, 2.0)
    with pytest.raises(ValueError, match="in order"):
        Route("v1", "depot", T0, T0 + timedelta(hours=2), (late, early), 0, 0, 2.0)


def test_reasons_are_stored_as_plain_words() -> None:
    """An omission reason's value is the text a plan stores."""
    assert OmissionReason.SHIFT_LENGTH.value == "shift length"
    assert str(OmissionReason.NO_VEHICLE) == "no vehicle"
