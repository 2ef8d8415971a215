"""Simulated readings onto an MQTT broker with paho-mqtt 2.x, at QoS 1, every one acknowledged.

`Publisher` is the connection: a context manager that publishes, holds back once too many
messages await the broker's acknowledgement, and waits for the rest on `flush`.
`publish_history` plays a city's sensor history through it.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.reasoncodes import ReasonCode

from curbside.settings import BrokerAddress
from curbside.topics import uplink_topic
from simulators.city import City
from simulators.errors import PublishError
from simulators.sensors import history, history_count, reading_payload

Progress = Callable[[int, int], None]
"""Called with (messages handed to the broker so far, messages in all)."""


class Publisher:
    """A connection that publishes at QoS 1 and counts the broker's acknowledgements."""

    def __init__(
        self,
        broker: BrokerAddress,
        client_id: str | None = None,
        *,
        max_pending: int = 1000,
        timeout_s: float = 30.0,
    ) -> None:
        if max_pending < 1 or timeout_s <= 0:
            raise ValueError("max_pending must be >= 1 and timeout_s > 0")
        self._broker = broker
        self._max_pending = max_pending
        self._timeout_s = timeout_s
        self._state = threading.Condition()
        self._connack: ReasonCode | None = None
        self._sent = 0
        self._acked = 0
        self._refused: list[str] = []
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"curbside-sim-{uuid.uuid4().hex[:12]}",
            protocol=mqtt.MQTTv5,
        )
        if broker.username:
            self._client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            self._client.tls_set()
        self._client.max_inflight_messages_set(100)
        self._client.on_connect = self._on_connect
        self._client.on_publish = self._on_publish

    @property
    def sent(self) -> int:
        return self._sent

    @property
    def acked(self) -> int:
        with self._state:
            return self._acked

    def __enter__(self) -> Publisher:
        where = f"{self._broker.host}:{self._broker.port}"
        try:
            self._client.connect(self._broker.host, self._broker.port)
        except OSError as exc:
            raise PublishError(f"cannot reach the broker at {where}: {exc}") from exc
        self._client.loop_start()
        with self._state:
            answered = self._state.wait_for(lambda: self._connack is not None, self._timeout_s)
            reason = self._connack
        if not answered or reason is None or reason.is_failure:
            self.__exit__(None, None, None)
            why = f"refused the connection: {reason}" if answered else "did not answer"
            raise PublishError(f"the broker at {where} {why}")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def publish(self, topic: str, payload: bytes) -> None:
        """Hand a message to the broker at QoS 1; waits while too many are unacknowledged."""
        self._wait(self._sent - self._max_pending + 1)
        info = self._client.publish(topic, payload, qos=1)
        # Without a connection paho keeps the message and sends it once reconnected.
        if info.rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_NO_CONN):
            raise PublishError(f"cannot publish to {topic}: {mqtt.error_string(info.rc)}")
        self._sent += 1

    def flush(self) -> None:
        """Wait until the broker acknowledged every message; raise if it refused any."""
        self._wait(self._sent)
        if self._refused:
            raise PublishError(
                f"the broker refused {len(self._refused)} of {self._sent} messages: "
                f"{self._refused[0]}"
            )

    def _wait(self, acked: int) -> None:
        with self._state:
            if not self._state.wait_for(lambda: self._acked >= acked, self._timeout_s):
                raise PublishError(
                    f"the broker acknowledged {self._acked} of {self._sent} messages "
                    f"and then nothing for {self._timeout_s:g} s"
                )

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        with self._state:
            self._connack = reason
            self._state.notify_all()

    def _on_publish(
        self, client: mqtt.Client, userdata: Any, mid: int, reason: ReasonCode, props: Any
    ) -> None:
        with self._state:
            self._acked += 1
            if reason.is_failure:
                self._refused.append(str(reason))
            self._state.notify_all()


def publish_history(
    city: City,
    broker: BrokerAddress,
    prefix: str,
    end: datetime,
    hours: float,
    step_h: float,
    seed: int,
    progress: Progress | None = None,
) -> int:
    """Publish every device's readings of the `hours` before `end`; return how many.

    Readings go out in time order on `{prefix}/devices/{device_id}/up`, each stamped with its
    measurement time; the function returns once the broker has acknowledged all of them. The
    same arguments publish the same messages. `progress`, when given, is called after each
    message is handed to the broker.
    """
    total = history_count(city, end, hours, step_h)
    topics = {device.id: uplink_topic(device.id, prefix) for device in city.devices}
    with Publisher(broker) as publisher:
        for reading in history(city, end, hours, step_h, seed):
            publisher.publish(topics[reading.device_id], reading_payload(reading))
            if progress is not None:
                progress(publisher.sent, total)
        publisher.flush()
    return publisher.sent
