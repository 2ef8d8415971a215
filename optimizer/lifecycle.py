"""A plan's life in the database: changed by the dispatcher, reported on by drivers.

Every change makes the next version of the day's plan from the latest one: the plan is
rebuilt from what it was made of (its stops, stored with it, and today's fleet), changed by
`amend`, checked, stored, and the change logged in `plan_changes` with the versions before
and after. A change the plan cannot take raises `AmendError` and stores nothing. What a
route has done is fixed: the visits up to its last stop a driver has reported on, and any
visit due before `now`. Locked stops may not be removed or moved. A truck that breaks down
keeps what it has done; the stops it will not reach are inserted into the other running
routes as urgent ones, and it takes no new stop that day.

Drivers report a stop once per plan (`report_stop`); the same report again changes nothing,
a different one for the same stop is refused. A stop reported done is also recorded as a
collection.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from hashlib import sha256
from typing import Literal

import psycopg
from psycopg.types.json import Jsonb

from optimizer.amend import (
    AmendError,
    add,
    break_down,
    insert_urgent,
    move,
    plan_of,
    remove,
)
from optimizer.geo import TravelMatrices
from optimizer.problem import Problem
from optimizer.result import Result
from optimizer.settings import PlannerSettings
from optimizer.store import load_fleet, save_plan, stop_of_bin, stops_from_document, travel_of
from optimizer.tour import Tour

SKIP_REASONS = ("blocked", "not put out", "inaccessible", "contaminated")
ChangeKind = Literal["add", "remove", "move", "lock", "unlock", "urgent", "breakdown"]


@dataclass(frozen=True)
class Change:
    """One change of a day's plan."""

    kind: ChangeKind
    bin_ids: tuple[str, ...]
    vehicle_id: str | None = None
    """For "move": the route the stop goes to; for "breakdown": the truck that broke down."""
    position: int | None = None
    """For "move": its place among the route's visits (0: first)."""
    by: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("add", "remove", "move", "lock", "unlock", "urgent", "breakdown"):
            raise ValueError(f"unknown change {self.kind!r}")
        if self.kind == "breakdown":
            if self.vehicle_id is None or self.bin_ids:
                raise ValueError("breakdown names the vehicle and no bins")
            return
        if not self.bin_ids:
            raise ValueError("a change names at least one bin")
        if self.kind != "urgent" and len(self.bin_ids) != 1:
            raise ValueError(f"{self.kind} takes one bin")
        if self.kind == "move" and (self.vehicle_id is None or self.position is None):
            raise ValueError("move needs a vehicle and a position")


@dataclass(frozen=True)
class StoredPlan:
    plan_id: int
    version: int
    problem: Problem
    matrices: TravelMatrices
    tours: list[Tour]
    locked: frozenset[str]
    fixed: dict[int, int]
    """Per vehicle index: visits at the start of its route that may not change."""


def latest_plan(conn: psycopg.Connection, plan_date: date) -> int:
    row = conn.execute(
        "SELECT id FROM plans WHERE plan_date = %s ORDER BY version DESC LIMIT 1", (plan_date,)
    ).fetchone()
    if row is None:
        raise AmendError(f"no plan for {plan_date}")
    return int(row[0])


def load_plan(
    conn: psycopg.Connection, plan_id: int, settings: PlannerSettings, now: datetime
) -> StoredPlan:
    """A stored plan as the route engine works on it."""
    row = conn.execute(
        "SELECT plan_date, version, problem FROM plans WHERE id = %s", (plan_id,)
    ).fetchone()
    if row is None:
        raise AmendError(f"no plan {plan_id}")
    plan_date, version, document = row
    if document is None:
        raise AmendError(f"plan {plan_id} was stored without its problem: plan the day again")
    depots, facilities, vehicles = load_fleet(conn)
    problem = Problem(
        day_start=datetime.combine(plan_date, datetime.min.time(), tzinfo=settings.zone),
        depots=depots,
        vehicles=vehicles,
        stops=stops_from_document(document),
        facilities=facilities,
        travel=travel_of(settings),
    )
    index = {site.id: i for i, site in enumerate(problem.sites)}
    vehicle_index = {vehicle.id: v for v, vehicle in enumerate(vehicles)}
    rows = conn.execute(
        "SELECT s.vehicle_id, s.kind, s.site_id, s.arrival_at, s.locked, "
        "r.bin_id IS NOT NULL FROM plan_stops AS s LEFT JOIN stop_reports AS r "
        "ON r.plan_id = s.plan_id AND r.bin_id = s.site_id AND s.kind = 'bin' "
        "WHERE s.plan_id = %s ORDER BY s.vehicle_id, s.position",
        (plan_id,),
    ).fetchall()
    sites: dict[str, list[int]] = {}
    departures: dict[str, datetime] = {}
    fixed: dict[int, int] = {}
    locked = set()
    for vehicle_id, kind, site_id, arrival, is_locked, reported in rows:
        if vehicle_id not in vehicle_index:
            raise AmendError(f"plan {plan_id} uses vehicle {vehicle_id}, no longer in the fleet")
        if kind == "depot":
            departures.setdefault(vehicle_id, arrival)
            continue
        visits = sites.setdefault(vehicle_id, [])
        visits.append(index[site_id])
        if is_locked:
            locked.add(site_id)
        if reported or arrival <= now:
            fixed[vehicle_index[vehicle_id]] = len(visits)
    tours = [
        Tour(
            vehicle_index[v],
            tuple(visits),
            depart_s=round((departures[v] - problem.day_start).total_seconds()),
        )
        for v, visits in sites.items()
    ]
    return StoredPlan(
        plan_id, version, problem, problem.matrices(), tours, frozenset(locked), fixed
    )


