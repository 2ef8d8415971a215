"""A lean MQTT 3.1.1 publisher: QoS 0 or 1, many messages per write, acknowledgements counted.

A load generator must cost the machine little: on two cores paho-mqtt publishes about 10,000
messages/s, while one connection of this client puts about 200,000 QoS 1 messages/s into a
local Mosquitto with no subscriber, leaving the CPU to the broker, the ingest and the
database being measured. It speaks only what publishing needs: CONNECT (with a user
name and password, over TLS for `mqtts://`), PUBLISH at QoS 0 or 1, PUBACK, PINGREQ and
DISCONNECT, and keeps at most `window` QoS 1 messages unacknowledged. (`mosquitto_pub -l` is
no alternative: version 2.0 exits before its QoS 1 messages are acknowledged.)

The load generator (simulators/load.py) and the ingest benchmarks (benchmarks/uplinks.py)
publish through it.
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import struct
import time
from collections.abc import Callable, Sequence
from types import TracebackType

from curbside.settings import BrokerAddress
from simulators.errors import PublishError

Message = tuple[bytes, bytes]
"""(topic, payload) as bytes."""

_PUBACK, _PINGRESP = 4, 13
_CONNACK_REFUSALS = {
    1: "unacceptable protocol version",
    2: "client id rejected",
    3: "server unavailable",
    4: "bad user name or password",
    5: "not authorised",
}


def encode_length(n: int) -> bytes:
    """MQTT's variable-length integer (the remaining length of a packet)."""
    out = bytearray()
    while True:
        n, digit = divmod(n, 128)
        out.append(digit | 0x80 if n else digit)
        if not n:
            return bytes(out)


def _string(value: bytes) -> bytes:
    return struct.pack("!H", len(value)) + value


def connect_packet(
    client_id: str,
    keepalive_s: int,
    clean_session: bool,
    username: str | None = None,
    password: str | None = None,
) -> bytes:
    """A CONNECT packet of MQTT 3.1.1."""
    flags = 0x02 if clean_session else 0x00
    payload = _string(client_id.encode())
    if username is not None:
        flags |= 0x80
        payload += _string(username.encode())
        if password is not None:
            flags |= 0x40
            payload += _string(password.encode())
    body = _string(b"MQTT") + bytes([4, flags]) + struct.pack("!H", keepalive_s) + payload
    return b"\x10" + encode_length(len(body)) + body


def publish_packet(topic: bytes, payload: bytes, qos: int, packet_id: int) -> bytes:
    """A PUBLISH packet; `packet_id` is left out at QoS 0."""
    if qos:
        body = _string(topic) + struct.pack("!H", packet_id) + payload
        return b"\x32" + encode_length(len(body)) + body
    body = _string(topic) + payload
    return b"\x30" + encode_length(len(body)) + body


