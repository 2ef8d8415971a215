"""Tests of simulators/load_mqtt.py: the lean publisher's packets, and it against Mosquitto."""

import threading
import time
from collections.abc import Iterator
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from curbside import BrokerAddress
from curbside.runtime import free_port
from simulators import LeanPublisher, PublishError
from simulators.load_mqtt import connect_packet, encode_length, publish_packet

Received = list[tuple[str, bytes, int]]


@pytest.fixture
def received(broker: BrokerAddress, topic_prefix: str) -> Iterator[Received]:
    """Messages arriving under this test's prefix: topic, payload and QoS as delivered."""
    messages: Received = []
    subscribed = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.on_connect = lambda c, *_: c.subscribe(f"{topic_prefix}/#", qos=1)
    client.on_subscribe = lambda *_: subscribed.set()
    client.on_message = lambda _c, _u, m: messages.append((m.topic, bytes(m.payload), m.qos))
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        assert subscribed.wait(10), "the test subscriber was not subscribed"
        yield messages
    finally:
        client.disconnect()
        client.loop_stop()


def _wait_for(messages: Received, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(messages) < count and time.monotonic() < deadline:
        time.sleep(0.02)


@pytest.mark.parametrize(
    ("n", "encoded"),
    [(0, "00"), (127, "7f"), (128, "8001"), (16_383, "ff7f"), (16_384, "808001")],
)
def test_remaining_lengths_use_mqtts_variable_length_integer(n: int, encoded: str) -> None:
    """Seven bits per byte, low first, the top bit saying that more follow."""
    assert encode_length(n).hex() == encoded


def test_packets_carry_what_mqtt_3_1_1_asks() -> None:
    """CONNECT with credentials and clean session; PUBLISH with a packet id only at QoS 1."""
    connect = connect_packet("c1", 60, True, "ann", "pw")
    assert connect == bytes.fromhex(
        "10 17 0004 4d515454 04 c2 003c 0002 6331 0003 616e6e 0002 7077"
    )
    assert connect_packet("c1", 60, False)[9] == 0x00  # no flags: no clean session, no user
    assert publish_packet(b"a/b", b"xy", 0, 7) == bytes.fromhex("30 07 0003 612f62 7879")
    assert publish_packet(b"a/b", b"xy", 1, 7) == bytes.fromhex("32 09 0003 612f62 0007 7879")


@pytest.mark.parametrize("qos", [0, 1])
def test_every_message_arrives_in_order_at_its_qos(
    broker: BrokerAddress, topic_prefix: str, received: Received, qos: int
) -> None:
    """500 messages through a window of 20: all delivered, in order; QoS 1 all acknowledged."""
    topic = f"{topic_prefix}/devices/d1/up".encode()
    messages = [(topic, b"%d" % i) for i in range(500)]
    with LeanPublisher(broker, "lean-order", qos=qos, window=20) as publisher:
        publisher.send(messages)
        publisher.flush()
        assert publisher.sent == 500
        assert publisher.acked == (500 if qos else 0)
    _wait_for(received, 500)
    assert [payload for _, payload, _ in received] == [p for _, p in messages]
    assert {delivered_qos for _, _, delivered_qos in received} == {qos}


def test_a_user_name_and_password_are_accepted_and_pings_answered(
    broker: BrokerAddress, topic_prefix: str, received: Received
) -> None:
    """Credentials in the URL go into CONNECT; a ping's answer does not upset the ack count."""
    with_user = BrokerAddress(broker.host, broker.port, username="load", password="secret")
    topic = f"{topic_prefix}/devices/d2/up".encode()
    with LeanPublisher(with_user, "lean-user", keepalive_s=1) as publisher:
        time.sleep(0.6)
        publisher.keep_alive()  # idle for more than half the keep-alive: a PINGREQ
        publisher.poll(0.5)
        publisher.send([(topic, b"after the ping")])
        publisher.flush()
        assert publisher.acked == 1
    _wait_for(received, 1)
    assert [payload for _, payload, _ in received] == [b"after the ping"]


def test_a_broker_that_refuses_says_why(broker: BrokerAddress) -> None:
    """An empty client id without a clean session is refused by MQTT 3.1.1 brokers."""
    with (
        pytest.raises(PublishError, match="refused the connection: client id rejected"),
        LeanPublisher(broker, "", clean_session=False),
    ):
        pass


def test_an_unreachable_broker_is_named() -> None:
    """Nobody listens on the port: the error names host and port."""
    port = free_port()
    with (
        pytest.raises(PublishError, match=f"cannot reach the broker at 127.0.0.1:{port}"),
        LeanPublisher(BrokerAddress("127.0.0.1", port), "lean-nowhere"),
    ):
        pass


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"qos": 2}, "qos must be 0 or 1"),
        ({"window": 0}, "window must be within"),
        ({"window": 65_536}, "window must be within"),
        ({"timeout_s": 0.0}, "timeout_s must be positive"),
        ({"keepalive_s": 0}, "keepalive_s must be within"),
    ],
)
def test_bad_settings_are_refused(options: dict[str, Any], message: str) -> None:
    """Each bad setting raises ValueError naming it, before any connection."""
    with pytest.raises(ValueError, match=message):
        LeanPublisher(BrokerAddress("127.0.0.1", 1), "lean-bad", **options)
