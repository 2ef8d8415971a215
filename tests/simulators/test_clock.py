"""Tests of simulators/clock.py: simulated time mapped onto an injected wall clock."""

from datetime import UTC, datetime, timedelta

import pytest

from simulators import Pacer, timed_window
from simulators.clock import check_speed

NOW = datetime(2025, 3, 2, 12, tzinfo=UTC)


class FakeClock:
    """A wall clock that moves only when slept on."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_a_week_at_x10080_is_the_week_before_the_minute_it_takes() -> None:
    """The run ends a minute from now, when simulated time reaches the wall clock."""
    start, end = timed_window(7 * 24, 10_080, NOW)
    assert end == NOW + timedelta(minutes=1)
    assert end - start == timedelta(days=7)


def test_real_time_starts_now() -> None:
    """At speed 1 simulated time is the wall clock's."""
    assert timed_window(2, 1, NOW) == (NOW, NOW + timedelta(hours=2))


def test_the_pacer_waits_until_each_simulated_moment_comes() -> None:
    """At x3600 an hour of simulated time takes a second; a moment past is not waited for."""
    clock = FakeClock()
    pacer = Pacer(3600, NOW, clock=clock, sleep=clock.sleep)
    pacer.wait(NOW)
    pacer.wait(NOW + timedelta(hours=1))
    pacer.wait(NOW + timedelta(minutes=30))
    pacer.wait(NOW + timedelta(hours=3))
    assert clock.sleeps == [pytest.approx(1.0), pytest.approx(2.0)]
    assert clock.now == pytest.approx(1003.0)


def test_a_late_start_is_caught_up_without_waiting() -> None:
    """Time spent elsewhere counts: if the wall clock is already past, no sleep."""
    clock = FakeClock()
    pacer = Pacer(60, NOW, clock=clock, sleep=clock.sleep)
    pacer.wait(NOW)
    clock.now += 5.0  # publishing took five seconds
    pacer.wait(NOW + timedelta(minutes=3))
    assert clock.sleeps == []


@pytest.mark.parametrize("speed", [0, -1, float("nan"), float("inf"), 1e9])
def test_bad_speeds_are_refused(speed: float) -> None:
    """A speed must be positive, finite and not absurd."""
    with pytest.raises(ValueError, match="speed"):
        check_speed(speed)
    with pytest.raises(ValueError, match="speed"):
        timed_window(1, speed, NOW)


def test_times_must_carry_a_zone() -> None:
    """Naive times are refused."""
    with pytest.raises(ValueError, match="timezone"):
        Pacer(1, datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="timezone"):
        timed_window(1, 1, datetime(2025, 1, 1))
