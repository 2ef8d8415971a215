"""A synthetic city: bins with sensors along plausible streets, a depot, a disposal site, a fleet.

`generate_city` is seeded and reproducible: the same arguments give the same city. A city is
immutable and validated; `City.save` and `City.load` write and read it as JSON, exactly.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

import numpy as np

from curbside.geometry import BinGeometry
from simulators.containers import SENSORS, WASTE_STREAMS, draw_container
from simulators.streets import place_along, street_network, to_lat_lon

GHENT = (51.0543, 3.7174)
"""Default centre: the Korenmarkt in Ghent, Belgium."""
FORMAT = "curbside-city/1"
BINS_PER_VEHICLE = 40
CANONICAL_MODEL = "canonical-json"

T = TypeVar("T")


def _check_id(kind: str, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{kind} id must be a non-empty string, got {value!r}")


def _check_point(owner: str, lat: float, lon: float) -> None:
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        raise ValueError(f"{owner}: lat must be within [-90, 90], got {lat!r}")
    if not (math.isfinite(lon) and -180 <= lon <= 180):
        raise ValueError(f"{owner}: lon must be within [-180, 180], got {lon!r}")


def _check_range(owner: str, name: str, value: float, low: float, high: float) -> None:
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"{owner}: {name} must be within [{low:g}, {high:g}], got {value!r}")


def _check_streams(owner: str, streams: tuple[str, ...]) -> None:
    if not isinstance(streams, tuple) or not set(streams) <= set(WASTE_STREAMS):
        raise ValueError(f"{owner}: waste_streams must be a tuple of known streams: {streams!r}")


@dataclass(frozen=True)
class SimBin:
    """A bin or container at an address, with its sensor geometry and how it fills."""

    id: str
    lat: float
    lon: float
    address: str
    waste_stream: str
    volume_l: float
    empty_distance_mm: int
    full_distance_mm: int
    blind_zone_mm: int
    fill_rate_pct_per_day: float
    initial_fill_pct: float
    """Fill level at the start of a simulation."""
    round_weekday: int = 0
    """The weekday of the bin's fixed weekly round (0 Monday to 4 Friday)."""

    @property
    def geometry(self) -> BinGeometry:
        return BinGeometry(self.empty_distance_mm, self.full_distance_mm, self.blind_zone_mm)

    def __post_init__(self) -> None:
        _check_id("bin", self.id)
        _check_point(self.id, self.lat, self.lon)
        if self.waste_stream not in WASTE_STREAMS:
            raise ValueError(f"{self.id}: unknown waste stream {self.waste_stream!r}")
        _check_range(self.id, "volume_l", self.volume_l, 1e-9, math.inf)
        if not 0 <= self.full_distance_mm < self.empty_distance_mm:
            raise ValueError(
                f"{self.id}: need 0 <= full distance < empty distance, got "
                f"{self.full_distance_mm} and {self.empty_distance_mm}"
            )
        if self.blind_zone_mm < 0:
            raise ValueError(f"{self.id}: blind_zone_mm must be >= 0, got {self.blind_zone_mm}")
        _check_range(self.id, "fill_rate_pct_per_day", self.fill_rate_pct_per_day, 0, math.inf)
        _check_range(self.id, "initial_fill_pct", self.initial_fill_pct, 0, 100)
        if self.round_weekday not in range(5):
            raise ValueError(f"{self.id}: round_weekday must be 0 to 4, got {self.round_weekday!r}")


@dataclass(frozen=True)
class SimDevice:
    """A level sensor in a bin: the payload format it speaks and the hardware it stands for."""

    id: str
    bin_id: str
    sensor_model: str = CANONICAL_MODEL
    """Payload format, as in the devices table: the ingest decodes by it."""
    hardware: str = "em310-udl"
    """The physical sensor simulated (a key of `containers.SENSORS`)."""
    report_interval_s: int = 3600
    battery_pct: float = 100.0
    """Battery level at the start of a simulation."""

    def __post_init__(self) -> None:
        _check_id("device", self.id)
        _check_id(f"{self.id}: bin", self.bin_id)
        if self.hardware not in SENSORS:
            raise ValueError(f"{self.id}: unknown sensor hardware {self.hardware!r}")
        if self.report_interval_s <= 0:
            raise ValueError(f"{self.id}: report_interval_s must be > 0")
        _check_range(self.id, "battery_pct", self.battery_pct, 0, 100)


