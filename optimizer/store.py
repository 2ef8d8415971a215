"""The optimizer's database access: a problem from the tables, a plan back into them.

Functions take an open psycopg connection and leave its life to the caller.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from optimizer.errors import PlanningError
from optimizer.geo import TravelModel
from optimizer.osrm import OsrmTable
from optimizer.problem import DAY_S, Depot, Facility, Problem, Stop, TravelSource, Vehicle
from optimizer.result import Result
from optimizer.settings import PlannerSettings
from optimizer.streams import weight_kg

_LOCK_CLASS = 0x0C0B
"""First key of the advisory lock that serialises plan versions of one date."""

# Each bin's latest reading with a fill level (at or before a moment, when given); the index
# readings_bin_time makes this one short index scan per bin.
_STOPS_SQL = """
SELECT b.id, b.lat, b.lon, b.volume_l, b.waste_stream, r.fill_pct
FROM bins AS b
CROSS JOIN LATERAL (
    SELECT readings.fill_pct
    FROM readings
    WHERE readings.bin_id = b.id AND readings.fill_pct IS NOT NULL {as_of}
    ORDER BY readings.measured_at DESC
    LIMIT 1
) AS r
WHERE r.fill_pct >= %(threshold)s
ORDER BY b.id
"""


def load_fleet(
    conn: psycopg.Connection,
) -> tuple[tuple[Depot, ...], tuple[Facility, ...], tuple[Vehicle, ...]]:
    """Every depot, disposal facility and vehicle, in id order; `PlanningError` when there
    is no depot or no vehicle."""
    depots = tuple(
        Depot(depot_id, lat, lon)
        for depot_id, lat, lon in conn.execute("SELECT id, lat, lon FROM depots ORDER BY id")
    )
    if not depots:
        raise PlanningError("no depot: the depots table is empty")
    facilities = tuple(
        Facility(
            fid,
            lat,
            lon,
            _seconds(opens),
            _end_seconds(opens, closes),
            unload_s,
            frozenset(streams),
        )
        for fid, lat, lon, opens, closes, unload_s, streams in conn.execute(
            "SELECT id, lat, lon, opens_at, closes_at, unload_s, waste_streams "
            "FROM disposal_facilities ORDER BY id"
        )
    )
    vehicles = tuple(
        Vehicle(
            id=vid,
            capacity_l=capacity_l,
            shift_start_s=_seconds(start),
            shift_end_s=_end_seconds(start, end),
            cost_per_km=per_km,
            cost_per_hour=per_hour,
            waste_streams=frozenset(streams),
            capacity_kg=capacity_kg,
            start_depot=depot_id,
        )
        for vid, depot_id, capacity_l, capacity_kg, start, end, per_km, per_hour, streams in (
            conn.execute(
                "SELECT id, depot_id, capacity_l, capacity_kg, shift_start, shift_end, "
                "cost_per_km, cost_per_hour, waste_streams FROM vehicles ORDER BY id"
            )
        )
    )
    if not vehicles:
        raise PlanningError("no vehicles: the vehicles table is empty")

    return depots, facilities, vehicles


def _seconds(value: time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def load_problem(
    conn: psycopg.Connection,
    plan_date: date,
    settings: PlannerSettings,
    as_of: datetime | None = None,
) -> Problem:
    """The routing problem of a day: bins at or above the fill threshold, the whole fleet.

    A bin counts by its latest fill level (measured at or before `as_of`, when given); bins
    with no fill level yet are not selected. Every depot, vehicle and disposal facility
    takes part; shift and opening hours are local times of the planning time zone. Raises
    `PlanningError` when there is no depot or no vehicle.
    """
    depots, facilities, vehicles = load_fleet(conn)
    sql = _STOPS_SQL.format(as_of="AND readings.measured_at <= %(as_of)s" if as_of else "")
    stops = []
    for bin_id, lat, lon, volume_l, stream, fill_pct in conn.execute(
        sql, {"threshold": settings.fill_threshold_pct, "as_of": as_of}
    ):
        litres = round(volume_l * fill_pct / 100, 1)
        stops.append(
            Stop(
                id=bin_id,
                lat=lat,
                lon=lon,
                demand_l=litres,
                service_s=settings.service_s,
                expected_fill_pct=fill_pct,
                waste_stream=stream,
                demand_kg=round(weight_kg(stream, litres), 1),
            )
        )
    return Problem(
        day_start=datetime.combine(plan_date, time(0), tzinfo=settings.zone),
        depots=depots,
        vehicles=vehicles,
        stops=tuple(stops),
        facilities=facilities,
        travel=travel_of(settings),
    )


def travel_of(settings: PlannerSettings) -> TravelSource:
    """Road matrices from the table service when one is configured, else great-circle."""
    if settings.osrm_url:
        cache = Path(settings.matrix_cache_dir) if settings.matrix_cache_dir else None
        return OsrmTable(settings.osrm_url, cache_dir=cache)
    return TravelModel(settings.detour_factor, settings.speed_kmh)


def _end_seconds(start: time, end: time) -> int:
    """The end of a shift or of opening hours; one ending at or before its start ends the
    next day (a night shift)."""
    start_s, end_s = _seconds(start), _seconds(end)
    return end_s + DAY_S if end_s <= start_s else end_s


def save_plan(
    conn: psycopg.Connection,
    plan_date: date,
    result: Result,
    params: Mapping[str, Any],
    problem: Problem | None = None,
) -> int:
    """Store a result as the next version of the date's plan, in one transaction; its id.

    Each route is stored with its stops: the depot at position 0 and at the end, the bins and
    disposal visits in between; each omitted bin with its reason. `params`
    (JSON-serialisable) is kept with it, and so are the problem's stops, when given, so
    that the plan can be changed later (`lifecycle`).
    Raises `PlanningError`, storing nothing, when the result names a vehicle the database
    does not have.
    """
    try:
        return _insert_plan(conn, plan_date, result, params, problem)
    except psycopg.errors.IntegrityError as exc:
        raise PlanningError(f"plan does not fit the database: {exc.diag.message_primary}") from exc


def _insert_plan(
    conn: psycopg.Connection,
    plan_date: date,
    result: Result,
    params: Mapping[str, Any],
    problem: Problem | None,
) -> int:
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_LOCK_CLASS, plan_date.toordinal()))
        cur.execute(
            "SELECT coalesce(max(version), 0) + 1 FROM plans WHERE plan_date = %s", (plan_date,)
        )
        (version,) = _one(cur)
        cur.execute(
            "INSERT INTO plans (plan_date, version, solver, distance_m, duration_s, params, "
            "problem) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
            (
                plan_date,
                version,
                result.solver,
                result.distance_m,
                result.duration_s,
                Jsonb(dict(params)),
                None if problem is None else Jsonb(stops_document(problem)),
            ),
        )
        (plan_id,) = _one(cur)
        cur.executemany(
            "INSERT INTO plan_routes (plan_id, vehicle_id, distance_m, duration_s, load_l) "
            "VALUES (%s, %s, %s, %s, %s)",
            [
                (plan_id, r.vehicle_id, r.distance_m, r.duration_s, round(r.load_l, 1))
                for r in result.routes
            ],
        )
        stops: list[tuple[Any, ...]] = []
        for r in result.routes:
            stops.append((plan_id, r.vehicle_id, 0, "depot", r.depot_id, r.start, 0.0, None))
            load_l = 0.0
            for position, visit in enumerate(r.visits, start=1):
                load_l = round(visit.load_after_l, 1)
                stops.append(
                    (
                        plan_id,
                        r.vehicle_id,
                        position,
                        visit.kind.value,
                        visit.site_id,
                        visit.arrival,
                        load_l,
                        visit.expected_fill_pct,
                    )
                )
            end = (plan_id, r.vehicle_id, len(r.visits) + 1, "depot", r.returns_to, r.end, load_l)
            stops.append((*end, None))
        cur.executemany(
            "INSERT INTO plan_stops (plan_id, vehicle_id, position, kind, site_id, arrival_at, "
            "load_after_l, expected_fill_pct) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            stops,
        )
        cur.executemany(
            "INSERT INTO plan_omissions (plan_id, bin_id, reason) VALUES (%s, %s, %s)",
            [(plan_id, o.stop_id, o.reason.value) for o in result.omissions],
        )
    return int(plan_id)


def stops_document(problem: Problem) -> list[dict[str, Any]]:
    """The problem's stops as JSON, as they are stored with a plan."""
    return [dataclasses.asdict(stop) for stop in problem.stops]