def change_plan(
    conn: psycopg.Connection,
    plan_date: date,
    change: Change,
    settings: PlannerSettings,
    now: datetime,
) -> int:
    """Apply a change to the latest plan of the date; the id of the new version."""
    stored = load_plan(conn, latest_plan(conn, plan_date), settings, now)
    problem, tours, locked = stored.problem, stored.tours, set(stored.locked)
    vehicles = {vehicle.id: v for v, vehicle in enumerate(problem.vehicles)}
    broken = broken_down(conn, plan_date)
    closed = {vehicles[v] for v in broken if v in vehicles}
    if change.vehicle_id is not None and change.vehicle_id in broken:
        raise AmendError(f"{change.vehicle_id} has broken down today")
    removed: set[str] = set()
    if change.kind in ("remove", "move") and change.bin_ids[0] in locked:
        raise AmendError(f"{change.bin_ids[0]} is locked: unlock it first")
    if change.kind in ("add", "urgent"):
        missing = [b for b in change.bin_ids if b not in {s.id for s in problem.stops}]
        if missing:
            new_stops = tuple(stop_of_bin(conn, bin_id, settings) for bin_id in missing)
            # New stops go after the others: the tours' matrix indices stay valid.
            problem = dataclasses.replace(problem, stops=problem.stops + new_stops)
    matrices = stored.matrices if problem is stored.problem else problem.matrices()
    now_s = round((now - problem.day_start).total_seconds())
    unplaced: list[str] = []
    if change.kind == "add":
        tours = add(problem, matrices, tours, change.bin_ids[0], stored.fixed, now_s, closed)
    elif change.kind == "urgent":
        tours, unplaced = insert_urgent(
            problem, matrices, tours, change.bin_ids, stored.fixed, now_s, closed
        )
    elif change.kind == "breakdown":
        if change.vehicle_id not in vehicles:
            raise AmendError(f"no vehicle {change.vehicle_id!r}")
        failed = vehicles[change.vehicle_id]
        tours, stranded = break_down(problem, tours, failed, stored.fixed)
        tours, unplaced = insert_urgent(
            problem, matrices, tours, stranded, stored.fixed, now_s, closed | {failed}
        )
    elif change.kind == "remove":
        tours = remove(problem, tours, change.bin_ids[0], stored.fixed)
        removed.add(change.bin_ids[0])
    elif change.kind == "move":
        vehicle_id, position = change.vehicle_id or "", change.position or 0  # checked
        tours = move(problem, tours, change.bin_ids[0], vehicle_id, position, stored.fixed)
    elif change.kind == "lock":
        locked.add(change.bin_ids[0])
    else:
        locked.discard(change.bin_ids[0])
    result = plan_of(problem, matrices, tours, f"amended from version {stored.version}",
                     frozenset(removed))  # fmt: skip
    return _store_version(conn, plan_date, stored, problem, result, locked, change, unplaced)


def broken_down(conn: psycopg.Connection, plan_date: date) -> set[str]:
    """The vehicles reported broken down on the date."""
    rows = conn.execute(
        "SELECT detail->>'vehicle' FROM plan_changes WHERE plan_date = %s AND kind = 'breakdown'",
        (plan_date,),
    ).fetchall()
    return {row[0] for row in rows}


