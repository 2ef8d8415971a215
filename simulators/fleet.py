"""The fleet by type: which vehicle empties which containers, and how many crews a city needs.

Three kinds of vehicle do a European city's kerbside collection: rear loaders lift wheelie
bins and 660/1,100 l containers; a crane truck lifts the 3,000 l glass banks; a small van
empties the street litter bins. A vehicle is crewed for one stream at a time (its load goes to
that stream's plant), so the generator gives each vehicle one stream of its kind's.

`round_weekdays` gives each bin its day in the fixed weekly round, the usual practice: each
weekday (Monday to Friday) one wedge of the city, a fifth of each stream's bins.
`vehicles_needed` sizes the fleet for that round, each bin holding a week's waste. It adds
up a day's work for a stream: emptying each container, driving between them (a tour through
n points spread over an area A is about 0.7124 * sqrt(n * A) long, after Beardwood, Halton
and Hammersley), driving to the plant and unloading once per load, and each crew's drive out
of the depot and back; then finds the fewest crews whose 8 h shifts (less a 30 min break)
hold that work with a margin. Travel uses the planner's defaults (25 km/h, a 1.3 detour over
the great circle), so the plans the optimizer makes for the sized fleet can fit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from optimizer import weight_kg
from simulators.containers import WASTE_STREAMS, Containers
from simulators.sites import FACILITY_TYPES, SitePlace


@dataclass(frozen=True)
class VehicleKind:
    """A type of collection vehicle, with typical figures for it."""

    name: str
    waste_streams: tuple[str, ...]
    """The streams its lifting gear and body can take (one per trip)."""
    capacity_l: float
    """Bin contents (litres as they stand in the bins) one load takes, after compaction."""
    capacity_kg: float
    """Legal payload."""
    service_s: int
    """Time to empty one container, stopping and lifting included."""
    cost_per_km: float
    cost_per_hour: float
    """The crew's wages with the vehicle's hourly costs."""
    id_prefix: str

    def __post_init__(self) -> None:
        if not self.waste_streams or not set(self.waste_streams) <= set(WASTE_STREAMS):
            raise ValueError(f"{self.name}: waste_streams must be known streams")
        if not (self.capacity_l > 0 and self.capacity_kg > 0 and self.service_s > 0):
            raise ValueError(f"{self.name}: capacities and service_s must be positive")


REAR_LOADER = VehicleKind(
    name="rear-loader",
    waste_streams=("residual", "bio", "paper", "packaging"),
    capacity_l=40_000.0,  # a 20 m3 body pressing bin contents to half their volume
    capacity_kg=10_000.0,  # a three-axle 26 t chassis; bio loads reach it before the volume
    service_s=60,  # a pair of wheelie bins or one 1,100 l container on the lift
    cost_per_km=1.3,
    cost_per_hour=120.0,  # a driver and two loaders
    id_prefix="rl",
)
CRANE_TRUCK = VehicleKind(
    name="crane-truck",
    waste_streams=("glass",),
    capacity_l=36_000.0,  # an open 36 m3 body; glass is not compacted
    capacity_kg=12_000.0,
    service_s=240,  # hook the bank, swing it over the body, open its floor, set it back
    cost_per_km=1.2,
    cost_per_hour=70.0,  # the driver works the crane
    id_prefix="crane",
)
LITTER_VAN = VehicleKind(
    name="litter-van",
    waste_streams=("litter",),
    capacity_l=6_000.0,  # a 3 m3 tipper body of bags pressed down by hand
    capacity_kg=900.0,  # a 3.5 t van
    service_s=45,  # swap the bag, sweep around the bin
    cost_per_km=0.4,
    cost_per_hour=45.0,  # one driver
    id_prefix="van",
)
VEHICLE_KINDS = {kind.name: kind for kind in (REAR_LOADER, CRANE_TRUCK, LITTER_VAN)}
KIND_OF_STREAM = {stream: kind for kind in VEHICLE_KINDS.values() for stream in kind.waste_streams}
"""The vehicle kind that collects each stream; every stream has one."""

SHIFT_S = 8 * 3600
BREAK_S = 1800
SIZING_SPEED_KMH = 25.0
SIZING_DETOUR = 1.3
TOUR_CONSTANT = 0.7124
"""Length of a shortest tour through n random points in an area A, over sqrt(n * A)."""
SIZING_SLACK = 1.25
"""Work is planned at 80 % of the shift: real tours are longer than the estimate, and days
are heavier after weekends, holidays and bursts."""
ROUND_INTERVAL_DAYS = 7
ROUND_DAYS = 5
"""The round runs Monday to Friday."""


@dataclass(frozen=True)
class RoundDay:
    """One weekday's work of one stream in the weekly round."""

    bins: int
    litres: float
    """What those bins hold after a week (each at most its volume)."""
    kg: float
    area_m2: float
    """The area the day's bins are spread over."""
    depot_m: float
    """Straight distance from the depot to the middle of the day's bins."""
    facility_m: float
    """Straight distance from the middle of the day's bins to the plant taking the stream."""
    unload_s: int

    def __post_init__(self) -> None:
        values = (self.bins, self.litres, self.kg, self.area_m2, self.depot_m, self.facility_m)
        if not all(math.isfinite(v) and v >= 0 for v in values) or self.unload_s < 0:
            raise ValueError(f"a round day needs finite non-negative figures, got {self!r}")


