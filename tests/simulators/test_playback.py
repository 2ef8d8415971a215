"""Tests of simulators/playback.py: `curbside simulate publish` on a real broker."""

from datetime import UTC, datetime, timedelta

import pytest

from simulators import FaultRates, SimulatorSettings, generate_city, play_city
from simulators.feed import expected_readings

NOW = datetime.now(UTC).replace(microsecond=0)
CITY = generate_city(bins=10, seed=4)


def settings(
    mqtt_url: str, topic_prefix: str, step_hours: float | None = None
) -> SimulatorSettings:
    base = SimulatorSettings(mqtt_url=mqtt_url, topic_prefix=topic_prefix, history_hours=6, seed=4)
    return base if step_hours is None else base.model_copy(update={"step_hours": step_hours})


def test_history_mode_plays_the_hours_before_now(mqtt_url: str, topic_prefix: str) -> None:
    """Each device's own schedule over the six hours ending at this minute."""
    report = play_city(CITY, settings(mqtt_url, topic_prefix), now=NOW)
    end = NOW.replace(second=0)
    assert report.readings == expected_readings(CITY, end - timedelta(hours=6), end)
    assert report.published == report.readings == report.distinct


def test_a_step_setting_puts_every_device_on_one_grid(mqtt_url: str, topic_prefix: str) -> None:
    """CURBSIDE_STEP_HOURS, when set, replaces the devices' own intervals."""
    report = play_city(CITY, settings(mqtt_url, topic_prefix, step_hours=2), now=NOW)
    assert report.readings == len(CITY.devices) * 4


def test_faults_and_speed_pass_through(mqtt_url: str, topic_prefix: str) -> None:
    """A paced run with faults: every reading played, the faults counted (at x1e6 six hours
    of simulated time pass in a fraction of a second)."""
    report = play_city(
        CITY,
        settings(mqtt_url, topic_prefix),
        faults=FaultRates(duplicate=0.5),
        speed=1e6,
        now=NOW,
    )
    assert report.faults["duplicate"] > 0
    assert report.published == report.readings + report.faults["duplicate"]


def test_a_speed_must_be_sensible(mqtt_url: str, topic_prefix: str) -> None:
    """A speed of zero is refused before anything is published."""
    with pytest.raises(ValueError, match="speed"):
        play_city(CITY, settings(mqtt_url, topic_prefix), speed=0, now=NOW)
