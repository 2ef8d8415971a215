"""MQTT messages in, acknowledgements out, with paho-mqtt 2.x.

The broker keeps this client's session (a fixed client id, no clean start, a session expiry),
and a QoS 1 message is acknowledged only when the caller says so, after its reading or reject
is committed. MQTT 5 is tried first and 3.1.1 used when the broker refuses it. Paho
reconnects by itself with backoff; a message received before a reconnect is never
acknowledged on the new connection (its packet id may name another message there): the
broker delivers it again and the database drops the duplicate.
"""

from __future__ import annotations

import logging
import select
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, NamedTuple

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from curbside.settings import BrokerAddress
from ingest.errors import IngestError
from ingest.process import Message

log = logging.getLogger(__name__)

PROTOCOLS = {"5": mqtt.MQTTv5, "3.1.1": mqtt.MQTTv311}
_UNSUPPORTED = (1, 132)  # CONNACK codes of MQTT 3.1.1 and 5 for a refused version
PUBACK = 0x40
_PUBACK = struct.Struct("!BBH")  # packet type, remaining length 2, packet id


class Publish(NamedTuple):
    """A received PUBLISH: what the ingest needs of it."""

    topic: bytes
    mid: int
    """The packet id; 0 at QoS 0."""
    qos: int
    payload: bytes


class ReadAheadClient(mqtt.Client):
    """paho's client, lean on the receiving path.

    paho reads a packet with several small `recv` calls, handles one packet per `select`,
    builds a message object with a lock and an MQTT 5 `Properties` object and runs a topic
    matcher for every message, and it sends every acknowledgement with two system calls of
    its own; at thousands of messages a second that costs more than the messages. This
    client serves paho's reads from a read-ahead buffer, goes on handling packets while the
    buffer holds any, decodes PUBLISH itself into a `Publish` for `on_publish_received`,
    and queues a batch's PUBACKs as one write. It overrides or calls private methods of
    paho 2.x (`_sock_recv`, `_sock_close`, `_handle_publish`, `_packet_queue`), which is why
    paho is pinned below 3; the ingest's tests run every path (MQTT 5 and 3.1.1,
    reconnects, restarts) against a real broker.
    """

    READ_AHEAD = 256 * 1024
    CLOSE_WAIT_S = 2.0
    """How long a disconnect waits for the broker to close its end of the connection."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ahead = b""
        self._ahead_at = 0
        self._leaving = False
        self.on_publish_received: Callable[[Publish], None] | None = None
        """Called on paho's network thread for each QoS 0 or 1 message."""

    def ack_all(self, mids: list[int]) -> None:
        """Acknowledge QoS 1 messages by packet id: their PUBACKs back to back, one write.

        A two-byte PUBACK means success in MQTT 3.1.1 and 5 alike.
        """
        if mids:
            packet = b"".join([_PUBACK.pack(PUBACK, 2, mid) for mid in mids])
            self._packet_queue(PUBACK, packet, 0, 0)

    def _sock_recv(self, bufsize: int) -> bytes:
        if self._ahead_at >= len(self._ahead):
            data = super()._sock_recv(self.READ_AHEAD)
            if not data:
                return data
            self._ahead, self._ahead_at = data, 0
        chunk = self._ahead[self._ahead_at : self._ahead_at + bufsize]
        self._ahead_at += len(chunk)
        return chunk

    def reconnect(self) -> MQTTErrorCode:
        self._leaving = False
        return super().reconnect()

    def disconnect(
        self, reasoncode: ReasonCode | None = None, properties: Properties | None = None
    ) -> MQTTErrorCode:
        self._leaving = True
        return super().disconnect(reasoncode, properties)

    def _sock_close(self) -> None:
        self._ahead, self._ahead_at = b"", 0
        if self._leaving and self._sock is not None:
            _await_broker_close(self._sock, self.CLOSE_WAIT_S)
        super()._sock_close()

    def _handle_publish(self) -> MQTTErrorCode:
        """A lean PUBLISH decoder for QoS 0 and 1: topic, packet id and payload.

        paho builds a message object (with a lock of its own) and a full MQTT 5 `Properties`
        object for every message; the ingest uses neither, so properties are stepped over
        and `on_publish_received` gets a plain tuple. Subscriptions are at QoS 1, so a
        conforming broker never sends QoS 2 here: that is a protocol error.
        """
        command, packet = self._in_packet["command"], self._in_packet["packet"]
        qos = (command & 0x06) >> 1
        if qos == 2:
            log.error("the broker sent a QoS 2 message to a QoS 1 subscription")
            return MQTTErrorCode.MQTT_ERR_PROTOCOL
        try:
            end = 2 + int.from_bytes(packet[0:2], "big")
            topic = bytes(packet[2:end])
            mid = 0
            if qos:
                mid = int.from_bytes(packet[end : end + 2], "big")
                end += 2
            if self._protocol == mqtt.MQTTv5:
                properties_length, end = _varint(packet, end)
                end += properties_length
        except IndexError:
            return MQTTErrorCode.MQTT_ERR_PROTOCOL
        if self.on_publish_received is not None:
            self.on_publish_received(Publish(topic, mid, qos, bytes(packet[end:])))
        if qos and not self._manual_ack:
            return self._send_puback(mid)
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        rc = super().loop_read(max_packets)
        while (
            rc == MQTTErrorCode.MQTT_ERR_SUCCESS
            and self._ahead_at < len(self._ahead)
            and self._sock is not None
        ):
            rc = super().loop_read(max_packets)
        return rc


