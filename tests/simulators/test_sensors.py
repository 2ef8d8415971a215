"""Tests of simulators/sensors.py: true levels seen through noise, blind zone, echoes, battery."""

import dataclasses
import json
import statistics
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
from simulators.sensors import (
    BATTERY_DRAIN_PCT_PER_DAY,
    BATTERY_DRAIN_PCT_PER_READING,
    ECHO_RATE,
    NOISE_PCT,
    battery_at,
    frame_counter,
    report_times_of,
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
START = END - timedelta(days=30)
CITY = generate_city(bins=8, seed=4)


def hourly(count: int) -> list[datetime]:
    return [START + timedelta(hours=h) for h in range(count)]


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


def test_noise_has_the_stated_spread_around_the_true_level() -> None:
    """Apart from echoes, readings scatter around the true level with sd NOISE_PCT."""
    readings = [measure(BIN, DEVICE, START, at, 0, seed=1, level_pct=50.0) for at in hourly(3000)]
    errors = [r.fill_pct - 50.0 for r in readings if abs(r.fill_pct - 50.0) < 6 * NOISE_PCT]
    assert statistics.mean(errors) == pytest.approx(0.0, abs=0.2)
    assert statistics.stdev(errors) == pytest.approx(NOISE_PCT, rel=0.15)
    for r in readings:
        assert r.fill_pct == BIN.geometry.fill_pct(r.distance_mm)


def test_side_wall_echoes_now_and_then_read_far_too_short() -> None:
    """At about ECHO_RATE, a distance well short of the surface: the bin looks much fuller."""
    readings = [measure(BIN, DEVICE, START, at, 0, seed=2, level_pct=30.0) for at in hourly(6000)]
    echoes = [r for r in readings if r.fill_pct > 30.0 + 8 * NOISE_PCT]
    assert len(echoes) / len(readings) == pytest.approx(ECHO_RATE, rel=0.35)
    assert all(r.distance_mm >= BIN.blind_zone_mm for r in echoes)


def test_a_full_bin_heaps_up_into_the_blind_zone() -> None:
    """At 100 % the surface lies between the full mark and the lid: mostly inside the blind
    zone, where the reading is the blind zone's edge and flagged."""
    readings = [measure(BIN, DEVICE, START, at, 0, seed=3, level_pct=100.0) for at in hourly(2000)]
    blind = [r for r in readings if r.in_blind_zone]
    assert len(blind) / len(readings) == pytest.approx(250 / 300, abs=0.04)
    assert {r.distance_mm for r in blind} == {250}
    assert all(r.fill_pct == 100.0 for r in readings)
    below = [measure(BIN, DEVICE, START, at, 0, seed=3, level_pct=60.0) for at in hourly(500)]
    assert not any(r.in_blind_zone for r in below)


def test_the_true_level_comes_from_the_caller_when_given() -> None:
    """`level_pct` replaces the linear growth; a level outside 0..100 is refused."""
    at = START + timedelta(hours=5)
    levels = [
        measure(BIN, DEVICE, START, at, 0, seed=s, level_pct=80.0).fill_pct for s in range(40)
    ]
    assert statistics.median(levels) == pytest.approx(80.0, abs=2)
    with pytest.raises(ValueError, match="true level"):
        measure(BIN, DEVICE, START, at, 0, seed=1, level_pct=101.0)


def test_the_battery_drains_per_day_and_per_reading() -> None:
    """After ten days an hourly sensor lost ten days' and 240 readings' worth; one reporting
    twice as often loses more."""
    ten_days = START + timedelta(days=10)
    lost = DEVICE.battery_pct - battery_at(DEVICE, START, ten_days)
    assert lost == pytest.approx(
        10 * BATTERY_DRAIN_PCT_PER_DAY + 240 * BATTERY_DRAIN_PCT_PER_READING
    )
    chatty = dataclasses.replace(DEVICE, report_interval_s=1800)
    assert battery_at(chatty, START, ten_days) < battery_at(DEVICE, START, ten_days)
    reading = measure(BIN, DEVICE, START, ten_days, 0, seed=1)
    assert reading.battery_pct == round(battery_at(DEVICE, START, ten_days), 1)


def test_a_device_reports_at_its_own_phase_and_interval() -> None:
    """Times are its offset past each multiple of its interval, both window ends included."""
    device = dataclasses.replace(DEVICE, report_interval_s=1800, report_offset_s=125)
    start = datetime(2025, 3, 2, 10, 2, 5, tzinfo=UTC)  # 10:02:05 is a report time
    times = list(report_times_of(device, start, start + timedelta(hours=1)))
    assert [t.strftime("%H:%M:%S") for t in times] == ["10:02:05", "10:32:05", "11:02:05"]
    other = dataclasses.replace(device, report_offset_s=1200)
    assert not set(times) & set(report_times_of(other, start, start + timedelta(hours=1)))


def test_frame_counters_count_reports() -> None:
    """One report later, the counter is one higher; it is the same in any window."""
    at = datetime(2025, 3, 2, 10, 2, 5, tzinfo=UTC)
    assert frame_counter(at + timedelta(seconds=1800), 1800) == frame_counter(at, 1800) + 1
    assert 0 <= frame_counter(at, 3600) < 2**32


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


def test_measurements_are_deterministic_given_the_seed() -> None:
    """The same device, time and seed give the same reading; another seed another one."""
    at = END
    assert measure(BIN, DEVICE, START, at, 5, seed=1) == measure(BIN, DEVICE, START, at, 5, seed=1)
    others = {measure(BIN, DEVICE, START, at, 5, seed=s).distance_mm for s in range(10)}
    assert len(others) > 1


def test_history_covers_every_device_on_the_grid_in_time_order() -> None:
    """Every device reports at every grid time, times never go back, counters count up."""
    readings = list(history(CITY, END, 24, 6, seed=2))
    assert len(readings) == history_count(CITY, END, 24, 6) == 8 * 5
    assert [r.ts for r in readings] == sorted(r.ts for r in readings)
    for device in CITY.devices:
        seqs = [r.seq for r in readings if r.device_id == device.id]
        assert seqs == list(range(seqs[0], seqs[0] + 5))
    first = {r.device_id: r for r in readings if r.ts == END - timedelta(hours=24)}
    for device in CITY.devices:
        expected = CITY.bin(device.bin_id).initial_fill_pct
        assert abs(first[device.id].fill_pct - expected) < 10 or first[device.id].fill_pct > 90


def test_history_is_the_same_every_time() -> None:
    """Playing the same history twice gives identical payloads."""
    once = [reading_payload(r) for r in history(CITY, END, 12, 1, seed=9)]
    again = [reading_payload(r) for r in history(CITY, END, 12, 1, seed=9)]
    assert once == again
    assert once != [reading_payload(r) for r in history(CITY, END, 12, 1, seed=10)]


def test_payload_is_canonical_json() -> None:
    """One JSON object with the contract's fields, ts in RFC 3339 UTC; tilt only when leaning."""
    reading = measure(BIN, DEVICE, END - timedelta(hours=12), END, 3, seed=1)
    document = json.loads(reading_payload(reading))
    assert set(document) == {"ts", "fill_pct", "distance_mm", "battery_pct", "temperature_c", "seq"}
    assert document["ts"] == "2025-03-02T12:00:00Z"
    assert isinstance(document["distance_mm"], int)
    assert document["seq"] == 3
    assert document["fill_pct"] == round(document["fill_pct"], 1)
    tilted = json.loads(reading_payload(dataclasses.replace(reading, tilt_deg=87.25)))
    assert tilted["tilt_deg"] == 87.2


def test_payload_is_accepted_by_the_ingest_decoder() -> None:
    """The ingest's canonical decoder reads the payload back to the same values."""
    reading = dataclasses.replace(
        measure(BIN, DEVICE, END - timedelta(hours=12), END, 3, seed=1), tilt_deg=90.0
    )
    [decoded] = decode_canonical(reading_payload(reading), received_at=END + timedelta(minutes=1))
    assert decoded.measured_at == END
    assert not decoded.time_is_receive
    assert (decoded.fill_pct, decoded.distance_mm, decoded.seq, decoded.tilt_deg) == (
        reading.fill_pct,
        reading.distance_mm,
        3,
        90.0,
    )
    assert (decoded.battery_pct, decoded.temperature_c) == (
        reading.battery_pct,
        reading.temperature_c,
    )
    assert decoded.extra is None  # nothing outside the contract


def test_a_reading_with_impossible_values_is_refused() -> None:
    """Readings validate their fields."""
    reading = measure(BIN, DEVICE, END - timedelta(hours=1), END, 1, seed=1)
    with pytest.raises(ValueError, match="fill_pct"):
        dataclasses.replace(reading, fill_pct=120.0)
    with pytest.raises(ValueError, match="timezone"):
        dataclasses.replace(reading, ts=datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="seq"):
        dataclasses.replace(reading, seq=2**32)
    with pytest.raises(ValueError, match="tilt_deg"):
        dataclasses.replace(reading, tilt_deg=200.0)
