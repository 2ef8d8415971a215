"""The whole local stack: services, background jobs, a simulated city and a first plan.

What `curbside services`, `up`, `down`, `status` and `simulate` do. Everything lives under
the state folder: `postgres/`, `mosquitto/`, `logs/`, `run/` (pid files) and `city.json`.
External services named by `CURBSIDE_DATABASE_URL` / `CURBSIDE_MQTT_URL` are used as they
are: nothing is started for them.
"""

from __future__ import annotations

import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

from curbside import migrate
from curbside.errors import RuntimeServiceError
from curbside.processes import running_pid, spawn, terminate
from curbside.runtime import LocalMosquitto, LocalPostgres, port_open, wait_until
from curbside.settings import ServiceSettings, load

if TYPE_CHECKING:
    from simulators import FaultRates, FormatMix

Say = Callable[[str], None]
JOBS = ("ingest", "api")


def _postgres(settings: ServiceSettings) -> LocalPostgres:
    return LocalPostgres(settings.state_dir.resolve() / "postgres", settings.local_db_port)


def _mosquitto(settings: ServiceSettings) -> LocalMosquitto:
    return LocalMosquitto(settings.state_dir.resolve() / "mosquitto", settings.local_mqtt_port)


def _pid_file(settings: ServiceSettings, job: str) -> Path:
    return settings.state_dir / "run" / f"{job}.pid"


def _log_file(settings: ServiceSettings, job: str) -> Path:
    return settings.state_dir / "logs" / f"{job}.log"


def services_up(settings: ServiceSettings, say: Say) -> None:
    """Start the local database and broker (unless external ones are configured); migrate."""
    if settings.database_url is None:
        cluster = _postgres(settings)
        if cluster.initialize():
            say(f"created a database cluster in {cluster.data_dir}")
        say(f"starting PostgreSQL on port {cluster.port}")
        cluster.start()
    if settings.mqtt_url is None:
        broker = _mosquitto(settings)
        say(f"starting Mosquitto on port {broker.port}")
        broker.start()
    else:
        address = settings.broker
        if not port_open(address.port, address.host):
            raise RuntimeServiceError(
                f"the broker at {address.host}:{address.port} is not reachable"
            )
    applied = migrate.upgrade(settings.dsn)
    say(f"database schema up to date ({len(applied)} migration(s) applied now)")


def services_down(settings: ServiceSettings, say: Say) -> None:
    if settings.mqtt_url is None:
        say("stopping Mosquitto")
        _mosquitto(settings).stop()
    if settings.database_url is None:
        say("stopping PostgreSQL")
        _postgres(settings).stop()


def status(settings: ServiceSettings) -> list[str]:
    """One line per service and job: what it is, whether it runs, where."""
    lines = []
    if settings.database_url is None:
        state = "running" if _postgres(settings).is_running() else "stopped"
        lines.append(f"database  {state:8} {settings.dsn}")
    else:
        lines.append(f"database  external {settings.dsn}")
    if settings.mqtt_url is None:
        state = "running" if _mosquitto(settings).is_running() else "stopped"
        lines.append(f"broker    {state:8} mqtt://127.0.0.1:{settings.local_mqtt_port}")
    else:
        lines.append(f"broker    external {settings.mqtt_url}")
    for job in JOBS:
        pid = running_pid(_pid_file(settings, job))
        state = f"running  pid {pid}" if pid else "stopped"
        lines.append(f"{job:9} {state}  (log: {_log_file(settings, job)})")
    return lines


def _start_job(settings: ServiceSettings, job: str, args: list[str], env_file: Path | None) -> bool:
    """Start `curbside JOB` in the background unless it runs; True when started now."""
    pid_file = _pid_file(settings, job)
    if running_pid(pid_file) is not None:
        return False
    prefix = [sys.executable, "-m", "curbside"]
    if env_file is not None:
        prefix += ["--env-file", str(env_file)]
    spawn([*prefix, job, *args], _log_file(settings, job), pid_file)
    return True


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def start_jobs(settings: ServiceSettings, env_file: Path | None, say: Say) -> str:
    """Start the ingest worker and the API in the background; return the API's address."""
    import api

    ready_file = settings.state_dir / "run" / "ingest.ready"
    if running_pid(_pid_file(settings, "ingest")) is None:
        ready_file.unlink(missing_ok=True)
    if _start_job(settings, "ingest", ["--ready-file", str(ready_file.resolve())], env_file):
        say("starting the ingest worker")
    wait_until(ready_file.exists, 60, "the ingest worker", _log_file(settings, "ingest"))

    api_settings = load(api.ApiSettings, env_file)
    base = f"http://{api_settings.api_host}:{api_settings.api_port}"
    if _start_job(settings, "api", [], env_file):
        say(f"starting the API on {base}")
    wait_until(lambda: _http_ok(f"{base}/health"), 60, "the API", _log_file(settings, "api"))
    return base


