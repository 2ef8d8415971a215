"""A lean HTTP/1.1 load client for the API benchmark.

A general-purpose client spends about as much CPU on a request as a small endpoint does to
answer it, so on a two-core machine it, not the server, would set the ceiling. This one
keeps connections alive over asyncio streams, writes a bare GET and reads the response by
its Content-Length (or its chunks), and nothing else.

Two ways to load a server:

closed loop
    a number of connections, each sending its next request when the last one came back:
    the throughput the server reaches, and its latency then.
paced
    requests due at a fixed rate, taken by a pool of connections; a request's latency counts
    from when it was due, so time spent waiting for a free connection counts too (a server
    that falls behind shows it in the figures instead of slowing the load down).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

TIMEOUT_S = 30.0
"""A request not answered within this long fails (OSError covers the timeout)."""


class ResponseError(Exception):
    """A response that is not a success, or that could not be read."""


@dataclass
class Tally:
    """What a load run saw: the latency of each successful request, in seconds."""

    latencies: list[float] = field(default_factory=list)
    failed: int = 0

    def add(self, other: Tally) -> None:
        """Count another run's requests in this one."""
        self.latencies += other.latencies
        self.failed += other.failed

    def quantile_ms(self, q: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


class Connection:
    """One keep-alive connection, reopened after a failure."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, path: str) -> None:
        """GET `path` and read the whole response; ResponseError unless it is a 2xx."""
        try:
            await asyncio.wait_for(self._get(path), TIMEOUT_S)
        except (
            OSError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ValueError,
        ) as e:
            self.close()
            raise ResponseError(f"GET {path}: {e!r}") from e

    async def _get(self, path: str) -> None:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
        status = int(head[9:12])
        if "transfer-encoding: chunked" in head:
            await _skip_chunks(reader)
        elif "content-length:" in head:
            length = head.split("content-length:", 1)[1].split("\r\n", 1)[0]
            await reader.readexactly(int(length))
        if "connection: close" in head:
            self.close()
        if not 200 <= status < 300:
            raise ValueError(f"status {status}")

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


async def _skip_chunks(reader: asyncio.StreamReader) -> None:
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
        await reader.readexactly(size + 2)  # the chunk and its CRLF
        if size == 0:
            return


async def closed_loop(
    host: str, port: int, paths: Sequence[str], seconds: float, connections: int
) -> Tally:
    """Each connection sends its next request as soon as the last one came back."""
    tally = Tally()
    stop = time.perf_counter() + seconds

    async def client(k: int) -> None:
        connection = Connection(host, port)
        n = k
        while time.perf_counter() < stop:
            started = time.perf_counter()
            try:
                await connection.get(paths[n % len(paths)])
                tally.latencies.append(time.perf_counter() - started)
            except ResponseError:
                tally.failed += 1
            n += connections
        connection.close()

    await asyncio.gather(*(client(k) for k in range(connections)))
    return tally


async def paced(
    host: str, port: int, paths: Sequence[str], seconds: float, rate: float, connections: int
) -> Tally:
    """Requests due every 1/`rate` seconds for `seconds`, served by `connections`
    connections; a latency counts from when its request was due."""
    tally = Tally()
    due: asyncio.Queue[tuple[float, str] | None] = asyncio.Queue()

    async def client() -> None:
        connection = Connection(host, port)
        while (item := await due.get()) is not None:
            due_at, path = item
            try:
                await connection.get(path)
                tally.latencies.append(time.perf_counter() - due_at)
            except ResponseError:
                tally.failed += 1
        connection.close()

    clients = [asyncio.create_task(client()) for _ in range(connections)]
    begin = time.perf_counter()
    for n in range(int(seconds * rate)):
        due_at = begin + n / rate
        delay = due_at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        due.put_nowait((due_at, paths[n % len(paths)]))
    for _ in clients:
        due.put_nowait(None)
    await asyncio.gather(*clients)
    return tally
