"""A synthetic city: bins with sensors along plausible streets, depots, plants, a fleet by type.

`generate_city` is seeded and reproducible: the same arguments give the same city. A city is
immutable and validated; `City.save` and `City.load` write and read it as JSON, exactly, and
files written before a field was added still load (new fields have defaults).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import time
from functools import cached_property
from pathlib import Path

import numpy as np
import orjson

from curbside.geometry import BinGeometry
from simulators.containers import SENSORS, WASTE_STREAMS, draw_containers
from simulators.devices import (
    DEV_EUI,
    LORAWAN_UPLINKS,
    UPLINKS,
    FormatMix,
    battery_levels,
    device_traits,
)
from simulators.fleet import KIND_OF_STREAM, VEHICLE_KINDS, fleet_sizes, round_weekdays
from simulators.jsondata import decode
from simulators.sites import (
    FACILITY_TYPES,
    SitePlace,
    depot_count,
    depot_name,
    depot_places,
    facility_places,
    industrial_bearing,
)
from simulators.streets import places_along, street_network, to_lat_lon, to_lat_lon_many

GHENT = (51.0543, 3.7174)
"""Default centre: the Korenmarkt in Ghent, Belgium."""
FORMAT = "curbside-city/1"
CANONICAL_MODEL = "canonical-json"
HOUSEHOLD_STREAMS = frozenset({"residual", "bio", "paper", "packaging"})


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

    @property
    def schedule(self) -> str:
        """ "calendar" for a household wheelie bin (up to 240 l of residual, bio, paper or
        packaging), whose owners are promised a weekday; "need" for containers, glass banks
        and litter bins, collected when their sensors say so."""
        household = self.waste_stream in HOUSEHOLD_STREAMS and self.volume_l <= 240
        return "calendar" if household else "need"

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
    uplink: str = "canonical"
    """How it reaches the broker (`devices.UPLINKS`): canonical JSON on Curbside's topic, or
    its hardware's bytes through The Things Stack v3 ("tts") or ChirpStack v4 ("chirpstack")."""
    dev_eui: str | None = None
    """LoRaWAN DevEUI, 16 lower-case hex digits; LoRaWAN devices only."""
    report_offset_s: int = 0
    """Its phase: it reports at `report_offset_s` past every multiple of its interval since
    the Unix epoch, so that a city's devices do not all report in the same second."""

    def __post_init__(self) -> None:
        _check_id("device", self.id)
        _check_id(f"{self.id}: bin", self.bin_id)
        if self.hardware not in SENSORS:
            raise ValueError(f"{self.id}: unknown sensor hardware {self.hardware!r}")
        if self.report_interval_s <= 0:
            raise ValueError(f"{self.id}: report_interval_s must be > 0")
        _check_range(self.id, "battery_pct", self.battery_pct, 0, 100)
        if self.uplink not in UPLINKS:
            raise ValueError(f"{self.id}: unknown uplink {self.uplink!r}; known: {UPLINKS}")
        if self.uplink in LORAWAN_UPLINKS:
            if self.dev_eui is None or not DEV_EUI.match(self.dev_eui):
                raise ValueError(f"{self.id}: a LoRaWAN device needs a dev_eui of 16 hex digits")
            if self.sensor_model != self.hardware:
                raise ValueError(f"{self.id}: a LoRaWAN device is registered as its hardware")
        elif self.dev_eui is not None:
            raise ValueError(f"{self.id}: only LoRaWAN devices have a dev_eui")
        if not 0 <= self.report_offset_s < self.report_interval_s:
            raise ValueError(f"{self.id}: report_offset_s must be within [0, report_interval_s)")


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
    """A collection vehicle based at a depot; no waste streams means it takes every stream.

    `kind` names its type in `fleet.VEHICLE_KINDS` (rear loader, crane truck, litter van), or
    is None for a vehicle of no particular type (city files from before vehicle types)."""

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
    kind: str | None = None

    def __post_init__(self) -> None:
        _check_id("vehicle", self.id)
        _check_id(f"{self.id}: depot", self.depot_id)
        _check_range(self.id, "capacity_l", self.capacity_l, 1e-9, math.inf)
        _check_range(self.id, "capacity_kg", self.capacity_kg, 1e-9, math.inf)
        _check_range(self.id, "cost_per_km", self.cost_per_km, 0, math.inf)
        _check_range(self.id, "cost_per_hour", self.cost_per_hour, 0, math.inf)
        _check_streams(self.id, self.waste_streams)
        if self.kind is not None:
            if self.kind not in VEHICLE_KINDS:
                raise ValueError(f"{self.id}: unknown vehicle kind {self.kind!r}")
            takes = VEHICLE_KINDS[self.kind].waste_streams
            if not self.waste_streams or not set(self.waste_streams) <= set(takes):
                raise ValueError(
                    f"{self.id}: a {self.kind} takes only {', '.join(takes)}, got"
                    f" {self.waste_streams!r}"
                )


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
        return self.bins[self.bin_index(bin_id)]

    def bin_index(self, bin_id: str) -> int:
        """The position of the bin with this id in `bins`; KeyError when there is none."""
        return self._bin_positions[bin_id]

    @cached_property
    def _bin_positions(self) -> dict[str, int]:
        return {b.id: n for n, b in enumerate(self.bins)}

    def save(self, path: Path) -> None:
        """Write the city as JSON."""
        document = {"format": FORMAT}
        document.update({f.name: getattr(self, f.name) for f in dataclasses.fields(self)})
        path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")

    @classmethod
    def load(cls, path: Path) -> City:
        """Read a city written by `save`; raise ValueError when the file is not one."""
        try:
            document = orjson.loads(path.read_bytes())
            if not isinstance(document, dict) or document.pop("format", None) != FORMAT:
                raise ValueError(f"not a {FORMAT} document")
            return decode(cls, document)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ValueError(f"{path}: cannot read city: {exc}") from exc


