"""Which bins to empty on a day: required ones, and optional ones with a prize. Pure.

A bin with a promised calendar day is required on that day and left alone on the others.
A sensor-driven bin is required when the probability that it overflows before the next
collection opportunity (the next working day, so a Friday looks over the weekend) reaches
`risk`. Any other bin at least `min_optional_pct` full is optional, with a prize: what
taking it today is worth. Emptied now at fill f, it costs a visit for f of a bin; left for
later, it will be emptied at about `target_pct`, a visit for that much. Per litre both cost
the same when today's visit costs `visit_cost * f / target_pct`, so that is its prize, plus
the overflow it may cause meanwhile (its probability times `overflow_cost` per day it may
stand full). The route engine then takes an optional bin when the detour to it costs less
than its prize: a half-full bin beside today's route comes along, one across town waits.

A waste stream with no calendar bins (glass banks, litter bins, containers) has no truck
out on every working day: its truck goes out when one of its bins is required, and then
takes along every bin of the stream at risk before the next k working days are over, for
the largest k up to `lookahead_days` whose bins fit in a day's work (the stream's bins over
the working days of a week, as a weekly round would share them out). The next outing is
then days away, rather than a truck crossing the city every day for two or three bins. A
stream with calendar bins or area days goes out every working day anyway and takes nothing
along.

A bin collected by need may have an area day (`Candidate.area_weekday`: the weekday its
stream's truck works the bin's area, the weekly round's day). Then that day is its
collection opportunity: on it, the bin is required when it may overflow before the next
one, a week later; on other days its truck is elsewhere, so the bin waits. It is offered
as optional with a prize of `overflow_cost` for each day it would stand full before its
area's day (the route engine takes it when a truck passes close by), and required only
when it would stand full `max_full_days` or more. Trucks then work one area a day, skipping
the bins that can wait a week, instead of crossing the city for bins scattered over it. A
day planned outside the working days (a weekend, a holiday) has no areas, and an area day
that is no working day is none: such bins are chosen as if they had no area.

A bin whose sensor is not trusted (`Forecast.flags` other than "stale") never becomes
required through its readings: its forecast comes from its history and its neighbours, and
it is at most optional.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from optimizer.forecast import Forecast

TRUSTED_FLAGS = frozenset({"stale"})
"""A stale sensor's forecast ages its last good reading: still good enough to require a bin."""


