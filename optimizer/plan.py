"""Plan a day end to end: load the problem from the database, solve it, store the plan."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

import psycopg

from optimizer.backends.ortools_params import OrtoolsParams
from optimizer.needs import load_problem_by_need
from optimizer.problem import Problem
from optimizer.reports import mark_planned, open_urgent_bins
from optimizer.settings import PlannerSettings
from optimizer.solve import SolveParams, solve
from optimizer.store import load_problem, save_plan, stop_of_bin


@dataclass(frozen=True)
class PlanSummary:
    """What a planning run stored, in figures."""

    plan_id: int
    plan_date: date
    version: int
    routes: int
    stops_served: int
    stops_omitted: int
    distance_m: int
    duration_s: int
    solver: str
    status: str
    load_l: float = 0.0
    """The litres the routes collect."""

    def describe(self) -> str:
        """One line for the command line and the logs."""
        return (
            f"plan {self.plan_id} for {self.plan_date.isoformat()} (version {self.version}): "
            f"{self.routes} route(s), {self.stops_served} stops served, "
            f"{self.stops_omitted} omitted, {self.distance_m / 1000:.1f} km, "
            f"{self.duration_s / 3600:.1f} h driving and service; {self.solver}, {self.status}"
        )


def planner_params(settings: PlannerSettings) -> dict[str, Any]:
    """The settings that shaped a plan, as stored with it."""
    return settings.model_dump(
        mode="json",
        include={
            "selection",
            "fill_threshold_pct",
            "overflow_risk",
            "visit_cost",
            "overflow_cost",
            "max_full_days",
            "service_s",
            "detour_factor",
            "speed_kmh",
            "timezone",
            "time_limit_s",
            "solution_limit",
            "backend",
            "seed",
        },
    )


def plan_day(
    conn: psycopg.Connection,
    plan_date: date,
    settings: PlannerSettings,
    as_of: datetime | None = None,
) -> PlanSummary:
    """Compute and store the next version of the date's plan from what was known at `as_of`
    (default: now, or 18:00 the evening before for a day already begun or past). Stops a
    dispatcher locked in the date's latest plan stay, each on its vehicle; bins residents
    reported overflowing or missed, still open, are required.

    Raises `PlanningError` when the database has no depot or no vehicles.
    """
    eve = datetime.combine(plan_date - timedelta(days=1), time(18), tzinfo=settings.zone)
    as_of = as_of or min(datetime.now(settings.zone), eve)
    if settings.selection == "forecast":
        problem, _ = load_problem_by_need(
            conn, plan_date, settings, as_of, settings.selection_settings
        )
    else:
        problem = load_problem(conn, plan_date, settings, as_of)
    locks = locked_stops(conn, plan_date)
    problem = _with_locks(conn, problem, locks, settings)
    reported = open_urgent_bins(conn)
    problem = _with_required(conn, problem, reported, settings)
    result = solve(
        problem,
        time_limit_s=settings.time_limit_s,
        seed=settings.seed,
        params=SolveParams(
            backend="ortools" if settings.solution_limit else settings.backend,
            ortools=OrtoolsParams(solution_limit=settings.solution_limit),
        ),
    )
    params = {**planner_params(settings), "status": result.status, "objective": result.objective}
    plan_id = save_plan(conn, plan_date, result, params, problem)
    conn.execute(
        "UPDATE plan_stops SET locked = true WHERE plan_id = %s AND kind = 'bin' "
        "AND site_id = ANY(%s)",
        (plan_id, sorted(locks)),
    )
    served = {stop_id for route in result.routes for stop_id in route.stop_ids}
    mark_planned(conn, [b for b in reported if b in served], plan_id)
    row = conn.execute("SELECT version FROM plans WHERE id = %s", (plan_id,)).fetchone()
    assert row is not None  # save_plan just inserted it
    return PlanSummary(
        plan_id=plan_id,
        plan_date=plan_date,
        version=int(row[0]),
        routes=len(result.routes),
        stops_served=result.num_served,
        stops_omitted=len(result.omissions),
        distance_m=result.distance_m,
        duration_s=result.duration_s,
        solver=result.solver,
        status=result.status,
        load_l=result.load_l,
    )


def locked_stops(conn: psycopg.Connection, plan_date: date) -> dict[str, str]:
    """The bins locked in the date's latest plan, each with the vehicle it is locked to."""
    rows = conn.execute(
        "SELECT s.site_id, s.vehicle_id FROM plan_stops AS s JOIN plans AS p ON p.id = s.plan_id "
        "WHERE p.plan_date = %s AND s.locked AND s.kind = 'bin' AND p.version = "
        "(SELECT max(version) FROM plans WHERE plan_date = %s)",
        (plan_date, plan_date),
    ).fetchall()
    return dict(rows)


def _with_locks(
    conn: psycopg.Connection, problem: Problem, locks: dict[str, str], settings: PlannerSettings
) -> Problem:
    """The problem with each locked bin required and kept to its vehicle, whether or not the
    selection chose it."""
    if not locks:
        return problem
    stops = {stop.id: stop for stop in problem.stops}
    for bin_id, vehicle_id in locks.items():
        stop = stops.get(bin_id) or stop_of_bin(conn, bin_id, settings)
        stops[bin_id] = replace(stop, required=True, prize=0.0, vehicle_id=vehicle_id)
    return replace(problem, stops=tuple(stops.values()))


def _with_required(
    conn: psycopg.Connection, problem: Problem, bin_ids: list[str], settings: PlannerSettings
) -> Problem:
    """The problem with these bins (residents reported them overflowing or missed) required."""
    stops = {stop.id: stop for stop in problem.stops}
    for bin_id in bin_ids:
        stop = stops.get(bin_id) or stop_of_bin(conn, bin_id, settings)
        stops[bin_id] = replace(stop, required=True, prize=0.0)
    return replace(problem, stops=tuple(stops.values()))
