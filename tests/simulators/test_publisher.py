"""Tests of simulators/publisher.py against a real Mosquitto broker, and with the real ingest."""

import dataclasses
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import psycopg
import pytest
from paho.mqtt.enums import CallbackAPIVersion

import ingest
from curbside import BrokerAddress
from curbside.runtime import free_port
from curbside.topics import uplink_topic
from simulators import (
    FaultRates,
    FormatMix,
    Network,
    Pacer,
    Publisher,
    PublishError,
    assign_uplinks,
    encode,
    feed,
    generate_city,
    import_city,
    play,
    publish_city,
    publish_history,
)
from simulators.formats import battery_mv
from simulators.radio import stable_uuid

Received = list[tuple[str, bytes]]

END = datetime(2025, 3, 2, 12, tzinfo=UTC)


def network_of_this_test(devices: int) -> Network:
    """A network whose application ids no other test uses, so topics do not mix."""
    tag = uuid.uuid4().hex[:10]
    return dataclasses.replace(
        Network.for_city(1, devices),
        tts_application=f"app-{tag}",
        chirpstack_application_id=str(stable_uuid(("test", tag))),
    )


@pytest.fixture
def received(broker: BrokerAddress, topic_prefix: str) -> Iterator[Received]:
    """Messages arriving on the canonical uplink topics under this test's prefix and on the
    network servers' uplink topics."""
    messages: Received = []
    subscribed = threading.Event()
    filters = [
        f"{topic_prefix}/devices/+/up",
        "v3/+/devices/+/up",
        "application/+/device/+/event/up",
    ]
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.on_connect = lambda c, *_: c.subscribe([(f, 1) for f in filters])
    client.on_subscribe = lambda *_: subscribed.set()
    client.on_message = lambda _c, _u, msg: messages.append((msg.topic, bytes(msg.payload)))
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        assert subscribed.wait(10), "the test subscriber was not subscribed"
        yield messages
    finally:
        client.disconnect()
        client.loop_stop()


def wait_for(messages: Received, expected: int) -> int:
    """Wait until at least `expected` messages came (or 15 s passed); return how many."""
    deadline = time.monotonic() + 15
    while len(messages) < expected and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.1)  # a little longer, so that extra messages would show
    return len(messages)


def test_history_reaches_a_subscriber(
    broker: BrokerAddress, topic_prefix: str, received: Received
) -> None:
    """Every reading arrives once, on its device's topic in its own format."""
    city = generate_city(bins=6, seed=3)
    assert {d.uplink for d in city.devices} > {"canonical"}
    calls: list[tuple[int, int]] = []
    published = publish_history(
        city, broker, topic_prefix, END, hours=6, step_h=1, seed=3,
        progress=lambda *a: calls.append(a),
    )  # fmt: skip
    assert published == 6 * 7
    assert wait_for(received, published) == published
    assert calls[-1] == (published, published)
    network = Network.for_city(city.seed, len(city.devices))
    reading = next(iter(feed(city, END, END, 3, grid=[END])))
    topics = {
        encode(dataclasses.replace(reading.reading, device_id=d.id), d, network, topic_prefix).topic
        for d in city.devices
    }
    assert {topic for topic, _ in received} == topics
    assert len(set(received)) == published


def test_publishing_again_repeats_the_same_messages(
    broker: BrokerAddress, topic_prefix: str, received: Received
) -> None:
    """Publishing the same history twice sends identical messages both times."""
    city = generate_city(bins=3, seed=8)
    first = publish_history(city, broker, topic_prefix, END, hours=2, step_h=1, seed=8)
    assert wait_for(received, first) == first
    once = sorted(received)
    second = publish_history(city, broker, topic_prefix, END, hours=2, step_h=1, seed=8)
    assert wait_for(received, first + second) == 2 * first
    assert sorted(received[first:]) == once


def test_a_small_window_of_pending_messages_still_delivers_all(
    broker: BrokerAddress, topic_prefix: str, received: Received
) -> None:
    """With one unacknowledged message allowed, publishing waits and loses nothing."""
    with Publisher(broker, max_pending=1) as publisher:
        for n in range(25):
            publisher.publish(uplink_topic("dev-1", topic_prefix), str(n).encode())
        publisher.flush()
        assert publisher.acked == publisher.sent == 25
    assert wait_for(received, 25) == 25
    assert [payload for _, payload in received] == [str(n).encode() for n in range(25)]


def test_an_unreachable_broker_is_a_clear_error() -> None:
    """Connecting to a port where no broker listens raises PublishError naming it."""
    nobody = BrokerAddress("127.0.0.1", free_port())
    with pytest.raises(PublishError, match=f"cannot reach the broker at 127.0.0.1:{nobody.port}"):
        publish_history(generate_city(bins=1, seed=1), nobody, "x/v1", END, 1, 1, 1)


