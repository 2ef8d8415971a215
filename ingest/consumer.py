"""MQTT messages in, acknowledgements out, with paho-mqtt 2.x.

The broker keeps this client's session (a fixed client id, no clean start, a session expiry),
and a QoS 1 message is acknowledged only when the caller says so, after its reading or reject
is committed. Paho reconnects by itself with backoff; messages not acknowledged before a
disconnect are delivered again by the broker.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from curbside.settings import BrokerAddress
from ingest.errors import IngestError
from ingest.process import Message

log = logging.getLogger(__name__)


class MqttSource:
    """A context manager that subscribes and hands out batches of received messages."""

    def __init__(
        self,
        broker: BrokerAddress,
        client_id: str,
        topic_filter: str,
        session_expiry_s: int = 7 * 24 * 3600,
        queue_size: int = 20_000,
    ) -> None:
        self._broker = broker
        self._topic_filter = topic_filter
        self._session_expiry_s = session_expiry_s
        self._queue: queue.Queue[Message] = queue.Queue(maxsize=queue_size)
        self._subscribed = threading.Event()
        self._closing = threading.Event()
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        if broker.username:
            self._client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            self._client.tls_set()
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message
        self._client.on_disconnect = self._on_disconnect

    def __enter__(self) -> MqttSource:
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = self._session_expiry_s
        for attempt in range(1, 11):
            try:
                self._client.connect(
                    self._broker.host, self._broker.port, clean_start=False, properties=properties
                )
                break
            except OSError as exc:
                if attempt == 10:
                    raise IngestError(
                        f"cannot reach the broker at {self._broker.host}:{self._broker.port}: {exc}"
                    ) from exc
                log.warning("broker not reachable (%s), retrying", exc)
                time.sleep(min(0.2 * 2**attempt, 5.0))
        self._client.loop_start()
        if not self._subscribed.wait(timeout=15):
            self.__exit__(None, None, None)
            raise IngestError(f"no subscription to {self._topic_filter} after 15 s")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._closing.set()
        self._client.disconnect()
        self._client.loop_stop()

    def get_batch(self, max_size: int, max_wait_s: float) -> list[Message]:
        """Up to `max_size` messages; waits at most `max_wait_s` once the first has come."""
        try:
            first = self._queue.get(timeout=max_wait_s)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + max_wait_s
        while len(batch) < max_size:
            remaining = deadline - time.monotonic()
            try:
                batch.append(
                    self._queue.get(timeout=max(remaining, 0))
                    if remaining > 0
                    else self._queue.get_nowait()
                )
            except queue.Empty:
                break
        return batch

    def ack(self, acks: list[Any]) -> None:
        """Acknowledge messages to the broker (QoS 0 messages need none)."""
        for mid, qos in acks:
            if qos > 0:
                self._client.ack(mid, qos)

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        if reason.is_failure:
            log.error("broker refused the connection: %s", reason)
            return
        log.info("connected (session present: %s)", flags.session_present)
        client.subscribe(self._topic_filter, qos=1)

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, reasons: list[ReasonCode], props: Any
    ) -> None:
        if any(reason.is_failure for reason in reasons):
            log.error("subscription to %s refused: %s", self._topic_filter, reasons)
            return
        self._subscribed.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        if not self._closing.is_set():
            log.warning("disconnected from the broker (%s); reconnecting", reason)

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        message = Message(msg.topic, bytes(msg.payload), datetime.now(UTC), (msg.mid, msg.qos))
        # A full queue blocks paho's network thread, so the broker holds the rest back.
        while not self._closing.is_set():
            try:
                self._queue.put(message, timeout=0.5)
                return
            except queue.Full:
                continue
