"""Simulated uplinks onto an MQTT broker with paho-mqtt 2.x, at QoS 1, every one acknowledged.

`Publisher` is the connection: a context manager that publishes, holds back once too many
messages await the broker's acknowledgement, and waits for the rest on `flush`. `play` sends
a feed of deliveries (`simulators.feed`) through it, as fast as the broker takes them or
paced by a `clock.Pacer`, and reports what it sent. `publish_city` and `publish_history` put
the two together for a city.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.reasoncodes import ReasonCode

from curbside.settings import BrokerAddress
from simulators.city import City
from simulators.clock import Pacer
from simulators.errors import PublishError
from simulators.faults import PER_READING, FaultRates
from simulators.feed import Delivery, expected_readings, feed
from simulators.fill import LevelSource
from simulators.radio import Network
from simulators.sensors import report_times

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


@dataclass(frozen=True)
class PlayReport:
    """What a run sent: readings measured, messages published, and the faults among them."""

    readings: int
    """Readings the devices measured (dropped ones included, second copies not)."""
    published: int
    """Messages handed to the broker and acknowledged (second copies included)."""
    faults: dict[str, int]
    """Readings per per-reading fault (`faults.PER_READING`)."""

    def __post_init__(self) -> None:
        if self.readings < 0 or self.published < 0:
            raise ValueError("readings and published must be >= 0")
        if set(self.faults) - set(PER_READING) or any(n < 0 for n in self.faults.values()):
            raise ValueError(f"faults must count per-reading faults, got {self.faults}")

    @property
    def distinct(self) -> int:
        """Messages the ingest stores once each, as a reading or a reject (no second copies)."""
        return self.published - self.faults.get("duplicate", 0)

    def describe(self) -> str:
        faults = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in self.faults.items() if n)
        return f"{self.readings} readings in {self.published} messages" + (
            f" (faults: {faults})" if faults else ""
        )


def play(
    deliveries: Iterable[Delivery],
    broker: BrokerAddress,
    pacer: Pacer | None = None,
    progress: Progress | None = None,
    total: int = 0,
) -> PlayReport:
    """Publish the deliveries in order, each when `pacer` says (at once without one), and wait
    for the broker's acknowledgements. `progress` gets (readings so far, `total`)."""
    faults: Counter[str] = Counter({name: 0 for name in PER_READING})
    readings = 0
    with Publisher(broker) as publisher:
        for delivery in deliveries:
            if delivery.fault is not None:
                faults[delivery.fault] += 1
            if delivery.fault != "duplicate":
                readings += 1
                if progress is not None:
                    progress(readings, total)
            if delivery.message is None:
                continue
            if pacer is not None:
                pacer.wait(delivery.send_at)
            publisher.publish(delivery.message.topic, delivery.message.payload)
        publisher.flush()
    return PlayReport(readings, publisher.sent, dict(faults))


def publish_city(
    city: City,
    broker: BrokerAddress,
    prefix: str,
    start: datetime,
    end: datetime,
    seed: int,
    *,
    levels: LevelSource | None = None,
    faults: FaultRates | None = None,
    speed: float | None = None,
    network: Network | None = None,
    progress: Progress | None = None,
) -> PlayReport:
    """Play the city's sensors from `start` to `end`: each device on its own schedule and in
    its own format, with the faults asked for; as fast as the broker takes them, or at
    `speed` simulated seconds per real second (see `clock.timed_window` for the window)."""
    pacer = None if speed is None else Pacer(speed, start)
    deliveries = feed(
        city, start, end, seed, levels=levels, faults=faults, network=network, prefix=prefix
    )
    return play(deliveries, broker, pacer, progress, expected_readings(city, start, end))


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
    """Publish every device's readings of the `hours` before `end`, all devices on a common
    grid of `step_h`, each in its own format, without faults; return how many were sent.

    Readings go out in time order, each stamped with its measurement time; the function
    returns once the broker has acknowledged all of them. The same arguments publish the
    same messages. `progress`, when given, is called after each reading.
    """
    grid = report_times(end, hours, step_h)
    start = grid[-1] - timedelta(seconds=round(hours * 3600))
    deliveries = feed(city, start, end, seed, prefix=prefix, grid=grid)
    total = expected_readings(city, start, end, grid)
    return play(deliveries, broker, None, progress, total).published
