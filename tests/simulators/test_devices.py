"""Tests of simulators/devices.py: a city's mix of uplink formats, DevEUIs and report phases."""

import dataclasses
from collections import Counter

import pytest

from simulators import FormatMix, SimDevice, assign_uplinks, generate_city
from simulators.devices import OUI, battery_levels, dev_eui, device_traits

CITY = generate_city(bins=3000, seed=8)


def test_a_generated_city_mixes_formats_as_the_default_mix_says() -> None:
    """About 20 % canonical, 40 % The Things Stack, 40 % ChirpStack."""
    counts = Counter(d.uplink for d in CITY.devices)
    shares = {name: n / len(CITY.devices) for name, n in counts.items()}
    assert shares == pytest.approx({"canonical": 0.2, "tts": 0.4, "chirpstack": 0.4}, abs=0.04)


def test_lorawan_devices_are_registered_as_their_hardware_with_a_maker_dev_eui() -> None:
    """What the ingest needs to decode: model = hardware, a DevEUI under the maker's OUI,
    distinct across the city; canonical devices keep the canonical model and no DevEUI."""
    lorawan = [d for d in CITY.devices if d.uplink != "canonical"]
    assert all(d.sensor_model == d.hardware for d in lorawan)
    assert all(d.dev_eui is not None and d.dev_eui.startswith(OUI[d.hardware]) for d in lorawan)
    assert len({d.dev_eui for d in lorawan}) == len(lorawan)
    canonical = [d for d in CITY.devices if d.uplink == "canonical"]
    assert {(d.sensor_model, d.dev_eui) for d in canonical} == {("canonical-json", None)}


def test_devices_report_at_spread_phases() -> None:
    """Phases spread over the interval: no second of the hour holds more than a handful."""
    hourly = [d for d in CITY.devices if d.report_interval_s == 3600]
    assert len(hourly) > 1000
    busiest = Counter(d.report_offset_s for d in hourly).most_common(1)[0][1]
    assert busiest <= 5
    assert {d.report_interval_s for d in CITY.devices} == {1800, 3600, 7200}


def test_identities_follow_from_the_seed_and_number() -> None:
    """The same seed and device number give the same traits, whatever the city's size; another
    seed other DevEUIs."""
    mix = FormatMix()
    assert device_traits(7, "ldds75", 1, mix) == device_traits(7, "ldds75", 1, mix)
    assert dev_eui("ldds75", 7, 1) != dev_eui("ldds75", 7, 2)

    def traits(devices: tuple[SimDevice, ...]) -> list[tuple[str, int, int]]:
        return [(d.uplink, d.report_interval_s, d.report_offset_s) for d in devices]

    assert traits(generate_city(bins=20, seed=8).devices) == traits(CITY.devices[:20])


def test_a_city_takes_another_mix() -> None:
    """`assign_uplinks` redraws formats and DevEUIs; a zero share is never drawn."""
    only_tts = assign_uplinks(CITY, FormatMix.parse("tts=1"))
    assert {d.uplink for d in only_tts.devices} == {"tts"}
    assert [d.report_offset_s for d in only_tts.devices] == [
        d.report_offset_s for d in CITY.devices
    ]
    half = assign_uplinks(CITY, FormatMix.parse("canonical=1,chirpstack=1"))
    assert Counter(d.uplink for d in half.devices)["canonical"] == pytest.approx(1500, abs=120)


def test_a_few_batteries_are_nearly_flat() -> None:
    """About 2 % of the devices start with 1 to 15 % left, the rest with 55 to 100 %."""
    import numpy as np

    levels = battery_levels(np.random.default_rng(1), 20_000)
    worn = [b for b in levels if b <= 15]
    assert len(worn) / len(levels) == pytest.approx(0.02, rel=0.25)
    assert all(1 <= b <= 15 or 55 <= b <= 100 for b in levels)


@pytest.mark.parametrize(
    "text", ["", "tts", "tts=x", "lora=1", "tts=1,tts=2", "tts=-1", "tts=0,chirpstack=0"]
)
def test_bad_mixes_are_refused(text: str) -> None:
    """Unknown formats, repeated ones, negative or all-zero shares: ValueError."""
    with pytest.raises(ValueError, match=r"format|share|number|twice"):
        FormatMix.parse(text)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"uplink": "sigfox"}, "unknown uplink"),
        ({"uplink": "tts"}, "dev_eui"),
        ({"uplink": "tts", "dev_eui": "24E1247100000001", "sensor_model": "em310-udl"}, "dev_eui"),
        ({"uplink": "tts", "dev_eui": "24e1247100000001"}, "registered as its hardware"),
        ({"dev_eui": "24e1247100000001"}, "only LoRaWAN"),
        ({"report_offset_s": 3600}, "report_offset_s"),
    ],
)
def test_impossible_devices_are_refused(change: dict[str, object], message: str) -> None:
    """A SimDevice checks its uplink, DevEUI, model and phase."""
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(SimDevice("d", "b"), **change)  # type: ignore[arg-type]