def simulate(
    env_file: Path | None,
    action: str,
    city_file: Path | None,
    say: Say,
    overrides: dict[str, int] | None = None,
    formats: FormatMix | None = None,
    faults: FaultRates | None = None,
    speed: float | None = None,
) -> int:
    """Generate, import and/or publish a simulated city; return the messages the ingest will
    store once each (as readings or rejects).

    `formats` draws a generated city's uplink formats; `faults` and `speed` (simulated
    seconds per real second; None: as fast as the broker takes them) shape the publishing.
    """
    import simulators

    settings = load(simulators.SimulatorSettings, env_file)
    if overrides:
        settings = settings.model_copy(update=overrides)
    path = city_file or settings.state_dir / "city.json"
    if action in ("city", "run"):
        city = simulators.generate_city(
            settings.bins, settings.seed, settings.centre, settings.radius_m
        )
        if formats is not None:
            city = simulators.assign_uplinks(city, formats)
        path.parent.mkdir(parents=True, exist_ok=True)
        city.save(path)
        say(f"generated a city of {len(city.bins)} bins (seed {settings.seed}) into {path}")
    else:
        city = simulators.City.load(path)
    if action in ("import", "run"):
        with psycopg.connect(settings.dsn, autocommit=True) as conn:
            simulators.import_city(conn, city)
        say(f"registered {len(city.bins)} bins, {len(city.vehicles)} trucks and their sites")
    if action not in ("publish", "run"):
        return 0
    pace = "as fast as the broker takes them" if speed is None else f"at x{speed:g}"
    say(
        f"publishing {settings.history_hours} h of sensor readings to {settings.broker.host}:"
        f"{settings.broker.port}, {pace}"
    )
    report = simulators.play_city(
        city, settings, faults=faults, speed=speed, progress=_quarters(say)
    )
    say(f"published {report.describe()}")
    return report.distinct


def _quarters(say: Say) -> Callable[[int, int], None]:
    """A progress callback that reports at 25 %, 50 %, 75 % and 100 %."""
    reported = 0

    def progress(done: int, total: int) -> None:
        nonlocal reported
        quarter = 4 * done // max(total, 1)
        if quarter > reported:
            reported = quarter
            say(f"  {done} of {total} readings published")

    return progress


def _wait_for_readings(
    dsn: str, expected: int, since: datetime, say: Say, rejects_since: datetime | None = None
) -> int:
    """Wait until `expected` messages are stored: readings measured since `since`, plus the
    rejects received since `rejects_since` (a sensor's invalid reading is one); return the
    count."""
    deadline = time.monotonic() + 120
    stored = 0
    query = (
        "SELECT (SELECT count(*) FROM readings WHERE measured_at >= %s)"
        " + (SELECT count(*) FROM ingest_rejects WHERE received_at >= %s)"
    )
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(query, (since, rejects_since or datetime.max.replace(tzinfo=UTC)))
            stored = int(row.fetchone()[0])  # type: ignore[index]
            if stored >= expected:
                break
            time.sleep(0.2)
    say(f"{stored} of {expected} messages stored by the ingest")
    return stored


def up(env_file: Path | None, say: Say) -> None:
    """Bring up everything and print where to look."""
    import optimizer

    settings = load(ServiceSettings, env_file)
    services_up(settings, say)
    base = start_jobs(settings, env_file, say)
    started = datetime.now(UTC)
    published = simulate(env_file, "run", None, say)
    import simulators

    history = load(simulators.SimulatorSettings, env_file).history_hours
    since = started - timedelta(hours=history + 1)
    _wait_for_readings(settings.dsn, published, since, say, rejects_since=started)
    planner = load(optimizer.PlannerSettings, env_file)
    plan_date = date.today() + timedelta(days=1)
    say(f"planning tomorrow's routes ({plan_date}) with OR-Tools")
    with psycopg.connect(settings.dsn, autocommit=True) as conn:
        summary = optimizer.plan_day(conn, plan_date, planner)
        first_bin = conn.execute("SELECT min(id) FROM bins").fetchone()
    say(summary.describe())
    sample_bin = first_bin[0] if first_bin else "BIN_ID"
    print(
        f"""
Curbside is up.
  API docs:        {base}/docs
  bins and fill:   curl '{base}/v1/bins?min_fill_pct=60'
  one bin:         curl '{base}/v1/bins/{sample_bin}/readings'
  tomorrow's plan: curl '{base}/v1/plans/{plan_date}'
  status:          .venv/bin/curbside status      stop: .venv/bin/curbside down
  logs:            {settings.state_dir / "logs"}""",
        flush=True,
    )


def down(settings: ServiceSettings, say: Say) -> None:
    """Stop the jobs, then the services."""
    for job in reversed(JOBS):
        if terminate(_pid_file(settings, job)):
            say(f"stopped {job}")
    services_down(settings, say)
