"""Residents' pickups: when each bin at an address is next collected.

A calendar bin is collected on its weekday, except on a holiday, whose collection moves to
`holidays.moved_to` (or is dropped); a bin collected by need has no promised weekday, and its
next pickups are the days a stored plan (its latest version) collects it.

`load_lookups` reads all the lookups need (the bins and their addresses, the holidays, the
days the plans collect bins by need) into memory, asynchronously: residents ask many times a
second, and the API answers them from that copy in its event loop (api/residents_index.py
keeps it current).
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


@dataclass(frozen=True)
class Lookups:
    """Everything the residents' lookups read, in memory: the bins with their addresses, the
    holidays, and the days the latest plans collect each bin by need (from `since` on)."""

    bins: dict[str, tuple[BinInfo, str | None]]
    """Each bin and its address, by id."""
    at_address: dict[str, list[str]]
    """The ids of the bins at each address (lower case), in order."""
    holidays: dict[date, date | None]
    planned: dict[str, list[date]]
    since: date

    def find(
        self, start: date, days: int, address: str | None = None, bin_id: str | None = None
    ) -> AddressBins | None:
        """The bins at `address` (any letter case), or at the address of the bin `bin_id`
        (that bin alone when it has none), with what their pickups from `start` for `days`
        days need; None when there are none."""
        if (address is None) == (bin_id is None):
            raise ValueError("give an address or a bin id")
        if address is not None:
            ids = self.at_address.get(address.lower(), [])
        elif bin_id in self.bins:
            address = self.bins[bin_id][1]
            ids = self.at_address[address.lower()] if address is not None else [bin_id]
        else:
            ids = []
        if not ids:
            return None
        if start < self.since:
            raise ValueError(f"the plans are held from {self.since} on, not from {start}")
        end = start + timedelta(days=days)
        return AddressBins(
            address=self.bins[bin_id or ids[0]][1],
            bins=[self.bins[i][0] for i in ids],
            holidays=self.holidays,
            planned={i: [d for d in self.planned.get(i, []) if start <= d < end] for i in ids},
            start=start,
            days=days,
        )


_PLANNED = """
SELECT s.site_id, array_agg(DISTINCT p.plan_date ORDER BY p.plan_date)
FROM plan_stops AS s JOIN plans AS p ON p.id = s.plan_id JOIN bins ON bins.id = s.site_id
WHERE s.kind = 'bin' AND bins.schedule <> 'calendar' AND p.plan_date >= %(since)s
    AND p.version = (SELECT max(version) FROM plans WHERE plan_date = p.plan_date)
GROUP BY s.site_id
"""


async def load_lookups(conn: psycopg.AsyncConnection, since: date) -> Lookups:
    """What the residents' lookups read, as it stands (plans from `since` on)."""
    bins: dict[str, tuple[BinInfo, str | None]] = {}
    at_address: dict[str, list[str]] = {}
    cursor = await conn.execute(f"SELECT {BIN_COLUMNS}, address FROM bins ORDER BY id")
    for row in await cursor.fetchall():
        bins[row[0]] = (BinInfo(*row[:7]), row[7])
        if row[7] is not None:
            at_address.setdefault(row[7].lower(), []).append(row[0])
    cursor = await conn.execute("SELECT day, moved_to FROM holidays")
    holidays: dict[date, date | None] = dict(await cursor.fetchall())
    cursor = await conn.execute(_PLANNED, {"since": since})
    planned: dict[str, list[date]] = dict(await cursor.fetchall())
    return Lookups(bins, at_address, holidays, planned, since)
