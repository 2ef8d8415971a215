"""Tests of deploy/grafana: the dashboards' structure, and every panel's SQL on the real database.

Grafana does not send a panel's SQL as written: the browser replaces the template variables
(`$waste_stream`), then the PostgreSQL datasource replaces `$__interval` and the macros
(`$__timeFilter(col)`, `$__timeGroupAlias(col, 1h)`, ...). `expand` does the same, following
the datasource's documented expansions, so each query runs here as Grafana would send it, on
the test TimescaleDB with a few rows in every table the dashboards read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

GRAFANA_DIR = Path(__file__).resolve().parents[2] / "deploy" / "grafana"
DASHBOARD_FILES = sorted((GRAFANA_DIR / "dashboards").glob("*.json"))
DATASOURCE = {"type": "grafana-postgresql-datasource", "uid": "curbside-timescaledb"}
NOW = datetime.now(UTC).replace(second=0, microsecond=0)

# --- what each panel's queries return: (dashboard uid, panel title) -> refId -> columns ------

EXPECTED: dict[tuple[str, str], dict[str, list[str]]] = {
    ("curbside-city", "Bins by fill level"): {
        "A": ["bin", "address", "waste_stream", "lat", "lon", "fill_pct", "last_reading"],
        "B": ["bin", "address", "lat", "lon", "alarms", "last_alarm"],
    },
    ("curbside-city", "Bins"): {"A": ["bins"]},
    ("curbside-city", "Mean fill level"): {"A": ["mean_fill_pct"]},
    ("curbside-city", "Bins at 80 % or more"): {"A": ["bins_at_80_pct"]},
    ("curbside-city", "Alarms (24 h)"): {"A": ["alarms"]},
    ("curbside-city", "Alarms in the last 24 hours"): {
        "A": ["time", "kind", "bin", "address", "device", "value", "detail"]
    },
    ("curbside-city", "Mean fill level by waste stream"): {"A": ["time", "metric", "fill_pct"]},
    ("curbside-city", "Collections per day"): {"A": ["time", "metric", "collections"]},
    ("curbside-bins-at-risk", "Bins at risk"): {"A": ["bins_at_risk"]},
    ("curbside-bins-at-risk", "Bins at risk, soonest full first"): {
        "A": ["bin", "address", "waste_stream", "fill_pct", "pct_per_h", "full_at", "last_reading"],
    },
    ("curbside-bins-at-risk", "Bins at 80 % and 100 %"): {
        "A": ["time", "bins_at_80_pct", "bins_full"]
    },
    ("curbside-bins-at-risk", "Open resident reports"): {
        "A": ["time", "kind", "status", "bin", "address", "description"]
    },
    ("curbside-bins-at-risk", "Left out of the newest plan"): {
        "A": ["bin", "address", "waste_stream", "reason", "plan_date", "version"]
    },
    ("curbside-sensors", "Devices"): {"A": ["devices"]},
    ("curbside-sensors", "Silent or never seen"): {"A": ["silent"]},
    ("curbside-sensors", "Battery low"): {"A": ["battery_low"]},
    ("curbside-sensors", "Suspect readings"): {"A": ["suspect_pct"]},
    ("curbside-sensors", "Devices needing attention"): {
        "A": [
            "device",
            "bin",
            "sensor_model",
            "status",
            "last_reading",
            "battery_pct",
            "battery_v",
            "temperature_c",
        ],
    },
    ("curbside-sensors", "Sensor events by kind"): {"A": ["time", "metric", "events"]},
    ("curbside-sensors", "Reporting devices"): {"A": ["time", "devices"]},
    ("curbside-sensors", "Battery"): {"A": ["time", "lowest_battery_pct", "mean_battery_pct"]},
    ("curbside-sensors", "Suspect readings over time"): {"A": ["time", "suspect_pct"]},
    ("curbside-ingest", "Readings received"): {"A": ["readings"]},
    ("curbside-ingest", "Rejected"): {"A": ["rejects"]},
    ("curbside-ingest", "Reject share"): {"A": ["reject_pct"]},
    ("curbside-ingest", "Open rejects"): {"A": ["open_rejects"]},
    ("curbside-ingest", "Since the last stored reading"): {"A": ["seconds"]},
    ("curbside-ingest", "Readings and rejects per second"): {
        "A": ["time", "readings_per_s"],
        "B": ["time", "rejects_per_s"],
    },
    ("curbside-ingest", "Rejects by reason"): {"A": ["time", "metric", "rejects"]},
    ("curbside-ingest", "Lag"): {
        "A": [
            "time",
            "p50_measured_to_stored_s",
            "p95_measured_to_stored_s",
            "p95_received_to_stored_s",
        ],
    },
    ("curbside-ingest", "Open rejects by reason"): {"A": ["reason", "open", "oldest", "newest"]},
    ("curbside-plans", "Distance"): {"A": ["km"]},
    ("curbside-plans", "Stops"): {"A": ["stops"]},
    ("curbside-plans", "Litres per km"): {"A": ["litres_per_km"]},
    ("curbside-plans", "Overflow bin-days"): {"A": ["overflow_bin_days"]},
    ("curbside-plans", "Distance and stops per day"): {"A": ["time", "km", "stops"]},
    ("curbside-plans", "Litres per km per day"): {"A": ["time", "litres_per_km"]},
    ("curbside-plans", "Overflow bin-days per day"): {"A": ["time", "overflow_bins"]},
    ("curbside-plans", "Plan changes per day"): {"A": ["time", "metric", "changes"]},
    ("curbside-plans", "Plans by day"): {
        "A": [
            "plan_date",
            "version",
            "status",
            "vehicles",
            "stops",
            "disposal_trips",
            "km",
            "hours",
            "litres",
            "litres_per_km",
            "omitted",
        ],
    },
    ("curbside-plans", "Skipped stops by reason"): {"A": ["reason", "stops"]},
}
NUMERIC = {20, 21, 23, 700, 701, 1700}
"""PostgreSQL type OIDs of int8, int2, int4, float4, float8 and numeric."""
TIMESTAMPTZ = 1184


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def expected_columns(uid: str, panel: Mapping[str, Any]) -> dict[str, list[str]]:
    return EXPECTED[uid, panel["title"]]


# --- Grafana's expansion of template variables, $__interval and macros ----------------------


@dataclass(frozen=True)
class QueryContext:
    """What Grafana knows when it runs a panel's query."""

    start: datetime
    end: datetime
    interval: timedelta
    """$__interval: the time range over the panel's width in points, rounded."""
    variables: Mapping[str, str]
    """Each dashboard variable's text as the PostgreSQL datasource interpolates it."""
    timescaledb: bool = True
    """The datasource's TimescaleDB switch: $__timeGroup uses time_bucket when on."""


