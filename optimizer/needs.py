"""Which bins a day needs, from the database: calendars, holidays, readings and forecasts.

Calendar bins are due on their weekday, and on the day a holiday moves their collection to;
never on a holiday itself. Every other bin gets a forecast from its readings of the last
`HISTORY_DAYS` (weekday pattern included); when its sensor cannot be trusted, the forecast
falls back to the bin's own history or, without any, to the median rate of the trusted bins
of its stream (its neighbours in the sense that matters for filling). `optimizer.select`
then decides.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import median

import psycopg

from optimizer.forecast import Fallback, Forecast, forecast, median_rise_rate, weekday_pattern
from optimizer.problem import Problem, Stop
from optimizer.select import Candidate, Selected, SelectionSettings, select_bins
from optimizer.settings import PlannerSettings
from optimizer.store import load_fleet, travel_of
from optimizer.streams import weight_kg

HISTORY_DAYS = 21
"""Readings this far back feed the forecasts (three weeks: three of each weekday)."""
MIN_HISTORY_DAYS = 3.0
"""A bin's own history counts as a fallback once it spans this long."""
DEFAULT_RATE_PCT_PER_DAY = 10.0
"""The fallback of last resort: a stream with no trusted bin at all."""


@dataclass(frozen=True)
class BinInfo:
    id: str
    lat: float
    lon: float
    volume_l: float
    waste_stream: str
    schedule: str
    round_weekday: int | None


BIN_COLUMNS = "id, lat, lon, volume_l, waste_stream, schedule, round_weekday"
"""The columns of `bins` a `BinInfo` is made of, in its fields' order."""


def load_holidays(conn: psycopg.Connection) -> dict[date, date | None]:
    """Each holiday and the day its calendar collections move to (None: dropped)."""
    return dict(conn.execute("SELECT day, moved_to FROM holidays").fetchall())


def calendar_due(info: BinInfo, day: date, holidays: Mapping[date, date | None]) -> bool:
    """Whether a calendar bin is due on `day`."""
    if day in holidays or info.round_weekday is None:
        return False
    if day.weekday() == info.round_weekday:
        return True
    return any(
        moved_to == day and holiday.weekday() == info.round_weekday
        for holiday, moved_to in holidays.items()
    )


def load_bins(conn: psycopg.Connection, waste_stream: str | None = None) -> dict[str, BinInfo]:
    """Every bin (or those of one stream) by id, in id order."""
    rows = conn.execute(
        f"SELECT {BIN_COLUMNS} FROM bins "
        "WHERE %(stream)s::text IS NULL OR waste_stream = %(stream)s ORDER BY id",
        {"stream": waste_stream},
    )
    return {row[0]: BinInfo(*row) for row in rows}


def load_forecasts(
    conn: psycopg.Connection, bins: Mapping[str, BinInfo], as_of: datetime
) -> dict[str, Forecast]:
    """A forecast for each of `bins` from what was known at `as_of`. A sensor that cannot be
    trusted falls back to its bin's own history, or to the median rate of the trusted bins of
    its stream among `bins`."""
    series = load_histories(conn, as_of - timedelta(days=HISTORY_DAYS), as_of, list(bins))
    own = {bin_id: _own_history(*found) for bin_id, found in series.items()}
    # First pass: each sensor on its own, to learn what the trusted ones say per stream.
    first = {
        bin_id: _forecast(series[bin_id], as_of, fallback or Fallback(0.0, "history"))
        for bin_id, fallback in own.items()
    }
    by_stream = _trusted_rates(first, bins)
    forecasts = {}
    for info in bins.values():
        rate = by_stream.get(info.waste_stream, DEFAULT_RATE_PCT_PER_DAY)
        fallback = own.get(info.id) or Fallback(rate, "neighbours")
        found = first.get(info.id)
        if found is None or (found.source != "sensor" and own.get(info.id) is None):
            found = _forecast(series.get(info.id, ([], [])), as_of, fallback)
        forecasts[info.id] = found
    return forecasts


