"""The planner's schedule: every evening at a set time, the plan for the next day.

`curbside plan --every-evening 18:00` runs `run_evenings`: it sleeps until the next run
time, plans the following day when trucks go out on it (a working day that is no holiday)
and sleeps again. A run that fails is logged and retried at the next evening; it does not
stop the schedule. The clock and the sleep are passed in, so the loop is tested without
waiting. Each evening is counted in `PlannerMetrics` (optimizer/metrics.py), served over HTTP
when `planner_metrics_port` is set.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from datetime import date, datetime, time, timedelta
from time import monotonic

import psycopg

from optimizer.errors import PlanningError
from optimizer.metrics import PlannerMetrics
from optimizer.needs import load_holidays
from optimizer.plan import PlanSummary, plan_day
from optimizer.select import trucks_go_out
from optimizer.settings import PlannerSettings

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Sleep = Callable[[float], None]


def next_run(now: datetime, at: time) -> datetime:
    """The first moment at `at` (in `now`'s time zone) after `now`."""
    run = datetime.combine(now.date(), at, tzinfo=now.tzinfo)
    return run if run > now else run + timedelta(days=1)


def day_to_plan(
    run: datetime, working_days: Collection[int], holidays: Collection[date]
) -> date | None:
    """The day after the run, when trucks go out on it; None otherwise."""
    following = run.date() + timedelta(days=1)
    return following if trucks_go_out(following, working_days, holidays) else None


def run_evenings(
    dsn: str,
    settings: PlannerSettings,
    at: time,
    clock: Clock,
    sleep: Sleep,
    evenings: int | None = None,
    metrics: PlannerMetrics | None = None,
) -> list[PlanSummary]:
    """Plan the next day every evening at `at` (settings' time zone), `evenings` times or
    for ever; the plans stored, in order. `metrics` (by default a registry of its own) are
    served on `settings.planner_metrics_port` meanwhile."""
    metrics = metrics if metrics is not None else PlannerMetrics()
    metrics.started(next_run(clock().astimezone(settings.zone), at))
    done: list[PlanSummary] = []
    count = 0
    with metrics.served(settings.planner_metrics_port):
        while evenings is None or count < evenings:
            run = next_run(clock().astimezone(settings.zone), at)
            metrics.scheduled(run)
            sleep(max(0.0, (run - clock()).total_seconds()))
            count += 1
            summary = _evening(dsn, settings, run, clock, metrics)
            if summary is not None:
                done.append(summary)
    return done


def _evening(
    dsn: str, settings: PlannerSettings, run: datetime, clock: Clock, metrics: PlannerMetrics
) -> PlanSummary | None:
    """One evening's run: the plan of the next day, if it has collections and planning
    works; a failure is logged."""
    started = monotonic()
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            working = settings.selection_settings.working_days
            plan_date = day_to_plan(run, working, load_holidays(conn))
            if plan_date is None:
                log.info("no collection on the day after %s: nothing to plan", run.date())
                metrics.no_collection(run.date() + timedelta(days=1), run.tzinfo)
                return None
            summary = plan_day(conn, plan_date, settings, as_of=run)
    except (psycopg.Error, PlanningError) as exc:
        log.error("planning the day after %s failed: %s", run.date(), exc)
        metrics.failed()
        return None
    log.info("%s", summary.describe())
    metrics.planned(summary, clock().astimezone(settings.zone), monotonic() - started)
    return summary
