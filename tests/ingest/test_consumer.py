"""Tests of ingest/consumer.py: the protocol fallback against a scripted broker, the decoder."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion

from curbside import BrokerAddress
from ingest.consumer import (
    ConsumerOptions,
    MqttSource,
    Publish,
    ReadAheadClient,
    _await_broker_close,
    _varint,
)
from ingest.process import Message


def _read_packet(conn: socket.socket) -> bytes:
    """One MQTT control packet: fixed header byte, remaining length, body."""
    first = conn.recv(1)
    if not first:
        return b""
    length, shift = 0, 0
    while True:
        byte = conn.recv(1)[0]
        length += (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            break
    body = b""
    while len(body) < length:
        body += conn.recv(length - len(body))
    return first + body


@pytest.fixture
def broker_v311() -> Iterator[tuple[BrokerAddress, list[int]]]:
    """A broker that refuses MQTT 5 as a 3.1.1 broker does, then serves 3.1.1."""
    server = socket.create_server(("127.0.0.1", 0))
    levels: list[int] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                connect = _read_packet(conn)
                level = connect[7]  # after the packet type, the name's length and "MQTT"
                levels.append(level)
                if level != 4:
                    conn.sendall(b"\x20\x02\x00\x01")  # unacceptable protocol version
                    continue
                conn.sendall(b"\x20\x02\x00\x00")
                while packet := _read_packet(conn):
                    if packet[0] & 0xF0 == 0x80:  # SUBSCRIBE: grant QoS 1
                        conn.sendall(b"\x90\x03" + packet[1:3] + b"\x01")
                    elif packet[0] & 0xF0 == 0xE0:  # DISCONNECT
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield BrokerAddress("127.0.0.1", server.getsockname()[1]), levels
    server.close()
    thread.join(5)


def test_a_broker_without_mqtt_5_gets_3_1_1(broker_v311: tuple[BrokerAddress, list[int]]) -> None:
    """MQTT 5 is tried first; when refused, the worker subscribes over 3.1.1."""
    broker, levels = broker_v311
    options = ConsumerOptions(client_id="fallback", topic_filters=("t/+/up",))
    with MqttSource(broker, options) as source:
        assert source.protocol == "3.1.1"
    assert levels[0] == 5
    assert levels[-1] == 4


def test_options_refuse_an_unknown_protocol() -> None:
    """Only auto, 5 and 3.1.1 are protocols."""
    with pytest.raises(ValueError, match="protocol"):
        ConsumerOptions(client_id="x", topic_filters=("t",), protocol="4")


@pytest.mark.parametrize(
    ("data", "value", "end"),
    [(b"\x00", 0, 1), (b"\x7f", 127, 1), (b"\x80\x01", 128, 2), (b"\xff\xff\x7f", 2097151, 3)],
)
def test_variable_byte_integers(data: bytes, value: int, end: int) -> None:
    """MQTT's variable byte integers decode to their value and length."""
    assert _varint(b"\xaa" + data, 1) == (value, end + 1)


@pytest.mark.parametrize(
    ("protocol", "body"),
    [
        (mqtt.MQTTv5, b"\x00\x03a/b\x12\x34\x03\x01\x01\x00" + b"hello"),  # 3 bytes of properties
        (mqtt.MQTTv311, b"\x00\x03a/b\x12\x34" + b"hello"),
    ],
)
def test_the_lean_publish_decoder_reads_topic_packet_id_and_payload(
    protocol: MQTTProtocolVersion, body: bytes
) -> None:
    """A QoS 1 PUBLISH gives its topic, packet id and payload, properties stepped over."""
    received: list[Publish] = []
    client = ReadAheadClient(CallbackAPIVersion.VERSION2, protocol=protocol, manual_ack=True)
    client.on_publish_received = received.append
    client._in_packet = {**client._in_packet, "command": 0x32, "packet": bytearray(body)}  # QoS 1
    assert client._handle_publish() == MQTTErrorCode.MQTT_ERR_SUCCESS
    assert received == [Publish(b"a/b", 0x1234, 1, b"hello")]


def test_qos_2_on_a_qos_1_subscription_is_a_protocol_error() -> None:
    """The broker may not send QoS 2 to a QoS 1 subscription: nothing is handed on."""
    received: list[Publish] = []
    client = ReadAheadClient(CallbackAPIVersion.VERSION2, manual_ack=True)
    client.on_publish_received = received.append
    body = bytearray(b"\x00\x03a/b\x12\x34\x00hello")
    client._in_packet = {**client._in_packet, "command": 0x34, "packet": body}  # QoS 2
    assert client._handle_publish() == MQTTErrorCode.MQTT_ERR_PROTOCOL
    assert received == []


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_only_acknowledged_messages_are_not_delivered_again(
    broker: BrokerAddress, topic_prefix: str, protocol: str
) -> None:
    """A batch's PUBACKs, sent as one write, settle exactly the messages acknowledged."""
    options = ConsumerOptions(
        client_id=f"acks-{topic_prefix}", topic_filters=(f"{topic_prefix}/#",), protocol=protocol
    )
    with MqttSource(broker, options):
        pass  # the session now exists: the broker keeps what arrives while it is away
    publisher = mqtt.Client(CallbackAPIVersion.VERSION2)
    publisher.connect(broker.host, broker.port)
    publisher.loop_start()
    infos = [publisher.publish(f"{topic_prefix}/d", str(i), qos=1) for i in range(100)]
    for info in infos:
        info.wait_for_publish(10)
    publisher.disconnect()
    publisher.loop_stop()

    with MqttSource(broker, options) as source:
        first = _receive(source, 100)
        source.ack([m.ack for m in first if int(m.payload) % 2 == 0])
    with MqttSource(broker, options) as source:
        again = _receive(source, 50)
        source.ack([m.ack for m in again])
    assert sorted(int(m.payload) for m in again) == list(range(1, 100, 2))


def test_a_disconnect_waits_until_the_broker_has_closed_its_end() -> None:
    """The half-close reaches the broker, and the wait ends with the broker's close."""
    client_end, broker_end = socket.socketpair()
    client_end.setblocking(False)
    broker_end.sendall(b"unread")
    waiter = threading.Thread(target=_await_broker_close, args=(client_end, 60.0))
    waiter.start()
    broker_end.settimeout(10)
    assert broker_end.recv(10) == b""  # the client's half-close: no more packets come
    assert waiter.is_alive()  # the broker has not closed yet
    broker_end.close()
    waiter.join(30)
    assert not waiter.is_alive()
    client_end.close()


def _receive(source: MqttSource, count: int) -> list[Message]:
    """Exactly `count` messages, or fail after a generous wait."""
    received: list[Message] = []
    for _ in range(100):
        received += source.get_batch(count - len(received), 0.1)
        if len(received) >= count:
            break
    extra = source.get_batch(10, 0.3)
    assert (len(received), extra) == (count, [])
    return received