_MACRO = re.compile(r"\$(\w+)\(([^)]*)\)")
_VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def grafana_time(moment: datetime) -> str:
    """A time as Go's RFC 3339 with nanoseconds writes it in UTC: no trailing zeros, Z."""
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


def parse_interval(text: str) -> timedelta:
    """An interval like 5m, 1h or 1d, as the macros take it (quotes allowed)."""
    found = re.fullmatch(r"(\d+)(ms|s|m|h|d|w)", text.strip("'"))
    if found is None:
        raise ValueError(f"error parsing interval {text}")
    return timedelta(seconds=int(found[1]) * _UNITS[found[2]])


def format_interval(interval: timedelta) -> str:
    """$__interval's text: the interval in its largest whole unit (1d, 3h, 30m, 15s, 100ms)."""
    for unit, seconds in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if interval >= timedelta(seconds=seconds):
            return f"{int(interval.total_seconds() // seconds)}{unit}"
    return f"{max(1, interval // timedelta(milliseconds=1))}ms"


def _macro(name: str, args: list[str], ctx: QueryContext) -> str:
    if name in ("__time", "__timeEpoch", "__timeFilter") and not args[0]:
        raise ValueError(f"missing time column argument for macro {name}")
    if name == "__time":
        return f'{args[0]} AS "time"'
    if name == "__timeEpoch":
        return f'extract(epoch from {args[0]}) as "time"'
    if name == "__timeFilter":
        return f"{args[0]} BETWEEN '{grafana_time(ctx.start)}' AND '{grafana_time(ctx.end)}'"
    if name == "__timeFrom":
        return f"'{grafana_time(ctx.start)}'"
    if name == "__timeTo":
        return f"'{grafana_time(ctx.end)}'"
    if name in ("__timeGroup", "__timeGroupAlias"):
        if len(args) < 2:
            raise ValueError(f"macro {name} needs time column and interval")
        seconds = parse_interval(args[1]).total_seconds()
        if ctx.timescaledb:
            group = f"time_bucket('{seconds:.3f}s',{args[0]})"
        else:
            group = f"floor(extract(epoch from {args[0]})/{seconds:g})*{seconds:g}"
        return group + (' AS "time"' if name == "__timeGroupAlias" else "")
    raise ValueError(f"unknown macro {name!r}")


