"""Tests of simulators/formats.py: sensor bytes, and every uplink format read back by the ingest.

The ingest's own public decoders read what the simulator encodes: its byte decoders
(`ingest.sensors.decode_frame`) and its whole pure pipeline (`ingest.process`: topic,
envelope, decoder, registry, bin geometry).
"""

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from ingest.sensors import decode_frame
from simulators import City, FormatMix, SimDevice, assign_uplinks, feed, generate_city
from simulators.formats import (
    EM310_PORT,
    LDDS75_PORT,
    Frame,
    battery_mv,
    em310_frame,
    ldds75_frame,
    reports_temperature,
    reports_tilt,
    sensor_frame,
)
from simulators.radio import airtime_s
from simulators.sensors import Reading
from tests.simulators.ingested import ingest_deliveries

END = datetime(2025, 3, 2, 12, tzinfo=UTC)
START = END - timedelta(hours=24)


def a_reading(**changes: object) -> Reading:
    reading = Reading(
        device_id="dev-1",
        ts=END,
        fill_pct=40.0,
        distance_mm=1234,
        battery_pct=87.4,
        temperature_c=13.7,
        seq=42,
    )
    return dataclasses.replace(reading, **changes)  # type: ignore[arg-type]


def test_em310_bytes_are_the_vendor_sample() -> None:
    """92 %, 2116 mm, tilted encodes as the spec's sample frame `01 75 5C 03 82 44 08 04 00 01`."""
    assert em310_frame(2116, 92.0, tilted=True) == bytes.fromhex("01755C03824408040001")


def test_ldds75_bytes_are_the_vendor_sample() -> None:
    """3338 mV, 2025 mm, no probe encodes as the test vector `0D 0A 07 E9 00 00 00 01`."""
    assert ldds75_frame(2025, 3338, None) == bytes.fromhex("0D0A07E900000001")


@pytest.mark.parametrize("tilt", [None, 5.0, 85.0])
@pytest.mark.parametrize("distance", [250, 1234, 2116, 65_535])
def test_em310_frames_decode_to_what_was_meant(distance: int, tilt: float | None) -> None:
    """Distance, whole-percent battery and the position flag (20 degrees or more) come back."""
    reading = a_reading(distance_mm=distance, tilt_deg=tilt, battery_pct=87.6)
    frame = sensor_frame(reading, "em310-udl")
    values = decode_frame("em310-udl", frame.f_port, frame.data)
    assert frame.f_port == EM310_PORT
    assert (values.distance_mm, values.battery_pct, values.valid) == (distance, 88.0, True)
    assert values.tilt is (tilt is not None and tilt >= 20)
    assert values.temperature_c is None  # the EM310-UDL has no thermometer


@pytest.mark.parametrize("temperature", [-12.3, 0.1, 13.7, 95.0])
@pytest.mark.parametrize("battery", [0.0, 15.0, 63.2, 100.0])
def test_ldds75_frames_decode_to_what_was_meant(temperature: float, battery: float) -> None:
    """Distance, the battery's voltage and the probe's temperature come back."""
    reading = a_reading(temperature_c=temperature, battery_pct=battery)
    frame = sensor_frame(reading, "ldds75")
    values = decode_frame("ldds75", frame.f_port, frame.data)
    assert frame.f_port == LDDS75_PORT
    assert values.distance_mm == 1234
    assert values.battery_v == battery_mv(battery) / 1000
    assert values.temperature_c == temperature
    assert values.valid


def test_a_probe_at_exactly_zero_reads_as_no_probe() -> None:
    """The LDDS75 format cannot tell 0.0 degC from a missing probe: the ingest sees none."""
    frame = sensor_frame(a_reading(temperature_c=0.0), "ldds75")
    assert decode_frame("ldds75", frame.f_port, frame.data).temperature_c is None


def test_inside_the_blind_zone_each_sensor_says_it_its_own_way() -> None:
    """The EM310-UDL reports the blind zone's edge; the LDDS75 its invalid-reading value."""
    reading = a_reading(distance_mm=250, fill_pct=100.0, in_blind_zone=True)
    em310 = sensor_frame(reading, "em310-udl")
    assert decode_frame("em310-udl", em310.f_port, em310.data).distance_mm == 250
    ldds75 = sensor_frame(reading, "ldds75")
    values = decode_frame("ldds75", ldds75.f_port, ldds75.data)
    assert (values.valid, values.distance_mm, values.note) == (False, None, "invalid reading")


def test_battery_voltage_spans_a_lithium_cell() -> None:
    """Full is 3.6 V, empty 3.1 V, in between linear; out-of-range percentages are clamped."""
    assert [battery_mv(p) for p in (-5, 0, 50, 100, 120)] == [3100, 3100, 3350, 3600, 3600]


