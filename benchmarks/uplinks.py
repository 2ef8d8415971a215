"""The benchmarks' uplinks: a fleet's distinct canonical readings and a lean QoS 1 publisher.

`Workload` numbers its readings 0..N-1: reading i comes from device i mod D, and each device's
readings are `step_s` apart, ending now, so every (device, measurement time) is distinct and
the stored row count proves that nothing was lost. Payloads follow the canonical format
(simulators/sensors.py); the fill level rises, so the ingest derives no events from them.

`Publisher` speaks just enough MQTT 3.1.1 to publish at QoS 1 and count the broker's PUBACKs,
with at most `window` messages unacknowledged. A load generator must cost the machine little:
on two cores paho-mqtt publishes about 10,000 messages/s, this client five times as many,
leaving the CPU to the broker, the ingest and the database being measured. (`mosquitto_pub
-l` is no alternative: version 2.0 exits before its QoS 1 messages are acknowledged.)
"""

from __future__ import annotations

import contextlib
import socket
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType

from curbside.settings import BrokerAddress
from curbside.topics import uplink_topic

Message = tuple[bytes, bytes]
"""(topic, payload) as bytes."""

MAX_AGE = timedelta(days=300)
"""Oldest measurement time allowed (the ingest rejects readings more than a year old)."""
EMPTY_MM, FULL_MM = 1200, 100
"""The registered bins' geometry: sensor-to-bottom distance and the distance when full."""