class FakeClock:
    """A wall clock that moves only when slept on."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_a_paced_run_waits_for_each_reading_and_stamps_its_simulated_time(
    broker: BrokerAddress, topic_prefix: str, received: Received
) -> None:
    """At x10080 a simulated week takes a minute of (fake) waiting; messages keep their
    measurement times and go out in time order."""
    city = assign_uplinks(generate_city(bins=4, seed=2), FormatMix.parse("canonical=1"))
    start = END - timedelta(days=7)
    clock = FakeClock()
    pacer = Pacer(10_080, start, clock=clock, sleep=clock.sleep)
    report = play(feed(city, start, END, 2, prefix=topic_prefix), broker, pacer)
    assert wait_for(received, report.published) == report.published > 4 * 7 * 12
    assert sum(clock.sleeps) == pytest.approx(60.0, abs=60 * 7200 / (7 * 86_400))
    stamps = [json.loads(payload)["ts"] for _, payload in received]
    assert stamps == sorted(stamps)
    assert stamps[0] >= "2025-02-23T12:00:00Z"
    assert stamps[-1] <= "2025-03-02T12:00:00Z"


def test_a_run_reports_the_faults_it_injected(
    broker: BrokerAddress, topic_prefix: str, received: Received
) -> None:
    """The report counts readings, messages and each fault as the feed drew them, and the
    broker got exactly the messages sent."""
    city = generate_city(bins=20, seed=6)
    faults = FaultRates(dropout=0.1, duplicate=0.1, out_of_order=0.1, garbage=0.1)
    network = network_of_this_test(len(city.devices))
    start = END - timedelta(days=1)
    report = publish_city(city, broker, topic_prefix, start, END, 6, faults=faults, network=network)
    drawn = list(feed(city, start, END, 6, faults=faults, network=network, prefix=topic_prefix))
    counts = Counter(d.fault for d in drawn)
    assert report.faults == {
        name: counts[name] for name in ("dropout", "duplicate", "out_of_order", "garbage")
    }
    assert all(report.faults.values())
    assert report.readings == len(drawn) - counts["duplicate"]
    assert (
        report.published == len(drawn) - counts["dropout"] == wait_for(received, report.published)
    )
    assert report.distinct == report.published - counts["duplicate"]


@contextmanager
def ingest_worker(database_url: str, mqtt_url: str, prefix: str) -> Iterator[None]:
    """A real ingest worker in a thread, subscribed to every uplink format."""
    settings = ingest.IngestSettings(
        database_url=database_url,
        mqtt_url=mqtt_url,
        topic_prefix=prefix,
        client_id=f"sim-{uuid.uuid4().hex}",
        share_group=None,
        batch_max_age_s=0.05,
    )
    stop, ready = threading.Event(), threading.Event()
    worker = threading.Thread(target=ingest.run, args=(settings, stop, ready.set))
    worker.start()
    try:
        assert ready.wait(20), "the ingest did not subscribe"
        yield
    finally:
        stop.set()
        worker.join(20)
        assert not worker.is_alive()


def stored(db: psycopg.Connection, expected: int) -> int:
    """Wait until readings plus rejects reach `expected` (or 30 s passed); return them."""
    query = "SELECT (SELECT count(*) FROM readings) + (SELECT count(*) FROM ingest_rejects)"
    deadline = time.monotonic() + 30
    count = 0
    while time.monotonic() < deadline:
        count = db.execute(query).fetchone()[0]  # type: ignore[index]
        if count >= expected:
            break
        time.sleep(0.1)
    time.sleep(0.3)  # a little longer, so that extra rows would show
    return int(db.execute(query).fetchone()[0])  # type: ignore[index]


def test_the_ingest_stores_each_format_for_the_right_bins(
    db: psycopg.Connection, database_url: str, mqtt_url: str, broker: BrokerAddress,
    topic_prefix: str,
) -> None:  # fmt: skip
    """The Things Stack, ChirpStack and canonical uplinks, published to the real broker, are
    stored by the real ingest in the real database: each reading once, for its device's bin,
    with the values the simulator sent; duplicates once; garbage among the rejects."""
    city = generate_city(bins=30, seed=17)
    assert Counter(d.uplink for d in city.devices).keys() == {"canonical", "tts", "chirpstack"}
    import_city(db, city)
    network = network_of_this_test(len(city.devices))
    faults = FaultRates(duplicate=0.05, out_of_order=0.05, garbage=0.05)
    end = datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(hours=8)
    with ingest_worker(database_url, mqtt_url, topic_prefix):
        report = publish_city(
            city, broker, topic_prefix, start, end, 17, faults=faults, network=network
        )
        assert stored(db, report.distinct) == report.distinct
    sent = list(feed(city, start, end, 17, faults=faults, network=network, prefix=topic_prefix))
    devices = {d.id: d for d in city.devices}
    garbage = sum(1 for d in sent if d.fault == "garbage")
    good = {
        (d.device_id, d.reading.seq): d.reading
        for d in sent
        if d.fault != "garbage"
        and not (d.reading.in_blind_zone and devices[d.device_id].hardware == "ldds75"
                 and devices[d.device_id].uplink != "canonical")
    }  # fmt: skip
    rows = db.execute(
        "SELECT device_id, bin_id, seq, measured_at, time_is_receive, distance_mm, fill_pct,"
        " battery_pct, battery_v FROM readings"
    ).fetchall()
    assert len(rows) == len(good) > 150
    formats: Counter[str] = Counter()
    for device_id, bin_id, seq, measured_at, receive_time, distance, fill, pct, volts in rows:
        device, reading = devices[device_id], good[(device_id, seq)]
        formats[device.uplink] += 1
        assert bin_id == device.bin_id
        assert distance == reading.distance_mm
        assert fill == pytest.approx(reading.fill_pct)
        assert receive_time is (device.uplink != "canonical")
        assert timedelta(0) <= reading.ts - measured_at <= timedelta(milliseconds=120)
        if device.uplink == "canonical" or device.hardware == "em310-udl":
            assert pct == pytest.approx(
                reading.battery_pct if device.uplink == "canonical" else round(reading.battery_pct)
            )
        else:
            assert volts == pytest.approx(battery_mv(reading.battery_pct) / 1000)
    assert formats.keys() == {"canonical", "tts", "chirpstack"}
    rejects = db.execute("SELECT reason FROM ingest_rejects").fetchall()
    assert len(rejects) == garbage + (report.distinct - garbage - len(good))
    assert {reason for (reason,) in rejects} <= {
        "malformed_json", "undecodable_payload", "missing_level", "out_of_range", "no_reading"
    }  # fmt: skip