def expand(sql: str, ctx: QueryContext) -> str:
    """The SQL that reaches PostgreSQL when Grafana runs `sql` in `ctx`."""

    def variable(found: re.Match[str]) -> str:
        name = found[1] or found[2]
        return ctx.variables.get(name, found[0])

    sql = _VARIABLE.sub(variable, sql)
    sql = sql.replace("$__interval_ms", str(ctx.interval // timedelta(milliseconds=1)))
    sql = sql.replace("$__interval", format_interval(ctx.interval))
    sql = sql.replace("$__unixEpochFrom()", str(int(ctx.start.timestamp())))
    sql = sql.replace("$__unixEpochTo()", str(int(ctx.end.timestamp())))

    def macro(found: re.Match[str]) -> str:
        name, args = found[1], [arg.strip() for arg in found[2].split(",")]
        # as Grafana does for pre-5.3 dashboards: $__timeGroup followed by a comma is aliased
        after = sql.find(found[0]) + len(found[0])
        if name == "__timeGroup" and sql[after : after + 1] == ",":
            name = "__timeGroupAlias"
        return _macro(name, args, ctx)

    return _MACRO.sub(macro, sql)


def quote_values(values: list[str]) -> str:
    """A multi-value variable as the PostgreSQL datasource writes it: quoted, comma-separated."""
    return ",".join("'" + value.replace("'", "''") + "'" for value in values)


def relative_time(text: str) -> datetime:
    """A dashboard's time setting like now, now-7d or now+2d, from NOW."""
    found = re.fullmatch(r"now(?:([+-])(\d+)([smhdw]))?", text)
    assert found is not None, f"unsupported time {text!r}"
    if found[1] is None:
        return NOW
    offset = parse_interval(found[2] + found[3])
    return NOW + offset if found[1] == "+" else NOW - offset


def context_for(
    dashboard: Mapping[str, Any], conn: psycopg.Connection, timescaledb: bool
) -> QueryContext:
    """The dashboard's default time range and variables, with $__interval at one hour."""
    start = relative_time(dashboard["time"]["from"])
    end = relative_time(dashboard["time"]["to"])
    bare = QueryContext(start, end, timedelta(hours=1), {}, timescaledb)
    variables: dict[str, str] = {}
    for variable in dashboard["templating"]["list"]:
        chosen = variable["current"]["value"]
        if variable["type"] == "query" and chosen in (["$__all"], "$__all"):
            rows = conn.execute(expand(variable["query"], bare)).fetchall()
            chosen = [str(row[0]) for row in rows]
        else:
            assert chosen in [option["value"] for option in variable["options"]], chosen
        if variable.get("multi") or variable.get("includeAll"):
            variables[variable["name"]] = quote_values(chosen)
        else:
            variables[variable["name"]] = str(chosen)
    return QueryContext(start, end, bare.interval, variables, timescaledb)


def test_expansions_follow_grafanas_postgres_datasource() -> None:
    """The macros expand as Grafana documents them, with and without TimescaleDB."""
    start, end = datetime(2026, 11, 20, 8, tzinfo=UTC), datetime(2026, 11, 27, 8, 0, 0, 500000, UTC)
    ctx = QueryContext(start, end, timedelta(minutes=5), {"stream": "'paper','glass'"})
    plain = QueryContext(start, end, timedelta(minutes=5), {}, timescaledb=False)
    cases = [
        (ctx, "$__time(t)", 't AS "time"'),
        (ctx, "$__timeEpoch(t)", 'extract(epoch from t) as "time"'),
        (ctx, "$__timeFilter(t)", "t BETWEEN '2026-11-20T08:00:00Z' AND '2026-11-27T08:00:00.5Z'"),
        (ctx, "$__timeFrom()", "'2026-11-20T08:00:00Z'"),
        (ctx, "$__timeTo()", "'2026-11-27T08:00:00.5Z'"),
        (ctx, "$__timeGroupAlias(t, $__interval)", "time_bucket('300.000s',t) AS \"time\""),
        (ctx, "$__timeGroup(t, '1h') AS x", "time_bucket('3600.000s',t) AS x"),
        (ctx, "$__timeGroup(t, 1d), v", "time_bucket('86400.000s',t) AS \"time\", v"),
        (plain, "$__timeGroupAlias(t, 5m)", 'floor(extract(epoch from t)/300)*300 AS "time"'),
        (ctx, "$__interval_ms / $__interval", "300000 / 5m"),
        (ctx, "s IN ($stream) OR ${stream}", "s IN ('paper','glass') OR 'paper','glass'"),
    ]  # fmt: skip
    for context, sql, expanded in cases:
        assert expand(sql, context) == expanded, sql
    with pytest.raises(ValueError, match="unknown macro"):
        expand("$__nothing(t)", ctx)
    assert quote_values(["a", "it's"]) == "'a','it''s'"


# --- the dashboards' structure ------------------------------------------------------------


def test_every_dashboard_is_there() -> None:
    """The five dashboards the issue asks for, each with its own uid."""
    uids = [load(path)["uid"] for path in DASHBOARD_FILES]
    assert sorted(uids) == sorted(
        ["curbside-city", "curbside-bins-at-risk", "curbside-sensors", "curbside-ingest",
         "curbside-plans"]
    )  # fmt: skip


def _overlap(a: Mapping[str, int], b: Mapping[str, int]) -> bool:
    return (
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    )


@pytest.mark.parametrize("path", DASHBOARD_FILES, ids=lambda path: path.stem)
def test_dashboard_structure(path: Path) -> None:
    """Unique panel ids, a place on the grid for each, the provisioned datasource, SQL in every
    query and a declared result for each."""
    dashboard = load(path)
    assert re.fullmatch(r"[a-z0-9-]{1,40}", dashboard["uid"])
    assert dashboard["title"]
    assert dashboard["description"]
    assert isinstance(dashboard["schemaVersion"], int)
    assert dashboard["schemaVersion"] >= 36
    assert dashboard.get("id") is None, "Grafana gives the id"
    assert "version" not in dashboard, "Grafana counts the versions"
    assert "curbside" in dashboard["tags"]
    panels = dashboard["panels"]
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids)), "panel ids repeat"
    titles = [panel["title"] for panel in panels]
    assert len(titles) == len(set(titles)), "panel titles repeat"
    for panel in panels:
        grid = panel["gridPos"]
        assert all(isinstance(grid[key], int) for key in ("x", "y", "w", "h")), panel["title"]
        assert 0 <= grid["x"] < grid["x"] + grid["w"] <= 24, panel["title"]
        assert panel["datasource"] == DATASOURCE, panel["title"]
        assert panel["description"], f"{panel['title']}: say what it shows"
        targets = panel["targets"]
        assert targets, f"{panel['title']}: no query"
        assert len({target["refId"] for target in targets}) == len(targets)
        for target in targets:
            assert target["datasource"] == DATASOURCE
            assert target["rawQuery"] is True
            assert target["editorMode"] == "code"
            assert target["format"] in ("table", "time_series")
            assert target["rawSql"].strip(), f"{panel['title']}: empty SQL"
        assert set(expected_columns(dashboard["uid"], panel)) == {t["refId"] for t in targets}
    for i, a in enumerate(panels):
        for b in panels[i + 1 :]:
            assert not _overlap(a["gridPos"], b["gridPos"]), (a["title"], b["title"])
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            assert variable["datasource"] == DATASOURCE


