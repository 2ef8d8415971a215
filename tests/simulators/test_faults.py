"""Tests of simulators/faults.py: each fault at its requested rate, with the effect it should have.

Rates are checked over many readings or device-days, with tolerances of four standard
deviations or more: a fault switched off, or at twice its rate, fails them.
"""

import dataclasses
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import cache

import pytest

from simulators import City, Delivery, FaultRates, SimDevice, feed, generate_city
from simulators.faults import FIRE_PEAK_C, FIRE_READINGS, DeviceFaults, plan_device
from simulators.sensors import battery_at
from tests.simulators.ingested import ingest_deliveries

END = datetime(2025, 3, 2, 12, tzinfo=UTC)
CITY = generate_city(bins=80, seed=21)
PER_READING = FaultRates(dropout=0.05, duplicate=0.04, out_of_order=0.03, garbage=0.03)


@cache
def week_with_faults(seed: int = 5) -> tuple[Delivery, ...]:
    """A week of the city's readings with every per-reading fault switched on."""
    return tuple(feed(CITY, END - timedelta(days=7), END, seed, faults=PER_READING))


def device_of(city: City, device_id: str) -> SimDevice:
    return next(d for d in city.devices if d.id == device_id)


def test_per_reading_faults_come_at_their_rates() -> None:
    """Over some 15,000 readings each fault's share is its rate, within 20 %."""
    deliveries = week_with_faults()
    readings = [d for d in deliveries if d.fault != "duplicate"]
    assert len(readings) > 12_000
    counts = Counter(d.fault for d in readings)
    counts["duplicate"] = sum(1 for d in deliveries if d.fault == "duplicate")
    for name in ("dropout", "duplicate", "out_of_order", "garbage"):
        assert counts[name] / len(readings) == pytest.approx(getattr(PER_READING, name), rel=0.2)


def test_no_faults_unless_asked() -> None:
    """Without fault rates every reading goes out once, in time order, as measured."""
    deliveries = list(feed(CITY, END - timedelta(days=1), END, 5))
    assert {d.fault for d in deliveries} == {None}
    assert all(d.send_at == d.reading.ts for d in deliveries)


def test_a_dropped_reading_is_not_sent_and_a_duplicate_is_sent_twice_as_is() -> None:
    """A dropout carries no message; a duplicate's copy follows its original, byte for byte."""
    deliveries = week_with_faults()
    assert all(d.message is None for d in deliveries if d.fault == "dropout")
    for n, delivery in enumerate(deliveries):
        if delivery.fault == "duplicate":
            assert deliveries[n - 1].message == delivery.message
            assert deliveries[n - 1].reading == delivery.reading


def test_out_of_order_readings_arrive_after_later_ones() -> None:
    """A held-back reading goes out one to three intervals late, after the device's next one."""
    deliveries = week_with_faults()
    late = [(n, d) for n, d in enumerate(deliveries) if d.fault == "out_of_order"]
    overtaken = 0
    for n, delivery in late:
        interval = device_of(CITY, delivery.device_id).report_interval_s
        delay = (delivery.send_at - delivery.reading.ts).total_seconds()
        assert delay <= 3 * interval
        if delivery.send_at < END:
            assert delay >= interval
            before = deliveries[:n]
            overtaken += any(
                d.device_id == delivery.device_id and d.reading.ts > delivery.reading.ts
                for d in before
            )
    assert overtaken > 0.9 * len(late)
    sends = [d.send_at for d in deliveries]
    assert sends == sorted(sends)


def test_garbage_is_rejected_by_the_ingest_and_nothing_else_is() -> None:
    """Every garbled message ends as a reject; every other one as a reading, but for the
    LDDS75's invalid values inside its blind zone."""
    deliveries = week_with_faults()
    batch = ingest_deliveries(CITY, deliveries, received_at=END + timedelta(minutes=5))
    garbage = [d for d in deliveries if d.fault == "garbage"]
    invalid = [
        d
        for d in deliveries
        if d.fault not in ("garbage", "dropout")
        and d.reading.in_blind_zone
        and device_of(CITY, d.device_id).hardware == "ldds75"
        and device_of(CITY, d.device_id).uplink != "canonical"
    ]
    reasons = Counter(r.reason for r in batch.rejects)
    assert sum(reasons.values()) == len(garbage) + len(invalid)
    assert reasons["no_reading"] == len(invalid)
    assert {"malformed_json", "undecodable_payload", "missing_level", "out_of_range"} <= set(
        reasons
    )
    sent = sum(1 for d in deliveries if d.message is not None)
    assert len(batch.rows) == sent - len(garbage) - len(invalid)


def test_faults_are_drawn_from_the_seed() -> None:
    """The same seed gives the same deliveries, byte for byte; another seed other faults."""
    again = tuple(feed(CITY, END - timedelta(days=7), END, 5, faults=PER_READING))
    assert again == week_with_faults()
    other = week_with_faults(seed=6)
    assert [d.fault for d in other] != [d.fault for d in week_with_faults()]


DAYS = 20
START = END - timedelta(days=DAYS)
PLAIN = SimDevice("dev-x", "bin-x", hardware="ldds75")


def plans(rates: FaultRates, devices: int, thermometer: bool = True) -> list[DeviceFaults]:
    return [
        plan_device(
            dataclasses.replace(PLAIN, id=f"dev-{n}"), thermometer, START, END, rates, seed=3
        )
        for n in range(devices)
    ]


def test_devices_die_at_the_daily_rate() -> None:
    """At 1 % a day, 1 - 0.99**20 of the devices die within 20 days, at a moment within."""
    dead = [p.dies_at for p in plans(FaultRates(death=0.01), 2000) if p.dies_at is not None]
    assert len(dead) / 2000 == pytest.approx(1 - 0.99**DAYS, rel=0.2)
    assert all(START <= moment < END for moment in dead)


