"""Tests of the benchmark's load client against a small HTTP/1.1 server on a free port."""

import asyncio

from benchmarks.http_load import closed_loop, paced

RESPONSES = {
    b"/sized": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    b"/chunked": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n4;note=x\r\ndefg\r\n0\r\n\r\n"
    ),
    b"/missing": b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno",
    b"/closing": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
}


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers each request on a kept-alive connection from RESPONSES, by its path."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1]
            writer.write(RESPONSES[path])
            await writer.drain()
            if path == b"/closing":
                break
    except asyncio.IncompleteReadError:
        pass
    writer.close()


async def _load(paths: list[str], rate: float | None) -> tuple[int, int]:
    server = await asyncio.start_server(_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        if rate is None:
            tally = await closed_loop("127.0.0.1", port, paths, 0.3, 3)
        else:
            tally = await paced("127.0.0.1", port, paths, 0.5, rate, 4)
    return len(tally.latencies), tally.failed


def test_sized_chunked_and_closing_responses_are_read_whole() -> None:
    """A response read short or long would leave the next one unreadable, and fail it."""
    served, failed = asyncio.run(_load(["/sized", "/chunked", "/closing"], None))
    assert served > 30
    assert failed == 0


def test_paced_load_sends_every_request_due_and_counts_failures() -> None:
    """At 100 a second for half a second: 50 requests, the 404s among them failed."""
    served, failed = asyncio.run(_load(["/sized", "/missing"], 100.0))
    assert (served, failed) == (25, 25)