def test_what_each_device_can_tell() -> None:
    """Temperature: canonical and LDDS75; tilt: canonical and EM310-UDL."""
    em310 = SimDevice("d", "b", "em310-udl", "em310-udl", uplink="tts", dev_eui="24e1247100000001")
    ldds75 = dataclasses.replace(em310, sensor_model="ldds75", hardware="ldds75")
    canonical = SimDevice("c", "b", hardware="ldds75")
    assert [reports_temperature(d) for d in (em310, ldds75, canonical)] == [False, True, True]
    assert [reports_tilt(d) for d in (em310, ldds75, canonical)] == [True, False, True]


def test_a_frame_port_must_be_an_application_port() -> None:
    """Port 0 carries MAC commands only; ports above 223 are reserved."""
    for port in (0, 224):
        with pytest.raises(ValueError, match="application port"):
            Frame(port, b"\x00")


def test_airtime_matches_the_spec_examples() -> None:
    """10 bytes at SF9 take 205.824 ms, 8 bytes at SF7 56.576 ms (spec sections 1 and 3)."""
    assert airtime_s(10, 9) == pytest.approx(0.205824)
    assert airtime_s(8, 7) == pytest.approx(0.056576)
    assert airtime_s(10, 12) > airtime_s(10, 11) > airtime_s(10, 7)


def a_city(uplink: str) -> City:
    """A city whose devices all speak `uplink`, with both kinds of hardware in it."""
    city = assign_uplinks(generate_city(bins=40, seed=11), FormatMix.parse(f"{uplink}=1"))
    assert {d.hardware for d in city.devices} == {"em310-udl", "ldds75"}
    return city


@pytest.mark.parametrize("uplink", ["canonical", "tts", "chirpstack"])
def test_every_format_decodes_back_through_the_ingest(uplink: str) -> None:
    """A day of every device, through the ingest's pipeline: the right bin and device, and the
    distance, fill, battery, temperature, tilt and frame counter the simulator meant."""
    city = a_city(uplink)
    deliveries = list(feed(city, START, END, seed=3))
    batch = ingest_deliveries(city, deliveries, received_at=END + timedelta(minutes=1))
    blind = [d for d in deliveries if d.reading.in_blind_zone]
    invalid = [d for d in blind if uplink != "canonical" and _device(city, d).hardware == "ldds75"]
    assert len(batch.rejects) == len(invalid)
    assert all(r.reason == "no_reading" for r in batch.rejects)
    valid = [d for d in deliveries if d not in invalid]
    assert len(batch.rows) == len(valid) > 300
    for delivery, row in zip(valid, batch.rows, strict=True):
        sent, device, m = delivery.reading, _device(city, delivery), row.measurement
        assert (row.device_id, row.bin_id) == (device.id, device.bin_id)
        assert (m.distance_mm, m.seq) == (sent.distance_mm, sent.seq)
        assert (
            row.fill_pct
            == sent.fill_pct
            == city.bin(device.bin_id).geometry.fill_pct(sent.distance_mm)
        )
        if uplink == "canonical":
            assert (m.measured_at, m.time_is_receive) == (sent.ts, False)
            assert (m.battery_pct, m.temperature_c) == (sent.battery_pct, sent.temperature_c)
            continue
        assert m.time_is_receive  # LoRaWAN: the network's reception, never after the report
        assert timedelta(0) <= sent.ts - m.measured_at <= timedelta(milliseconds=120)
        assert m.extra is not None
        assert m.extra["f_port"] in (EM310_PORT, LDDS75_PORT)
        if device.hardware == "em310-udl":
            assert (m.battery_pct, m.temperature_c, m.tilted) == (
                round(sent.battery_pct),
                None,
                False,
            )
        else:
            assert (m.battery_v, m.tilted) == (battery_mv(sent.battery_pct) / 1000, None)
            assert m.temperature_c == (sent.temperature_c or None)


class FullBins:
    """A level source of bins that are all full (and more waste piled on top)."""

    def fill_pct(self, bin_index: int, at: datetime) -> float:
        return 100.0


@pytest.mark.parametrize("uplink", ["canonical", "tts", "chirpstack"])
def test_full_bins_read_inside_the_blind_zone_as_each_format_says(uplink: str) -> None:
    """Waste heaped up to the lid: most readings fall in the blind zone; the EM310-UDL and
    canonical devices report a full, suspect bin, the LDDS75 over LoRaWAN its invalid value,
    which the ingest rejects as no reading."""
    city = a_city(uplink)
    deliveries = list(feed(city, START, END, seed=4, levels=FullBins()))
    batch = ingest_deliveries(city, deliveries, received_at=END + timedelta(minutes=1))
    blind = [d for d in deliveries if d.reading.in_blind_zone]
    assert 0.6 < len(blind) / len(deliveries) < 0.95
    ldds75 = {d.id for d in city.devices if d.hardware == "ldds75"}
    invalid = [d for d in blind if uplink != "canonical" and d.device_id in ldds75]
    assert len(batch.rejects) == len(invalid)
    assert {r.reason for r in batch.rejects} <= {"no_reading"}
    assert all(row.fill_pct == 100.0 and row.measurement.suspect for row in batch.rows)


def _device(city: City, delivery: object) -> SimDevice:
    device_id = delivery.reading.device_id  # type: ignore[attr-defined]
    return next(d for d in city.devices if d.id == device_id)
