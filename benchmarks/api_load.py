"""The API under load: requests per second and p50/p99 latency, side by side with a trivial
endpoint on the same server in the same run.

One run starts a throwaway PostgreSQL, registers a simulated city of `--bins` bins with a
day of readings, and serves the API from a separate process (uvicorn, one worker, the
public rate limit lifted). A load process then measures, one endpoint after the other:

closed loop
    `--concurrency` requests in flight for `--seconds` seconds: the throughput the endpoint
    reaches on this machine, and its latency then.
paced
    requests started at `--rate` a second for `--seconds` seconds, whatever came back: the
    latency at that rate (the issue's target: p99 below 50 ms at 500 a second).

Endpoints: `/livez` (the framework's ceiling: no database), a resident's pickups by address,
the same address's calendar feed, and the bins as GeoJSON (closed loop only, with fewer in
flight). Both processes share the machine's cores, as a small deployment would.

    .venv/bin/python -m benchmarks.api_load [--bins 10000] [--seconds 10] [--concurrency 32]
        [--rate 500]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from urllib.parse import quote

import httpx
import psycopg

from benchmarks.city_history import store_history
from curbside import migrate
from curbside.runtime import LocalPostgres, free_port
from simulators import generate_city, import_city


async def _closed(urls: Sequence[str], seconds: float, concurrency: int) -> list[float]:
    latencies: list[float] = []
    stop = time.perf_counter() + seconds
    async with httpx.AsyncClient(timeout=30) as client:

        async def worker(k: int) -> None:
            n = k
            while time.perf_counter() < stop:
                started = time.perf_counter()
                response = await client.get(urls[n % len(urls)])
                response.raise_for_status()
                latencies.append(time.perf_counter() - started)
                n += concurrency

        await asyncio.gather(*(worker(k) for k in range(concurrency)))
    return latencies


async def _paced(urls: Sequence[str], seconds: float, rate: float) -> tuple[list[float], int]:
    latencies: list[float] = []
    failed = 0
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=200)) as client:

        async def one(url: str) -> None:
            nonlocal failed
            started = time.perf_counter()
            try:
                response = await client.get(url)
                response.raise_for_status()
            except httpx.HTTPError:
                failed += 1
                return
            latencies.append(time.perf_counter() - started)

        tasks = []
        begin = time.perf_counter()
        for n in range(int(seconds * rate)):
            delay = begin + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(urls[n % len(urls)])))
        await asyncio.gather(*tasks)
    return latencies, failed


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


def _serve(database_url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CURBSIDE_DATABASE_URL": database_url,
        "CURBSIDE_PUBLIC_PER_MINUTE": "1e12",
        "CURBSIDE_PUBLIC_BURST": "1000000000",
    }
    command = [str(Path(sys.executable).parent / "curbside"), "api", "--port", str(port)]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/livez", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the API did not start")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bins", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="curbside-api-"))
    root.chmod(0o755)
    cluster = LocalPostgres(root / "postgres", free_port())
    server = None
    try:
        cluster.start()
        migrate.upgrade(cluster.url)
        city = generate_city(args.bins, args.seed)
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            import_city(conn, city)
            store_history(conn, city, date.today(), 1, args.seed)
        addresses = sorted({b.address for b in city.bins if b.schedule == "calendar"})
        random.Random(args.seed).shuffle(addresses)
        port = free_port()
        server = _serve(cluster.url, port)
        base = f"http://127.0.0.1:{port}"
        lookups = []
        for address in addresses[:500]:
            street, _, number = address.rpartition(" ")
            lookups.append(f"street={quote(street)}&number={quote(number)}")
        endpoints = {
            "trivial (/livez)": [f"{base}/livez"],
            "pickups by address": [f"{base}/v1/pickups?{q}" for q in lookups],
            "calendar feed (ICS)": [f"{base}/v1/pickups.ics?{q}" for q in lookups],
        }
        rows = []
        for name, urls in endpoints.items():
            closed = asyncio.run(_closed(urls, args.seconds, args.concurrency))
            paced, failed = asyncio.run(_paced(urls, args.seconds, args.rate))
            rows.append((name, len(closed) / args.seconds, closed, paced, failed))
        geojson = asyncio.run(_closed([f"{base}/v1/bins.geojson"], args.seconds, 2))
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
    ceiling = rows[0][1]
    print(f"bins={args.bins:,} seconds={args.seconds:g} concurrency={args.concurrency} "
          f"paced rate={args.rate:g}/s")  # fmt: skip
    print("| endpoint | req/s (closed loop) | of trivial | p50 / p99 ms (closed) "
          f"| p50 / p99 ms at {args.rate:g}/s | failed |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for name, rps, closed, paced, failed in rows:
        print(
            f"| {name} | {rps:,.0f} | {rps / ceiling:.2f} | "
            f"{_quantile(closed, 0.5):.1f} / {_quantile(closed, 0.99):.1f} | "
            f"{_quantile(paced, 0.5):.1f} / {_quantile(paced, 0.99):.1f} | {failed} |"
        )
    print(
        f"| bins GeoJSON ({args.bins:,} bins, 2 in flight) | {len(geojson) / args.seconds:,.1f}"
        f" | | {_quantile(geojson, 0.5):.0f} / {_quantile(geojson, 0.99):.0f} | | |"
    )


if __name__ == "__main__":
    main()