def vehicles_needed(kind: VehicleKind, day: RoundDay) -> int:
    """The fewest crews of `kind` that do the day's round in their shifts, with the slack."""
    if day.bins == 0:
        return 0
    speed_m_s = SIZING_SPEED_KMH / 3.6
    drive_s = TOUR_CONSTANT * math.sqrt(day.bins * day.area_m2) * SIZING_DETOUR / speed_m_s
    service_s = day.bins * kind.service_s
    loads = math.ceil(max(day.litres / kind.capacity_l, day.kg / kind.capacity_kg))
    trip_s = 2 * day.facility_m * SIZING_DETOUR / speed_m_s + day.unload_s
    per_crew_s = SHIFT_S - BREAK_S - 2 * day.depot_m * SIZING_DETOUR / speed_m_s
    if SIZING_SLACK * trip_s >= per_crew_s:
        raise ValueError(
            f"{kind.name}: the depot and the plant are too far apart for {SHIFT_S // 3600} h"
            " shifts; use a smaller radius"
        )
    crews = 1
    # every crew goes home empty, so there are at least as many disposal trips as crews
    while SIZING_SLACK * (service_s + drive_s + max(loads, crews) * trip_s) > crews * per_crew_s:
        crews += 1
    return crews


def fleet_sizes(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    containers: Containers,
    weekdays: list[int],
    radius_m: float,
    depots: tuple[SitePlace, ...],
    facilities: tuple[SitePlace, ...],
) -> dict[str, int]:
    """Vehicles per stream for the weekly round: enough for its busiest weekday, at least one.

    `x`, `y` place the bins in local metres, `weekdays` gives each bin's round weekday; the
    day's bins are spread over a fifth of the city's disc."""
    days = np.asarray(weekdays)
    held = containers.volume_l * np.minimum(
        1.0, ROUND_INTERVAL_DAYS * containers.fill_rate_pct_per_day / 100
    )
    sizes = {}
    for code, stream in enumerate(WASTE_STREAMS):
        plant = next(
            spot
            for spot, kind in zip(facilities, FACILITY_TYPES, strict=True)
            if stream in kind.waste_streams
        )
        unload_s = next(k.unload_s for k in FACILITY_TYPES if stream in k.waste_streams)
        needed = 1
        for weekday in range(ROUND_DAYS):
            day = (containers.stream_codes == code) & (days == weekday)
            if not day.any():
                continue
            middle = SitePlace(float(x[day].mean()), float(y[day].mean()))
            litres = float(held[day].sum())
            work = RoundDay(
                bins=int(day.sum()),
                litres=litres,
                kg=weight_kg(stream, litres),
                area_m2=math.pi * radius_m**2 / ROUND_DAYS,
                depot_m=min(_distance(middle, depot) for depot in depots),
                facility_m=_distance(middle, plant),
                unload_s=unload_s,
            )
            needed = max(needed, vehicles_needed(KIND_OF_STREAM[stream], work))
        sizes[stream] = needed
    return sizes


def _distance(a: SitePlace, b: SitePlace) -> float:
    return math.hypot(a.x - b.x, a.y - b.y)


def round_weekdays(
    x: NDArray[np.float64], y: NDArray[np.float64], stream_codes: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Each bin's weekday (0 to 4) in the fixed round: five wedges around the centre, one a
    day, cut per stream at its bins' bearings so each weekday gets a fifth of the stream's
    bins (to one bin)."""
    weekdays = np.zeros(len(x), dtype=np.int64)
    bearings = np.arctan2(y, x)
    for code in np.unique(stream_codes):
        members = np.flatnonzero(stream_codes == code)
        order = members[np.argsort(bearings[members], kind="stable")]
        weekdays[order] = np.arange(len(order)) * ROUND_DAYS // len(order)
    return weekdays
