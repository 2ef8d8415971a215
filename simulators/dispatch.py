"""A policy's selection as the day's routing problem, the same way for every policy.

Conventions follow `optimizer.load_problem`: a stop's demand is its expected level times its
volume in litres, and in kilograms by its stream's density (`optimizer.weight_kg`); every
depot, vehicle and disposal facility of the city takes part, with shifts and opening hours
as times of the day (a shift ending at or before its start ends the next day). The expected
level is the morning reading plus the estimated rate until the middle of the shifts.

A truck collects **one waste stream a day** (`one_stream_per_truck`): a rear loader cannot
mix residual waste with paper, and each load must go to a facility that takes it. Trucks
are shared among the day's streams by workload (`assign_streams`): the most specialised
trucks first, then each to the stream that has the most work left per truck.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time

from optimizer import Depot, Facility, Problem, Stop, TravelModel, Vehicle, weight_kg
from simulators.city import City, SimVehicle
from simulators.containers import WASTE_STREAMS
from simulators.fleet import VEHICLE_KINDS
from simulators.policies import DayView, Selection
from simulators.twin import DAY_S, midnight

DEFAULT_SERVICE_S = 60
"""Time to empty a bin when nothing else says (the planner's `CURBSIDE_SERVICE_S`)."""


@dataclass(frozen=True)
class DispatchParams:
    """How a selection becomes a routing problem."""

    service_s: int | None = None
    """Time to empty one bin; None: the service time of the vehicle kind taking its stream
    (`simulators.fleet`: 60 s for a rear loader, 240 s for a crane truck, 45 s for a litter
    van), or `DEFAULT_SERVICE_S` for a vehicle of no kind."""
    travel: TravelModel = field(default_factory=TravelModel)
    """Great-circle distance times a detour factor, at an average speed (the planner's)."""
    one_stream_per_truck: bool = True
    """Each truck collects one stream a day; False: the streams the city lets it mix."""
    hop_s: int = 90
    """Workload estimate: driving from one bin to the next."""
    trip_s: int = 2400
    """Workload estimate: a disposal trip (drive to the facility and back, unload)."""

    def __post_init__(self) -> None:
        for name in ("service_s", "hop_s", "trip_s"):
            value = getattr(self, name)
            if name == "service_s" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number of seconds >= 0, got {value!r}")


def day_problem(city: City, view: DayView, selection: Selection, params: DispatchParams) -> Problem:
    """The routing problem of the view's day for the selected bins."""
    vehicles = city.vehicles
    mid_shift_s = sum(_seconds(v.shift_start) + shift_end_s(v) for v in vehicles) / (
        2 * max(len(vehicles), 1)
    )
    level = view.predicted_pct(view.day, mid_shift_s).clip(0.0, 100.0)
    optional = dict(selection.optional)
    prizes = {index: 0.0 for index in selection.required} | optional
    stops = []
    service_s = _service_times(vehicles, params)
    for index, prize in sorted(prizes.items()):
        b = city.bins[index]
        litres = round(b.volume_l * float(level[index]) / 100.0, 1)
        stops.append(
            Stop(
                id=b.id,
                lat=b.lat,
                lon=b.lon,
                demand_l=litres,
                service_s=service_s.get(b.waste_stream, DEFAULT_SERVICE_S),
                expected_fill_pct=round(float(level[index]), 1),
                waste_stream=b.waste_stream,
                required=index not in optional,
                prize=prize,
                demand_kg=round(weight_kg(b.waste_stream, litres), 1),
            )
        )
    if params.one_stream_per_truck:
        streams = assign_streams(vehicles, _workload(stops, vehicles, params))
    else:
        streams = [frozenset(v.waste_streams) for v in vehicles]
    return Problem(
        day_start=midnight(view.day),
        depots=tuple(Depot(d.id, d.lat, d.lon) for d in city.depots),
        vehicles=tuple(_vehicle(v, s) for v, s in zip(vehicles, streams, strict=True)),
        stops=tuple(stops),
        facilities=tuple(
            Facility(
                f.id,
                f.lat,
                f.lon,
                opens_s=_seconds(f.opens_at),
                closes_s=_end_s(f.opens_at, f.closes_at),
                unload_s=f.unload_s,
                waste_streams=frozenset(f.waste_streams),
            )
            for f in city.facilities
        ),
        travel=params.travel,
    )


def assign_streams(
    vehicles: Sequence[SimVehicle], work_s: Mapping[str, float]
) -> list[frozenset[str]]:
    """One stream per vehicle (in `vehicles` order), sharing the fleet by workload.

    Vehicles taking fewer streams choose first; each takes, among its streams with work, the
    one with the most work per second of shift already given to it. A vehicle none of whose
    streams has work keeps its first one (it stays home).
    """
    given = {stream: 0.0 for stream in work_s}
    chosen: dict[int, frozenset[str]] = {}
    order = sorted(range(len(vehicles)), key=lambda i: len(_takes(vehicles[i])))
    for i in order:
        vehicle = vehicles[i]
        candidates = [s for s in _takes(vehicle) if work_s.get(s, 0.0) > 0]
        if not candidates:
            chosen[i] = frozenset({_takes(vehicle)[0]})
            continue
        shift = shift_end_s(vehicle) - _seconds(vehicle.shift_start)
        best = max(candidates, key=lambda s: work_s[s] / (given[s] + shift))
        given[best] += shift
        chosen[i] = frozenset({best})
    return [chosen[i] for i in range(len(vehicles))]


def _service_times(vehicles: Sequence[SimVehicle], params: DispatchParams) -> dict[str, int]:
    """Seconds to empty a bin of each stream."""
    if params.service_s is not None:
        return dict.fromkeys(WASTE_STREAMS, params.service_s)
    times: dict[str, int] = {}
    for vehicle in vehicles:
        if vehicle.kind is not None:
            for stream in _takes(vehicle):
                times.setdefault(stream, VEHICLE_KINDS[vehicle.kind].service_s)
    return times


def _takes(vehicle: SimVehicle) -> tuple[str, ...]:
    return vehicle.waste_streams or WASTE_STREAMS


def _workload(
    stops: Sequence[Stop], vehicles: Sequence[SimVehicle], params: DispatchParams
) -> dict[str, float]:
    """Seconds of work per stream: emptying and driving between bins, and disposal trips."""
    capacity = sum(v.capacity_l for v in vehicles) / max(len(vehicles), 1)
    work: dict[str, float] = {}
    litres: dict[str, float] = {}
    for stop in stops:
        stream = stop.waste_stream or ""
        work[stream] = work.get(stream, 0.0) + stop.service_s + params.hop_s
        litres[stream] = litres.get(stream, 0.0) + stop.demand_l
    for stream, volume in litres.items():
        work[stream] += math.ceil(volume / capacity) * params.trip_s
    return work


def _vehicle(vehicle: SimVehicle, streams: frozenset[str]) -> Vehicle:
    return Vehicle(
        id=vehicle.id,
        capacity_l=vehicle.capacity_l,
        shift_start_s=_seconds(vehicle.shift_start),
        shift_end_s=shift_end_s(vehicle),
        cost_per_km=vehicle.cost_per_km,
        cost_per_hour=vehicle.cost_per_hour,
        waste_streams=streams,
        capacity_kg=vehicle.capacity_kg,
        start_depot=vehicle.depot_id,
    )


def _seconds(value: time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def _end_s(start: time, end: time) -> int:
    """The end of a shift or of opening hours; at or before its start: the next day."""
    start_s, end_s = _seconds(start), _seconds(end)
    return end_s + DAY_S if end_s <= start_s else end_s


def shift_end_s(vehicle: SimVehicle) -> int:
    """When a vehicle's shift ends, in seconds after the midnight it started from."""
    return _end_s(vehicle.shift_start, vehicle.shift_end)