@dataclass(frozen=True)
class SelectionSettings:
    """How bins are chosen; costs are in the vehicles' cost unit."""

    risk: float = 0.2
    """Overflow probability before the next opportunity from which a bin is required."""
    min_optional_pct: float = 40.0
    """Bins below this expected fill are not offered to the route engine at all."""
    target_pct: float = 90.0
    """The fill at which a bin is emptied when nothing is gained by taking it earlier."""
    visit_cost: float = 4.0
    """What a visit costs on an average route (its share of driving, time and unloading)."""
    overflow_cost: float = 0.75
    """What a day of a full bin costs (complaints, litter, cleaning). The default is a
    frugal one: about what 120 m of a rear loader's driving costs (docs/planning.md)."""
    pickup_time: time = time(10)
    """The time of day at which the day's and the next opportunity's pickups are reckoned."""
    working_days: frozenset[int] = frozenset(range(5))
    """Weekdays on which trucks go out (0 is Monday)."""
    lookahead_days: int = 4
    """Working days a stream without calendar bins looks ahead when its truck goes out (1:
    only the next, as every other stream)."""
    max_full_days: float = 3.5
    """A bin with an area day that would stand full this many days before it is required on
    another day."""

    def __post_init__(self) -> None:
        if not 0 < self.risk <= 1:
            raise ValueError(f"risk must be within (0, 1], got {self.risk!r}")
        if not 0 <= self.min_optional_pct <= 100:
            raise ValueError(
                f"min_optional_pct must be within [0, 100], got {self.min_optional_pct!r}"
            )
        if not 0 < self.target_pct <= 100:
            raise ValueError(f"target_pct must be within (0, 100], got {self.target_pct!r}")
        for name in ("visit_cost", "overflow_cost"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be >= 0, got {value!r}")
        if not self.working_days or not self.working_days <= set(range(7)):
            raise ValueError("working_days must be weekdays 0 to 6, at least one")
        if self.lookahead_days < 1:
            raise ValueError(f"lookahead_days must be at least 1, got {self.lookahead_days!r}")
        if not (math.isfinite(self.max_full_days) and self.max_full_days > 0):
            raise ValueError(f"max_full_days must be > 0, got {self.max_full_days!r}")


@dataclass(frozen=True)
class Candidate:
    """A bin as selection sees it."""

    bin_id: str
    forecast: Forecast
    calendar_due: bool | None = None
    """None: collected by need; True: its promised day is today; False: promised another day."""
    waste_stream: str | None = None
    """Its truck's outings are per stream (None: it takes no part in a stream's look-ahead)."""
    area_weekday: int | None = None
    """For a bin collected by need: the weekday its stream's truck works its area, if it has
    one (0 is Monday)."""


@dataclass(frozen=True)
class Selected:
    """A bin offered to the route engine."""

    bin_id: str
    required: bool
    prize: float
    """Worth of emptying it today when optional (0 when required)."""
    expected_fill_pct: float
    """Expected level at today's pickup time, capped at 100."""
    reason: str
    """"calendar", "overflow-risk" or "worth-taking"."""
    flags: tuple[str, ...] = ()
    """The forecast's flags: a dispatcher checks bins whose sensors are not trusted."""


def trucks_go_out(day: date, working_days: Collection[int], holidays: Collection[date]) -> bool:
    """Whether collection rounds run on `day`: a working day that is not a holiday."""
    return day.weekday() in working_days and day not in holidays


def next_opportunity(
    day: date,
    settings: SelectionSettings,
    zone: tzinfo,
    holidays: Iterable[date] = (),
    working_days_ahead: int = 1,
) -> datetime:
    """The pickup time of the `working_days_ahead`-th working day after `day` that is not a
    holiday."""
    closed = set(holidays)
    following = day
    for _ in range(working_days_ahead):
        following += timedelta(days=1)
        while not trucks_go_out(following, settings.working_days, closed):
            following += timedelta(days=1)
    return datetime.combine(following, settings.pickup_time, tzinfo=zone)


def select_bins(
    candidates: Sequence[Candidate],
    day: date,
    zone: tzinfo,
    settings: SelectionSettings | None = None,
    holidays: Iterable[date] = (),
) -> list[Selected]:
    """The bins to offer the route engine for `day`, in the candidates' order."""
    settings = settings or SelectionSettings()
    holidays = tuple(holidays)
    pickup = datetime.combine(day, settings.pickup_time, tzinfo=zone)
    later = next_opportunity(day, settings, zone, holidays)
    days_between = (later - pickup).total_seconds() / 86_400
    area_days: dict[int, datetime] = {}  # a weekday trucks never work is no area's day
    if trucks_go_out(day, settings.working_days, holidays):  # a weekend has no areas
        for weekday in settings.working_days:
            area_days[weekday] = next_area_day(day, weekday, settings, zone, holidays)
    chosen: dict[str, Selected] = {}
    for candidate in candidates:
        found = candidate.forecast
        fill = min(100.0, found.level_at(pickup))
        if candidate.calendar_due is not None:
            if candidate.calendar_due:
                chosen[candidate.bin_id] = Selected(
                    candidate.bin_id, True, 0.0, fill, "calendar", found.flags
                )
            continue
        if candidate.area_weekday in area_days:
            on_its_day = candidate.area_weekday == day.weekday()
            area_day = area_days[candidate.area_weekday]
            by_area = _by_area(candidate, on_its_day, area_day, pickup, fill, settings)
            if by_area is not None:
                chosen[candidate.bin_id] = by_area
            continue
        risk = found.overflow_probability(later)
        if _trusted(found) and risk >= settings.risk:
            chosen[candidate.bin_id] = Selected(
                candidate.bin_id, True, 0.0, fill, "overflow-risk", found.flags
            )
        elif fill >= settings.min_optional_pct:
            worth = _visit_share(fill, settings) + settings.overflow_cost * risk * days_between
            chosen[candidate.bin_id] = Selected(
                candidate.bin_id, False, round(worth, 3), fill, "worth-taking", found.flags
            )
    _take_along(candidates, chosen, day, zone, settings, holidays)
    return [chosen[c.bin_id] for c in candidates if c.bin_id in chosen]


def next_area_day(
    day: date, weekday: int, settings: SelectionSettings, zone: tzinfo, holidays: Iterable[date]
) -> datetime:
    """The pickup time of the first day after `day` on `weekday` when trucks go out (a week
    later when that one is a holiday, and so on)."""
    closed = set(holidays)
    following = day + timedelta(days=(weekday - day.weekday() - 1) % 7 + 1)
    while not trucks_go_out(following, settings.working_days, closed):
        following += timedelta(days=7)
    return datetime.combine(following, settings.pickup_time, tzinfo=zone)


def _by_area(
    candidate: Candidate,
    on_its_day: bool,
    area_day: datetime,
    pickup: datetime,
    fill: float,
    settings: SelectionSettings,
) -> Selected | None:
    """A bin with an area day, next at `area_day`. On its day: required when it may overflow
    before the next one, else optional like any bin. On another day: required only when it
    would otherwise stand full `max_full_days` before its area day, else optional with a
    prize of `overflow_cost` for each day it would stand full meanwhile; None when it would
    not."""
    found = candidate.forecast
    trusted = _trusted(found)
    if on_its_day:
        if trusted and found.overflow_probability(area_day) >= settings.risk:
            return Selected(candidate.bin_id, True, 0.0, fill, "overflow-risk", found.flags)
        if fill < settings.min_optional_pct:
            return None
        worth = _visit_share(fill, settings)
        return Selected(candidate.bin_id, False, round(worth, 3), fill, "worth-taking", found.flags)
    full_at = found.full_at()
    full_days = 0.0 if full_at is None else (area_day - max(full_at, pickup)).total_seconds()
    full_days /= 86_400
    if trusted and full_days >= settings.max_full_days:
        return Selected(candidate.bin_id, True, 0.0, fill, "overflow-risk", found.flags)
    if full_days <= 0:
        return None
    worth = settings.overflow_cost * full_days
    return Selected(candidate.bin_id, False, round(worth, 3), fill, "worth-taking", found.flags)


def _visit_share(fill: float, settings: SelectionSettings) -> float:
    """What emptying a bin at `fill` today is worth against emptying it at `target_pct`."""
    return settings.visit_cost * min(fill, settings.target_pct) / settings.target_pct


def _trusted(found: Forecast) -> bool:
    return set(found.flags) <= TRUSTED_FLAGS


def _take_along(
    candidates: Sequence[Candidate],
    chosen: dict[str, Selected],
    day: date,
    zone: tzinfo,
    settings: SelectionSettings,
    holidays: tuple[date, ...],
) -> None:
    """On a stream without calendar bins whose truck goes out today, require the bins at
    risk before the next k working days are over, for the largest k up to `lookahead_days`
    whose bins fit in a day's work: the stream then needs no truck for k days. When not
    even the next day's fit, its truck is out every day anyway and takes only what is due."""
    streams: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        if candidate.waste_stream is not None:
            streams.setdefault(candidate.waste_stream, []).append(candidate)
    pickup = datetime.combine(day, settings.pickup_time, tzinfo=zone)
    horizons = [
        next_opportunity(day, settings, zone, holidays, k)
        for k in range(settings.lookahead_days, 1, -1)
    ]
    for members in streams.values():
        if any(c.calendar_due is not None or c.area_weekday is not None for c in members):
            continue  # calendar bins or areas: its truck is out every working day
        required = {c.bin_id for c in members if c.bin_id in chosen and chosen[c.bin_id].required}
        if not required:
            continue  # no outing today
        day_work = math.ceil(len(members) / len(settings.working_days))
        others = [c for c in members if c.bin_id not in required and _trusted(c.forecast)]
        for horizon in horizons:
            due = [c for c in others if c.forecast.overflow_probability(horizon) >= settings.risk]
            if len(required) + len(due) <= day_work:
                break
        else:
            continue
        for candidate in due:
            found = candidate.forecast
            fill = min(100.0, found.level_at(pickup))
            chosen[candidate.bin_id] = Selected(
                candidate.bin_id, True, 0.0, fill, "due-soon", found.flags
            )
