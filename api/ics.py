"""Pickup calendars as iCalendar (RFC 5545): one all-day event per pickup, with a reminder
the evening before.

Each event's UID names the bin and the day the pickup was due before a holiday moved it, so
a calendar app that subscribed sees a moved pickup as the same event on another day.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache

from optimizer.pickups import Pickup

STREAM_TITLES = {
    "residual": "Residual waste",
    "bio": "Organic waste",
    "paper": "Paper and cardboard",
    "packaging": "Packaging",
    "glass": "Glass",
    "litter": "Litter",
}
REMINDER = "-PT6H"
"""Six hours before the pickup day begins: 18:00 the evening before."""


def stream_title(stream: str) -> str:
    return STREAM_TITLES.get(stream, stream.replace("_", " ").capitalize())


def _text(value: str) -> str:
    """A TEXT value escaped (RFC 5545, 3.3.11)."""
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


@lru_cache(maxsize=1024)
def _date(day: date) -> str:
    """A DATE value (RFC 5545, 3.3.4): YYYYMMDD. (Cached, as `_all_day`: a calendar's days
    are the same few weeks for every address.)"""
    return day.isoformat().replace("-", "")


@lru_cache(maxsize=1024)
def _all_day(day: date) -> str:
    """An event's DTSTART and DTEND lines for all of `day`, ended."""
    end = _date(day + timedelta(days=1))
    return f"DTSTART;VALUE=DATE:{_date(day)}\r\nDTEND;VALUE=DATE:{end}\r\n"


def _fold(line: str) -> str:
    """A content line folded at 75 octets, continuation lines starting with a space."""
    if len(line) <= 75 and line.isascii():  # most lines: one octet a character, short
        return line
    encoded = line.encode()
    if len(encoded) <= 75:
        return line
    parts, start, limit = [], 0, 75
    while start < len(encoded):
        end = min(start + limit, len(encoded))
        while end < len(encoded) and (encoded[end] & 0xC0) == 0x80:  # inside a character
            end -= 1
        parts.append(encoded[start:end].decode())
        start, limit = end, 74  # the leading space counts
    return "\r\n ".join(parts)


def _line(line: str) -> str:
    """A content line as written: folded and ended by CRLF."""
    return _fold(line) + "\r\n"


def pickup_calendar(pickups: Sequence[Pickup], name: str, stamp: datetime) -> str:
    """The pickups as a VCALENDAR, lines ended by CRLF."""
    head = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Curbside//Pickups//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_text(name)}",
    ]
    parts = [_line(line) for line in head]
    # Lines that are short and ASCII by construction are ended without asking `_fold`.
    dtstamp = f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}\r\n"
    for pickup in pickups:
        summary, note, tail = _stream_lines(pickup.waste_stream)
        if pickup.moved_from is not None:
            moved = f" Moved from {pickup.moved_from:%A %d %B} (a public holiday)."
            note = _line(f"DESCRIPTION:{_text(_note(pickup.waste_stream) + moved)}")
        parts += [
            "BEGIN:VEVENT\r\n",
            _line(f"UID:{pickup.bin_id}-{_date(pickup.scheduled_day)}@curbside"),
            dtstamp,
            _all_day(pickup.day),
            summary,
            note,
            tail,
        ]
    parts.append("END:VCALENDAR\r\n")
    return "".join(parts)


def _note(stream: str) -> str:
    return f"Put the {stream_title(stream).lower()} bin out the evening before."


@lru_cache(maxsize=256)
def _stream_lines(stream: str) -> tuple[str, str, str]:
    """An event's lines that depend on its stream alone, folded and ended, worked out once
    per stream: its SUMMARY, its DESCRIPTION (for a pickup no holiday moved), and the lines
    after them to the event's end (its category and its reminder)."""
    title = stream_title(stream)
    tail = [
        f"CATEGORIES:{_text(stream)}",
        "TRANSP:TRANSPARENT",
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        f"TRIGGER:{REMINDER}",
        f"DESCRIPTION:{_text(title + ' collection tomorrow')}",
        "END:VALARM",
        "END:VEVENT",
    ]
    return (
        _line(f"SUMMARY:{_text(title)}"),
        _line(f"DESCRIPTION:{_text(_note(stream))}"),
        "".join(_line(line) for line in tail),
    )
