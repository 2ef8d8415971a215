"""The iCalendar writer on its own: folding, escaping and a holiday's note, read back with
`icalendar`."""

from __future__ import annotations

from datetime import UTC, date, datetime

import icalendar

from api.ics import pickup_calendar
from optimizer.pickups import Pickup

STAMP = datetime(2026, 11, 28, 6, 30, tzinfo=UTC)
LONG_STREAM = "textiles_und_schuhe_für_die_kleidersammlung; bitte, gebündelt"


def test_lines_are_folded_at_75_octets_and_unfold_to_the_text() -> None:
    pickups = [
        Pickup("b-1", LONG_STREAM, date(2026, 12, 7)),
        Pickup("b-1", LONG_STREAM, date(2026, 12, 14)),
    ]
    text = pickup_calendar(pickups, "Waste collection, Lange Straße 1", STAMP)

    assert text.endswith("\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert any(line.startswith(" ") for line in text.split("\r\n"))  # something was folded
    events = icalendar.Calendar.from_ical(text).walk("VEVENT")
    title = "Textiles und schuhe für die kleidersammlung; bitte, gebündelt"
    assert [str(e["SUMMARY"]) for e in events] == [title, title]
    assert str(events[0]["DESCRIPTION"]) == f"Put the {title.lower()} bin out the evening before."
    unfolded = text.replace("\r\n ", "").split("\r\n")
    category = "CATEGORIES:textiles_und_schuhe_für_die_kleidersammlung\\; bitte\\, gebündelt"
    assert unfolded.count(category) == 2
    assert [str(e["UID"]) for e in events] == ["b-1-20261207@curbside", "b-1-20261214@curbside"]


def test_a_moved_pickup_says_so_and_keeps_its_id_while_the_next_does_not() -> None:
    pickups = [
        Pickup("b-2", "paper", date(2026, 12, 26), moved_from=date(2026, 12, 25)),
        Pickup("b-2", "paper", date(2027, 1, 1)),
    ]
    events = icalendar.Calendar.from_ical(pickup_calendar(pickups, "x", STAMP)).walk("VEVENT")

    moved, unmoved = events
    assert str(moved["UID"]) == "b-2-20261225@curbside"
    assert moved.decoded("DTSTART") == date(2026, 12, 26)
    assert moved.decoded("DTEND") == date(2026, 12, 27)
    assert str(moved["DESCRIPTION"]) == (
        "Put the paper and cardboard bin out the evening before."
        " Moved from Friday 25 December (a public holiday)."
    )
    assert str(unmoved["DESCRIPTION"]) == "Put the paper and cardboard bin out the evening before."
    assert [str(e["SUMMARY"]) for e in events] == ["Paper and cardboard"] * 2
    alarm = unmoved.walk("VALARM")[0]
    assert str(alarm["DESCRIPTION"]) == "Paper and cardboard collection tomorrow"
