"""Residents' pickups: when each bin at an address is next collected.

A calendar bin is collected on its weekday, except on a holiday, whose collection moves to
`holidays.moved_to` (or is dropped); a bin collected by need has no promised weekday, and its
next pickups are the days a stored plan (its latest version) collects it.

`load_address` reads all a lookup needs (the bins at an address, the holidays, the days the
plans collect the bins by need) in one query, asynchronously: residents ask many times a
second, and the API answers them in its event loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import psycopg

from optimizer.needs import BIN_COLUMNS, BinInfo


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


@dataclass(frozen=True)
class AddressBins:
    """The bins at an address and what their pickups from `start` for `days` days depend on."""

    address: str | None
    bins: list[BinInfo]
    holidays: dict[date, date | None]
    planned: dict[str, list[date]]
    """The days the latest plans collect each bin by need."""
    start: date
    days: int

    def pickups(self) -> list[Pickup]:
        """The bins' pickups, by day then stream."""
        found = [
            pickup
            for info in self.bins
            if info.schedule == "calendar"
            for pickup in calendar_pickups(info, self.holidays, self.start, self.days)
        ]
        found += [
            Pickup(info.id, info.waste_stream, day, planned=True)
            for info in self.bins
            if info.schedule != "calendar"
            for day in self.planned[info.id]
        ]
        return sorted(found, key=lambda p: (p.day, p.waste_stream, p.bin_id))


def calendar_pickups(
    info: BinInfo, holidays: Mapping[date, date | None], start: date, days: int
) -> list[Pickup]:
    """A calendar bin's pickups from `start` for `days` days: its weekdays that are not
    holidays, and the days its weekday's holidays move to (`needs.calendar_due`)."""
    if info.round_weekday is None:
        return []
    end = start + timedelta(days=days)
    moved_from: dict[date, date | None] = {}
    day = start + timedelta(days=(info.round_weekday - start.weekday()) % 7)
    while day < end:
        moved_from[day] = None
        day += timedelta(days=7)
    for holiday, moved_to in holidays.items():
        if moved_to is None or not start <= moved_to < end:
            continue
        if holiday.weekday() == info.round_weekday and moved_from.get(moved_to) is None:
            moved_from[moved_to] = holiday
    return [
        Pickup(info.id, info.waste_stream, day, moved_from=moved_from[day])
        for day in sorted(moved_from)
        if day not in holidays
    ]


_ADDRESS = f"""
SELECT {BIN_COLUMNS}, address,
    ARRAY(
        SELECT DISTINCT p.plan_date FROM plan_stops AS s JOIN plans AS p ON p.id = s.plan_id
        WHERE s.site_id = bins.id AND s.kind = 'bin' AND bins.schedule <> 'calendar'
            AND p.plan_date >= %(start)s::date AND p.plan_date < %(end)s::date
            AND p.version = (SELECT max(version) FROM plans WHERE plan_date = p.plan_date)
        ORDER BY p.plan_date
    ),
    (SELECT coalesce(array_agg(day), '{{}}') FROM holidays),
    (SELECT coalesce(array_agg(moved_to), '{{}}') FROM holidays)
FROM bins
"""
_AT_ADDRESS = _ADDRESS + "WHERE lower(address) = lower(%(address)s) ORDER BY id"
_AT_BIN = _ADDRESS + (
    "WHERE id = %(bin_id)s "
    "OR lower(address) = (SELECT lower(address) FROM bins WHERE id = %(bin_id)s) ORDER BY id"
)


async def load_address(
    conn: psycopg.AsyncConnection,
    start: date,
    days: int,
    address: str | None = None,
    bin_id: str | None = None,
) -> AddressBins | None:
    """The bins at `address` (any letter case), or at the address of the bin `bin_id` (that
    bin alone when it has none), with what their pickups need; None when there are none."""
    if (address is None) == (bin_id is None):
        raise ValueError("give an address or a bin id")
    cursor = await conn.execute(
        _AT_ADDRESS if address is not None else _AT_BIN,
        {"address": address, "bin_id": bin_id, "start": start, "end": start + timedelta(days)},
    )
    rows = await cursor.fetchall()
    if not rows:
        return None
    named = next((row for row in rows if row[0] == bin_id), rows[0])
    holiday_days, moved_to = rows[0][9], rows[0][10]
    return AddressBins(
        address=named[7],
        bins=[BinInfo(*row[:7]) for row in rows],
        holidays=dict(zip(holiday_days, moved_to, strict=True)),
        planned={row[0]: row[8] for row in rows},
        start=start,
        days=days,
    )
