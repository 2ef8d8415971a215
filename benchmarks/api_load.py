"""The API under load: requests per second and p50/p99 latency, side by side with a trivial
endpoint on the same server in the same run.

One run starts a throwaway PostgreSQL, registers a simulated city of `--bins` bins with a
day of readings, and serves the API from a separate process (`curbside api --workers`, two
by default, the public rate limit lifted). A load process (benchmarks/http_load.py) then
measures, one endpoint after the other:

closed loop
    `--concurrency` connections, each sending its next request when the last came back, for
    `--seconds` seconds: the throughput the endpoint reaches on this machine, and its latency
    then.
paced
    requests due at `--rate` a second for `--seconds` seconds, over `--connections`
    connections; latency counts from when a request was due (the issue's target: p99 below
    50 ms at 500 a second).

Endpoints: `/livez` (the framework's ceiling: no database), a resident's pickups by address,
the same address's calendar feed, and the bins as GeoJSON (closed loop only, with fewer in
flight). The server, the database and the load process share the machine's cores, as a
small deployment would.

The endpoints take turns: `--rounds` rounds, in each of which every endpoint is loaded for
its share of `--seconds`, closed loop then paced. A machine whose speed drifts (a shared
host) then slows every endpoint alike, and the ratio to the trivial endpoint holds; the
table gives the ratio over the whole run and the lowest and highest of its rounds.

    .venv/bin/python -m benchmarks.api_load [--bins 10000] [--seconds 10] [--rounds 5]
        [--concurrency 32] [--rate 500] [--connections 64] [--workers 2]
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
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import quote

import httpx
import psycopg

from benchmarks.city_history import store_history
from benchmarks.http_load import Tally, closed_loop, paced
from curbside import migrate
from curbside.runtime import LocalPostgres, free_port
from simulators import generate_city, import_city

HOST = "127.0.0.1"


def _serve(database_url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CURBSIDE_DATABASE_URL": database_url,
        "CURBSIDE_PUBLIC_PER_MINUTE": "1e12",
        "CURBSIDE_PUBLIC_BURST": "1000000000",
    }
    command = [str(Path(sys.executable).parent / "curbside"), "api", "--port", str(port)]
    command += ["--workers", str(workers)]
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
    parser.add_argument("--rounds", type=int, default=5, help="turns the endpoints take")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--connections", type=int, default=64, help="for the paced load")
    parser.add_argument("--workers", type=int, default=2, help="the API's server processes")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
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
        server = _serve(cluster.url, port, args.workers)
        lookups = []
        for address in addresses[:500]:
            street, _, number = address.rpartition(" ")
            lookups.append(f"street={quote(street)}&number={quote(number)}")
        endpoints = {
            "trivial (/livez)": ["/livez"],
            "pickups by address": [f"/v1/pickups?{q}" for q in lookups],
            "calendar feed (ICS)": [f"/v1/pickups.ics?{q}" for q in lookups],
        }
        rows = _take_turns(port, endpoints, args)
        geojson = asyncio.run(closed_loop(HOST, port, ["/v1/bins.geojson"], args.seconds, 2))
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
    _print_table(args, rows, geojson)


@dataclass
class Row:
    """An endpoint's requests over all rounds, closed loop and paced, and per round served
    in the closed loop."""

    name: str
    closed: Tally = field(default_factory=Tally)
    paced: Tally = field(default_factory=Tally)
    served: list[int] = field(default_factory=list)


def _take_turns(port: int, endpoints: dict[str, list[str]], args: argparse.Namespace) -> list[Row]:
    rows = [Row(name) for name in endpoints]
    turn_s = args.seconds / args.rounds
    for _ in range(args.rounds):
        for row, paths in zip(rows, endpoints.values(), strict=True):
            closed = asyncio.run(closed_loop(HOST, port, paths, turn_s, args.concurrency))
            row.closed.add(closed)
            row.served.append(len(closed.latencies))
            row.paced.add(
                asyncio.run(paced(HOST, port, paths, turn_s, args.rate, args.connections))
            )
    return rows


def _print_table(args: argparse.Namespace, rows: Sequence[Row], geojson: Tally) -> None:
    trivial = rows[0].served
    print(f"bins={args.bins:,} seconds={args.seconds:g} rounds={args.rounds} "
          f"concurrency={args.concurrency} paced rate={args.rate:g}/s over {args.connections} "
          f"connections workers={args.workers}")  # fmt: skip
    print("| endpoint | req/s (closed loop) | of trivial (rounds) | p50 / p99 ms (closed) "
          f"| p50 / p99 ms at {args.rate:g}/s | failed |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for row in rows:
        ratios = [n / max(1, t) for n, t in zip(row.served, trivial, strict=True)]
        print(
            f"| {row.name} | {sum(row.served) / args.seconds:,.0f} | "
            f"{sum(row.served) / max(1, sum(trivial)):.2f} ({min(ratios):.2f}-{max(ratios):.2f}) | "
            f"{row.closed.quantile_ms(0.5):.1f} / {row.closed.quantile_ms(0.99):.1f} | "
            f"{row.paced.quantile_ms(0.5):.1f} / {row.paced.quantile_ms(0.99):.1f} | "
            f"{row.closed.failed + row.paced.failed} |"
        )
    print(
        f"| bins GeoJSON ({args.bins:,} bins, 2 in flight) | "
        f"{len(geojson.latencies) / args.seconds:,.1f} | | "
        f"{geojson.quantile_ms(0.5):.0f} / {geojson.quantile_ms(0.99):.0f} | | "
        f"{geojson.failed} |"
    )


if __name__ == "__main__":
    main()
