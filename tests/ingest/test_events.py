"""Tests of ingest/events.py: which readings raise which events."""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest

from ingest.events import EventRules, Snapshot, derive

RULES = EventRules()
T0 = datetime(2026, 11, 27, 8, tzinfo=UTC)
BASE = Snapshot("dev-1", "bin-1", T0, 50.0, 80.0, None, 12.0, 2.0, None, False)


def series(*changes: Mapping[str, object]) -> list[Snapshot]:
    """Readings an hour apart, each the base reading with some fields changed."""
    return [
        BASE._replace(measured_at=T0 + timedelta(hours=i), **change)  # type: ignore[arg-type]
        for i, change in enumerate(changes, start=1)
    ]


def kinds(previous: Snapshot | None, readings: list[Snapshot]) -> list[str]:
    return [event.kind for event in derive(previous, readings, RULES)[0]]


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        ({"battery_pct": 10.0}, "battery_low"),
        ({"battery_pct": None, "battery_v": 3.0}, "battery_low"),
        ({"temperature_c": 75.0}, "fire_risk"),
        ({"tilt_deg": 45.0}, "tilt"),
        ({"tilted": True}, "tilt"),
    ],
)
def test_a_condition_raises_one_event_when_it_starts(change: dict[str, object], kind: str) -> None:
    """The first reading meeting a condition raises it; readings that stay in it do not."""
    assert kinds(BASE, series(change, change, change)) == [kind]


def test_a_condition_that_clears_and_returns_raises_again() -> None:
    """Hot, normal, hot again: two fire-risk events."""
    hot = {"temperature_c": 80.0}
    assert kinds(BASE, series(hot, {}, hot)) == ["fire_risk", "fire_risk"]


def test_a_fill_drop_to_a_low_level_is_an_emptying_with_a_collection() -> None:
    """80 % then 5 %: one emptied event and one collection with both levels."""
    events, collections = derive(BASE, series({"fill_pct": 80.0}, {"fill_pct": 5.0}), RULES)
    assert [e.kind for e in events] == ["emptied"]
    [collection] = collections
    assert (collection.bin_id, collection.fill_before, collection.fill_after) == ("bin-1", 80, 5)
    assert collection.collected_at == T0 + timedelta(hours=2)


@pytest.mark.parametrize(
    "readings",
    [
        series({"fill_pct": 80.0}, {"fill_pct": 60.0}),  # a small drop: compaction, noise
        series({"fill_pct": 80.0}, {"fill_pct": 40.0}),  # a big drop that stays high
        series({"fill_pct": 80.0}, {"fill_pct": 5.0, "suspect": True}),  # an untrusted level
        series({"fill_pct": 80.0}, {"fill_pct": 5.0, "bin_id": "bin-2"}),  # the device moved
    ],
)
def test_other_fill_changes_are_not_emptyings(readings: list[Snapshot]) -> None:
    """Only a large drop to a low level of the same bin, from a trusted reading, counts."""
    assert kinds(BASE, readings) == []


def test_a_suspect_reading_between_does_not_hide_an_emptying() -> None:
    """The emptying compares with the last trusted level, skipping a suspect reading."""
    readings = series({"fill_pct": 90.0}, {"fill_pct": 100.0, "suspect": True}, {"fill_pct": 3.0})
    assert kinds(BASE, readings) == ["emptied"]


def test_without_a_previous_reading_a_condition_already_met_counts() -> None:
    """A device whose very first reading is low on battery raises the event."""
    assert kinds(None, series({"battery_pct": 5.0})) == ["battery_low"]