def _store_version(
    conn: psycopg.Connection,
    plan_date: date,
    stored: StoredPlan,
    problem: Problem,
    result: Result,
    locked: set[str],
    change: Change,
    unplaced: list[str],
) -> int:
    with conn.transaction():
        params = {"changed_from": stored.plan_id, "change": change.kind}
        plan_id = save_plan(conn, plan_date, result, params, problem)
        conn.execute(
            "UPDATE plan_stops SET locked = true WHERE plan_id = %s AND site_id = ANY(%s)",
            (plan_id, sorted(locked)),
        )
        conn.execute("UPDATE plans SET status = 'superseded' WHERE id = %s", (stored.plan_id,))
        detail = {"vehicle": change.vehicle_id, "position": change.position,
                  "unplaced": unplaced, "note": change.note}  # fmt: skip
        conn.execute(
            "INSERT INTO plan_changes (plan_date, from_plan, to_plan, kind, bin_id, detail, "
            "changed_by) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (plan_date, stored.plan_id, plan_id, change.kind, ",".join(change.bin_ids),
             Jsonb(detail), change.by),
        )  # fmt: skip
    return plan_id


def report_stop(
    conn: psycopg.Connection,
    plan_id: int,
    bin_id: str,
    status: Literal["done", "skipped"],
    reported_at: datetime,
    reason: str | None = None,
    note: str = "",
) -> bool:
    """Record a driver's report; True when stored, False when the same report was there.

    Raises `AmendError` for a stop not on the plan, a skip without a known reason, or a
    report contradicting the one already stored.
    """
    if status not in ("done", "skipped"):
        raise AmendError(f"a stop is done or skipped, not {status!r}")
    if (status == "skipped") != (reason is not None) or (reason and reason not in SKIP_REASONS):
        raise AmendError(f"a skipped stop needs one of {', '.join(SKIP_REASONS)}; done, none")
    with conn.transaction():
        on_plan = conn.execute(
            "SELECT 1 FROM plan_stops WHERE plan_id = %s AND site_id = %s AND kind = 'bin'",
            (plan_id, bin_id),
        ).fetchone()
        if on_plan is None:
            raise AmendError(f"{bin_id} is not a stop of plan {plan_id}")
        inserted = conn.execute(
            "INSERT INTO stop_reports (plan_id, bin_id, status, reason, reported_at, note) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (plan_id, bin_id, status, reason, reported_at, note),
        ).rowcount
        if not inserted:
            row = conn.execute(
                "SELECT status, reason FROM stop_reports WHERE plan_id = %s AND bin_id = %s",
                (plan_id, bin_id),
            ).fetchone()
            if row != (status, reason):
                raise AmendError(f"{bin_id} was already reported {row[0] if row else '?'}")
            return False
        if status == "done":
            conn.execute(
                "INSERT INTO collections (bin_id, collected_at, source) VALUES (%s, %s, 'driver') "
                "ON CONFLICT DO NOTHING",
                (bin_id, reported_at),
            )
    return True


def attach_stop_photo(
    conn: psycopg.Connection, plan_id: int, bin_id: str, photo: bytes, media_type: str
) -> bool:
    """Keep a photo with the stop's report, in place of any earlier one; True when that
    changed something, False when the same photo was there (a retry).

    Raises `AmendError` when the stop has no report yet: a photo shows what a report says.
    """
    row = conn.execute(  # the stored photo's digest: a retry need not read it back
        "SELECT photo_type, sha256(photo) FROM stop_reports WHERE plan_id = %s AND bin_id = %s",
        (plan_id, bin_id),
    ).fetchone()
    if row is None:
        raise AmendError(f"{bin_id} has no report on plan {plan_id}: report the stop first")
    if row[0] == media_type and row[1] is not None and bytes(row[1]) == sha256(photo).digest():
        return False
    conn.execute(
        "UPDATE stop_reports SET photo = %s, photo_type = %s WHERE plan_id = %s AND bin_id = %s",
        (photo, media_type, plan_id, bin_id),
    )
    return True


def stop_photo(conn: psycopg.Connection, plan_id: int, bin_id: str) -> tuple[bytes, str] | None:
    """The photo kept with a stop's report and its media type, if there is one."""
    row = conn.execute(
        "SELECT photo, photo_type FROM stop_reports "
        "WHERE plan_id = %s AND bin_id = %s AND photo IS NOT NULL",
        (plan_id, bin_id),
    ).fetchone()
    return None if row is None else (bytes(row[0]), str(row[1]))
