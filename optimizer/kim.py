"""The waste-collection instances of Kim, Kim & Sahoo (2006) as `Problem`s.

Manhattan distance, feet * 0.3048 rounded to whole metres, scale 1 (the cost is in metres;
the literature reports miles, 1609.344 m); travel times in whole seconds at the instance's
speed. Every vehicle costs `COST_PER_KM` as in `read.py`; windows, day and site ids follow
its conventions too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from optimizer.geo import TravelMatrices
from optimizer.problem import Break, Depot, Facility, GivenMatrices, Problem, Stop, Window
from optimizer.read import (
    DAY_START,
    Instance,
    PathLike,
    parse_integer,
    parse_number,
    uniform_fleet,
)

FEET_M = 0.3048
FEET_PER_MILE = 5280
LUNCH_FROM_S = 11 * 3600
"""Kim et al.: the lunch break starts between 11:00..."""
LUNCH_TO_S = 12 * 3600
"""...and 12:00 (so a one-hour lunch lies between 11:00 and 13:00)."""


def read_kim(path: PathLike) -> Instance:
    """One of Kim, Kim & Sahoo's (2006) waste-collection instances (`102_stop.txt`, ...).

    Five header lines (vehicle capacity in yd3, yd3 a vehicle may collect per day, stops a
    vehicle may serve per day, lunch in seconds, speed in mph), a line of column names, then
    one line per site: id, x and y in feet, earliest and latest service start (HHMM),
    service seconds, load in yd3, and type (0 depot, 1 stop, 2 landfill).

    The depot's hours are the vehicles' shift. A landfill is a `Facility`: open from its
    earliest start until its latest start plus its unloading time (its service). A stop gets
    its window, service and load (`demand_l` holds yd3, as `capacity_l` does). Every vehicle
    lunches for the header's seconds, starting between 11:00 and 12:00 (the header's rule;
    the description's "one hour between 11 a.m. and 1 p.m." is the same), unless its route
    is back by 11:00. A time whose minutes read 60 or more (1675, 0775, 875 in 1932_stop and
    2100_stop) is taken as hundredths of an hour (16:45, 07:45, 08:45), as they look.

    `Problem` cannot express the daily limits on a vehicle's volume and number of stops:
    they are read and only used to size the fleet, which is twice the largest of three lower
    bounds, plus 2: total load over the daily volume, stops over the daily stop limit, and
    service and unloading time (a full load per disposal trip) over the working time (shift
    less lunch). Kim et al. report 2 to 11 vehicles on the five smaller instances; this
    gives 6 to 22, and unused vehicles cost nothing. The instances have no machine-readable
    best-known cost: `bks` is None.
    """
    path = Path(path)
    try:
        return _kim_instance(path.read_text(encoding="utf-8").splitlines(), path.stem)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc


# VRPLIB ------------------------------------------------------------------------------------


KIM_HEADER_LINES = 5
KIM_FIELDS = 8


@dataclass(frozen=True)
class _KimSite:
    id: str
    x: float
    y: float
    window: Window
    """Earliest and latest start, both included."""
    service_s: int
    load: float
    kind: int


def _kim_instance(lines: list[str], name: str) -> Instance:
    if len(lines) <= KIM_HEADER_LINES:
        raise ValueError(f"expected {KIM_HEADER_LINES} header lines and a column line")
    header = lines[:KIM_HEADER_LINES]
    values = [parse_number(_first(line), f"header line {i}") for i, line in enumerate(header, 1)]
    capacity, volume_per_day, stops_per_day, lunch_s, speed_mph = values
    if min(capacity, volume_per_day, stops_per_day, speed_mph) <= 0 or lunch_s < 0:
        raise ValueError(
            "header: capacity, daily volume, daily stops and speed must be > 0, lunch >= 0"
        )
    if not lines[KIM_HEADER_LINES].lstrip().lower().startswith("stop_id"):
        raise ValueError(f"line {KIM_HEADER_LINES + 1}: expected the column line (Stop_ID ...)")
    sites = [
        _kim_site(line.split(), number)
        for number, line in enumerate(lines[KIM_HEADER_LINES + 1 :], start=KIM_HEADER_LINES + 2)
        if line.strip()
    ]
    depots = [site for site in sites if site.kind == 0]
    landfills = [site for site in sites if site.kind == 2]
    stops = [site for site in sites if site.kind == 1]
    if len(depots) != 1:
        raise ValueError(f"expected one depot (type 0), got {len(depots)}")
    if not landfills:
        raise ValueError("no landfill (type 2)")
    depot = depots[0]
    opens_s, closes_s = depot.window
    lunch = Break(LUNCH_FROM_S, LUNCH_TO_S, round(lunch_s)) if lunch_s > 0 else None
    work_s = closes_s - opens_s - (0 if lunch is None else lunch.duration_s)
    limits = _DailyLimits(capacity, volume_per_day, stops_per_day, work_s)
    problem = Problem(
        day_start=DAY_START,
        depots=(Depot(depot.id, depot.x, depot.y, opens_s=opens_s, closes_s=closes_s),),
        vehicles=uniform_fleet(limits.fleet(stops, landfills), capacity, opens_s, closes_s, lunch),
        stops=tuple(
            Stop(
                s.id,
                s.x,
                s.y,
                demand_l=s.load,
                service_s=s.service_s,
                windows=((s.window[0], s.window[1] + 1),),
            )
            for s in stops
        ),
        facilities=tuple(
            Facility(
                f.id,
                f.x,
                f.y,
                opens_s=f.window[0],
                closes_s=f.window[1] + f.service_s,
                unload_s=f.service_s,
            )
            for f in landfills
        ),
        travel=GivenMatrices(_manhattan([depot, *landfills, *stops], speed_mph)),
    )
    return Instance(name, problem, bks=None, scale=1)


@dataclass(frozen=True)
class _DailyLimits:
    """What one vehicle may do in a day, for sizing the fleet (see `read_kim`)."""

    capacity: float
    volume: float
    stops: float
    work_s: int
    """The shift less lunch."""

    def fleet(self, stops: Sequence[_KimSite], landfills: Sequence[_KimSite]) -> int:
        """Twice the largest lower bound on the vehicles needed, plus 2; one per stop at most."""
        load = sum(stop.load for stop in stops)
        unloading_s = math.ceil(load / self.capacity) * min(f.service_s for f in landfills)
        bound = max(
            math.ceil(load / self.volume),
            math.ceil(len(stops) / self.stops),
            math.ceil((sum(stop.service_s for stop in stops) + unloading_s) / max(1, self.work_s)),
        )
        return max(1, min(len(stops), 2 * bound + 2))


def _kim_site(fields: list[str], number: int) -> _KimSite:
    where = f"line {number}"
    if len(fields) != KIM_FIELDS:
        raise ValueError(f"{where}: expected {KIM_FIELDS} fields, got {len(fields)}")
    stop_id, x, y, early, late, service, load, kind = fields
    site_kind = parse_integer(kind, f"{where}: type")
    if site_kind not in (0, 1, 2):
        raise ValueError(f"{where}: unknown type {site_kind} (0 depot, 1 stop, 2 landfill)")
    window = (_clock_s(early, where), _clock_s(late, where))
    if window[0] > window[1]:
        raise ValueError(f"{where}: earliest start {early} after latest {late}")
    seconds = parse_number(service, f"{where}: service")
    if seconds < 0:
        raise ValueError(f"{where}: negative service time {service}")
    return _KimSite(
        stop_id,
        parse_number(x, f"{where}: x"),
        parse_number(y, f"{where}: y"),
        window,
        round(seconds),
        parse_number(load, f"{where}: load"),
        site_kind,
    )


def _clock_s(text: str, where: str) -> int:
    """Seconds after midnight of an HHMM time; minutes of 60 or more are hundredths of an hour."""
    value = parse_number(text, f"{where}: time")
    if not (value.is_integer() and 0 <= value <= 2400):
        raise ValueError(f"{where}: {text!r} is not a time HHMM within 0000..2400")
    hours, minutes = divmod(int(value), 100)
    if minutes >= 60:
        return round((hours + minutes / 100) * 3600)
    return hours * 3600 + minutes * 60


def _manhattan(sites: Sequence[_KimSite], speed_mph: float) -> TravelMatrices:
    """Whole metres and seconds of the Manhattan distance in feet, driven at `speed_mph`."""
    x = np.array([site.x for site in sites], dtype=np.float64)
    y = np.array([site.y for site in sites], dtype=np.float64)
    feet = np.abs(x[:, None] - x[None, :]) + np.abs(y[:, None] - y[None, :])
    seconds = feet / FEET_PER_MILE / speed_mph * 3600
    return TravelMatrices(
        distance_m=np.floor(feet * FEET_M + 0.5).astype(np.int64),
        duration_s=np.floor(seconds + 0.5).astype(np.int64),
    )


# Shared ------------------------------------------------------------------------------------


def _first(line: str) -> str:
    fields = line.split()
    return fields[0] if fields else ""
