"""Residents' pickups: when each bin at an address is next collected.

A calendar bin is collected on its weekday, except on a holiday, whose collection moves to
`holidays.moved_to` (or is dropped); a bin collected by need has no weekday, and its next
pickups are the days a stored plan (its latest version) collects it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import psycopg

from optimizer.needs import BinInfo, calendar_due, load_holidays


@dataclass(frozen=True)
class Pickup:
    bin_id: str
    waste_stream: str
    day: date
    moved_from: date | None = None
    """The holiday whose collection moved to this day."""
    planned: bool = False
    """From a plan (a bin collected by need) rather than the calendar."""

    @property
    def scheduled_day(self) -> date:
        """The day it was due before any holiday moved it: a stable name for the pickup."""
        return self.moved_from or self.day


def calendar_pickups(
    info: BinInfo, holidays: Mapping[date, date | None], start: date, days: int
) -> list[Pickup]:
    """A calendar bin's pickups from `start` for `days` days."""
    found = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        if not calendar_due(info, day, holidays):
            continue
        moved = next(
            (h for h, to in holidays.items() if to == day and h.weekday() == info.round_weekday),
            None,
        )
        found.append(Pickup(info.id, info.waste_stream, day, moved_from=moved))
    return found


def load_pickups(
    conn: psycopg.Connection, bins: Sequence[BinInfo], start: date, days: int
) -> list[Pickup]:
    """The bins' pickups from `start` for `days` days, by day then stream."""
    holidays = load_holidays(conn)
    found = [
        pickup
        for info in bins
        if info.schedule == "calendar"
        for pickup in calendar_pickups(info, holidays, start, days)
    ]
    by_need = [info for info in bins if info.schedule != "calendar"]
    if by_need:
        streams = {info.id: info.waste_stream for info in by_need}
        rows = conn.execute(
            "SELECT DISTINCT p.plan_date, s.site_id FROM plans AS p "
            "JOIN plan_stops AS s ON s.plan_id = p.id AND s.kind = 'bin' "
            "WHERE s.site_id = ANY(%s) AND p.plan_date >= %s AND p.plan_date < %s "
            "AND p.version = (SELECT max(version) FROM plans WHERE plan_date = p.plan_date)",
            (list(streams), start, start + timedelta(days=days)),
        ).fetchall()
        found += [Pickup(bin_id, streams[bin_id], day, planned=True) for day, bin_id in rows]
    return sorted(found, key=lambda p: (p.day, p.waste_stream, p.bin_id))