class LeanPublisher:
    """One connection that publishes at QoS 0 or 1 and counts the broker's PUBACKs.

    `send` publishes a sequence and waits whenever `window` QoS 1 messages are unacknowledged;
    `write`, `poll` and `room` let a caller pace its own writes. Failures raise PublishError.
    """

    def __init__(
        self,
        broker: BrokerAddress,
        client_id: str,
        *,
        qos: int = 1,
        window: int = 1000,
        timeout_s: float = 60.0,
        clean_session: bool = True,
        keepalive_s: int = 60,
    ) -> None:
        if qos not in (0, 1):
            raise ValueError(f"qos must be 0 or 1, got {qos!r}")
        if not 1 <= window <= 65535:
            raise ValueError(f"window must be within 1..65535, got {window}")
        if not timeout_s > 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s}")
        if not 1 <= keepalive_s <= 65535:
            raise ValueError(f"keepalive_s must be within 1..65535, got {keepalive_s}")
        self._broker = broker
        self._client_id = client_id
        self.qos = qos
        self._window = window
        self._timeout_s = timeout_s
        self._clean = clean_session
        self._keepalive_s = keepalive_s
        self._sock: socket.socket | None = None
        self._pending = bytearray()
        self._last_write = 0.0
        self.sent = 0
        self.acked = 0

    @property
    def where(self) -> str:
        return f"{self._broker.host}:{self._broker.port}"

    @property
    def room(self) -> int:
        """How many messages may go out now: the window less those awaiting a PUBACK."""
        return self._window - (self.sent - self.acked if self.qos else 0)

    def __enter__(self) -> LeanPublisher:
        broker = self._broker
        try:
            sock = socket.create_connection((broker.host, broker.port), self._timeout_s)
        except OSError as exc:
            raise PublishError(f"cannot reach the broker at {self.where}: {exc}") from exc
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if broker.tls:
                context = ssl.create_default_context()
                sock = context.wrap_socket(sock, server_hostname=broker.host)
            packet = connect_packet(
                self._client_id, self._keepalive_s, self._clean, broker.username, broker.password
            )
            sock.sendall(packet)
            connack = _recv_exactly(sock, 4)
        except (OSError, PublishError) as exc:
            sock.close()
            raise PublishError(f"the broker at {self.where} did not accept us: {exc}") from exc
        if connack[:2] != b"\x20\x02" or connack[3] != 0:
            sock.close()
            why = _CONNACK_REFUSALS.get(connack[3], f"CONNACK {connack.hex()}")
            raise PublishError(f"the broker at {self.where} refused the connection: {why}")
        self._sock = sock
        self._last_write = time.monotonic()
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

    def _socket(self) -> socket.socket:
        if self._sock is None:
            raise PublishError("the publisher is not connected")
        return self._sock

    def write(self, messages: Sequence[Message]) -> None:
        """Publish `messages` in one write, whatever the window; `send` respects it."""
        packets = []
        for topic, payload in messages:
            packets.append(publish_packet(topic, payload, self.qos, self.sent % 65535 + 1))
            self.sent += 1
        self._write(b"".join(packets))

    def _write(self, data: bytes) -> None:
        try:
            self._socket().sendall(data)
        except OSError as exc:  # a timeout too: the broker stopped reading
            raise PublishError(f"lost the broker at {self.where}: {exc}") from exc
        self._last_write = time.monotonic()

    def send(self, messages: Sequence[Message]) -> None:
        """Publish `messages` in order, never more than `window` unacknowledged."""
        done = 0
        while done < len(messages):
            room = self.room
            if room <= 0:
                if not self.wait(lambda: self.room > 0, self._timeout_s):
                    raise self._silence()
                continue
            self.write(messages[done : done + room])
            done += min(room, len(messages) - done)
            self.poll()

    def poll(self, wait_s: float = 0.0) -> None:
        """Read what the broker sent (PUBACKs, PINGRESP), waiting up to `wait_s` for it."""
        sock = self._socket()
        buffered = isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
        if not buffered and not select.select([sock], [], [], max(0.0, wait_s))[0]:
            return
        try:
            data = sock.recv(65536)
        except ssl.SSLWantReadError:  # part of a TLS record: the rest comes with the next poll
            return
        except OSError as exc:
            raise PublishError(f"lost the broker at {self.where}: {exc}") from exc
        if not data:
            raise PublishError(f"the broker at {self.where} closed the connection")
        self._pending += data
        self._parse()

    def _parse(self) -> None:
        data = self._pending
        start = 0
        while (packet := _packet_at(data, start)) is not None:
            kind, start = packet
            if kind == _PUBACK:
                self.acked += 1
            elif kind != _PINGRESP:
                raise PublishError(f"the broker sent an unexpected packet of type {kind}")
        del data[:start]

    def wait(self, done: Callable[[], bool], timeout_s: float) -> bool:
        """Read from the broker until `done()` holds (True) or `timeout_s` passed (False)."""
        deadline = time.monotonic() + timeout_s
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.poll(left)
        return True

    def wait_for_acks(self, timeout_s: float) -> bool:
        """Wait until the broker acknowledged every QoS 1 message sent; False on timeout."""
        return self.wait(lambda: self.acked >= self.sent or not self.qos, timeout_s)

    def flush(self) -> None:
        """Wait until the broker acknowledged every message sent; raise when it stops."""
        if not self.wait_for_acks(self._timeout_s):
            raise self._silence()

    def keep_alive(self) -> None:
        """Ping the broker when nothing was written for half the keep-alive interval."""
        if time.monotonic() - self._last_write >= self._keepalive_s / 2:
            self._write(b"\xc0\x00")  # PINGREQ

    def _silence(self) -> PublishError:
        return PublishError(
            f"the broker acknowledged {self.acked:,} of {self.sent:,} messages "
            f"and then nothing for {self._timeout_s:g} s"
        )


def _packet_at(data: bytearray, start: int) -> tuple[int, int] | None:
    """The type of the packet at `start` and where it ends; None until all of it arrived."""
    length, offset = 0, start + 1
    for shift in range(0, 28, 7):
        if offset >= len(data):
            return None
        digit = data[offset]
        offset += 1
        length |= (digit & 0x7F) << shift
        if not digit & 0x80:
            end = offset + length
            return (data[start] >> 4, end) if end <= len(data) else None
    raise PublishError("the broker sent a malformed packet length")


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise PublishError("the broker closed the connection")
        data += chunk
    return data