def _await_broker_close(sock: Any, timeout_s: float) -> None:
    """Half-close a connection after DISCONNECT and wait for the broker to close its end.

    A broker handles a connection's packets in order, so its close means it has handled
    every acknowledgement sent before the DISCONNECT. Closing at once instead lets a worker
    that reconnects quickly with the same client id take its session over while the broker
    has not yet read the last acknowledgements, and those messages are delivered again.
    """
    deadline = time.monotonic() + timeout_s
    try:
        sock.shutdown(socket.SHUT_WR)
        while (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([sock], [], [], left)
            if readable and not sock.recv(4096):
                return
    except OSError:  # reset, or a TLS socket with nothing to read yet: nothing to wait for
        return


def _varint(data: bytes | bytearray, at: int) -> tuple[int, int]:
    """MQTT's variable byte integer at `at`: its value and the offset after it."""
    value, shift = 0, 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80 or shift > 21:
            return value, at
        shift += 7


@dataclass(frozen=True)
class ConsumerOptions:
    client_id: str
    topic_filters: tuple[str, ...]
    session_expiry_s: int = 7 * 24 * 3600
    max_pending: int = 20_000
    """Messages held in memory at most; past that paho stops reading (backpressure)."""
    protocol: str = "auto"
    """"5", "3.1.1", or "auto": 5 unless the broker refuses it."""
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None

    def __post_init__(self) -> None:
        if self.protocol not in ("auto", *PROTOCOLS):
            raise ValueError(f"MQTT protocol must be auto, 5 or 3.1.1, got {self.protocol!r}")
        if not self.topic_filters:
            raise ValueError("at least one topic filter is needed")


class MqttSource:
    """A context manager that subscribes and hands out batches of received messages."""

    def __init__(self, broker: BrokerAddress, options: ConsumerOptions) -> None:
        self._broker = broker
        self._options = options
        self._pending: deque[Message] = deque()
        self._arrived = threading.Event()
        self._subscribed = threading.Event()
        self._connack = threading.Event()
        self._refused: ReasonCode | None = None
        self._closing = threading.Event()
        self._generation = 0
        self.protocol = "5" if options.protocol in ("auto", "5") else "3.1.1"
        self._client = self._make_client()

    def _make_client(self) -> ReadAheadClient:
        protocol = PROTOCOLS[self.protocol]
        client = ReadAheadClient(
            CallbackAPIVersion.VERSION2,
            client_id=self._options.client_id,
            protocol=protocol,
            clean_session=False if protocol == mqtt.MQTTv311 else None,
            manual_ack=True,
        )
        if self._broker.username:
            client.username_pw_set(self._broker.username, self._broker.password)
        if self._broker.tls:
            client.tls_set(
                ca_certs=self._options.ca_file,
                certfile=self._options.cert_file,
                keyfile=self._options.key_file,
            )
        client.max_inflight_messages_set(1000)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_publish_received = self._on_publish
        client.on_disconnect = self._on_disconnect
        return client

    def __enter__(self) -> MqttSource:
        self._connect()
        refused = self._refused
        if self._options.protocol == "auto" and refused and refused.value in _UNSUPPORTED:
            log.warning("the broker refused MQTT 5; falling back to 3.1.1")
            self._close_client()
            self.protocol = "3.1.1"
            self._client = self._make_client()
            self._refused = None
            self._connect()
        if self._refused is not None:
            self._close_client()
            raise IngestError(f"the broker refused the connection: {self._refused}")
        # A resumed session may deliver its queue before the subscription is acknowledged:
        # either means the worker is receiving.
        deadline = time.monotonic() + 15
        while not (self._subscribed.is_set() or self._pending):
            if time.monotonic() > deadline:
                self._close_client()
                raise IngestError(f"no subscription to {self._options.topic_filters} after 15 s")
            self._subscribed.wait(0.05)
        return self

    def _connect(self) -> None:
        """Connect (retrying while the broker is unreachable) and wait for its answer."""
        self._connack.clear()
        properties = None
        if self.protocol == "5":
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = self._options.session_expiry_s
        where = f"{self._broker.host}:{self._broker.port}"
        for attempt in range(1, 11):
            try:
                if self.protocol == "5":
                    self._client.connect(
                        self._broker.host, self._broker.port, clean_start=False,
                        properties=properties,
                    )  # fmt: skip
                else:
                    self._client.connect(self._broker.host, self._broker.port)
                break
            except OSError as exc:
                if attempt == 10:
                    raise IngestError(f"cannot reach the broker at {where}: {exc}") from exc
                log.warning("broker at %s not reachable (%s), retrying", where, exc)
                time.sleep(min(0.2 * 2**attempt, 5.0))
        self._client.loop_start()
        if not self._connack.wait(timeout=15):
            self._close_client()
            raise IngestError(f"the broker at {where} did not answer the connection")

    def _close_client(self) -> None:
        self._closing.set()
        self._client.disconnect()
        self._client.loop_stop()
        self._closing.clear()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._close_client()

    @property
    def pending(self) -> int:
        """Messages received and not yet handed out."""
        return len(self._pending)

    def get_batch(self, max_size: int, max_wait_s: float) -> list[Message]:
        """Up to `max_size` messages, waiting at most `max_wait_s` for the batch to fill."""
        pending = self._pending
        if not pending:
            self._arrived.clear()
            if not pending and not self._arrived.wait(max_wait_s):
                return []
        deadline = time.monotonic() + max_wait_s
        while len(pending) < max_size and time.monotonic() < deadline:
            time.sleep(0.002)
        return [pending.popleft() for _ in range(min(max_size, len(pending)))]

    def ack(self, acks: list[Any]) -> int:
        """Acknowledge messages of the current connection; return how many were skipped."""
        generation = self._generation
        current = [
            (mid, qos) for message_generation, mid, qos in acks if message_generation == generation
        ]
        # Subscriptions are at QoS 1, so nothing arrives at QoS 2; QoS 0 needs no answer.
        self._client.ack_all([mid for mid, qos in current if qos == 1])
        return len(acks) - len(current)

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        if client is not self._client:
            return  # a client given up for another protocol version
        if reason.is_failure:
            log.error("broker refused the connection: %s", reason)
            self._refused = reason
            self._connack.set()
            client.disconnect()
            return
        self._generation += 1
        log.info(
            "connected with MQTT %s (session present: %s)", self.protocol, flags.session_present
        )
        client.subscribe([(topic, 1) for topic in self._options.topic_filters])
        self._connack.set()

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, reasons: list[ReasonCode], props: Any
    ) -> None:
        if any(reason.is_failure for reason in reasons):
            log.error("subscription to %s refused: %s", self._options.topic_filters, reasons)
            return
        log.info("subscribed to %s", ", ".join(self._options.topic_filters))
        self._subscribed.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        if not self._closing.is_set():
            log.warning("disconnected from the broker (%s); reconnecting", reason)

    def _on_publish(self, publish: Publish) -> None:
        ack = (self._generation, publish.mid, publish.qos)
        try:
            topic = publish.topic.decode()
        except UnicodeDecodeError:  # not UTF-8, against the protocol: a reject, not a crash
            topic = publish.topic.decode("utf-8", "replace")
        pending = self._pending
        pending.append(Message(topic, publish.payload, datetime.now(UTC), ack))
        if len(pending) == 1:
            self._arrived.set()
        # Holding paho's network thread here stops it reading: the broker keeps the rest.
        while len(self._pending) >= self._options.max_pending and not self._closing.is_set():
            time.sleep(0.01)
