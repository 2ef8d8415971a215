"""Tests of simulators/publisher.py against a real Mosquitto broker."""

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from curbside import BrokerAddress
from curbside.runtime import free_port
from curbside.topics import uplink_topic
from simulators import Publisher, PublishError, generate_city, publish_history

Received = list[tuple[str, bytes]]

END = datetime(2025, 3, 2, 12, tzinfo=UTC)


@pytest.fixture
def received(broker: BrokerAddress, topic_prefix: str) -> Iterator[Received]:
    """Messages arriving on every device's uplink topic under this test's prefix."""
    messages: Received = []
    subscribed = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.on_connect = lambda c, *_: c.subscribe(f"{topic_prefix}/devices/+/up", qos=1)
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
    """Every published reading arrives once, on its device's topic, as canonical JSON."""
    city = generate_city(bins=6, seed=3)
    calls: list[tuple[int, int]] = []
    published = publish_history(
        city,
        broker,
        topic_prefix,
        END,
        hours=6,
        step_h=1,
        seed=3,
        progress=lambda *a: calls.append(a),
    )
    assert published == 6 * 7
    assert wait_for(received, published) == published
    assert calls[-1] == (published, published)
    topics = {uplink_topic(d.id, topic_prefix) for d in city.devices}
    assert {topic for topic, _ in received} == topics
    documents = [json.loads(payload) for _, payload in received]
    assert all({"ts", "fill_pct", "distance_mm", "seq"} <= set(doc) for doc in documents)
    stamps = {(topic, json.loads(payload)["ts"]) for topic, payload in received}
    assert len(stamps) == published
    assert max(doc["ts"] for doc in documents) == "2025-03-02T12:00:00Z"


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