def test_every_expectation_names_a_panel() -> None:
    """No declared result is left over from a panel that is gone."""
    panels = {
        (dashboard["uid"], panel["title"])
        for dashboard in map(load, DASHBOARD_FILES)
        for panel in dashboard["panels"]
    }
    assert set(EXPECTED) <= panels


def test_provisioning_matches_the_dashboards() -> None:
    """The provisioned datasource is the one the dashboards use; the provider reads a folder."""
    datasources = yaml.safe_load(
        (GRAFANA_DIR / "provisioning/datasources/curbside.yaml").read_text()
    )
    (source,) = datasources["datasources"]
    assert {"type": source["type"], "uid": source["uid"]} == DATASOURCE
    assert source["jsonData"]["timescaledb"] is True
    assert set(source["secureJsonData"]) == {"password"}
    providers = yaml.safe_load((GRAFANA_DIR / "provisioning/dashboards/curbside.yaml").read_text())
    (provider,) = providers["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"].startswith("/")


# --- every panel's SQL on the real database -------------------------------------------------


@pytest.fixture
def city(
    db: psycopg.Connection,
    add_depot: Callable[..., None],
    add_vehicle: Callable[..., None],
    add_bin: Callable[..., None],
) -> psycopg.Connection:
    """A few rows in every table the dashboards read, around NOW: bins filling, one full, one
    sensor silent, alarms, rejects, and yesterday's, today's and tomorrow's plans."""
    hours = [NOW - timedelta(hours=h) for h in range(72)]
    add_depot()
    add_vehicle("truck-1")
    add_bin("bin-a", 1, 0, [(hours[24], 40.0), (hours[12], 60.0), (hours[1], 85.0)])
    add_bin(
        "bin-b", 0, 1, [(hours[30], 100.0), (hours[10], 10.0), (hours[2], 20.0)], stream="paper"
    )
    add_bin("bin-c", 1, 1, [(hours[71], 50.0)])
    db.execute(
        "INSERT INTO devices (id, sensor_model, bin_id) VALUES ('dev-bin-a', 'em310', 'bin-a'),"
        " ('dev-bin-b', 'ldds75', 'bin-b'), ('dev-bin-c', 'em310', 'bin-c'),"
        " ('dev-new', 'em310', NULL)"
    )
    db.execute(
        "UPDATE readings SET battery_pct = 80, temperature_c = 21, stored_at = received_at"
        " + interval '3 seconds', received_at = received_at + interval '1 second'"
    )
    db.execute("UPDATE readings SET battery_pct = 9, suspect = true WHERE bin_id = 'bin-b'")
    db.execute(
        """INSERT INTO events (device_id, bin_id, kind, occurred_at, value) VALUES
           ('dev-bin-a', 'bin-a', 'fire_risk', %(h2)s, 71),
           ('dev-bin-b', 'bin-b', 'tilt', %(h3)s, 80),
           ('dev-bin-b', 'bin-b', 'battery_low', %(h2)s, 9),
           ('dev-bin-c', 'bin-c', 'silent', %(h30)s, NULL)""",
        {"h2": hours[2], "h3": hours[3], "h30": hours[30]},
    )  # fmt: skip
    db.execute(
        "INSERT INTO collections (bin_id, collected_at, source, fill_before, fill_after)"
        " VALUES ('bin-b', %s, 'sensor', 100, 5)",
        (hours[20],),
    )
    db.execute(
        """INSERT INTO ingest_rejects (received_at, topic, payload, reason, resolved_at) VALUES
           (%(h1)s, 'curbside/v1/devices/x/up', '{}', 'unknown_device', NULL),
           (%(h1)s, 'curbside/v1/devices/x/up', '{}', 'unknown_device', %(now)s),
           (%(h2)s, 'curbside/v1/devices/y/up', 'zz', 'undecodable', NULL)""",
        {"h1": hours[1], "h2": hours[2], "now": NOW},
    )
    today = NOW.date()
    for day, version in [(today - timedelta(days=1), 1), (today, 1), (today, 2)]:
        plan_id = db.execute(
            "INSERT INTO plans (plan_date, version, status, solver, distance_m, duration_s)"
            " VALUES (%s, %s, 'approved', 'ortools', 12500, 9000) RETURNING id",
            (day, version),
        ).fetchall()[0][0]
        db.execute("INSERT INTO plan_routes VALUES (%s, 'truck-1', 12500, 9000, 1800)", (plan_id,))
        db.execute(
            """INSERT INTO plan_stops (plan_id, vehicle_id, position, kind, site_id, arrival_at,
                                       load_after_l, expected_fill_pct) VALUES
               (%(p)s, 'truck-1', 0, 'depot', 'depot', %(t)s, 0, NULL),
               (%(p)s, 'truck-1', 1, 'bin', 'bin-a', %(t)s, 900, 90),
               (%(p)s, 'truck-1', 2, 'disposal', 'tip', %(t)s, 0, NULL),
               (%(p)s, 'truck-1', 3, 'bin', 'bin-b', %(t)s, 900, 95),
               (%(p)s, 'truck-1', 4, 'depot', 'depot', %(t)s, 900, NULL)""",
            {"p": plan_id, "t": datetime.combine(day, datetime.min.time(), UTC)},
        )
        db.execute("INSERT INTO plan_omissions VALUES (%s, 'bin-c', 'capacity')", (plan_id,))
        db.execute(
            "INSERT INTO stop_reports VALUES (%s, 'bin-b', 'skipped', 'blocked', %s, '')",
            (plan_id, NOW),
        )
    db.execute(
        "INSERT INTO plan_changes (plan_date, from_plan, to_plan, kind, bin_id, changed_at)"
        " VALUES (%s, 2, 3, 'add', 'bin-b', %s)",
        (today, hours[5]),
    )
    db.execute(
        "INSERT INTO resident_reports (kind, lat, lon, bin_id, created_at)"
        " VALUES ('overflowing', 45.0, 7.0, 'bin-a', %s)",
        (hours[4],),
    )
    return db


