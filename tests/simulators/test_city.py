"""Tests of simulators/city.py: the seeded city generator, validation, the JSON file."""

import dataclasses
import itertools
import json
import math
from collections import Counter
from datetime import time
from pathlib import Path
from typing import Any

import pytest

from simulators import (
    GHENT,
    KIND_OF_STREAM,
    VEHICLE_KINDS,
    WASTE_STREAMS,
    City,
    SimBin,
    SimDevice,
    SimVehicle,
    generate_city,
)
from simulators.containers import CONTAINERS, SENSORS, STREAMS
from simulators.streets import haversine_m

CITY = generate_city(bins=120, seed=11)
LARGE = generate_city(bins=20_000, seed=2)


def test_same_seed_same_city() -> None:
    """Generating twice with the same arguments gives equal cities."""
    assert generate_city(bins=120, seed=11) == CITY


def test_different_seed_different_city() -> None:
    """Another seed moves the bins and changes their mix."""
    other = generate_city(bins=120, seed=12)
    assert other != CITY
    assert [b.lat for b in other.bins] != [b.lat for b in CITY.bins]


def test_bins_stand_within_the_radius_of_the_centre() -> None:
    """Every bin is within the radius (plus its offset from the street) of the centre."""
    distances = [haversine_m(GHENT, (b.lat, b.lon)) for b in CITY.bins]
    assert max(distances) <= 2500 + 15
    assert min(distances) < 1500, "bins should not all sit at the edge"


def test_a_custom_centre_and_radius_are_honoured() -> None:
    """A city elsewhere is built around its own centre, within its own radius."""
    city = generate_city(bins=50, seed=1, centre=(48.8566, 2.3522), radius_m=1000)
    assert all(haversine_m((48.8566, 2.3522), (b.lat, b.lon)) <= 1015 for b in city.bins)


def test_streams_and_volumes_are_plausible() -> None:
    """Streams are known, volumes are standard sizes, and the mix is not degenerate."""
    assert {b.waste_stream for b in CITY.bins} <= set(WASTE_STREAMS)
    assert len({b.waste_stream for b in CITY.bins}) >= 4
    assert {b.volume_l for b in CITY.bins} <= {float(v) for v in CONTAINERS}
    for b in CITY.bins:
        if b.waste_stream == "glass":
            assert b.volume_l == 3000
        if b.waste_stream == "litter":
            assert b.volume_l == 100


def test_sensor_geometry_fits_the_container_and_the_sensor() -> None:
    """The full mark lies below the blind zone of the bin's sensor and above the bottom."""
    devices = {d.bin_id: d for d in CITY.devices}
    for b in CITY.bins:
        sensor = SENSORS[devices[b.id].hardware]
        assert b.blind_zone_mm == sensor.blind_zone_mm
        assert b.blind_zone_mm < b.full_distance_mm < b.empty_distance_mm
        assert b.empty_distance_mm - b.full_distance_mm >= 300