def stops_from_document(document: list[dict[str, Any]]) -> tuple[Stop, ...]:
    """The stops `stops_document` stored."""

    def windows(value: list[list[int]]) -> tuple[tuple[int, int], ...]:
        return tuple((int(a), int(b)) for a, b in value)

    return tuple(
        Stop(**{**s, "windows": windows(s["windows"]), "forbidden": windows(s["forbidden"])})
        for s in document
    )


def stop_of_bin(conn: psycopg.Connection, bin_id: str, settings: PlannerSettings) -> Stop:
    """A required stop for a bin, at its latest fill level (full when it has none)."""
    row = conn.execute(
        "SELECT b.lat, b.lon, b.volume_l, b.waste_stream, "
        "(SELECT fill_pct FROM readings WHERE bin_id = b.id AND fill_pct IS NOT NULL "
        " ORDER BY measured_at DESC LIMIT 1) FROM bins AS b WHERE b.id = %s",
        (bin_id,),
    ).fetchone()
    if row is None:
        raise PlanningError(f"no bin {bin_id!r}")
    lat, lon, volume_l, stream, fill_pct = row
    fill = 100.0 if fill_pct is None else float(fill_pct)
    litres = round(volume_l * fill / 100, 1)
    return Stop(
        id=bin_id,
        lat=lat,
        lon=lon,
        demand_l=litres,
        service_s=settings.service_s,
        expected_fill_pct=fill,
        waste_stream=stream,
        demand_kg=round(weight_kg(stream, litres), 1),
    )


def _one(cur: psycopg.Cursor[Any]) -> tuple[Any, ...]:
    row = cur.fetchone()
    if row is None:  # pragma: no cover - the statements always return one row
        raise PlanningError("the database returned no row")
    return tuple(row)
