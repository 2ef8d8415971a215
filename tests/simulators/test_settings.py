"""Tests of simulators/settings.py."""

import pydantic
import pytest

from simulators import GHENT, SimulatorSettings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without configuration: 60 bins around Ghent, seed 1, the canonical prefix, 48 h."""
    for name in ("BINS", "SEED", "TOPIC_PREFIX", "HISTORY_HOURS", "STEP_HOURS"):
        monkeypatch.delenv(f"CURBSIDE_{name}", raising=False)
    settings = SimulatorSettings()
    assert (settings.bins, settings.seed, settings.centre) == (60, 1, GHENT)
    assert settings.topic_prefix == "curbside/v1"
    assert (settings.history_hours, settings.step_hours) == (48, 1.0)


def test_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """CURBSIDE_* variables set the city's size, seed and centre."""
    monkeypatch.setenv("CURBSIDE_BINS", "500")
    monkeypatch.setenv("CURBSIDE_SEED", "9")
    monkeypatch.setenv("CURBSIDE_CENTRE_LAT", "48.85")
    settings = SimulatorSettings()
    assert (settings.bins, settings.seed, settings.centre_lat) == (500, 9, 48.85)


@pytest.mark.parametrize(
    "change", [{"bins": 0}, {"seed": -1}, {"centre_lat": 91}, {"step_hours": 0}]
)
def test_bad_values_are_refused(change: dict[str, float]) -> None:
    """Impossible sizes, seeds, centres and steps fail fast."""
    with pytest.raises(pydantic.ValidationError):
        SimulatorSettings(**change)  # type: ignore[arg-type]