@dataclass(frozen=True)
class SimDepot:
    id: str
    name: str
    lat: float
    lon: float

    def __post_init__(self) -> None:
        _check_id("depot", self.id)
        _check_point(self.id, self.lat, self.lon)


@dataclass(frozen=True)
class SimFacility:
    """A disposal facility where vehicles unload, with its opening hours."""

    id: str
    name: str
    lat: float
    lon: float
    opens_at: time = time(6)
    closes_at: time = time(18)
    unload_s: int = 900
    waste_streams: tuple[str, ...] = WASTE_STREAMS

    def __post_init__(self) -> None:
        _check_id("facility", self.id)
        _check_point(self.id, self.lat, self.lon)
        if not self.opens_at < self.closes_at:
            raise ValueError(f"{self.id}: must open before it closes")
        if self.unload_s < 0:
            raise ValueError(f"{self.id}: unload_s must be >= 0, got {self.unload_s}")
        _check_streams(self.id, self.waste_streams)


@dataclass(frozen=True)
class SimVehicle:
    """A collection vehicle based at a depot; no waste streams means it takes every stream."""

    id: str
    depot_id: str
    capacity_l: float = 20_000.0
    """Bin contents (litres as they stand in the bins) one compacted load takes."""
    capacity_kg: float = 10_000.0
    shift_start: time = time(6)
    shift_end: time = time(14)
    cost_per_km: float = 1.0
    cost_per_hour: float = 40.0
    waste_streams: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_id("vehicle", self.id)
        _check_id(f"{self.id}: depot", self.depot_id)
        _check_range(self.id, "capacity_l", self.capacity_l, 1e-9, math.inf)
        _check_range(self.id, "capacity_kg", self.capacity_kg, 1e-9, math.inf)
        _check_range(self.id, "cost_per_km", self.cost_per_km, 0, math.inf)
        _check_range(self.id, "cost_per_hour", self.cost_per_hour, 0, math.inf)
        _check_streams(self.id, self.waste_streams)


@dataclass(frozen=True)
class City:
    """Everything a simulation plays with; ids are unique and references resolve."""

    seed: int
    centre: tuple[float, float]
    bins: tuple[SimBin, ...]
    devices: tuple[SimDevice, ...]
    depots: tuple[SimDepot, ...]
    facilities: tuple[SimFacility, ...]
    vehicles: tuple[SimVehicle, ...]

    def __post_init__(self) -> None:
        _check_point("centre", *self.centre)
        for kind in ("bins", "devices", "depots", "facilities", "vehicles"):
            items = getattr(self, kind)
            if not isinstance(items, tuple):
                raise ValueError(f"city {kind} must be a tuple")
            ids = [item.id for item in items]
            if len(set(ids)) != len(ids):
                raise ValueError(f"city {kind} have duplicate ids")
        bin_ids = {b.id for b in self.bins}
        for device in self.devices:
            if device.bin_id not in bin_ids:
                raise ValueError(f"{device.id}: unknown bin {device.bin_id!r}")
        depot_ids = {d.id for d in self.depots}
        for vehicle in self.vehicles:
            if vehicle.depot_id not in depot_ids:
                raise ValueError(f"{vehicle.id}: unknown depot {vehicle.depot_id!r}")

    def bin(self, bin_id: str) -> SimBin:
        """The bin with this id; KeyError when there is none."""
        for candidate in self.bins:
            if candidate.id == bin_id:
                return candidate
        raise KeyError(bin_id)

    def save(self, path: Path) -> None:
        """Write the city as JSON."""
        document = {"format": FORMAT, **dataclasses.asdict(self)}
        path.write_text(json.dumps(document, indent=2, default=_encode) + "\n")

    @classmethod
    def load(cls, path: Path) -> City:
        """Read a city written by `save`; raise ValueError when the file is not one."""
        try:
            document = json.loads(path.read_text())
            if document.pop("format", None) != FORMAT:
                raise ValueError(f"not a {FORMAT} document")
            return _decode(cls, document)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ValueError(f"{path}: cannot read city: {exc}") from exc


