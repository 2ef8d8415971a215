"""The collection twin: a day's plan executed against the simulated city, bin by bin.

The twin holds every bin's true fill level, day after day. Waste comes from a daily fill
source (`FillModel.added_pct`) and is thrown in evenly between `ACTIVE_FROM_S` and
`ACTIVE_TO_S` (07:00 to 22:00; nothing at night). A plan's trucks drive their routes
(`simulators.trucks.drive`); each bin they visit is emptied at the moment its service
starts, and the litres it held at that moment go into the truck.

A bin holds at most 100 %: what is thrown in beyond that lies beside it. That waste is
overflow: counted in litres, and never collected. A bin counts one **overflow bin-day** for
every calendar day at some moment of which it stands at 100 %: the day it fills up, every
day it stays full, and the day it is emptied if it was still full that morning (a bin full
from 15:00 on Monday and emptied at 09:00 on Wednesday counts three).

Days are calendar days in UTC: a plan's `Problem.day_start` is the day's midnight in UTC.
The twin implements `LevelSource` over the days it has run, so the sensor publisher can
report the levels it produces, emptyings included.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from optimizer import Problem, Result
from simulators.city import City
from simulators.trucks import TruckDay, drive

ACTIVE_FROM_S = 7 * 3600
"""Waste starts going in at 07:00: households and passers-by are up."""
ACTIVE_TO_S = 22 * 3600
"""...and the day's waste is all in by 22:00."""
DAY_S = 86_400
_FULL = 100.0 - 1e-9

Floats = NDArray[np.float64]


class DailyFill(Protocol):
    """Where the waste comes from: percent of each bin's volume added on a day, in
    `city.bins` order (`simulators.fill.FillModel`, or a fixed fake in tests)."""

    def added_pct(self, day: date) -> Floats: ...


def fill_share(seconds: ArrayLike) -> Floats:
    """The share (0 to 1) of a day's waste thrown in by `seconds` after midnight."""
    span = ACTIVE_TO_S - ACTIVE_FROM_S
    share: Floats = np.clip((np.asarray(seconds, dtype=np.float64) - ACTIVE_FROM_S) / span, 0, 1)
    return share


def midnight(day: date) -> datetime:
    """The start of a twin's day: midnight UTC."""
    return datetime.combine(day, time(0), tzinfo=UTC)


@dataclass(frozen=True, eq=False)
class DayRecord:
    """One day of every bin, in `city.bins` order: levels in percent, litres, emptying."""

    day: date
    start_pct: Floats
    """Level at midnight."""
    added_pct: Floats
    """Thrown in during the day (may exceed what fits)."""
    emptied_s: Floats
    """When the bin was emptied, in seconds after midnight; NaN: not emptied."""
    emptied_pct: Floats
    """Level when emptied (0 when not emptied)."""
    end_pct: Floats
    """Level at the next midnight."""
    overflow_pct: Floats
    """Waste thrown in that did not fit, in percent of the bin's volume."""
    overflowed: NDArray[np.bool_]
    """Whether the bin stood at 100 % at some moment of the day: an overflow bin-day."""

    @property
    def emptied(self) -> NDArray[np.bool_]:
        return ~np.isnan(self.emptied_s)


def close_day(day: date, start_pct: Floats, added_pct: Floats, emptied_s: Floats) -> DayRecord:
    """A day's bookkeeping from its start levels, its waste and the emptying times."""
    emptied = ~np.isnan(emptied_s)
    share = fill_share(np.where(emptied, emptied_s, DAY_S))
    before = start_pct + added_pct * share  # uncapped: until emptied, or all day
    after = np.where(emptied, added_pct * (1.0 - share), 0.0)  # from emptied to midnight
    end_uncapped = np.where(emptied, after, before)
    overflowed = (start_pct >= _FULL) | (before >= _FULL) | (emptied & (after >= _FULL))
    overflow = np.maximum(before - 100.0, 0.0) + np.where(
        emptied, np.maximum(after - 100.0, 0.0), 0.0
    )
    return DayRecord(
        day=day,
        start_pct=start_pct,
        added_pct=added_pct,
        emptied_s=emptied_s,
        emptied_pct=np.where(emptied, np.minimum(before, 100.0), 0.0),
        end_pct=np.minimum(end_uncapped, 100.0),
        overflow_pct=overflow,
        overflowed=overflowed,
    )


@dataclass(frozen=True)
class DayOutcome:
    """What a day under a plan gave: the trucks' days and the bins' bookkeeping."""

    record: DayRecord
    trucks: tuple[TruckDay, ...]
    missed: int
    """Required stops that no route served."""

    @property
    def collected_l(self) -> float:
        return sum(e.litres for truck in self.trucks for e in truck.emptyings)


