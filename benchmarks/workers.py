"""Curbside's ingest workers as processes, and the database around them, for the benchmarks.

`Worker` runs `python -m curbside ingest` with settings of its own (client id, share group,
topic prefix) passed as `CURBSIDE_*` variables, as a deployment would; `wait_for_rows` tells
when a workload is committed without scanning the table on every poll.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from benchmarks.uplinks import EMPTY_MM, FULL_MM, Workload
from curbside.processes import running_pid, spawn, terminate
from curbside.settings import BrokerAddress
from ingest.settings import DEFAULT_BATCH_SIZE

POLL_S = 0.2
STALL_S = 60.0
"""A phase fails when the stored count does not move for this long."""
_RESET = "TRUNCATE readings, events, collections, ingest_rejects"


@dataclass(frozen=True)
class Services:
    """Where the benchmark runs: a migrated database, a broker, a folder for logs and files."""

    database_url: str
    mqtt_url: str
    root: Path

    @property
    def broker(self) -> BrokerAddress:
        return BrokerAddress.parse(self.mqtt_url)


def register(database_url: str, workload: Workload) -> None:
    """Register the workload's devices, each in a bin of its own."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO bins (id, lat, lon, waste_stream, volume_l, empty_distance_mm,"
            " full_distance_mm) SELECT 'bench-bin-' || i, 51.05, 3.72, 'residual', 240, %s, %s"
            " FROM generate_series(0, %s - 1) AS i ON CONFLICT DO NOTHING",
            (EMPTY_MM, FULL_MM, workload.devices),
        )
        conn.execute(
            "INSERT INTO devices (id, sensor_model, bin_id)"
            " SELECT 'bench-' || lpad(i::text, 5, '0'), 'canonical-json', 'bench-bin-' || i"
            " FROM generate_series(0, %s - 1) AS i ON CONFLICT DO NOTHING",
            (workload.devices,),
        )


def reset(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(_RESET)


def _stored(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT count(*) FROM readings").fetchone()
    return 0 if row is None else int(row[0])


def check_stored(database_url: str, expected: int, what: str) -> None:
    """Raise unless exactly `expected` readings are stored and nothing was rejected."""
    with psycopg.connect(database_url) as conn:
        stored = _stored(conn)
        row = conn.execute("SELECT count(*) FROM ingest_rejects").fetchone()
    rejected = 0 if row is None else int(row[0])
    if stored != expected or rejected:
        raise RuntimeError(
            f"{what}: {stored:,} readings stored of {expected:,}, {rejected} rejected"
        )


def _tail(path: Path, lines: int = 3) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass(frozen=True)
class Worker:
    """One `python -m curbside ingest` process with its own client id, log and pid file."""

    services: Services
    client_id: str
    prefix: str
    share_group: str
    batch_size: int = DEFAULT_BATCH_SIZE

    @property
    def _files(self) -> tuple[Path, Path, Path]:
        base = self.services.root / self.client_id
        return base.with_suffix(".log"), base.with_suffix(".pid"), base.with_suffix(".ready")

    @property
    def log_file(self) -> Path:
        return self._files[0]

    def start(self) -> None:
        log, pid, ready = self._files
        ready.unlink(missing_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CURBSIDE_")}
        env.update(
            CURBSIDE_DATABASE_URL=self.services.database_url,
            CURBSIDE_MQTT_URL=self.services.mqtt_url,
            CURBSIDE_TOPIC_PREFIX=self.prefix,
            CURBSIDE_CLIENT_ID=self.client_id,
            CURBSIDE_SHARE_GROUP=self.share_group,
            CURBSIDE_BATCH_SIZE=str(self.batch_size),
        )
        argv = [sys.executable, "-m", "curbside", "ingest", "--ready-file", str(ready)]
        spawn(argv, log, pid, env)

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        """Wait until the worker has subscribed; raise if it died or took too long."""
        deadline = time.monotonic() + timeout_s
        while not self._files[2].exists():
            if not self.is_running() or time.monotonic() > deadline:
                raise RuntimeError(f"worker {self.client_id} not ready: {self.log_tail()}")
            time.sleep(0.05)

    def _status(self) -> dict[str, str]:
        """/proc/PID/status of the worker, empty when it is not running."""
        pid = running_pid(self._files[1])
        if pid is None:
            return {}
        try:
            text = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return {}
        return dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)

    def is_running(self) -> bool:
        """Alive, not a zombie waiting for `stop` to reap it."""
        state = self._status().get("State", "Z")
        return not state.startswith(("Z", "X"))

    def log_tail(self) -> str:
        return _tail(self.log_file)

    def peak_rss_kib(self) -> int:
        """The process's peak resident set (VmHWM), 0 when it is not running."""
        peak = self._status().get("VmHWM", "0 kB")
        return int(peak.split()[0])

    def stop(self) -> None:
        terminate(self._files[1], timeout_s=60.0)


@contextmanager
def running(workers: Sequence[Worker]) -> Iterator[None]:
    """Workers started (not waited for) on entry, stopped on exit."""
    try:
        for worker in workers:
            worker.start()
        yield
    finally:
        for worker in workers:
            worker.stop()


def wait_for_rows(database_url: str, workload: Workload, workers: Sequence[Worker] = ()) -> float:
    """Poll every 0.2 s; return perf_counter() once every reading of `workload` is stored.

    A full `count(*)` scans the table, which on two cores would take CPU from the workers
    being timed; so each poll first counts the last round of readings (the newest measurement
    time, published last) through the time index, and counts everything only once those are
    all in. Raises when one of `workers` exits, or when a full count every 60 s shows no
    progress.
    """
    newest = workload.measured_at(workload.per_device - 1)
    with psycopg.connect(database_url, autocommit=True) as conn:
        last_full, checked = -1, time.perf_counter()
        while True:
            row = conn.execute(
                "SELECT count(*) FROM readings WHERE measured_at >= %s", (newest,)
            ).fetchone()
            last_round_in = row is not None and row[0] >= workload.last_round
            if last_round_in and _stored(conn) >= workload.readings:
                return time.perf_counter()
            for worker in workers:
                if not worker.is_running():
                    raise RuntimeError(f"worker {worker.client_id} exited: {worker.log_tail()}")
            if time.perf_counter() - checked > STALL_S:
                stored, checked = _stored(conn), time.perf_counter()
                if stored == last_full:
                    tails = "; ".join(f"{w.client_id}: {w.log_tail()}" for w in workers)
                    raise RuntimeError(
                        f"stuck at {stored:,} of {workload.readings:,} readings. {tails}"
                    )
                last_full = stored
            time.sleep(POLL_S)