def test_fill_rates_are_spread_with_a_few_fast_bins() -> None:
    """Fill rates are positive, mostly moderate, with some bins filling much faster."""
    rates = sorted(b.fill_rate_pct_per_day for b in CITY.bins)
    assert rates[0] > 0
    median = rates[len(rates) // 2]
    assert 3 < median < 30
    assert rates[-1] > 2.5 * median
    assert all(0 <= b.initial_fill_pct <= 100 for b in CITY.bins)


def test_one_device_per_bin() -> None:
    """Each bin has one device of a known sensor, numbered like its bin."""
    assert sorted(d.bin_id for d in CITY.devices) == sorted(b.id for b in CITY.bins)
    assert {d.hardware for d in CITY.devices} <= set(SENSORS)
    assert CITY.bins[0].id == "bin-0001"
    assert CITY.devices[0].id == "dev-0001"


def test_a_city_of_one_bin() -> None:
    """The smallest city has its bin, its device, a depot, every plant and every vehicle kind."""
    city = generate_city(bins=1, seed=3)
    assert len(city.bins) == len(city.devices) == len(city.depots) == 1
    assert {v.kind for v in city.vehicles} == set(VEHICLE_KINDS)
    assert city.bins[0].round_weekday in range(5)


def test_every_stream_has_a_plant_and_vehicles_that_take_it() -> None:
    """For each stream a facility accepts it and vehicles of the kind that collects it exist."""
    for city in (CITY, generate_city(bins=1, seed=1), LARGE):
        for stream in WASTE_STREAMS:
            assert any(stream in f.waste_streams for f in city.facilities), stream
            takers = [v for v in city.vehicles if v.waste_streams == (stream,)]
            assert takers, stream
            assert {v.kind for v in takers} == {KIND_OF_STREAM[stream].name}
            assert stream in VEHICLE_KINDS[KIND_OF_STREAM[stream].name].waste_streams


def test_plants_by_stream_with_opening_hours() -> None:
    """Four plants split the streams between them, each open for hours and slow to unload."""
    streams = [s for f in CITY.facilities for s in f.waste_streams]
    assert sorted(streams) == sorted(WASTE_STREAMS)
    names = {f.name for f in CITY.facilities}
    assert names == {
        "Waste-to-energy plant",
        "Composting site",
        "Recycling centre",
        "Glass recycler",
    }
    for facility in CITY.facilities:
        assert facility.opens_at <= time(7)
        assert facility.closes_at >= time(16)
        assert 300 <= facility.unload_s <= 1800


def test_the_fleet_has_a_kind_per_stream_on_8_hour_shifts() -> None:
    """Vehicles carry their kind's capacity and one of its streams, on 06:00-14:00 shifts."""
    for vehicle in LARGE.vehicles:
        assert vehicle.kind is not None
        kind = VEHICLE_KINDS[vehicle.kind]
        assert len(vehicle.waste_streams) == 1
        assert set(vehicle.waste_streams) <= set(kind.waste_streams)
        assert (vehicle.capacity_l, vehicle.capacity_kg) == (kind.capacity_l, kind.capacity_kg)
        assert (vehicle.shift_start, vehicle.shift_end) == (time(6), time(14))
    per_stream = Counter(v.waste_streams[0] for v in LARGE.vehicles)
    small = Counter(v.waste_streams[0] for v in CITY.vehicles)
    assert all(small[s] == 1 for s in WASTE_STREAMS)
    assert all(per_stream[s] >= small[s] for s in WASTE_STREAMS)
    assert sum(per_stream.values()) > sum(small.values())
    assert {v.depot_id for v in CITY.vehicles} == {CITY.depots[0].id}


def test_depots_grow_with_the_city() -> None:
    """One depot up to 25,000 bins, two beyond, vehicles spread over them."""
    assert len(LARGE.depots) == 1
    city = generate_city(bins=25_001, seed=4)
    assert [d.id for d in city.depots] == ["depot-1", "depot-2"]
    assert {v.depot_id for v in city.vehicles} == {"depot-1", "depot-2"}
    assert haversine_m(*((d.lat, d.lon) for d in city.depots)) > 2500


def test_round_weekdays_are_balanced_per_stream() -> None:
    """Each weekday gets a fifth of each stream's bins, to one bin."""
    for stream in WASTE_STREAMS:
        days = Counter(b.round_weekday for b in LARGE.bins if b.waste_stream == stream)
        assert set(days) == set(range(5))
        assert max(days.values()) - min(days.values()) <= 1


def test_round_weekdays_are_wedges_around_the_centre() -> None:
    """A stream's bins of one weekday lie in one wedge of bearings, not mixed with another's."""
    for stream in WASTE_STREAMS:
        spans = []
        for weekday in range(5):
            bearings = [
                math.atan2(b.lat - GHENT[0], (b.lon - GHENT[1]) * math.cos(math.radians(GHENT[0])))
                for b in LARGE.bins
                if b.waste_stream == stream and b.round_weekday == weekday
            ]
            spans.append((min(bearings), max(bearings)))
        spans.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans)), stream


def test_the_stream_mix_follows_the_shares() -> None:
    """Over 20,000 bins each stream's share is within two points of its profile's share."""
    total = sum(p.share for p in STREAMS.values())
    counts = Counter(b.waste_stream for b in LARGE.bins)
    for stream, profile in STREAMS.items():
        assert counts[stream] / len(LARGE.bins) == pytest.approx(profile.share / total, abs=0.02)


def test_addresses_name_a_street_and_a_number() -> None:
    """Each bin's address is a street name followed by a house number."""
    for b in CITY.bins:
        street, number = b.address.rsplit(" ", 1)
        assert street
        assert int(number) >= 1


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    """A saved city loads back equal, times, tuples and vehicle kinds included."""
    for city in (CITY, generate_city(bins=1, seed=9)):
        path = tmp_path / "city.json"
        city.save(path)
        assert City.load(path) == city
    assert json.loads(path.read_text())["facilities"][0]["opens_at"] == "06:00:00"