def generate_city(
    bins: int, seed: int, centre: tuple[float, float] = GHENT, radius_m: float = 2500.0
) -> City:
    """A city of `bins` bins along streets within `radius_m` of the centre, one sensor each.

    One depot, one disposal facility taking every stream, and ceil(bins / 40) rear loaders
    (at least two). The same arguments give the same city.
    """
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ValueError(f"bins must be a positive integer, got {bins!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    _check_point("centre", *centre)
    rng = np.random.default_rng(seed)
    streets = street_network(rng, radius_m)
    width = max(4, len(str(bins)))

    sim_bins, devices = [], []
    for n in range(1, bins + 1):
        place = place_along(streets, rng)
        container = draw_container(rng)
        lat, lon = to_lat_lon(centre, place.x, place.y)
        bin_id = f"bin-{n:0{width}d}"
        sim_bins.append(
            SimBin(
                id=bin_id,
                lat=round(lat, 7),
                lon=round(lon, 7),
                address=place.address,
                waste_stream=container.waste_stream,
                volume_l=container.volume_l,
                empty_distance_mm=container.empty_distance_mm,
                full_distance_mm=container.full_distance_mm,
                blind_zone_mm=container.sensor.blind_zone_mm,
                fill_rate_pct_per_day=container.fill_rate_pct_per_day,
                initial_fill_pct=round(rng.uniform(0.0, 70.0), 1),
                round_weekday=_round_weekday(place.x, place.y),
            )
        )
        devices.append(
            SimDevice(
                id=f"dev-{n:0{width}d}",
                bin_id=bin_id,
                hardware=container.sensor.model,
                battery_pct=round(rng.uniform(55.0, 100.0), 1),
            )
        )

    depot_angle = rng.uniform(0, 2 * math.pi)
    facility_angle = depot_angle + math.pi + rng.uniform(-0.8, 0.8)
    depot_lat, depot_lon = _at_bearing(centre, 0.85 * radius_m, depot_angle)
    facility_lat, facility_lon = _at_bearing(centre, 1.1 * radius_m, facility_angle)
    depot = SimDepot("depot-1", "Central depot", depot_lat, depot_lon)
    facility = SimFacility("facility-1", "Recycling centre", facility_lat, facility_lon)
    fleet = max(2, math.ceil(bins / BINS_PER_VEHICLE))
    vehicles = tuple(SimVehicle(f"truck-{n:02d}", depot.id) for n in range(1, fleet + 1))
    return City(
        seed=seed,
        centre=centre,
        bins=tuple(sim_bins),
        devices=tuple(devices),
        depots=(depot,),
        facilities=(facility,),
        vehicles=vehicles,
    )


def _round_weekday(x: float, y: float) -> int:
    """The weekday of the fixed round at a place: five sectors around the centre, one a day."""
    return int((math.atan2(y, x) + math.pi) / (2 * math.pi) * 5) % 5


def _at_bearing(
    centre: tuple[float, float], distance_m: float, angle: float
) -> tuple[float, float]:
    lat, lon = to_lat_lon(centre, distance_m * math.cos(angle), distance_m * math.sin(angle))
    return round(lat, 7), round(lon, 7)


def _encode(value: Any) -> Any:
    if isinstance(value, time):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to a city file")


def _decode(cls: type[T], data: Any) -> T:
    """Rebuild a (nested) dataclass from what `save` wrote, by its type hints."""
    if not isinstance(data, dict):
        raise TypeError(f"expected an object for {cls.__name__}, got {type(data).__name__}")
    hints = get_type_hints(cls)
    unknown = sorted(set(data) - set(hints))
    if unknown:
        raise TypeError(f"unknown fields for {cls.__name__}: {', '.join(unknown)}")
    return cls(**{name: _value(hints[name], value) for name, value in data.items()})


def _value(hint: Any, value: Any) -> Any:
    if hint is time:
        return time.fromisoformat(value)
    if dataclasses.is_dataclass(hint):
        return _decode(hint, value)  # type: ignore[arg-type]
    if getattr(hint, "__origin__", None) is tuple:
        args = hint.__args__
        item_hints = [args[0]] * len(value) if args[-1] is Ellipsis else list(args)
        if len(item_hints) != len(value):
            raise TypeError(f"expected {len(item_hints)} items, got {len(value)}")
        return tuple(_value(h, v) for h, v in zip(item_hints, value, strict=True))
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value