@dataclass(frozen=True)
class Workload:
    """`readings` distinct readings of `devices` devices, the last ones at `end`."""

    readings: int
    devices: int
    end: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))
    step_s: int = 60

    def __post_init__(self) -> None:
        if self.readings < 1 or self.devices < 1 or self.step_s < 1:
            raise ValueError("readings, devices and step_s must be at least 1")
        if self.end.tzinfo is None:
            raise ValueError("end must be timezone-aware")
        if timedelta(seconds=self.per_device * self.step_s) > MAX_AGE:
            raise ValueError(
                f"{self.per_device:,} readings per device {self.step_s} s apart reach further "
                f"back than {MAX_AGE.days} days: use more devices"
            )

    @property
    def per_device(self) -> int:
        return -(-self.readings // self.devices)

    def measured_at(self, k: int) -> datetime:
        """The measurement time of each device's `k`-th reading."""
        return self.end - timedelta(seconds=(self.per_device - 1 - k) * self.step_s)

    @property
    def last_round(self) -> int:
        """How many readings carry the last measurement time (the last ones published)."""
        return self.readings - (self.per_device - 1) * self.devices

    def device_id(self, device: int) -> str:
        return f"bench-{device:05d}"

    def topics(self, prefix: str) -> list[bytes]:
        return [uplink_topic(self.device_id(d), prefix).encode() for d in range(self.devices)]

    def payload(self, i: int, extra: str = "") -> bytes:
        """Reading `i` as canonical JSON; `extra` is appended inside the object (`,"k":v`)."""
        k = i // self.devices
        ts = self.measured_at(k)
        fill = round(100 * k / self.per_device, 1)
        distance = round(EMPTY_MM - fill / 100 * (EMPTY_MM - FULL_MM))
        return (
            f'{{"ts":"{ts:%Y-%m-%dT%H:%M:%SZ}","fill_pct":{fill},"distance_mm":{distance},'
            f'"battery_pct":90.0,"temperature_c":18.5,"seq":{k}{extra}}}'
        ).encode()

    def messages(self, prefix: str) -> list[Message]:
        """Every reading with its device's topic under `prefix`, devices taking turns."""
        topics = self.topics(prefix)
        return [(topics[i % self.devices], self.payload(i)) for i in range(self.readings)]


def _length(n: int) -> bytes:
    """MQTT's variable-length integer."""
    out = bytearray()
    while True:
        n, digit = divmod(n, 128)
        out.append(digit | 0x80 if n else digit)
        if not n:
            return bytes(out)


def _string(value: bytes) -> bytes:
    return struct.pack("!H", len(value)) + value


class Publisher:
    """An MQTT 3.1.1 connection that publishes at QoS 1 and waits for every PUBACK."""

    def __init__(
        self,
        broker: BrokerAddress,
        client_id: str,
        *,
        window: int = 1000,
        timeout_s: float = 60.0,
        clean_session: bool = True,
    ) -> None:
        if not 1 <= window <= 65535:
            raise ValueError(f"window must be within 1..65535, got {window}")
        if broker.tls or broker.username:
            raise ValueError("the benchmark publisher speaks plain MQTT without credentials")
        self._broker = broker
        self._client_id = client_id
        self._window = window
        self._timeout_s = timeout_s
        self._clean = clean_session
        self._sock: socket.socket | None = None
        self._pending = b""
        self.sent = 0
        self.acked = 0

    def __enter__(self) -> Publisher:
        sock = socket.create_connection((self._broker.host, self._broker.port), self._timeout_s)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        flags = 0x02 if self._clean else 0x00
        body = _string(b"MQTT") + bytes([4, flags]) + struct.pack("!H", 600)
        body += _string(self._client_id.encode())
        sock.sendall(b"\x10" + _length(len(body)) + body)
        connack = self._recv_exactly(sock, 4)
        if connack[:2] != b"\x20\x02" or connack[3] != 0:
            sock.close()
            raise RuntimeError(f"the broker refused the connection: CONNACK {connack.hex()}")
        self._sock = sock
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.sendall(b"\xe0\x00")  # DISCONNECT
            self._sock.close()
            self._sock = None

    def _recv_exactly(self, sock: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = sock.recv(size - len(data))
            if not chunk:
                raise RuntimeError("the broker closed the connection")
            data += chunk
        return data

    def send(self, messages: Sequence[Message]) -> None:
        """Publish `messages` in order, never more than `window` unacknowledged."""
        done = 0
        while done < len(messages):
            room = self._window - (self.sent - self.acked)
            if room <= 0:
                self._read_acks(block=True)
                continue
            packets = []
            for topic, payload in messages[done : done + room]:
                body = _string(topic) + struct.pack("!H", self.sent % 65535 + 1) + payload
                packets.append(b"\x32" + _length(len(body)) + body)
                self.sent += 1
            self._socket().sendall(b"".join(packets))
            done += len(packets)
            self._read_acks(block=False)

    def flush(self) -> None:
        """Wait until the broker acknowledged every message sent."""
        while self.acked < self.sent:
            self._read_acks(block=True)

    def _socket(self) -> socket.socket:
        if self._sock is None:
            raise RuntimeError("the publisher is not connected")
        return self._sock

    def _read_acks(self, block: bool) -> None:
        sock = self._socket()
        sock.settimeout(self._timeout_s if block else 0.0)
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            return
        except TimeoutError as exc:
            raise RuntimeError(
                f"the broker acknowledged {self.acked:,} of {self.sent:,} messages "
                f"and then nothing for {self._timeout_s:g} s"
            ) from exc
        if not data:
            raise RuntimeError("the broker closed the connection")
        data = self._pending + data
        whole = len(data) - len(data) % 4
        for offset in range(0, whole, 4):
            if data[offset : offset + 2] != b"\x40\x02":
                raise RuntimeError(f"expected a PUBACK, got {data[offset : offset + 4].hex()}")
        self.acked += whole // 4
        self._pending = data[whole:]


def publish(broker: BrokerAddress, client_id: str, messages: Sequence[Message]) -> float:
    """Publish and wait for every acknowledgement; return the seconds it took."""
    started = time.perf_counter()
    with Publisher(broker, client_id) as publisher:
        for start in range(0, len(messages), 10_000):
            publisher.send(messages[start : start + 10_000])
        publisher.flush()
    return time.perf_counter() - started


def clear_session(broker: BrokerAddress, client_id: str) -> None:
    """Make the broker forget `client_id`'s session and whatever it queued for it."""
    with Publisher(broker, client_id, clean_session=True):
        pass
