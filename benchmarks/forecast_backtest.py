"""Forecast quality: the level predicted 24 h ahead, against the naive forecast, on stored history.

One run starts a throwaway PostgreSQL, stores `--days` days of a simulated city's readings
(benchmarks/city_history.py: the city's fill model with its weekday patterns, holidays and
bursts, emptied by the fixed weekly round, 2 % sensor noise and 1 % side-wall echoes), reads
them back from the readings table and replays them (`optimizer.backtest`): every day at the
hour of the first reading, after a week of warm-up, each bin's forecast from the readings so
far is scored against the reading 24 h later, unless the bin was emptied in between. Beside
it, in the same run on the same cases, the naive forecast: the rate between the last two
readings continues. Errors are in fill percent (absolute).

    .venv/bin/python -m benchmarks.forecast_backtest [--bins 500] [--days 28] [--seed 1]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg

from benchmarks.city_history import store_history
from curbside import migrate
from curbside.runtime import LocalPostgres, free_port
from optimizer.backtest import backtest
from optimizer.needs import load_histories
from simulators import generate_city, import_city


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bins", type=int, default=500)
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="curbside-backtest-"))
    root.chmod(0o755)
    cluster = LocalPostgres(root / "postgres", free_port())
    first = date(2026, 10, 5)  # a Monday
    try:
        cluster.start()
        migrate.upgrade(cluster.url)
        city = generate_city(args.bins, args.seed)
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            import_city(conn, city)
            stored = store_history(conn, city, first, args.days, args.seed)
            start = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
            histories = load_histories(
                conn, start - timedelta(days=1), start + timedelta(days=args.days)
            )
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    result = backtest(histories)
    seconds = time.perf_counter() - started
    print(
        f"bins={args.bins:,} days={args.days} readings={stored:,} cases={result.cases:,} "
        f"bins scored={result.bins:,} replay {seconds:.1f} s"
    )
    print("| forecast | MAE % | RMSE % | p90 % |")
    print("|---|---|---|---|")
    print(f"| Curbside | {result.mae_pct:.2f} | {result.rmse_pct:.2f} | {result.p90_pct:.2f} |")
    print(
        f"| naive (last rate continues) | {result.naive_mae_pct:.2f} | "
        f"{result.naive_rmse_pct:.2f} | {result.naive_p90_pct:.2f} |"
    )
    print(f"ratio of mean errors, Curbside / naive: {result.mae_pct / result.naive_mae_pct:.2f}")


if __name__ == "__main__":
    main()