def _problems(
    dashboard: Mapping[str, Any], conn: psycopg.Connection, ctx: QueryContext
) -> Iterator[str]:
    """What is wrong with each panel's queries on the database: nothing, when all is well."""
    for panel in dashboard["panels"]:
        title, expected = panel["title"], expected_columns(dashboard["uid"], panel)
        columns: dict[str, list[str]] = {}
        for target in panel["targets"]:
            where = f"{title} [{target['refId']}]"
            sql = expand(target["rawSql"], ctx)
            leftover = re.findall(r"\$\{?\w+", sql)
            if leftover:
                yield f"{where}: not expanded: {leftover}"
                continue
            try:
                with conn.cursor() as cur:
                    cur.execute(sql)
                    rows = cur.fetchall()
                    description = cur.description or []
            except psycopg.Error as exc:
                yield f"{where}: {type(exc).__name__}: {exc}".splitlines()[0]
                continue
            names = [column.name for column in description]
            types = {column.name: column.type_code for column in description}
            columns[target["refId"]] = names
            if names != expected[target["refId"]]:
                yield f"{where}: columns {names}, expected {expected[target['refId']]}"
            if not rows:
                yield f"{where}: no rows on the test city"
            values = [name for name in names if name not in ("time", "metric")]
            if target["format"] == "time_series":
                if names[:1] != ["time"] or types["time"] not in {TIMESTAMPTZ, *NUMERIC}:
                    yield f"{where}: a time series starts with a column time (a time or epoch)"
                if any(types[name] not in NUMERIC for name in values):
                    yield f"{where}: a time series' values are numbers: {types}"
            if panel["type"] == "stat" and any(types[name] not in NUMERIC for name in values):
                yield f"{where}: a stat shows numbers: {types}"
        yield from _field_problems(panel, columns)


