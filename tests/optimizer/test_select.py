"""Tests of optimizer/select.py with hand-made forecasts and hand-checked answers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from optimizer.forecast import FLAT_WEEK, Forecast
from optimizer.select import (
    Candidate,
    Selected,
    SelectionSettings,
    next_area_day,
    next_opportunity,
    select_bins,
)

TUESDAY, FRIDAY = date(2026, 11, 3), date(2026, 11, 6)
SETTINGS = SelectionSettings()


def _forecast(level: float, rate: float, day: date, flags: tuple[str, ...] = ()) -> Forecast:
    """A sure forecast (little spread) made at 06:00 of `day`."""
    return Forecast(
        as_of=datetime(day.year, day.month, day.day, 6, tzinfo=UTC),
        level_pct=level,
        level_sd_pct=1.0,
        rate_pct_per_day=rate,
        rate_sd_pct_per_day=0.5,
        weekday_factors=FLAT_WEEK,
        full_pct=100.0,
        source="sensor" if not flags else "history",
        flags=flags,
    )


def _one(candidate: Candidate, day: date) -> list[Selected]:
    return select_bins([candidate], day, UTC, SETTINGS)


def test_a_bin_certain_to_overflow_is_required() -> None:
    [chosen] = _one(Candidate("b", _forecast(92.0, 20.0, TUESDAY)), TUESDAY)
    assert chosen.required
    assert chosen.reason == "overflow-risk"
    assert chosen.expected_fill_pct == pytest.approx(92.0 + 20.0 * 4 / 24)


def test_friday_looks_over_the_weekend() -> None:
    """60 % at 06:00 filling 15 % a day: 77.5 % by Wednesday's pickup at 10:00, 107.5 % by
    Monday's."""
    on_tuesday = _one(Candidate("b", _forecast(60.0, 15.0, TUESDAY)), TUESDAY)
    on_friday = _one(Candidate("b", _forecast(60.0, 15.0, FRIDAY)), FRIDAY)
    assert [c.required for c in on_tuesday] == [False]
    assert [c.required for c in on_friday] == [True]


def test_a_half_full_bin_is_optional_with_its_share_of_a_visit() -> None:
    [chosen] = _one(Candidate("b", _forecast(45.0, 5.0, TUESDAY)), TUESDAY)
    assert not chosen.required
    fill = 45.0 + 5.0 * 4 / 24
    assert chosen.prize == pytest.approx(SETTINGS.visit_cost * fill / 90.0, abs=1e-3)


def test_a_nearly_empty_bin_is_not_offered() -> None:
    assert _one(Candidate("b", _forecast(10.0, 5.0, TUESDAY)), TUESDAY) == []


def test_a_faulty_sensor_does_not_drive_a_collection() -> None:
    faulty = _forecast(99.0, 30.0, TUESDAY, flags=("erratic",))
    [chosen] = _one(Candidate("b", faulty), TUESDAY)
    assert not chosen.required
    assert chosen.flags == ("erratic",)
    stale = _forecast(99.0, 30.0, TUESDAY, flags=("stale",))
    assert [c.required for c in _one(Candidate("b", stale), TUESDAY)] == [True]


def test_calendar_bins_go_on_their_day_only() -> None:
    empty = _forecast(5.0, 1.0, TUESDAY)
    full = _forecast(99.0, 30.0, TUESDAY)
    due = _one(Candidate("b", empty, calendar_due=True), TUESDAY)
    assert [(c.required, c.reason) for c in due] == [(True, "calendar")]
    assert _one(Candidate("b", full, calendar_due=False), TUESDAY) == []


def _glass(*bins: tuple[str, float, float], fillers: int = 8) -> list[Candidate]:
    """Glass banks (a stream without calendar bins): the named ones, and nearly empty,
    slow ones so the stream's day of work (its bins over five weekdays) is 2 or more."""
    named = [
        Candidate(b, _forecast(level, rate, TUESDAY), waste_stream="glass")
        for b, level, rate in bins
    ]
    slow = [
        Candidate(f"f{i}", _forecast(5.0, 1.0, TUESDAY), waste_stream="glass")
        for i in range(fillers)
    ]
    return named + slow


def _picked(candidates: list[Candidate]) -> dict[str, tuple[bool, str]]:
    return {c.bin_id: (c.required, c.reason) for c in select_bins(candidates, TUESDAY, UTC)}


def test_a_stream_going_out_takes_along_what_is_due_in_the_next_days() -> None:
    """The glass truck goes out for a, certain to overflow; b, 85 % and 4 % a day, would
    overflow before the next Monday (the fourth working day after Tuesday) and comes along
    as required; c, 20 %, does not."""
    picked = _picked(_glass(("a", 92.0, 20.0), ("b", 85.0, 4.0), ("c", 20.0, 2.0)))
    assert picked == {"a": (True, "overflow-risk"), "b": (True, "due-soon")}


def test_no_outing_no_take_along() -> None:
    """Nothing of the stream is required today: b stays optional, and the truck stays in."""
    assert _picked(_glass(("b", 85.0, 4.0))) == {"b": (False, "worth-taking")}


def test_take_along_stops_at_a_day_of_work() -> None:
    """Ten banks (two a weekday's work): a and b fill the day, so the look-ahead shrinks
    until no more is due (by Thursday d is at 94 %): d waits, offered as optional."""
    bins = _glass(("a", 92.0, 20.0), ("b", 93.0, 20.0), ("d", 85.0, 4.0), fillers=7)
    assert _picked(bins) == {
        "a": (True, "overflow-risk"),
        "b": (True, "overflow-risk"),
        "d": (False, "worth-taking"),
    }


