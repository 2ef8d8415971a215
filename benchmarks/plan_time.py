"""How long a day's plan takes: selection by forecast plus routing, for a city of 2,000 bins.

One run starts a throwaway PostgreSQL (TimescaleDB when the machine has it), registers a
simulated city (`simulators.generate_city`), and stores `--days` days of readings every two
hours: each bin's true level from the city's fill model, emptied on its fixed-round weekday
at 09:00, plus 2 % of sensor noise, capped at 100. Then it plans the next day twice, side by
side, with the same route engine time limit:

forecast
    Curbside's planner: calendar bins on their day, forecasts from the stored readings,
    bins at risk required, others worth taking optional with prizes (`optimizer.needs`).
threshold (baseline)
    Every bin whose latest level reaches 60 %, the rule a planner without forecasts uses.

Each row gives the seconds from the call to the stored plan (choosing the bins included;
the choosing is also timed on its own), the bins offered to the route engine and how many
of them were required, and what the plan holds: bins served, required bins left out (with
the reasons), optional ones left out, kilometres. The issue's target is the forecast row
within 60 s.

    .venv/bin/python -m benchmarks.plan_time [--bins 2000] [--days 14] [--limit 40] [--seed 1]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from benchmarks.city_history import store_history
from curbside import migrate
from curbside.runtime import LocalPostgres, free_port
from optimizer import PlannerSettings, plan_day
from optimizer.needs import load_problem_by_need
from simulators import generate_city, import_city


def _run(conn: psycopg.Connection, day: date, settings: PlannerSettings) -> list[str]:
    as_of = datetime.combine(day - timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    as_of += timedelta(hours=18)
    chose_s = 0.0
    if settings.selection == "forecast":
        started = time.perf_counter()
        load_problem_by_need(conn, day, settings, as_of, settings.selection_settings)
        chose_s = time.perf_counter() - started
    started = time.perf_counter()
    summary = plan_day(conn, day, settings, as_of)
    seconds = time.perf_counter() - started
    (stops,) = _one(conn, "SELECT problem FROM plans WHERE id = %s", summary.plan_id)
    required = {stop["id"] for stop in stops if stop["required"]}
    reasons = conn.execute(
        "SELECT bin_id, reason FROM plan_omissions WHERE plan_id = %s", (summary.plan_id,)
    ).fetchall()
    missed = Counter(reason for bin_id, reason in reasons if bin_id in required)
    return [
        settings.selection,
        f"{seconds:.1f}",
        f"{chose_s:.1f}" if chose_s else "-",
        f"{len(required):,} / {len(stops):,}",
        str(summary.stops_served),
        ", ".join(f"{n} {reason}" for reason, n in missed.most_common()) or "none",
        str(len(reasons) - sum(missed.values())),
        f"{summary.distance_m / 1000:,.1f}",
    ]


def _one(conn: psycopg.Connection, sql: str, *args: object) -> tuple[Any, ...]:
    row = conn.execute(sql, args).fetchone()
    assert row is not None
    return tuple(row)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bins", type=int, default=2000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--limit", type=float, default=40.0, help="route engine seconds")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="curbside-plan-"))
    root.chmod(0o755)
    cluster = LocalPostgres(root / "postgres", free_port())
    try:
        cluster.start()
        migrate.upgrade(cluster.url)
        city = generate_city(args.bins, args.seed)
        first = date(2026, 11, 2)  # a Monday
        plan_date = first + timedelta(days=args.days + 1)  # a Tuesday
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            import_city(conn, city)
            stored = store_history(conn, city, first, args.days, args.seed)
            rows = []
            for selection in ("forecast", "threshold"):
                settings = PlannerSettings(
                    database_url=cluster.url, selection=selection, time_limit_s=args.limit,
                    seed=args.seed,
                )  # fmt: skip
                rows.append(_run(conn, plan_date, settings))
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
    print(
        f"bins={args.bins:,} readings={stored:,} plan date={plan_date} "
        f"route engine limit={args.limit:g} s"
    )
    header = [
        "selection", "total s", "choosing s", "required / offered", "served",
        "required left out", "optional left out", "km",
    ]  # fmt: skip
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
