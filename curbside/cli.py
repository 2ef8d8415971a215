"""The `curbside` command line: local services, the database, each job, and `up` for all.

Each subcommand builds its service's settings once (environment variables `CURBSIDE_*` and
an optional `--env-file`) and passes them down. Jobs are imported when their subcommand
runs, so `curbside --help` stays quick.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from pathlib import Path

from curbside import migrate
from curbside.errors import CurbsideError
from curbside.logs import configure as configure_logging
from curbside.settings import ServiceSettings, load

log = logging.getLogger("curbside")


def _say(message: str) -> None:
    """Progress for a person at the terminal."""
    print(f"==> {message}", flush=True)


# --- services ------------------------------------------------------------------------------


def cmd_services(args: argparse.Namespace) -> int:
    from curbside import stack

    settings = load(ServiceSettings, args.env_file)
    if args.action == "up":
        stack.services_up(settings, _say)
    elif args.action == "down":
        stack.services_down(settings, _say)
    for line in stack.status(settings):
        print(line)
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    import psycopg

    settings = load(ServiceSettings, args.env_file)
    if args.action == "prune":
        from curbside.retention import prune_readings

        if args.keep_days is None:
            raise CurbsideError("db prune needs --keep-days N")
        with psycopg.connect(settings.dsn, autocommit=True) as conn:
            _say(prune_readings(conn, timedelta(days=args.keep_days)))
        return 0
    if args.action == "upgrade":
        applied = migrate.upgrade(settings.dsn)
        _say(
            f"applied {len(applied)} migration(s)"
            + "".join(f"\n    {m.version:04d}_{m.name}" for m in applied)
        )
    with psycopg.connect(settings.dsn) as conn:
        versions = sorted(migrate.applied_versions(conn))
        pending = [m for m in migrate.available() if m.version not in versions]
        tsdb = migrate.timescaledb_version(conn)
    print(f"schema version {versions[-1] if versions else 0}, {len(pending)} pending")
    print(f"timescaledb {tsdb}" if tsdb else "timescaledb not installed: plain PostgreSQL")
    return 0


# --- jobs ----------------------------------------------------------------------------------


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def cmd_ingest(args: argparse.Namespace) -> int:
    import ingest

    settings = load(ingest.IngestSettings, args.env_file)
    ready_file: Path | None = args.ready_file

    def ready() -> None:
        log.info("ingest ready")
        if ready_file is not None:
            ready_file.touch()

    stats = ingest.run(settings, _stop_on_signals(), on_ready=ready)
    _say(
        f"ingest stopped: {stats.messages} messages, {stats.inserted} readings stored, "
        f"{stats.duplicates} duplicates, {stats.rejected} rejected"
    )
    return 0


def cmd_api(args: argparse.Namespace) -> int:
    import uvicorn

    import api

    settings = load(api.ApiSettings, args.env_file)
    host = args.host or settings.api_host
    port = args.port or settings.api_port
    workers = args.workers or settings.api_workers
    serve = partial(
        uvicorn.run, host=host, port=port, log_level="info",
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )  # fmt: skip
    if workers == 1:
        serve(api.create_app(settings))
        return 0
    os.environ[api.app.SETTINGS_VARIABLE] = settings.model_dump_json()
    factory = "api.app:create_app_from_environment"
    with tempfile.TemporaryDirectory(prefix="curbside-api-metrics-") as metrics_dir:
        os.environ[api.app.METRICS_VARIABLE] = metrics_dir  # one /metrics for all workers
        serve(factory, factory=True, workers=workers)
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    import psycopg

    import optimizer

    settings = load(optimizer.PlannerSettings, args.env_file)
    migrate.upgrade(settings.dsn)
    if args.every_evening is not None:
        if args.date is not None:
            raise ValueError("give --date or --every-evening, not both")
        from time import sleep

        from optimizer.nightly import run_evenings

        at: time = args.every_evening
        _say(f"planning the next working day every evening at {at:%H:%M} ({settings.timezone})")
        run_evenings(settings.dsn, settings, at, lambda: datetime.now(UTC), sleep)
        return 0
    plan_date: date = args.date or date.today() + timedelta(days=1)
    with psycopg.connect(settings.dsn, autocommit=True) as conn:
        if args.if_working_day:
            from optimizer.needs import load_holidays
            from optimizer.select import trucks_go_out

            working = settings.selection_settings.working_days
            if not trucks_go_out(plan_date, working, load_holidays(conn)):
                _say(f"no collection on {plan_date}: nothing to plan")
                return 0
        _say(f"planning routes for {plan_date}")
        summary = optimizer.plan_day(conn, plan_date, settings)
    print(summary.describe())
    return 0


def cmd_holidays(args: argparse.Namespace) -> int:
    import psycopg

    import optimizer
    from optimizer.holidays import Holiday, list_holidays, remove_holiday, save_holiday

    settings = load(optimizer.PlannerSettings, args.env_file)
    migrate.upgrade(settings.dsn)
    with psycopg.connect(settings.dsn, autocommit=True) as conn:
        if args.action == "add":
            holiday = Holiday(args.day, args.name, args.moved_to)
            save_holiday(conn, holiday)
            _say(f"holiday saved: {holiday.describe()}")
        elif args.action == "remove":
            if not remove_holiday(conn, args.day):
                raise ValueError(f"no holiday on {args.day}")
            _say(f"holiday on {args.day} removed")
        else:
            holidays = list_holidays(conn, args.since)
            for holiday in holidays:
                print(holiday.describe())
            if not holidays:
                print("no holidays")
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    import psycopg

    import api
    from api.keys import create_key, list_keys, revoke_key

    settings = load(api.ApiSettings, args.env_file)
    migrate.upgrade(settings.dsn)
    with psycopg.connect(settings.dsn, autocommit=True) as conn:
        if args.action == "create":
            record, key = create_key(conn, args.name, args.role, args.vehicle)
            _say(f"key {record.id} ({record.role}) for {record.name}; it is shown only now:")
            print(key)
        elif args.action == "revoke":
            if not revoke_key(conn, args.id):
                raise ValueError(f"no live key {args.id}")
            _say(f"key {args.id} revoked")
        else:
            keys = list_keys(conn, args.all)
            rows = [
                [str(k.id), k.role, k.name, k.vehicle_id or "", f"{k.created_at:%Y-%m-%d}",
                 "revoked" if k.revoked_at else "live"]
                for k in keys
            ]  # fmt: skip
            headers = ["id", "role", "name", "vehicle", "created", "state"]
            for line in _table(headers, rows) if rows else ["no keys"]:
                print(line)
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    if args.action == "score":
        return _simulate_score(args)
    from curbside import stack

    overrides = {name: getattr(args, name) for name in ("bins", "seed")}
    overrides["history_hours"] = args.hours
    overrides = {name: value for name, value in overrides.items() if value is not None}
    if args.formats is not None and args.action not in ("city", "run"):
        raise ValueError("--formats applies where a city is generated: `simulate city` or `run`")
    playing = {"--faults": args.faults, "--speed": args.speed, "--hours": args.hours}
    if args.action not in ("publish", "run") and any(v is not None for v in playing.values()):
        raise ValueError("--faults, --speed and --hours apply to `simulate publish` or `run`")
    stack.simulate(
        args.env_file,
        args.action,
        args.city,
        _say,
        overrides,
        formats=args.formats,
        faults=args.faults,
        speed=args.speed,
    )
    return 0


def cmd_loadtest(args: argparse.Namespace) -> int:
    import simulators

    settings = load(simulators.SimulatorSettings, args.env_file)
    overrides = {name: getattr(args, name) for name in ("bins", "seed")}
    settings = settings.model_copy(update={k: v for k, v in overrides.items() if v is not None})
    options = simulators.LoadOptions(
        publishers=args.publishers, rate=args.rate, qos=args.qos, count=args.count,
        duration_s=args.duration, deadline_s=args.deadline, settle_s=args.settle,
    )  # fmt: skip
    say = (lambda line: print(f"==> {line}", file=sys.stderr, flush=True)) if args.json else _say
    report = simulators.loadtest(settings, options, say)
    print(report.to_json() if args.json else "\n".join(report.table()))
    return 0


def _simulate_score(args: argparse.Namespace) -> int:
    """`simulate score`: the policies side by side on the collection twin (docs/simulators.md)."""
    import time

    import simulators

    others = ("city", "formats", "faults", "speed", "hours")
    given = [f"--{name}" for name in others if getattr(args, name, None) is not None]
    if given:
        raise ValueError(f"{', '.join(given)}: not options of `simulate score`")
    seeds = tuple(args.seeds or ([args.seed] if args.seed is not None else [1]))
    params = simulators.ScoreParams(
        bins=2000 if args.bins is None else args.bins,
        days=args.days,
        seeds=seeds,
        time_limit_s=args.time_limit,
    )
    policies = [simulators.policy_named(name) for name in args.policies]
    _say(
        f"scoring {', '.join(p.name for p in policies)} on {params.bins} bins over "
        f"{params.days} days, seed(s) {', '.join(map(str, seeds))}, {params.time_limit_s:g} s "
        "of routing a day"
    )
    started = time.monotonic()
    runs = simulators.score_policies(params, policies, _say)
    for line in simulators.score_table(runs):
        print(line)
    _say(f"scored in {time.monotonic() - started:,.0f} s")
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    from curbside import stack

    stack.up(args.env_file, _say)
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    from curbside import stack

    stack.down(load(ServiceSettings, args.env_file), _say)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from curbside import stack

    for line in stack.status(load(ServiceSettings, args.env_file)):
        print(line)
    return 0


# --- devices and rejects ---------------------------------------------------------------------


def cmd_devices_import(args: argparse.Namespace) -> int:
    import psycopg

    import ingest

    settings = load(ingest.IngestSettings, args.env_file)
    path: Path = args.file
    readers = {
        ".csv": ingest.import_devices_csv,
        ".geojson": ingest.import_devices_geojson,
        ".json": ingest.import_devices_geojson,
    }
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise ValueError(f"expected a .csv, .geojson or .json file, got {path.name}")
    if not path.is_file():
        raise ValueError(f"file not found: {path}")
    migrate.upgrade(settings.dsn)
    with psycopg.connect(settings.dsn, autocommit=True) as conn:
        report = reader(conn, path)
    _say(f"imported {path}: {report.describe()}")
    return 0


def cmd_rejects_list(args: argparse.Namespace) -> int:
    import psycopg

    import ingest

    settings = load(ingest.IngestSettings, args.env_file)
    with psycopg.connect(settings.dsn, autocommit=True) as conn:
        rejects = ingest.list_rejects(conn, args.reason, args.since, args.all, args.limit)
    if not rejects:
        print("no rejects" if args.all else "no open rejects")
        return 0
    headers = ["id", "received", "reason", "topic", "detail", "payload"]
    rows = []
    for r in rejects:
        row = [
            str(r.id),
            r.received_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ"),
            r.reason,
            _cut(r.topic, 50),
            _cut(r.detail, 40),
            r.preview(40),
        ]
        if args.all:
            row.append("open" if r.resolved_at is None else r.resolution or "resolved")
        rows.append(row)
    for line in _table(headers + (["state"] if args.all else []), rows):
        print(line)
    return 0


def cmd_rejects_summary(args: argparse.Namespace) -> int:
    import psycopg

    import ingest

    settings = load(ingest.IngestSettings, args.env_file)
    with psycopg.connect(settings.dsn, autocommit=True) as conn:
        counts = ingest.summarize_rejects(conn)
    if not counts:
        print("no open rejects")
        return 0
    rows = [[reason, str(count)] for reason, count in counts]
    rows.append(["total", str(sum(count for _, count in counts))])
    for line in _table(["reason", "open"], rows):
        print(line)
    return 0


def cmd_rejects_replay(args: argparse.Namespace) -> int:
    import psycopg

    import ingest

    settings = load(ingest.IngestSettings, args.env_file)
    with psycopg.connect(settings.dsn, autocommit=True) as conn:
        report = ingest.replay_rejects(
            conn, settings.topic_prefix, args.reason, args.since, args.limit
        )
    print(report.describe())
    return 0


# --- grafana -------------------------------------------------------------------------------


def cmd_grafana(args: argparse.Namespace) -> int:
    from curbside import grafana

    settings = load(grafana.GrafanaSettings, args.env_file)
    url = args.url or settings.grafana_url
    datasource = grafana.datasource_model(
        settings.grafana_database_url or settings.dsn, settings.grafana_db_password
    )
    dashboards = grafana.load_dashboards(args.dashboards or grafana.DASHBOARDS_DIR)
    folder = args.folder or settings.grafana_folder
    _say(f"pushing a datasource, the folder {folder} and {len(dashboards)} dashboards to {url}")
    with grafana.connect(url, args.token or settings.grafana_token) as api:
        changes = grafana.push(api, datasource, folder, dashboards, force=args.force)
    for change in changes:
        print(change.describe())
    written = sum(change.action != "unchanged" for change in changes)
    _say(f"{written} written, {len(changes) - written} unchanged")
    return 0


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """Rows under their headers, in columns as wide as their widest value."""
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [headers, ["-" * width for width in widths], *rows]
    ]


# --- parser --------------------------------------------------------------------------------


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-11-28, got {text!r}") from exc


def _time_of_day(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"expected a time of day like 18:00, got {text!r}"
        ) from exc


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"expected a time like 2026-11-27T08:00:00+01:00, got {text!r}"
        ) from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return number


def _format_mix(text: str) -> object:
    from simulators import FormatMix

    try:
        return FormatMix.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _fault_rates(text: str) -> object:
    from simulators import FaultRates

    try:
        return FaultRates.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _speed(text: str) -> float:
    from simulators.clock import check_speed

    try:
        return check_speed(float(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="curbside",
        description="Sensor-driven waste collection: ingest, plan, serve and simulate.",
        epilog="Settings come from CURBSIDE_* environment variables (see README.md); with "
        "none set, everything runs on the local runtime in ./.state.",
    )
    parser.add_argument("--env-file", type=Path, help="read CURBSIDE_* settings from this file")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    parser.add_argument(
        "--log-json",
        action="store_true",
        help="log one JSON object per line (also: CURBSIDE_LOG_FORMAT=json)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, handler: Callable[[argparse.Namespace], int], text: str
    ) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=text, description=text)
        command.set_defaults(handler=handler)
        return command

    services = add("services", cmd_services, "start, stop or show the local broker and database")
    services.add_argument("action", choices=["up", "down", "status"])
    db = add(
        "db", cmd_db, "apply schema migrations (upgrade), show the schema version, prune readings"
    )
    db.add_argument("action", choices=["upgrade", "status", "prune"])
    db.add_argument(
        "--keep-days", type=int, help="prune: keep the readings of this many days, remove older"
    )
    ingest = add("ingest", cmd_ingest, "run an ingest worker: MQTT readings into the database")
    ingest.add_argument("--ready-file", type=Path, help=argparse.SUPPRESS)
    api = add("api", cmd_api, "serve the HTTP API")
    api.add_argument("--host", help="address to listen on (default CURBSIDE_API_HOST)")
    api.add_argument("--port", type=int, help="port to listen on (default CURBSIDE_API_PORT)")
    api.add_argument(
        "--workers", type=int, help="server processes (default CURBSIDE_API_WORKERS, 1)"
    )
    plan = add("plan", cmd_plan, "compute the collection routes for a day and store the plan")
    plan.add_argument("--date", type=_date, help="the day to plan (default: tomorrow)")
    plan.add_argument(
        "--every-evening",
        type=_time_of_day,
        metavar="HH:MM",
        help="keep running: every evening at this local time, plan the next working day",
    )
    plan.add_argument(
        "--if-working-day",
        action="store_true",
        help="plan only if trucks go out that day (a working day, not a holiday): for cron",
    )
    simulate = add("simulate", cmd_simulate, "generate a city, register it, publish its readings")
    simulate.add_argument(
        "action",
        choices=["city", "import", "publish", "run", "score"],
        help="city: generate and save; import: register bins and devices in the database; "
        "publish: send the sensors' readings over MQTT; run: all three; score: run a city "
        "for days under each collection policy and print them side by side",
    )
    simulate.add_argument("--city", type=Path, help="city file (default: STATE_DIR/city.json)")
    simulate.add_argument("--bins", type=int, help="number of bins in a generated city")
    simulate.add_argument("--seed", type=int, help="random seed of a generated city")
    simulate.add_argument(
        "--formats",
        type=_format_mix,
        metavar="MIX",
        help="uplink formats of a generated city's devices, as shares, e.g. "
        "canonical=0.2,tts=0.4,chirpstack=0.4 (the default)",
    )
    simulate.add_argument(
        "--faults",
        type=_fault_rates,
        metavar="RATES",
        help="faults to inject, e.g. dropout=0.02,duplicate=0.01,out_of_order=0.01,garbage=0.01"
        " (per reading), death=0.01,knock_over=0.01,fire=0.001 (per device and day)",
    )
    simulate.add_argument(
        "--speed",
        type=_speed,
        metavar="FACTOR",
        help="simulated seconds per real second: 1 is real time, 10080 a week in a minute "
        "(default: as fast as the broker takes them)",
    )
    simulate.add_argument(
        "--hours", type=_positive, help="simulated hours to publish (CURBSIDE_HISTORY_HOURS)"
    )
    simulate.add_argument(
        "--days", type=_positive, default=14, help="score: simulated days (default 14)"
    )
    simulate.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        metavar="SEED",
        help="score: a city per seed, figures averaged over them (default: --seed, or 1)",
    )
    simulate.add_argument(
        "--time-limit",
        type=float,
        default=10.0,
        metavar="S",
        help="score: seconds of routing per collection day (default 10)",
    )
    simulate.add_argument(
        "--policies",
        nargs="+",
        default=["fixed", "threshold-70", "curbside"],
        metavar="POLICY",
        help="score: fixed, threshold-X (X in %%), curbside (default: fixed threshold-70 "
        "curbside); a city of 2,000 bins unless --bins says otherwise",
    )
    keys = add("keys", cmd_keys, "API keys with roles: create, list, revoke")
    keys_actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    key_create = keys_actions.add_parser(
        "create",
        help="create a key and print it (shown once; only its hash is kept)",
        description="Create an API key. Roles: admin, dispatcher, driver, gateway; a driver's "
        "key may be tied to a vehicle, whose route alone it can read and report on.",
    )
    key_create.add_argument(
        "--role", required=True, choices=["admin", "dispatcher", "driver", "gateway"]
    )
    key_create.add_argument("--name", required=True, help="who or what uses it")
    key_create.add_argument("--vehicle", help="a driver's vehicle")
    key_revoke = keys_actions.add_parser("revoke", help="revoke a key at once")
    key_revoke.add_argument("id", type=int, help="the key's number (keys list)")
    key_list = keys_actions.add_parser("list", help="show the keys (never the keys themselves)")
    key_list.add_argument("--all", action="store_true", help="revoked keys too")
    holidays = add("holidays", cmd_holidays, "public holidays: no collection, calendar moved")
    holidays_actions = holidays.add_subparsers(dest="action", required=True, metavar="ACTION")
    holiday_add = holidays_actions.add_parser(
        "add",
        help="add or replace a holiday",
        description="No collection on DAY; calendar collections of that day move to "
        "--moved-to, or are dropped without it.",
    )
    holiday_add.add_argument("day", type=_date, help="the holiday, YYYY-MM-DD")
    holiday_add.add_argument("--name", required=True, help="its name, e.g. Christmas")
    holiday_add.add_argument("--moved-to", type=_date, help="where its calendar collections go")
    holiday_remove = holidays_actions.add_parser("remove", help="remove a holiday")
    holiday_remove.add_argument("day", type=_date, help="the holiday, YYYY-MM-DD")
    holiday_list = holidays_actions.add_parser("list", help="show the holidays")
    holiday_list.add_argument("--since", type=_date, help="only from this day on")
    devices = add("devices", cmd_devices_import, "register bins and their sensors from a file")
    devices_actions = devices.add_subparsers(dest="action", required=True, metavar="ACTION")
    devices_import = devices_actions.add_parser(
        "import",
        help="insert or update bins and devices from a CSV or GeoJSON file",
        description="Insert or update bins and devices from a CSV file (a header row naming "
        "the columns) or a GeoJSON FeatureCollection of Points; a device given another bin "
        "is moved and its history kept. Every row is checked first: one bad row and nothing "
        "is written. See docs/ingest.md for the columns.",
    )
    devices_import.add_argument("file", type=Path, help="a .csv, .geojson or .json file")
    rejects = add("rejects", cmd_rejects_list, "list, count or replay the messages ingest refused")
    rejects_actions = rejects.add_subparsers(dest="action", required=True, metavar="ACTION")
    since_help = "only rejects received at or after this time (ISO 8601; no offset means UTC)"
    rejects_list = rejects_actions.add_parser(
        "list", help="show the newest rejects", description="Show the newest rejects, newest first."
    )
    rejects_list.set_defaults(handler=cmd_rejects_list)
    rejects_list.add_argument("--reason", help="only rejects of this reason (e.g. unknown_device)")
    rejects_list.add_argument("--since", type=_moment, help=since_help)
    rejects_list.add_argument("--all", action="store_true", help="resolved rejects too")
    rejects_list.add_argument(
        "--limit", type=_positive, default=100, help="show at most this many (default 100)"
    )
    rejects_summary = rejects_actions.add_parser(
        "summary", help="count the open rejects by reason", description="Count open rejects."
    )
    rejects_summary.set_defaults(handler=cmd_rejects_summary)
    rejects_replay = rejects_actions.add_parser(
        "replay",
        help="run the open rejects through the ingest again",
        description="Run the open rejects through the ingest again, oldest first (after "
        "registering a device, say): readings that now decode are stored and their rejects "
        "marked resolved; the others stay open.",
    )
    rejects_replay.add_argument("--reason", help="only rejects of this reason")
    rejects_replay.add_argument("--since", type=_moment, help=since_help)
    rejects_replay.add_argument("--limit", type=_positive, help="replay at most this many")
    rejects_replay.set_defaults(handler=cmd_rejects_replay)
    loadtest = add(
        "loadtest",
        cmd_loadtest,
        "publish a load of readings over MQTT; report rate, latency and loss (docs/simulators.md)",
    )
    loadtest.add_argument(
        "--publishers", type=_positive, default=4, help="connections publishing (default 4)"
    )
    loadtest.add_argument(
        "--rate", type=float, help="messages/s in all (default: as fast as the broker takes them)"
    )
    loadtest.add_argument("--qos", type=int, choices=[0, 1], default=1, help="default 1")
    amount = loadtest.add_mutually_exclusive_group(required=True)
    amount.add_argument("--count", type=_positive, help="publish this many messages")
    amount.add_argument("--duration", type=float, help="publish for this many seconds")
    loadtest.add_argument(
        "--deadline",
        type=float,
        help="stop publishing this many seconds after the start whatever is left (default: "
        "the planned time plus a tenth, at least 2 s; 600 s for a count as fast as possible)",
    )
    loadtest.add_argument(
        "--settle",
        type=float,
        default=10.0,
        help="afterwards, wait for the ingest until nothing new is stored for this long "
        "(default 10 s)",
    )
    loadtest.add_argument("--bins", type=_positive, help="bins (and devices) of the city")
    loadtest.add_argument("--seed", type=int, help="random seed of the city")
    loadtest.add_argument("--json", action="store_true", help="print the report as JSON")
    grafana = add(
        "grafana",
        cmd_grafana,
        "create or update Grafana's datasource, folder and dashboards (docs/grafana.md)",
    )
    grafana.add_argument(
        "action", choices=["push"], help="push: write what differs, leave the rest alone"
    )
    grafana.add_argument("--url", help="Grafana's address (default CURBSIDE_GRAFANA_URL)")
    grafana.add_argument("--token", help="a service account token (default CURBSIDE_GRAFANA_TOKEN)")
    grafana.add_argument(
        "--folder", help="the dashboards' folder (default CURBSIDE_GRAFANA_FOLDER, Curbside)"
    )
    grafana.add_argument(
        "--dashboards",
        type=Path,
        default=None,
        metavar="DIR",
        help="the dashboard JSON files (default deploy/grafana/dashboards)",
    )
    grafana.add_argument(
        "--force",
        action="store_true",
        help="write everything, the datasource's password too, even when unchanged",
    )
    add("up", cmd_up, "everything: services, migrations, ingest, API, a simulated city, a plan")
    add("down", cmd_down, "stop everything `up` started")
    add("status", cmd_status, "show what is running")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(
        args.verbose, args.log_json or os.environ.get("CURBSIDE_LOG_FORMAT") == "json"
    )
    try:
        result: int = args.handler(args)
    except (CurbsideError, ValueError) as exc:
        print(f"curbside: error: {exc}", file=sys.stderr)
        return 1
    return result
