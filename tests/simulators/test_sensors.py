"""Tests of simulators/sensors.py: fill over time, readings and their payloads."""

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

from ingest import decode_canonical
from simulators import (
    SimBin,
    SimDevice,
    fill_at,
    generate_city,
    history,
    history_count,
    measure,
    reading_payload,
    report_times,
)

BIN = SimBin(
    id="bin-1",
    lat=51.05,
    lon=3.72,
    address="Kerkstraat 1",
    waste_stream="residual",
    volume_l=240.0,
    empty_distance_mm=1000,
    full_distance_mm=300,
    blind_zone_mm=250,
    fill_rate_pct_per_day=24.0,
    initial_fill_pct=20.0,
)
DEVICE = SimDevice("dev-1", "bin-1", battery_pct=80.0)
END = datetime(2025, 3, 2, 12, tzinfo=UTC)
CITY = generate_city(bins=8, seed=4)


@pytest.mark.parametrize(
    ("elapsed_h", "fill_pct"), [(0, 20.0), (12, 32.0), (24, 44.0), (24 * 3.5, 100.0), (1000, 100.0)]
)
def test_fill_grows_linearly_and_stops_at_full(elapsed_h: float, fill_pct: float) -> None:
    """Fill is the initial level plus rate times elapsed days, clamped to 100."""
    assert fill_at(BIN, elapsed_h) == pytest.approx(fill_pct)


def test_fill_before_the_start_is_refused() -> None:
    """A negative elapsed time is an error, not a level below the initial one."""
    with pytest.raises(ValueError, match="elapsed_h"):
        fill_at(BIN, -1)


def test_report_times_include_both_ends() -> None:
    """24 h at 6 h spacing are five times, the last at `end`, in whole UTC seconds."""
    end = datetime(2025, 3, 2, 13, 0, 0, 700_000, tzinfo=UTC)
    times = report_times(end, 24, 6)
    assert times == [end.replace(microsecond=0) - timedelta(hours=h) for h in (24, 18, 12, 6, 0)]
    assert len(report_times(end, 5, 2)) == 3


@pytest.mark.parametrize(
    ("end", "hours", "step_h"),
    [(datetime(2025, 1, 1), 24, 1), (END, 0, 1), (END, 24, 0), (END, 24, float("nan"))],
)
def test_bad_windows_are_refused(end: datetime, hours: float, step_h: float) -> None:
    """A naive end, an empty window or a non-positive step raise ValueError."""
    with pytest.raises(ValueError, match=r"end|hours|step_h"):
        report_times(end, hours, step_h)


def test_a_measurement_is_noisy_but_close_to_the_truth() -> None:
    """Noise is a few percent at most; fill and distance agree through the geometry."""
    start = END - timedelta(hours=24)
    readings = [
        measure(BIN, DEVICE, start, start + timedelta(hours=h), h, seed=1) for h in range(24)
    ]
    errors = [r.fill_pct - fill_at(BIN, h) for h, r in enumerate(readings)]
    assert max(abs(e) for e in errors) < 10
    assert len(set(errors)) > 10, "readings should carry noise"
    for r in readings:
        assert r.fill_pct == BIN.geometry.fill_pct(r.distance_mm)
        assert 0 < r.battery_pct <= DEVICE.battery_pct
        assert -10 < r.temperature_c < 30


def test_measurements_are_deterministic_given_the_seed() -> None:
    """The same device, time and seed give the same reading; another seed another one."""
    start, at = END - timedelta(hours=24), END
    assert measure(BIN, DEVICE, start, at, 5, seed=1) == measure(BIN, DEVICE, start, at, 5, seed=1)
    others = {measure(BIN, DEVICE, start, at, 5, seed=s).distance_mm for s in range(10)}
    assert len(others) > 1


def test_history_covers_every_device_in_time_order() -> None:
    """Every device reports at every time, times never go back, and the count is announced."""
    readings = list(history(CITY, END, 24, 6, seed=2))
    assert len(readings) == history_count(CITY, END, 24, 6) == 8 * 5
    assert [r.ts for r in readings] == sorted(r.ts for r in readings)
    per_device = {d.id: [r.seq for r in readings if r.device_id == d.id] for d in CITY.devices}
    assert all(seqs == [0, 1, 2, 3, 4] for seqs in per_device.values())
    first = {r.device_id: r for r in readings if r.seq == 0}
    for device in CITY.devices:
        expected = CITY.bin(device.bin_id).initial_fill_pct
        assert abs(first[device.id].fill_pct - expected) < 10


def test_history_is_the_same_every_time() -> None:
    """Playing the same history twice gives identical payloads."""
    once = [reading_payload(r) for r in history(CITY, END, 12, 1, seed=9)]
    again = [reading_payload(r) for r in history(CITY, END, 12, 1, seed=9)]
    assert once == again
    assert once != [reading_payload(r) for r in history(CITY, END, 12, 1, seed=10)]


def test_payload_is_canonical_json() -> None:
    """The payload is one JSON object with the contract's fields, ts in RFC 3339 UTC."""
    reading = measure(BIN, DEVICE, END - timedelta(hours=12), END, 3, seed=1)
    document = json.loads(reading_payload(reading))
    assert set(document) == {"ts", "fill_pct", "distance_mm", "battery_pct", "temperature_c", "seq"}
    assert document["ts"] == "2025-03-02T12:00:00Z"
    assert isinstance(document["distance_mm"], int)
    assert document["seq"] == 3
    assert document["fill_pct"] == round(document["fill_pct"], 1)


def test_payload_is_accepted_by_the_ingest_decoder() -> None:
    """The ingest's canonical decoder reads the payload back to the same values."""
    reading = measure(BIN, DEVICE, END - timedelta(hours=12), END, 3, seed=1)
    [decoded] = decode_canonical(reading_payload(reading), received_at=END + timedelta(minutes=1))
    assert decoded.measured_at == END
    assert not decoded.time_is_receive
    assert (decoded.fill_pct, decoded.distance_mm, decoded.seq) == (
        reading.fill_pct,
        reading.distance_mm,
        3,
    )
    assert decoded.extra is None  # nothing outside the contract


def test_a_reading_with_impossible_values_is_refused() -> None:
    """Readings validate their fields."""
    reading = measure(BIN, DEVICE, END - timedelta(hours=1), END, 1, seed=1)
    with pytest.raises(ValueError, match="fill_pct"):
        dataclasses.replace(reading, fill_pct=120.0)
    with pytest.raises(ValueError, match="timezone"):
        dataclasses.replace(reading, ts=datetime(2025, 1, 1))