def _field_problems(panel: Mapping[str, Any], columns: Mapping[str, list[str]]) -> Iterator[str]:
    """Fields the panel's options name must come from its queries."""
    title, every = panel["title"], {name for names in columns.values() for name in names}
    for override in panel["fieldConfig"]["overrides"]:
        if override["matcher"]["id"] == "byName" and override["matcher"]["options"] not in every:
            yield f"{title}: override for missing field {override['matcher']['options']}"
    for sort in panel["options"].get("sortBy", []):
        if sort["displayName"] not in every:
            yield f"{title}: sorted by missing field {sort['displayName']}"
    for layer in panel["options"].get("layers", []):
        names = columns.get(layer["filterData"]["options"], [])
        wanted = [layer["location"]["latitude"], layer["location"]["longitude"]]
        wanted.append(layer["config"]["style"].get("color", {}).get("field"))
        missing = [name for name in wanted if name and name not in names]
        if missing:
            yield f"{title}: map layer {layer['name']} needs {missing}"


@pytest.mark.parametrize("timescaledb", [True, False], ids=["timescaledb", "plain"])
@pytest.mark.parametrize("path", DASHBOARD_FILES, ids=lambda path: path.stem)
def test_every_panel_query_runs_and_returns_its_columns(
    path: Path, timescaledb: bool, city: psycopg.Connection
) -> None:
    """Each panel's SQL, expanded as Grafana does (with the datasource's TimescaleDB switch on,
    as provisioned, and off, for plain PostgreSQL), runs on the database and returns the
    columns the panel shows, with rows."""
    dashboard = load(path)
    ctx = context_for(dashboard, city, timescaledb)
    problems = list(_problems(dashboard, city, ctx))
    assert not problems, "\n".join(problems)


def test_bins_at_risk_follow_the_documented_proxy(city: psycopg.Connection) -> None:
    """bin-a (85 %) and bin-b (20 %, filling 1.25 %/h since its collection: full in 64 h) are
    at risk within 72 hours; within 24 hours only bin-a is."""
    dashboard = load(GRAFANA_DIR / "dashboards" / "bins-at-risk.json")
    (table,) = [p for p in dashboard["panels"] if p["title"] == "Bins at risk, soonest full first"]
    ctx = context_for(dashboard, city, timescaledb=True)
    for horizon, expected in [("24", ["bin-a"]), ("72", ["bin-a", "bin-b"])]:
        within = QueryContext(
            ctx.start, ctx.end, ctx.interval, {**ctx.variables, "horizon_h": horizon}
        )
        rows = city.execute(expand(table["targets"][0]["rawSql"], within)).fetchall()
        assert [row[0] for row in rows] == expected
    assert float(rows[1][4]) == pytest.approx(1.25)