def generate_city(
    bins: int, seed: int, centre: tuple[float, float] = GHENT, radius_m: float = 2500.0
) -> City:
    """A city of `bins` bins along streets within `radius_m` of the centre, one sensor each.

    Depots (one per 25,000 bins), one disposal plant per stream family, and a fleet by type
    sized for the fixed weekly round (`simulators.fleet`). Streets, bins, devices and sites
    each draw from their own stream of the seed. The same arguments give the same city.
    """
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ValueError(f"bins must be a positive integer, got {bins!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    _check_point("centre", *centre)
    streets_rng, bins_rng, devices_rng, sites_rng = (
        np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(4)
    )
    streets = street_network(streets_rng, radius_m)
    places = places_along(streets, bins_rng, bins)
    containers = draw_containers(bins_rng, bins)
    initial = np.round(bins_rng.uniform(0.0, 70.0, bins), 1).tolist()
    weekdays = round_weekdays(places.x, places.y, containers.stream_codes).tolist()
    lats, lons = (np.round(v, 7).tolist() for v in to_lat_lon_many(centre, places.x, places.y))
    volumes, rates = containers.volume_l.tolist(), containers.fill_rate_pct_per_day.tolist()
    empty, full = containers.empty_distance_mm.tolist(), containers.full_distance_mm.tolist()
    blind, codes = containers.blind_zone_mm.tolist(), containers.stream_codes.tolist()
    width = max(4, len(str(bins)))
    sim_bins = tuple(
        SimBin(
            id=f"bin-{n + 1:0{width}d}",
            lat=lats[n],
            lon=lons[n],
            address=places.addresses[n],
            waste_stream=WASTE_STREAMS[codes[n]],
            volume_l=volumes[n],
            empty_distance_mm=empty[n],
            full_distance_mm=full[n],
            blind_zone_mm=blind[n],
            fill_rate_pct_per_day=rates[n],
            initial_fill_pct=initial[n],
            round_weekday=weekdays[n],
        )
        for n in range(bins)
    )
    devices = _devices(devices_rng, sim_bins, containers.sensor_models, width, seed)

    bearing = industrial_bearing(sites_rng)
    facility_spots = facility_places(sites_rng, radius_m, bearing)
    depot_spots = depot_places(sites_rng, depot_count(bins), radius_m, bearing)
    depots = tuple(
        SimDepot(f"depot-{n}", depot_name(spot, len(depot_spots)), *_lat_lon(centre, spot))
        for n, spot in enumerate(depot_spots, start=1)
    )
    facilities = tuple(
        SimFacility(
            id=f"facility-{kind.key}",
            name=kind.name,
            lat=lat,
            lon=lon,
            opens_at=kind.opens_at,
            closes_at=kind.closes_at,
            unload_s=kind.unload_s,
            waste_streams=kind.waste_streams,
        )
        for kind, (lat, lon) in zip(
            FACILITY_TYPES, (_lat_lon(centre, s) for s in facility_spots), strict=True
        )
    )
    fleet = fleet_sizes(
        places.x, places.y, containers, weekdays, radius_m, depot_spots, facility_spots
    )
    vehicles = tuple(
        _vehicle(stream, k, depots) for stream in WASTE_STREAMS for k in range(1, fleet[stream] + 1)
    )
    return City(
        seed=seed,
        centre=centre,
        bins=sim_bins,
        devices=devices,
        depots=depots,
        facilities=facilities,
        vehicles=vehicles,
    )


def _devices(
    rng: np.random.Generator,
    bins: tuple[SimBin, ...],
    hardware: tuple[str, ...],
    width: int,
    seed: int,
) -> tuple[SimDevice, ...]:
    """One device per bin, of the hardware its container takes, its battery part used, its
    uplink format, ids and phase drawn from the seed (`simulators.devices`)."""
    batteries = battery_levels(rng, len(bins))
    devices = []
    for n, b in enumerate(bins):
        traits = device_traits(n + 1, hardware[n], seed, FormatMix())
        lorawan = traits.uplink in LORAWAN_UPLINKS
        devices.append(
            SimDevice(
                id=f"dev-{n + 1:0{width}d}",
                bin_id=b.id,
                sensor_model=hardware[n] if lorawan else CANONICAL_MODEL,
                hardware=hardware[n],
                report_interval_s=traits.report_interval_s,
                battery_pct=batteries[n],
                uplink=traits.uplink,
                dev_eui=traits.dev_eui,
                report_offset_s=traits.report_offset_s,
            )
        )
    return tuple(devices)


def _vehicle(stream: str, number: int, depots: tuple[SimDepot, ...]) -> SimVehicle:
    """The `number`th vehicle of a stream, of the kind that collects it, from the depots in
    turn."""
    kind = KIND_OF_STREAM[stream]
    return SimVehicle(
        id=f"{kind.id_prefix}-{stream}-{number:02d}",
        depot_id=depots[(number - 1) % len(depots)].id,
        capacity_l=kind.capacity_l,
        capacity_kg=kind.capacity_kg,
        cost_per_km=kind.cost_per_km,
        cost_per_hour=kind.cost_per_hour,
        waste_streams=(stream,),
        kind=kind.name,
    )


def _lat_lon(centre: tuple[float, float], spot: SitePlace) -> tuple[float, float]:
    lat, lon = to_lat_lon(centre, spot.x, spot.y)
    return round(lat, 7), round(lon, 7)
