"""Problems residents report (overflowing, damaged, missed collection, illegal dumping).

A report names a position and, when a bin is within `NEAR_BIN_M` (or the resident named
one), that bin. An overflowing bin or a missed collection is urgent for the planner: it is
inserted at once into today's running routes when there is a plan for today and it fits;
otherwise it stays open and the next plan made takes the bin as required. Either way the
report records the plan it went into.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import psycopg

from optimizer.amend import AmendError
from optimizer.geo import haversine_m
from optimizer.lifecycle import Change, change_plan
from optimizer.settings import PlannerSettings

KINDS = ("overflowing", "damaged", "missed collection", "illegal dumping")
URGENT_KINDS = frozenset({"overflowing", "missed collection"})
NEAR_BIN_M = 50.0


@dataclass(frozen=True)
class Report:
    id: int
    kind: str
    description: str
    lat: float
    lon: float
    bin_id: str | None
    status: str
    plan_id: int | None
    created_at: datetime
    has_photo: bool


_COLUMNS = "id, kind, description, lat, lon, bin_id, status, plan_id, created_at, photo IS NOT NULL"


NEAREST_BIN = (
    "SELECT id, lat, lon FROM bins "
    "ORDER BY (lat - %(lat)s) ^ 2 + ((lon - %(lon)s) * cos(radians(%(lat)s))) ^ 2 LIMIT 1"
)
"""The bin nearest a position (`lat`, `lon`): its id and position."""


def nearest_bin(
    conn: psycopg.Connection, lat: float, lon: float, within_m: float = NEAR_BIN_M
) -> str | None:
    """The bin nearest the position, if it is within `within_m`."""
    row = conn.execute(NEAREST_BIN, {"lat": lat, "lon": lon}).fetchone()
    return bin_within(row, lat, lon, within_m)


def bin_within(
    row: tuple[str, float, float] | None, lat: float, lon: float, within_m: float
) -> str | None:
    """The id of a `NEAREST_BIN` row when the bin is within `within_m` of the position."""
    if row is None or haversine_m((lat, lon), (row[1], row[2])) > within_m:
        return None
    return str(row[0])


def file_report(
    conn: psycopg.Connection,
    kind: str,
    lat: float,
    lon: float,
    description: str = "",
    bin_id: str | None = None,
    photo: tuple[bytes, str] | None = None,
    settings: PlannerSettings | None = None,
    now: datetime | None = None,
) -> Report:
    """Store a report and, when it is urgent, put its bin into today's plan if one runs."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if bin_id is not None:
        if conn.execute("SELECT 1 FROM bins WHERE id = %s", (bin_id,)).fetchone() is None:
            raise ValueError(f"no bin {bin_id!r}")
    else:
        bin_id = nearest_bin(conn, lat, lon)
    data, media = photo if photo is not None else (None, None)
    row = conn.execute(
        "INSERT INTO resident_reports (kind, description, lat, lon, bin_id, photo, photo_type) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (kind, description, lat, lon, bin_id, data, media),
    ).fetchone()
    assert row is not None  # RETURNING gives the inserted row
    report_id = int(row[0])
    if kind in URGENT_KINDS and bin_id is not None:
        now = now or datetime.now().astimezone()
        _into_todays_plan(conn, report_id, bin_id, settings or PlannerSettings(), now)
    found = report_by_id(conn, report_id)
    assert found is not None  # just stored
    return found


def _into_todays_plan(
    conn: psycopg.Connection, report_id: int, bin_id: str, settings: PlannerSettings, now: datetime
) -> None:
    today = now.astimezone(settings.zone).date()
    change = Change("urgent", (bin_id,), by=f"resident report {report_id}")
    try:
        plan_id = change_plan(conn, today, change, settings, now)
    except AmendError:
        return  # no plan today, or the bin is on it already: the next plan takes it
    placed = conn.execute(
        "SELECT 1 FROM plan_stops WHERE plan_id = %s AND site_id = %s AND kind = 'bin'",
        (plan_id, bin_id),
    ).fetchone()
    if placed is not None:
        mark_planned(conn, [bin_id], plan_id)


def report_by_id(conn: psycopg.Connection, report_id: int) -> Report | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM resident_reports WHERE id = %s", (report_id,)
    ).fetchone()
    return None if row is None else Report(*row)


def list_reports(conn: psycopg.Connection, since: date | None, limit: int) -> list[Report]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM resident_reports "
        "WHERE %s::date IS NULL OR created_at >= %s ORDER BY id DESC LIMIT %s",
        (since, since, limit),
    ).fetchall()
    return [Report(*row) for row in rows]


def report_photo(conn: psycopg.Connection, report_id: int) -> tuple[bytes, str] | None:
    row = conn.execute(
        "SELECT photo, photo_type FROM resident_reports WHERE id = %s AND photo IS NOT NULL",
        (report_id,),
    ).fetchone()
    return None if row is None else (bytes(row[0]), str(row[1]))


def open_urgent_bins(conn: psycopg.Connection) -> list[str]:
    """Bins of open urgent reports: the next plan takes them as required."""
    rows = conn.execute(
        "SELECT DISTINCT bin_id FROM resident_reports WHERE status = 'open' "
        "AND kind = ANY(%s) AND bin_id IS NOT NULL ORDER BY bin_id",
        (sorted(URGENT_KINDS),),
    ).fetchall()
    return [row[0] for row in rows]


def mark_planned(conn: psycopg.Connection, bin_ids: list[str], plan_id: int) -> None:
    """Open urgent reports of these bins went into the plan."""
    conn.execute(
        "UPDATE resident_reports SET status = 'planned', plan_id = %s, updated_at = now() "
        "WHERE status = 'open' AND kind = ANY(%s) AND bin_id = ANY(%s)",
        (plan_id, sorted(URGENT_KINDS), bin_ids),
    )