def test_a_stream_with_calendar_bins_takes_nothing_along() -> None:
    """Its truck is out every weekday anyway: b waits, offered as optional."""
    bins = _glass(("a", 92.0, 20.0), ("b", 85.0, 4.0))
    household = Candidate("h", _forecast(0.0, 0.0, TUESDAY), False, waste_stream="glass")
    assert _picked([*bins, household]) == {
        "a": (True, "overflow-risk"),
        "b": (False, "worth-taking"),
    }


def test_the_next_opportunity_skips_weekends_and_holidays() -> None:
    assert next_opportunity(FRIDAY, SETTINGS, UTC).date() == date(2026, 11, 9)
    armistice = date(2026, 11, 11)  # a Wednesday
    found = next_opportunity(date(2026, 11, 10), SETTINGS, UTC, holidays=[armistice])
    assert found.date() == date(2026, 11, 12)


THURSDAY, MONDAY = 3, 0


def _by_area(
    level: float, rate: float, area: int, flags: tuple[str, ...] = ()
) -> tuple[bool, str, float] | None:
    """How a bin whose area's day is the weekday `area` is chosen on Tuesday: required,
    reason, prize."""
    candidate = Candidate("b", _forecast(level, rate, TUESDAY, flags), area_weekday=area)
    found = _one(candidate, TUESDAY)
    return (found[0].required, found[0].reason, found[0].prize) if found else None


def test_on_its_area_day_a_bin_is_required_when_it_would_not_last_the_week() -> None:
    """Tuesday is its area's day. 40 % and 10 % a day: 111.7 % by next Tuesday's pickup,
    required. 50 % and 5 % a day: 85.8 %, optional as any half-full bin. 20 %: not offered."""
    assert _by_area(40.0, 10.0, TUESDAY.weekday()) == (True, "overflow-risk", 0.0)
    share = SETTINGS.visit_cost * (50.0 + 5.0 * 4 / 24) / 90.0
    optional = _by_area(50.0, 5.0, TUESDAY.weekday())
    assert optional is not None
    assert optional[:2] == (False, "worth-taking")
    assert optional[2] == pytest.approx(share, abs=1e-3)
    assert _by_area(20.0, 5.0, TUESDAY.weekday()) is None


def test_on_another_day_a_bin_waits_for_its_area_unless_it_would_stand_full_long() -> None:
    """Its area's day is Thursday (pickups at 10:00). 80 % and 10 % a day: full on Thursday
    at 06:00, four hours early, worth that share of a day's overflow cost. 90 %: full
    Wednesday at 06:00, 28 hours early. 30 % and 5 %: full long after Thursday, not offered.
    Its area's day Monday, 95 % and 20 % a day: full Tuesday at noon, almost six days before
    Monday: required today."""
    for level, hours in ((80.0, 4), (90.0, 28)):
        waiting = _by_area(level, 10.0, THURSDAY)
        assert waiting is not None
        assert waiting[:2] == (False, "worth-taking")
        assert waiting[2] == pytest.approx(SETTINGS.overflow_cost * hours / 24, abs=1e-3)
    assert _by_area(30.0, 5.0, THURSDAY) is None
    assert _by_area(95.0, 20.0, MONDAY) == (True, "overflow-risk", 0.0)


def test_a_faulty_sensor_does_not_call_a_truck_to_another_area() -> None:
    found = _by_area(99.0, 30.0, MONDAY, flags=("erratic",))
    assert found is not None
    assert found[:2] == (False, "worth-taking")


def test_a_day_off_the_working_days_has_no_areas() -> None:
    """Saturday (planned as an extra day): 75 % at 06:00 filling 15 % a day, whose area's day
    is Thursday, reaches 107.5 % by Monday's pickup: required as if it had no area."""
    saturday = date(2026, 11, 7)
    candidate = Candidate("b", _forecast(75.0, 15.0, saturday), area_weekday=THURSDAY)
    [chosen] = _one(candidate, saturday)
    assert (chosen.required, chosen.reason) == (True, "overflow-risk")


def test_an_area_day_off_the_working_days_is_no_area_day() -> None:
    """Its area's day would be Sunday, when no truck goes out: on Tuesday, 92 % filling 20 %
    a day is required as if it had no area (it would wait forever for Sunday)."""
    candidate = Candidate("b", _forecast(92.0, 20.0, TUESDAY), area_weekday=6)
    [chosen] = _one(candidate, TUESDAY)
    assert (chosen.required, chosen.reason) == (True, "overflow-risk")


def test_a_stream_with_areas_takes_nothing_along() -> None:
    """Its truck works an area every weekday: b, another area's, is not fetched with a."""
    a = Candidate("a", _forecast(92.0, 20.0, TUESDAY), waste_stream="glass", area_weekday=1)
    b = Candidate("b", _forecast(85.0, 4.0, TUESDAY), waste_stream="glass", area_weekday=4)
    assert _picked([a, b]) == {"a": (True, "overflow-risk")}


def test_the_next_area_day_skips_holidays() -> None:
    wednesday, armistice = date(2026, 11, 4), date(2026, 11, 11)
    assert next_area_day(wednesday, 2, SETTINGS, UTC, []).date() == armistice
    assert next_area_day(TUESDAY, 2, SETTINGS, UTC, []).date() == wednesday
    found = next_area_day(date(2026, 11, 10), 2, SETTINGS, UTC, [armistice])
    assert found == datetime(2026, 11, 18, 10, tzinfo=UTC)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="risk"):
        SelectionSettings(risk=0)
    with pytest.raises(ValueError, match="working_days"):
        SelectionSettings(working_days=frozenset())
    with pytest.raises(ValueError, match="max_full_days"):
        SelectionSettings(max_full_days=0)
