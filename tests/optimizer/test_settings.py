"""Tests of the planner's settings."""

import pytest

from optimizer import PlannerSettings


def test_defaults_suit_a_first_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without configuration bins are chosen by forecast (or at 60 % by threshold), on city
    roads at 25 km/h, for 5 s."""
    for name in PlannerSettings.model_fields:
        monkeypatch.delenv(f"CURBSIDE_{name.upper()}", raising=False)
    settings = PlannerSettings()
    assert settings.selection == "forecast"
    assert settings.selection_settings.risk == 0.2
    assert settings.fill_threshold_pct == 60.0
    assert (settings.detour_factor, settings.speed_kmh) == (1.3, 25.0)
    assert (settings.time_limit_s, settings.solution_limit, settings.seed) == (5.0, None, 0)


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """`CURBSIDE_*` variables set the planner's settings; the rest keep their defaults."""
    monkeypatch.setenv("CURBSIDE_FILL_THRESHOLD_PCT", "75")
    monkeypatch.setenv("CURBSIDE_TIMEZONE", "Europe/Brussels")
    settings = PlannerSettings()
    assert settings.fill_threshold_pct == 75.0
    assert settings.zone.key == "Europe/Brussels"
    assert (settings.detour_factor, settings.speed_kmh, settings.time_limit_s) == (1.3, 25.0, 5.0)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("fill_threshold_pct", 101),
        ("detour_factor", 0.5),
        ("speed_kmh", 0),
        ("time_limit_s", 0),
        ("solution_limit", 0),
        ("seed", -1),
        ("timezone", "Mars/Olympus_Mons"),
    ],
)
def test_bad_settings(field: str, value: object) -> None:
    """Out-of-range settings and unknown time zones are refused."""
    with pytest.raises(ValueError, match=field):
        PlannerSettings(**{field: value})  # type: ignore[arg-type]
