"""End-to-end ingest throughput: Curbside's workers against the machine's own C pipeline.

One run starts a throwaway TimescaleDB cluster (durable: fsync and synchronous commit on, as
in a deployment) and a Mosquitto broker with persistence on, both on free ports, registers
`--devices` devices, and pushes the same `--readings` distinct readings (benchmarks/uplinks.py)
through each of these, emptying the readings table in between:

limit
    The broker's own C client into PostgreSQL's COPY, no Python on the path: the readings
    wait at QoS 1 in a persistent `mosquitto_sub` session; the timed drain is `mosquitto_sub
    -c -q 1 -C N -F '%t<TAB>%p'` piped into `psql -1`, which COPYs topic and JSON payload
    into a temporary staging table and runs one `INSERT INTO readings ... SELECT` (fields
    taken out with `->>`, the bin joined from the registry) `ON CONFLICT DO NOTHING`.
    Timed from the start of the drain to psql's commit. mosquitto_sub acknowledges each
    message on receipt, before the commit: a shortcut the ingest does not take.
COPY alone
    The same lines from a file through the same psql command: the database's share.
N worker(s) (backlog)
    The readings wait in the workers' persistent sessions (each worker was started once and
    stopped, so the broker keeps its shared subscription); timed from starting the worker
    processes (`python -m curbside ingest`, start-up included) until every reading is
    committed, as seen by polling the database every 0.2 s (benchmarks/workers.py).
N worker(s) (live)
    Workers running and subscribed; timed from the first publish until every reading is
    committed. One publisher (benchmarks/uplinks.py) sends as fast as the broker
    acknowledges, 1,000 messages in flight; the "publish into a backlog" row is its rate
    with no subscriber online (while the limit's backlog is filled).
latency
    One worker, `--rate` readings/s for `--seconds` s; each payload carries its publish time
    (`pub_ts`, epoch seconds, kept by the ingest in `readings.extra`). The cluster is
    restarted with `track_commit_timestamp = on` for this phase only, so each row's commit
    time is PostgreSQL's own record of its transaction (`pg_xact_commit_timestamp(xmin)`);
    "delivered" is the worker's receive time (`received_at`) minus `pub_ts`, "committed" the
    commit time minus `pub_ts`. Same machine, same clock.

Every phase checks that the rows stored equal the readings published and that nothing was
rejected; the ratio is each rate over the limit measured in the same run. Peak RSS is each
worker's VmHWM from /proc just before it is stopped. The broker queues at most 1,000,000
messages per session (deploy/mosquitto/local.conf), which bounds `--readings`; the default
of 400,000 keeps a whole run near four minutes on two cores (1,000,000 takes about ten).

    .venv/bin/python -m benchmarks.ingest_throughput [--readings 400000] [--devices 1000]
        [--workers 1 2] [--batch-size 10000] [--rate 1000] [--seconds 20]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg

from benchmarks.uplinks import Publisher, Workload, clear_session, publish
from benchmarks.workers import (
    Services,
    Worker,
    check_stored,
    register,
    reset,
    running,
    wait_for_rows,
)
from curbside import migrate
from curbside.runtime import LocalMosquitto, LocalPostgres, free_port, postgres_bindir
from curbside.settings import BrokerAddress
from curbside.topics import uplink_filter
from ingest.settings import DEFAULT_BATCH_SIZE

MAX_QUEUED = 1_000_000
_NAMES = {1: "one worker", 2: "two workers", 3: "three workers", 4: "four workers"}


@dataclass(frozen=True)
class Outcome:
    """`readings` stored in `seconds`; the peak RSS (KiB) of each worker process, if any."""

    name: str
    readings: int
    seconds: float
    peak_rss_kib: tuple[int, ...] = ()

    @property
    def rate(self) -> float:
        return self.readings / self.seconds


@dataclass(frozen=True)
class Latency:
    """Percentiles in seconds from publish to the worker's receive and to the commit."""

    readings: int
    rate: float
    delivered: tuple[float, float, float]
    committed: tuple[float, float, float]
    """p50, p99, max."""


# --- the limit: mosquitto_sub | psql -----------------------------------------------------------