class Twin:
    """The city's bins through the days: levels, emptyings by the trucks, overflow.

    Run one day at a time, in order: `run_day` with a plan, `rest_day` with none, or
    `empty_bins` with given emptying times (no trucks).
    """

    def __init__(
        self, city: City, fill: DailyFill, start: date, levels_pct: ArrayLike | None = None
    ) -> None:
        """`levels_pct`: every bin's level at the start's midnight (default: the city's
        initial levels)."""
        self.city = city
        self._fill = fill
        self.start = start
        self.volume_l = np.array([b.volume_l for b in city.bins], dtype=np.float64)
        initial = [b.initial_fill_pct for b in city.bins] if levels_pct is None else levels_pct
        self._levels = np.asarray(initial, dtype=np.float64).copy()
        if self._levels.shape != self.volume_l.shape:
            raise ValueError(f"levels_pct needs one level per bin ({len(city.bins)})")
        if not np.all((self._levels >= 0) & (self._levels <= 100)):
            raise ValueError("levels_pct must be within [0, 100]")
        self._index = {b.id: i for i, b in enumerate(city.bins)}
        self._records: list[DayRecord] = []
        self._added: Floats | None = None

    @property
    def today(self) -> date:
        """The next day to run."""
        return self.start + timedelta(days=len(self._records))

    @property
    def records(self) -> tuple[DayRecord, ...]:
        return tuple(self._records)

    def bin_index(self, bin_id: str) -> int:
        return self._index[bin_id]

    def levels_before_trucks(self, seconds: float) -> Floats:
        """Every bin's true level at `seconds` after today's midnight, before any emptying."""
        return np.minimum(self._levels + self._today_added() * fill_share(seconds), 100.0)

    def contents_l(self, bin_index: int, seconds: float) -> float:
        """Litres in a bin at `seconds` of today, if no truck has emptied it yet today."""
        level = self._levels[bin_index] + self._today_added()[bin_index] * fill_share(seconds)
        return float(min(level, 100.0) * self.volume_l[bin_index] / 100.0)

    def run_day(self, problem: Problem, plan: Result) -> DayOutcome:
        """Drive today's plan: every route, bins emptied as the trucks reach them."""
        if problem.day_start != midnight(self.today):
            raise ValueError(f"the plan is for {problem.day_start}, the twin is at {self.today}")
        matrices = problem.matrices()
        vehicles = {v.id: v for v in problem.vehicles}
        trucks = tuple(
            drive(route, vehicles[route.vehicle_id], problem, matrices, self)
            for route in plan.routes
        )
        required = {stop.id for stop in problem.stops if stop.required}
        missed = sum(1 for omission in plan.omissions if omission.stop_id in required)
        emptied_s = np.full(len(self.volume_l), np.nan)
        for truck in trucks:
            for emptying in truck.emptyings:
                if not math.isnan(emptied_s[emptying.bin_index]):
                    raise ValueError(f"{self.city.bins[emptying.bin_index].id} emptied twice")
                emptied_s[emptying.bin_index] = emptying.at_s
        return DayOutcome(self._close(emptied_s), trucks, missed)

    def rest_day(self) -> DayRecord:
        """A day without collection."""
        return self._close(np.full(len(self.volume_l), np.nan))

    def empty_bins(self, emptied_s: ArrayLike) -> DayRecord:
        """A day on which bins are emptied at given times (seconds; NaN: not), no trucks."""
        times = np.asarray(emptied_s, dtype=np.float64)
        if times.shape != self.volume_l.shape:
            raise ValueError(f"emptied_s needs one time per bin ({len(self.volume_l)})")
        if np.any(times[~np.isnan(times)] < 0) or np.any(times[~np.isnan(times)] >= DAY_S):
            raise ValueError("emptying times must be within the day")
        return self._close(times)

    def fill_pct(self, bin_index: int, at: datetime) -> float:
        """`LevelSource`: the true level of a bin at `at`, within the days run so far."""
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("at must be timezone-aware")
        moment = at.astimezone(UTC)
        offset = (moment.date() - self.start).days
        if not 0 <= offset < len(self._records):
            raise ValueError(f"{moment.isoformat()} is outside the days the twin has run")
        record = self._records[offset]
        seconds = (moment - midnight(moment.date())).total_seconds()
        share = float(fill_share(seconds))
        added = float(record.added_pct[bin_index])
        emptied_s = float(record.emptied_s[bin_index])
        if math.isnan(emptied_s) or seconds < emptied_s:
            level = float(record.start_pct[bin_index]) + added * share
        else:
            level = added * (share - float(fill_share(emptied_s)))
        return min(level, 100.0)

    def copy(self) -> Twin:
        """An independent twin in the same state, to run another policy from here."""
        twin = copy.copy(self)
        twin._levels = self._levels.copy()
        twin._records = list(self._records)
        return twin

    def _today_added(self) -> Floats:
        if self._added is None:
            added = np.asarray(self._fill.added_pct(self.today), dtype=np.float64)
            if added.shape != self.volume_l.shape or np.any(added < 0):
                raise ValueError("the fill source must give one added percent >= 0 per bin")
            self._added = added
        return self._added

    def _close(self, emptied_s: Floats) -> DayRecord:
        record = close_day(self.today, self._levels, self._today_added(), emptied_s)
        self._records.append(record)
        self._levels = record.end_pct.copy()
        self._added = None
        return record
