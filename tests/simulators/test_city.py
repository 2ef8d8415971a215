"""Tests of simulators/city.py: the seeded city generator, validation, the JSON file."""

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import pytest

from simulators import GHENT, WASTE_STREAMS, City, SimBin, SimDevice, generate_city
from simulators.containers import CONTAINERS, SENSORS
from simulators.streets import haversine_m

CITY = generate_city(bins=120, seed=11)


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


def test_one_device_per_bin_and_a_fleet_by_size() -> None:
    """Each bin has one canonical-JSON device; the fleet is ceil(bins / 40), at least two."""
    assert sorted(d.bin_id for d in CITY.devices) == sorted(b.id for b in CITY.bins)
    assert {d.sensor_model for d in CITY.devices} == {"canonical-json"}
    assert CITY.bins[0].id == "bin-0001"
    assert CITY.devices[0].id == "dev-0001"
    assert len(CITY.vehicles) == 3
    assert len(generate_city(bins=10, seed=1).vehicles) == 2
    assert len(CITY.depots) == len(CITY.facilities) == 1
    assert {v.depot_id for v in CITY.vehicles} == {CITY.depots[0].id}


def test_addresses_name_a_street_and_a_number() -> None:
    """Each bin's address is a street name followed by a house number."""
    for b in CITY.bins:
        street, number = b.address.rsplit(" ", 1)
        assert street
        assert int(number) >= 1


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    """A saved city loads back equal, times and tuples included."""
    path = tmp_path / "city.json"
    CITY.save(path)
    assert City.load(path) == CITY
    assert json.loads(path.read_text())["facilities"][0]["opens_at"] == "06:00:00"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda doc: doc.pop("format"),
        lambda doc: doc["bins"][0].pop("lat"),
        lambda doc: doc["bins"][0].update(colour="green"),
        lambda doc: doc["bins"][0].update(waste_stream="plutonium"),
        lambda doc: doc["devices"][0].update(bin_id="bin-9999"),
        lambda doc: doc.update(centre=[51.0]),
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
    """City.bin finds a bin by id and raises KeyError for an unknown one."""
    assert isinstance(CITY.bin("bin-0002"), SimBin)
    assert CITY.bin("bin-0002").id == "bin-0002"
    with pytest.raises(KeyError):
        CITY.bin("bin-x")