def load_candidates(
    conn: psycopg.Connection, day: date, as_of: datetime
) -> tuple[list[Candidate], dict[str, BinInfo], dict[date, date | None]]:
    """Every bin as selection sees it on `day`, from what was known at `as_of`."""
    bins = load_bins(conn)
    holidays = load_holidays(conn)
    need = {bin_id: info for bin_id, info in bins.items() if info.schedule == "need"}
    forecasts = load_forecasts(conn, need, as_of)
    candidates = []
    for info in bins.values():
        if info.schedule == "calendar":
            unknown = forecast([], [], as_of, Fallback(0.0, "history"))
            due = calendar_due(info, day, holidays)
            candidates.append(Candidate(info.id, unknown, due, info.waste_stream))
        else:
            area = info.round_weekday  # a bin collected by need: its area's day, if any
            candidates.append(Candidate(info.id, forecasts[info.id], None, info.waste_stream, area))
    return candidates, bins, holidays


def load_histories(
    conn: psycopg.Connection,
    since: datetime,
    until: datetime,
    bin_ids: Sequence[str] | None = None,
) -> dict[str, tuple[list[datetime], list[float]]]:
    """Each bin's fill levels (or those of `bin_ids`) measured after `since` and up to
    `until`, in time order."""
    series: dict[str, tuple[list[datetime], list[float]]] = defaultdict(lambda: ([], []))
    with conn.cursor() as cur:
        cur.execute(
            "SELECT bin_id, measured_at, fill_pct FROM readings WHERE bin_id IS NOT NULL "
            "AND fill_pct IS NOT NULL AND measured_at > %(since)s AND measured_at <= %(until)s "
            "AND (%(ids)s::text[] IS NULL OR bin_id = ANY(%(ids)s)) "
            "ORDER BY bin_id, measured_at",
            {"since": since, "until": until, "ids": None if bin_ids is None else list(bin_ids)},
        )
        for bin_id, measured_at, fill_pct in cur:
            times, levels = series[bin_id]
            times.append(measured_at)
            levels.append(float(fill_pct))
    return dict(series)


def _own_history(times: list[datetime], levels: list[float]) -> Fallback | None:
    """The bin's median rise a day over its history, when that spans long enough."""
    if len(times) < 3 or (times[-1] - times[0]).total_seconds() < MIN_HISTORY_DAYS * 86_400:
        return None
    return Fallback(median_rise_rate(times, levels), "history")


def _trusted_rates(
    forecasts: Mapping[str, Forecast], bins: Mapping[str, BinInfo]
) -> dict[str, float]:
    """The median fitted rate of each stream's bins whose sensors are trusted."""
    rates: dict[str, list[float]] = defaultdict(list)
    for bin_id, found in forecasts.items():
        if found.source == "sensor":
            rates[bins[bin_id].waste_stream].append(found.rate_pct_per_day)
    return {stream: median(values) for stream, values in rates.items()}


def _forecast(
    series: tuple[list[datetime], list[float]], as_of: datetime, fallback: Fallback
) -> Forecast:
    times, levels = series
    return forecast(times, levels, as_of, fallback, weekday_factors=weekday_pattern(times, levels))


def load_problem_by_need(
    conn: psycopg.Connection,
    day: date,
    settings: PlannerSettings,
    as_of: datetime,
    selection: SelectionSettings | None = None,
) -> tuple[Problem, list[Selected]]:
    """The day's routing problem: calendar bins due, bins at risk (required), bins worth
    taking (optional, with their prizes); and the selection it was made from."""
    depots, facilities, vehicles = load_fleet(conn)
    candidates, bins, holidays = load_candidates(conn, day, as_of)
    chosen = select_bins(candidates, day, settings.zone, selection, holidays)
    stops = []
    for pick in chosen:
        info = bins[pick.bin_id]
        litres = round(info.volume_l * pick.expected_fill_pct / 100, 1)
        stops.append(
            Stop(
                id=info.id,
                lat=info.lat,
                lon=info.lon,
                demand_l=litres,
                service_s=settings.service_s,
                expected_fill_pct=round(pick.expected_fill_pct, 1),
                waste_stream=info.waste_stream,
                demand_kg=round(weight_kg(info.waste_stream, litres), 1),
                required=pick.required,
                prize=0.0 if pick.required else pick.prize,
            )
        )
    problem = Problem(
        day_start=datetime.combine(day, time(0), tzinfo=settings.zone),
        depots=depots,
        vehicles=vehicles,
        stops=tuple(stops),
        facilities=facilities,
        travel=travel_of(settings),
    )
    return problem, chosen
