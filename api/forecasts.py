"""Forecasts for dispatchers: one bin's level ahead, and the bins at risk of overflowing.

Both use the planner's forecaster (`optimizer.needs.load_forecasts`), so a bin whose sensor
cannot be trusted falls back, as in planning, to its own history or to its stream's trusted
bins (read only when needed).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg

from api import schemas
from optimizer.forecast import Forecast
from optimizer.needs import BIN_COLUMNS, BinInfo, load_bins, load_forecasts
from optimizer.select import TRUSTED_FLAGS, SelectionSettings

AT_RISK = SelectionSettings().risk
"""The overflow probability from which a bin counts as at risk (the planner's threshold)."""


def at_risk_ids(
    conn: psycopg.Connection, waste_stream: str | None, within_h: int, now: datetime
) -> list[str]:
    """The bins (of a stream, or all) likely enough to overflow within `within_h` hours, by
    a forecast the planner would act on (a bin whose sensor cannot be trusted is not listed:
    the `offline` filter and its forecast's flags show it)."""
    by = now + timedelta(hours=within_h)
    forecasts = load_forecasts(conn, load_bins(conn, waste_stream), now)
    return [
        bin_id
        for bin_id, found in forecasts.items()
        if _trusted(found) and found.overflow_probability(by) >= AT_RISK
    ]


def bin_forecast(
    conn: psycopg.Connection, bin_id: str, days: int, now: datetime
) -> schemas.BinForecast | None:
    """The bin's forecast now and at each of the next `days` days; None if no such bin."""
    row = conn.execute(f"SELECT {BIN_COLUMNS} FROM bins WHERE id = %s", (bin_id,)).fetchone()
    if row is None:
        return None
    info = BinInfo(*row)
    found = load_forecasts(conn, {bin_id: info}, now)[bin_id]
    if found.source == "neighbours":  # its own readings say too little: ask its stream's
        found = load_forecasts(conn, load_bins(conn, info.waste_stream), now)[bin_id]
    ahead = [now + timedelta(days=day) for day in range(1, days + 1)]
    return schemas.BinForecast(
        bin_id=bin_id,
        as_of=found.as_of,
        level_pct=round(found.level_pct, 1),
        level_sd_pct=round(found.level_sd_pct, 1),
        rate_pct_per_day=round(found.rate_pct_per_day, 2),
        rate_sd_pct_per_day=round(found.rate_sd_pct_per_day, 2),
        weekday_factors=[round(factor, 3) for factor in found.weekday_factors],
        full_pct=found.full_pct,
        full_at=found.full_at(),
        source=found.source,
        flags=list(found.flags),
        trusted=_trusted(found),
        ahead=[
            schemas.ForecastPoint(
                at=moment,
                level_pct=round(found.level_at(moment), 1),
                level_sd_pct=round(found.level_sd_at(moment), 1),
                overflow_probability=round(found.overflow_probability(moment), 3),
            )
            for moment in ahead
        ],
    )


def _trusted(found: Forecast) -> bool:
    return set(found.flags) <= TRUSTED_FLAGS