def test_bins_are_knocked_over_at_the_daily_rate() -> None:
    """At 2 % a day, about 0.02 knock-overs per device-day, each lying two hours to a day."""
    knocked = [k for p in plans(FaultRates(knock_over=0.02), 500) for k in p.knocked]
    assert len(knocked) / (500 * DAYS) == pytest.approx(0.0202, rel=0.2)
    assert all(timedelta(hours=2) <= end - begin <= timedelta(hours=24) for begin, end in knocked)


def test_fires_start_at_the_daily_rate_where_a_thermometer_can_tell() -> None:
    """At 0.5 % a day about 9.5 % of the devices burn within 20 days and then fall silent;
    devices without a thermometer get none."""
    fires = [p for p in plans(FaultRates(fire=0.005), 2000) if p.fire_at is not None]
    assert len(fires) / 2000 == pytest.approx(1 - 0.995**DAYS, rel=0.25)
    assert all(p.dies_at is not None and p.dies_at > p.fire_at for p in fires)  # type: ignore[operator]
    assert not any(p.fire_at for p in plans(FaultRates(fire=0.5), 200, thermometer=False))


def test_a_dead_device_stays_silent() -> None:
    """Once a device died nothing more comes from it, though its schedule goes on."""
    deliveries = list(feed(CITY, START, END, 5, faults=FaultRates(death=0.1)))
    last = {d.device_id: d.reading.ts for d in deliveries}
    dead = 0
    for device in CITY.devices:
        plan = plan_device(device, True, START, END, FaultRates(death=0.1), seed=5)
        if plan.dies_at is not None:
            dead += 1
            assert device.id not in last or last[device.id] < plan.dies_at
        elif battery_at(device, START, END) > 0:
            assert last[device.id] > END - timedelta(seconds=device.report_interval_s)
    assert dead > 40


def test_a_knocked_over_bin_shows_in_the_ingest() -> None:
    """Readings of a knocked-over bin are suspect (past the bottom); the EM310-UDL's position
    flag says tilted, a canonical device sends its tilt angle."""
    deliveries = list(
        feed(CITY, END - timedelta(days=3), END, 5, faults=FaultRates(knock_over=0.3))
    )
    knocked = [d for d in deliveries if d.reading.tilt_deg is not None]
    assert len(knocked) > 100
    batch = ingest_deliveries(CITY, knocked, received_at=END + timedelta(minutes=5))
    assert len(batch.rows) == len(knocked)
    kinds: Counter[str] = Counter()
    for delivery, row in zip(knocked, batch.rows, strict=True):
        device, m = device_of(CITY, delivery.device_id), row.measurement
        assert m.suspect
        assert row.fill_pct == 0.0
        assert m.distance_mm is not None
        assert m.distance_mm > CITY.bin(device.bin_id).empty_distance_mm
        if device.uplink == "canonical":
            assert m.tilt_deg is not None
            assert m.tilt_deg >= 60
            kinds["canonical"] += 1
        elif device.hardware == "em310-udl":
            assert m.tilted is True
            kinds["em310"] += 1
        else:
            assert (m.tilted, m.tilt_deg) == (None, None)  # the LDDS75 cannot tell
            kinds["ldds75"] += 1
    assert set(kinds) == {"canonical", "em310", "ldds75"}


def test_a_fire_heats_up_past_the_alarm_then_the_sensor_burns_out() -> None:
    """Over FIRE_READINGS readings the temperature the ingest stores climbs to FIRE_PEAK_C,
    past the 60 degC fire threshold; then the device sends nothing more. The EM310-UDL over
    LoRaWAN has no thermometer and goes on as before."""
    start = END - timedelta(days=2)
    deliveries = list(feed(CITY, start, END, 5, faults=FaultRates(fire=0.9)))
    batch = ingest_deliveries(CITY, deliveries, received_at=END + timedelta(minutes=5))
    temperatures: dict[str, list[float | None]] = {}
    for row in batch.rows:
        temperatures.setdefault(row.device_id, []).append(row.measurement.temperature_c)
    burnt = 0
    for device in CITY.devices:
        readings = temperatures.get(device.id, [])
        if device.uplink != "canonical" and device.hardware == "em310-udl":
            assert readings
            assert all(t is None for t in readings)
            continue
        plan = plan_device(device, True, start, END, FaultRates(fire=0.9), seed=5)
        if plan.fire_at is None or plan.dies_at is None or plan.dies_at > END:
            continue
        burnt += 1
        fire = [t for t in readings[-FIRE_READINGS:] if t is not None]
        assert len(fire) == FIRE_READINGS
        assert fire == sorted(set(fire))
        assert fire[-1] == FIRE_PEAK_C
        assert fire[-2] >= 60
    assert burnt > 20


@pytest.mark.parametrize(
    "text",
    ["dropout=2", "dropout=-0.1", "dropout=0.6,garbage=0.6", "fire=nan", "typo=0.1", "dropout"],
)
def test_bad_rates_are_refused(text: str) -> None:
    """Rates outside [0, 1], per-reading rates adding up past 1, unknown names: ValueError."""
    with pytest.raises(ValueError, match=r"rate|fault|add up"):
        FaultRates.parse(text)


def test_rates_parse_from_a_command_line() -> None:
    """`name=rate` pairs, comma-separated; the others stay 0."""
    assert FaultRates.parse("dropout=0.01, fire=0.002") == FaultRates(dropout=0.01, fire=0.002)