def _psql_load(database_url: str, prefix: str) -> list[str]:
    """psql reading `topic<TAB>payload` lines from its stdin into readings, in one transaction."""
    device_field = prefix.count("/") + 3  # prefix segments, then devices/{device}/up
    insert = f"""
        INSERT INTO readings (device_id, bin_id, measured_at, received_at, fill_pct,
                              distance_mm, battery_pct, temperature_c, seq, extra)
        SELECT d.id, d.bin_id, (p->>'ts')::timestamptz, now(), (p->>'fill_pct')::real,
               (p->>'distance_mm')::int, (p->>'battery_pct')::real,
               (p->>'temperature_c')::real, (p->>'seq')::bigint,
               nullif(p - '{{ts,fill_pct,distance_mm,battery_pct,temperature_c,seq}}'::text[],
                      '{{}}')
        FROM (SELECT topic, payload AS p FROM staging) AS s
        JOIN devices d ON d.id = split_part(s.topic, '/', {device_field})
        ON CONFLICT (device_id, measured_at) DO NOTHING"""
    return [
        str(postgres_bindir() / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1",
        "-d", database_url,
        "-c", "CREATE TEMP TABLE staging (topic text, payload jsonb) ON COMMIT DROP",
        "-c", "\\copy staging (topic, payload) FROM pstdin",
        "-c", insert,
    ]  # fmt: skip


def _mosquitto_sub(broker: BrokerAddress, client_id: str, prefix: str) -> list[str]:
    return [
        "mosquitto_sub", "-h", broker.host, "-p", str(broker.port),
        "-i", client_id, "-c", "-q", "1", "-t", uplink_filter(prefix),
    ]  # fmt: skip


def limit(services: Services, workload: Workload) -> tuple[Outcome, Outcome]:
    """The C pipeline's rate, drained from a backlog in a persistent mosquitto_sub session.

    Also returns how fast the publisher filled that backlog (the broker's intake at QoS 1).
    """
    prefix, client_id = _fresh("c")
    sub = _mosquitto_sub(services.broker, client_id, prefix)
    subprocess.run([*sub, "-E"], check=True, capture_output=True, timeout=30)
    try:
        published = publish(services.broker, f"{client_id}-pub", workload.messages(prefix))
        reset(services.database_url)
        started = time.perf_counter()
        drain = [*sub, "-C", str(workload.readings), "-W", "600", "-F", "%t\\t%p"]
        with subprocess.Popen(drain, stdout=subprocess.PIPE) as source:
            assert source.stdout is not None
            load = subprocess.run(
                _psql_load(services.database_url, prefix), stdin=source.stdout,
                capture_output=True, text=True,
            )  # fmt: skip
        elapsed = time.perf_counter() - started
    finally:
        clear_session(services.broker, client_id)
    if source.returncode != 0 or load.returncode != 0:
        raise RuntimeError(
            f"mosquitto_sub exited {source.returncode}, psql {load.returncode}: {load.stderr}"
        )
    check_stored(services.database_url, workload.readings, "limit")
    return (
        Outcome("limit: mosquitto_sub | psql COPY", workload.readings, elapsed),
        Outcome("publish into a backlog (QoS 1)", workload.readings, published),
    )


def copy_alone(services: Services, workload: Workload) -> Outcome:
    """The same psql load fed from a file: what the database alone takes."""
    prefix = "bench/copy"
    lines = services.root / "readings.tsv"
    with lines.open("wb") as handle:
        for topic, payload in workload.messages(prefix):
            handle.write(topic + b"\t" + payload + b"\n")
    reset(services.database_url)
    try:
        with lines.open("rb") as handle:
            started = time.perf_counter()
            load = subprocess.run(
                _psql_load(services.database_url, prefix), stdin=handle,
                capture_output=True, text=True,
            )  # fmt: skip
            elapsed = time.perf_counter() - started
    finally:
        lines.unlink()
    if load.returncode != 0:
        raise RuntimeError(f"psql exited {load.returncode}: {load.stderr}")
    check_stored(services.database_url, workload.readings, "COPY alone")
    return Outcome("COPY alone (no broker)", workload.readings, elapsed)


# --- Curbside's workers ------------------------------------------------------------------------


def _fresh(kind: str) -> tuple[str, str]:
    """A topic prefix and client id of a phase's own, so phases never see each other."""
    tag = uuid.uuid4().hex[:8]
    return f"bench-{tag}/v1", f"bench-{kind}-{tag}"


def _workers(services: Services, count: int, kind: str, batch_size: int) -> list[Worker]:
    prefix, client_id = _fresh(kind)
    return [
        Worker(services, f"{client_id}-{n}", prefix, client_id, batch_size)
        for n in range(1, count + 1)
    ]


def _name(count: int, how: str) -> str:
    return f"{_NAMES.get(count, f'{count} workers')} ({how})"


def _forget(services: Services, workers: Sequence[Worker]) -> None:
    for worker in workers:
        clear_session(services.broker, worker.client_id)


def workers_backlog(
    services: Services, workload: Workload, count: int = 1, batch_size: int = DEFAULT_BATCH_SIZE
) -> Outcome:
    """`count` workers draining readings queued in their sessions while they were down."""
    workers = _workers(services, count, "backlog", batch_size)
    try:
        with running(workers):  # once, so the broker keeps their shared subscription
            for worker in workers:
                worker.wait_ready()
        publish(
            services.broker, f"{workers[0].share_group}-pub", workload.messages(workers[0].prefix)
        )
        reset(services.database_url)
        started = time.perf_counter()
        with running(workers):
            done = wait_for_rows(services.database_url, workload, workers)
            rss = tuple(worker.peak_rss_kib() for worker in workers)
    finally:
        _forget(services, workers)
    check_stored(services.database_url, workload.readings, f"{count} worker(s), backlog")
    return Outcome(_name(count, "backlog"), workload.readings, done - started, rss)


def workers_live(
    services: Services, workload: Workload, count: int = 1, batch_size: int = DEFAULT_BATCH_SIZE
) -> Outcome:
    """`count` running workers while a publisher sends every reading as fast as it can."""
    workers = _workers(services, count, "live", batch_size)
    messages = workload.messages(workers[0].prefix)
    reset(services.database_url)
    try:
        with running(workers):
            for worker in workers:
                worker.wait_ready()
            started = time.perf_counter()
            publish(services.broker, f"{workers[0].share_group}-pub", messages)
            done = wait_for_rows(services.database_url, workload, workers)
            rss = tuple(worker.peak_rss_kib() for worker in workers)
    finally:
        _forget(services, workers)
    check_stored(services.database_url, workload.readings, f"{count} worker(s), live")
    return Outcome(_name(count, "live"), workload.readings, done - started, rss)


def latency(
    services: Services,
    devices: int,
    rate: float,
    seconds: float,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Latency:
    """One worker, readings published at `rate` per second; needs track_commit_timestamp."""
    with psycopg.connect(services.database_url) as conn:
        setting = conn.execute("SHOW track_commit_timestamp").fetchone()
    if setting is None or setting[0] != "on":
        raise RuntimeError("the latency phase needs track_commit_timestamp = on")
    workload = Workload(readings=max(1, round(rate * seconds)), devices=devices)
    (worker,) = _workers(services, 1, "latency", batch_size)
    topics = workload.topics(worker.prefix)
    reset(services.database_url)
    try:
        with running([worker]), Publisher(services.broker, f"{worker.client_id}-pub") as pub:
            worker.wait_ready()
            started, sent = time.perf_counter(), 0
            while sent < workload.readings:
                due = min(workload.readings, int((time.perf_counter() - started) * rate) + 1)
                stamp = f',"pub_ts":{time.time():.6f}'
                pub.send(
                    [(topics[i % devices], workload.payload(i, stamp)) for i in range(sent, due)]
                )
                sent = due
                time.sleep(0.002)
            pub.flush()
            actual_rate = workload.readings / (time.perf_counter() - started)
            wait_for_rows(services.database_url, workload, [worker])
    finally:
        _forget(services, [worker])
    check_stored(services.database_url, workload.readings, "latency")
    with psycopg.connect(services.database_url) as conn:
        row = conn.execute(
            """WITH l AS (
                   SELECT extract(epoch FROM received_at) - (extra->>'pub_ts')::float8 AS d,
                          extract(epoch FROM pg_xact_commit_timestamp(xmin))
                              - (extra->>'pub_ts')::float8 AS c
                   FROM readings)
               SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d),
                      percentile_cont(0.99) WITHIN GROUP (ORDER BY d), max(d),
                      percentile_cont(0.5) WITHIN GROUP (ORDER BY c),
                      percentile_cont(0.99) WITHIN GROUP (ORDER BY c), max(c)
               FROM l"""
        ).fetchone()
    if row is None or None in row:
        raise RuntimeError("no latencies: commit timestamps or pub_ts missing")
    d50, d99, dmax, c50, c99, cmax = (float(v) for v in row)
    return Latency(workload.readings, actual_rate, (d50, d99, dmax), (c50, c99, cmax))


# --- the run -----------------------------------------------------------------------------------


def _mib(kib: Sequence[int]) -> str:
    return " + ".join(f"{k / 1024:.0f}" for k in kib) + " MiB" if kib else ""


def report(outcomes: Sequence[Outcome], lat: Latency | None) -> list[str]:
    """The table: each rate, its ratio to the limit (the first outcome) and peak RSS."""
    base = outcomes[0].rate
    lines = [f"{'':34} {'readings/s':>11} {'x limit':>8} {'seconds':>8}  peak RSS"]
    for o in outcomes:
        lines.append(
            f"{o.name:34} {o.rate:>11,.0f} {o.rate / base:>8.2f} {o.seconds:>8.1f}  "
            f"{_mib(o.peak_rss_kib)}"
        )
    if lat is not None:
        d, c = (tuple(f"{1000 * v:,.0f}" for v in t) for t in (lat.delivered, lat.committed))
        lines.append(
            f"latency, one worker at {lat.rate:,.0f} readings/s ({lat.readings:,} readings), "
            "ms p50 / p99 / max:"
        )
        lines.append(f"  delivered (receive - publish)  {d[0]:>6} / {d[1]:>6} / {d[2]:>6}")
        lines.append(f"  committed (commit - publish)   {c[0]:>6} / {c[1]:>6} / {c[2]:>6}")
    return lines


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--readings", type=int, default=400_000)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--rate", type=float, default=1000.0, help="latency phase, readings/s")
    parser.add_argument("--seconds", type=float, default=20.0, help="latency phase duration")
    args = parser.parse_args(argv)
    if not 1 <= args.readings <= MAX_QUEUED:
        parser.error(f"--readings must be within 1..{MAX_QUEUED:,} (the broker's queue)")
    if any(n < 1 for n in args.workers) or args.rate <= 0 or args.seconds < 0:
        parser.error("--workers must be at least 1, --rate positive, --seconds not negative")
    return args


def measure(
    services: Services,
    workload: Workload,
    workers: Sequence[int],
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> list[Outcome]:
    """Every throughput phase in turn, the limit first; progress goes to stderr."""

    def step(name: str) -> None:
        print(f"==> {name}", file=sys.stderr, flush=True)

    step("limit: mosquitto_sub | psql")
    c_limit, intake = limit(services, workload)
    step("COPY alone")
    outcomes = [c_limit, copy_alone(services, workload), intake]
    for n in workers:
        step(f"{n} worker(s) from a backlog")
        outcomes.append(workers_backlog(services, workload, n, batch_size))
    for n in workers:
        step(f"{n} worker(s) with live publishers")
        outcomes.append(workers_live(services, workload, n, batch_size))
    return outcomes


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse(argv)
    workload = Workload(args.readings, args.devices)
    root = Path(tempfile.mkdtemp(prefix="curbside-bench-"))
    root.chmod(0o755)
    cluster = LocalPostgres(root / "postgres", free_port(), durable=True)
    broker = LocalMosquitto(root / "mosquitto", free_port(), persistent=True)
    lat = None
    try:
        cluster.start()
        broker.start()
        migrate.upgrade(cluster.url)
        services = Services(cluster.url, broker.url, root)
        register(cluster.url, workload)
        outcomes = measure(services, workload, args.workers, args.batch_size)
        if args.seconds > 0:
            print("==> latency", file=sys.stderr, flush=True)
            with psycopg.connect(cluster.url, autocommit=True) as conn:
                conn.execute("ALTER SYSTEM SET track_commit_timestamp = on")
            cluster.stop()
            cluster.start()
            lat = latency(services, args.devices, args.rate, args.seconds, args.batch_size)
    finally:
        broker.stop()
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
    print(
        f"readings={args.readings:,} devices={args.devices:,} batch={args.batch_size} "
        "(durable PostgreSQL, persistent Mosquitto)"
    )
    print("\n".join(report(outcomes, lat)))


if __name__ == "__main__":
    main()