def test_a_file_from_before_new_fields_still_loads(tmp_path: Path) -> None:
    """Bins without a round weekday and vehicles without a kind take the defaults."""
    path = tmp_path / "city.json"
    CITY.save(path)
    document = json.loads(path.read_text())
    for item in document["bins"]:
        del item["round_weekday"]
    document["vehicles"] = [
        {"id": "truck-01", "depot_id": CITY.depots[0].id, "capacity_l": 20000.0,
         "capacity_kg": 10000, "shift_start": "06:00:00", "shift_end": "14:00:00",
         "cost_per_km": 1.0, "cost_per_hour": 40.0, "waste_streams": []}
    ]  # fmt: skip
    path.write_text(json.dumps(document, indent=2))
    city = City.load(path)
    assert {b.round_weekday for b in city.bins} == {0}
    assert city.vehicles == (SimVehicle("truck-01", CITY.depots[0].id),)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda doc: doc.pop("format"),
        lambda doc: doc["bins"][0].pop("lat"),
        lambda doc: doc["bins"][0].update(colour="green"),
        lambda doc: doc["bins"][0].update(waste_stream="plutonium"),
        lambda doc: doc["devices"][0].update(bin_id="bin-9999"),
        lambda doc: doc.update(centre=[51.0]),
        lambda doc: doc["vehicles"][0].update(kind="hovercraft"),
        lambda doc: doc["vehicles"][0].update(waste_streams=["glass"]),
        lambda doc: doc["bins"][0].update(round_weekday=5),
        lambda doc: doc.update(bins={}),
    ],
)
def test_load_refuses_a_broken_file(tmp_path: Path, mangle: Any) -> None:
    """A file that is not a valid city is a ValueError naming the file."""
    path = tmp_path / "city.json"
    generate_city(bins=3, seed=1).save(path)
    document = json.loads(path.read_text())
    mangle(document)
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match="cannot read city"):
        City.load(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"lat": 91.0}, "lat"),
        ({"lon": math.nan}, "lon"),
        ({"waste_stream": "nuclear"}, "waste stream"),
        ({"volume_l": 0.0}, "volume_l"),
        ({"full_distance_mm": 2000}, "full distance"),
        ({"blind_zone_mm": -1}, "blind_zone_mm"),
        ({"fill_rate_pct_per_day": -1.0}, "fill_rate"),
        ({"initial_fill_pct": 101.0}, "initial_fill_pct"),
        ({"id": " "}, "bin id"),
    ],
)
def test_bad_bins_are_refused(change: dict[str, Any], message: str) -> None:
    """A bin with an impossible value raises ValueError naming the field."""
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(CITY.bins[0], **change)


def test_a_city_refuses_duplicates_and_dangling_references() -> None:
    """Ids are unique per kind, and devices and vehicles point at what exists."""
    with pytest.raises(ValueError, match="duplicate"):
        dataclasses.replace(CITY, bins=(*CITY.bins, CITY.bins[0]))
    orphan = SimDevice("dev-x", "bin-missing")
    with pytest.raises(ValueError, match="unknown bin"):
        dataclasses.replace(CITY, devices=(*CITY.devices, orphan))
    with pytest.raises(ValueError, match="unknown depot"):
        dataclasses.replace(CITY, depots=())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bins": 0, "seed": 1}, "bins"),
        ({"bins": 5, "seed": -1}, "seed"),
        ({"bins": 5, "seed": 1, "centre": (100.0, 0.0)}, "lat"),
        ({"bins": 5, "seed": 1, "radius_m": 0.0}, "radius_m"),
    ],
)
def test_bad_generator_arguments_are_refused(kwargs: dict[str, Any], message: str) -> None:
    """Impossible sizes, seeds, centres or radii raise ValueError."""
    with pytest.raises(ValueError, match=message):
        generate_city(**kwargs)


def test_bin_lookup() -> None:
    """City.bin finds a bin by id, bin_index its position; both raise KeyError for no bin."""
    assert isinstance(CITY.bin("bin-0002"), SimBin)
    assert CITY.bin("bin-0002").id == "bin-0002"
    assert CITY.bin_index("bin-0002") == 1
    assert LARGE.bin_index(LARGE.bins[-1].id) == len(LARGE.bins) - 1
    with pytest.raises(KeyError):
        CITY.bin("bin-x")
    with pytest.raises(KeyError):
        CITY.bin_index("bin-x")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "hovercraft"}, "unknown vehicle kind"),
        ({"kind": "litter-van", "waste_streams": ("glass",)}, "takes only litter"),
        ({"kind": "rear-loader", "waste_streams": ()}, "takes only"),
        ({"waste_streams": ("sand",)}, "waste_streams"),
        ({"capacity_kg": 0.0}, "capacity_kg"),
    ],
)
def test_bad_vehicles_are_refused(change: dict[str, Any], message: str) -> None:
    """A vehicle of an unknown kind, or taking streams its kind cannot, is a ValueError."""
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(CITY.vehicles[0], **change)
