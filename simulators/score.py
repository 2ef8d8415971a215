"""Policy scoring: a city run for N days under each collection policy, side by side.

For each seed: the city `generate_city(bins, seed)` and its waste `FillModel(city, seed)`
first run `warmup_days` under the fixed weekly round without trucks (each bin emptied at
10:00 on its weekday), so the bins stand at levels a weekly round leaves and the sensors
have a history. From that same state, each policy then runs `days` days: every morning the
sensors are read, on Monday to Friday the policy selects bins, `optimizer.solve` routes them
(same time limit, seed and parameters for every policy) and the twin drives the plan.
Weekends have no collection. The figures are totals over the scored days; over several
seeds, the mean and the sample standard deviation.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from optimizer import SolveParams, solve
from simulators.city import City, generate_city
from simulators.dispatch import DispatchParams, day_problem, shift_end_s
from simulators.fill import FillModel
from simulators.observations import READING_S, Observations, is_working_day, next_working_day
from simulators.policies import DayView, Policy
from simulators.twin import DailyFill, DayOutcome, DayRecord, Floats, Twin

DEFAULT_START = date(2026, 3, 2)
"""A Monday with no public holiday in the fortnight after it."""
WARMUP_EMPTIED_S = 10 * 3600
"""When the warm-up's fixed round empties a bin."""

Say = Callable[[str], None]


@dataclass(frozen=True)
class ScoreParams:
    """What to run: the city's size, the period, the seeds, how long each day's solve takes."""

    bins: int = 2000
    days: int = 14
    seeds: tuple[int, ...] = (1,)
    time_limit_s: float = 10.0
    """Each collection day's `optimizer.solve` searches this long."""
    start: date = DEFAULT_START
    warmup_days: int = 7
    dispatch: DispatchParams = field(default_factory=DispatchParams)
    solve: SolveParams = field(default_factory=SolveParams)

    def __post_init__(self) -> None:
        for name in ("bins", "days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
        if self.warmup_days < 0:
            raise ValueError(f"warmup_days must be >= 0, got {self.warmup_days!r}")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise ValueError("seeds must be one or more distinct numbers")
        if any(seed < 0 for seed in self.seeds):
            raise ValueError("seeds must be >= 0")
        if not (math.isfinite(self.time_limit_s) and self.time_limit_s > 0):
            raise ValueError(f"time_limit_s must be positive, got {self.time_limit_s!r}")


@dataclass(frozen=True)
class RunScore:
    """One policy over the scored days of one seed."""

    policy: str
    seed: int
    distance_km: float
    truck_hours: float
    routes: int
    emptied: int
    """Bins emptied."""
    missed: int
    """Required bins that no route served."""
    disposal_trips: int
    """Planned disposal visits."""
    extra_trips: int
    """Unplanned disposal trips: the real load did not fit."""
    collected_l: float
    overflow_bin_days: int
    overflow_l: float
    mean_fill_pct: float
    """Mean true level of the bins when emptied."""
    late_returns: int
    """Routes back after their shift's end."""
    solve_s: float = field(default=0.0, compare=False)
    """Wall time of the day's solves (not part of the result: it varies run to run)."""

    @property
    def litres_per_km(self) -> float:
        return self.collected_l / self.distance_km if self.distance_km else 0.0


def warm_up(
    city: City, fill: DailyFill, seed: int, start: date, days: int
) -> tuple[Twin, Observations]:
    """A twin and its observations at `start`, after `days` of a fixed round without trucks."""
    twin = Twin(city, fill, start - timedelta(days=days))
    observations = Observations(city, seed)
    weekdays = np.array([b.round_weekday for b in city.bins])
    while twin.today < start:
        day = twin.today
        observations.read(day, twin.levels_before_trucks(READING_S))
        on_round = (weekdays == day.weekday()) & is_working_day(day)
        record = twin.empty_bins(np.where(on_round, float(WARMUP_EMPTIED_S), np.nan))
        observations.emptied(record)
    return twin, observations


def run_policy(
    policy: Policy,
    twin: Twin,
    observations: Observations,
    days: int,
    params: ScoreParams,
    seed: int,
) -> RunScore:
    """Run `days` days of the policy from the twin's state (both are advanced)."""
    outcomes: list[DayOutcome] = []
    records: list[DayRecord] = []
    solve_s = 0.0
    for _ in range(days):
        measured = observations.read(twin.today, twin.levels_before_trucks(READING_S))
        collected = None
        if is_working_day(twin.today):
            collected = _collect(policy, twin, measured, observations.rates(), params, seed)
        if collected is None:
            record = twin.rest_day()
        else:
            outcome, seconds = collected
            outcomes.append(outcome)
            record = outcome.record
            solve_s += seconds
        observations.emptied(record)
        records.append(record)
    return _totals(policy.name, seed, twin, outcomes, records, solve_s)


def _collect(
    policy: Policy,
    twin: Twin,
    measured: Floats,
    rates: Floats,
    params: ScoreParams,
    seed: int,
) -> tuple[DayOutcome, float] | None:
    """Today's collection under the policy, and the seconds its routing took; None when
    the policy selects nothing."""
    city, day = twin.city, twin.today
    shift_end = max(shift_end_s(v) for v in city.vehicles)
    view = DayView(day, city, measured, rates, next_working_day(day), shift_end)
    selection = policy.select(view)
    if not len(selection):
        return None
    problem = day_problem(city, view, selection, params.dispatch)
    started = time.perf_counter()
    plan = solve(problem, params.time_limit_s, seed, params.solve)
    seconds = time.perf_counter() - started
    return twin.run_day(problem, plan), seconds


def score_policies(
    params: ScoreParams, policies: Sequence[Policy], say: Say | None = None
) -> list[RunScore]:
    """Every policy under every seed, each from the same warmed-up state."""
    if not policies:
        raise ValueError("give at least one policy")
    names = [policy.name for policy in policies]
    if len(set(names)) != len(names):
        raise ValueError(f"policies must have distinct names, got {names}")
    runs = []
    for seed in params.seeds:
        city = generate_city(params.bins, seed)
        twin, observations = warm_up(
            city, FillModel(city, seed), seed, params.start, params.warmup_days
        )
        for policy in policies:
            run = run_policy(policy, twin.copy(), observations.copy(), params.days, params, seed)
            runs.append(run)
            if say is not None:
                say(
                    f"seed {seed}, {policy.name}: {run.distance_km:,.1f} km, {run.emptied} bins"
                    f" emptied, {run.overflow_bin_days} overflow bin-days ({run.solve_s:.0f} s"
                    " of routing)"
                )
    return runs


def _totals(
    name: str,
    seed: int,
    twin: Twin,
    outcomes: Sequence[DayOutcome],
    records: Sequence[DayRecord],
    solve_s: float,
) -> RunScore:
    trucks = [truck for outcome in outcomes for truck in outcome.trucks]
    emptied_pct = np.concatenate([r.emptied_pct[r.emptied] for r in records])
    volume = twin.volume_l
    return RunScore(
        policy=name,
        seed=seed,
        distance_km=sum(t.distance_m for t in trucks) / 1000,
        truck_hours=sum(t.duration_s for t in trucks) / 3600,
        routes=len(trucks),
        emptied=sum(len(t.emptyings) for t in trucks),
        missed=sum(outcome.missed for outcome in outcomes),
        disposal_trips=sum(t.disposal_trips for t in trucks),
        extra_trips=sum(t.extra_trips for t in trucks),
        collected_l=sum(e.litres for t in trucks for e in t.emptyings),
        overflow_bin_days=int(sum(int(r.overflowed.sum()) for r in records)),
        overflow_l=float(sum(float((r.overflow_pct * volume).sum()) / 100 for r in records)),
        mean_fill_pct=float(emptied_pct.mean()) if len(emptied_pct) else 0.0,
        late_returns=sum(1 for t in trucks if t.late_s > 0),
        solve_s=solve_s,
    )


_ROWS: tuple[tuple[str, Callable[[RunScore], float], str], ...] = (
    ("km driven", lambda r: r.distance_km, "{:,.1f}"),
    ("truck hours", lambda r: r.truck_hours, "{:,.1f}"),
    ("routes", lambda r: r.routes, "{:,.1f}"),
    ("bins emptied", lambda r: r.emptied, "{:,.1f}"),
    ("required, not served", lambda r: r.missed, "{:,.1f}"),
    ("disposal trips", lambda r: r.disposal_trips, "{:,.1f}"),
    ("  of which unplanned", lambda r: r.extra_trips, "{:,.1f}"),
    ("litres per km", lambda r: r.litres_per_km, "{:,.0f}"),
    ("overflow bin-days", lambda r: r.overflow_bin_days, "{:,.1f}"),
    ("overflow m³", lambda r: r.overflow_l / 1000, "{:,.1f}"),
    ("mean fill at emptying %", lambda r: r.mean_fill_pct, "{:,.1f}"),
    ("late returns", lambda r: r.late_returns, "{:,.1f}"),
    ("solve s", lambda r: r.solve_s, "{:,.0f}"),
)


def score_table(runs: Sequence[RunScore]) -> list[str]:
    """The policies side by side, one row per figure: the mean over the seeds, ± the sample
    standard deviation when there are several."""
    policies = list(dict.fromkeys(r.policy for r in runs))
    rows = []
    for label, figure, fmt in _ROWS:
        row = [label]
        for policy in policies:
            values = [float(figure(r)) for r in runs if r.policy == policy]
            cell = fmt.format(statistics.fmean(values))
            if len(values) > 1:
                cell += " ± " + fmt.format(statistics.stdev(values))
            row.append(cell)
        rows.append(row)
    headers = ["", *policies]
    widths = [max(len(c) for c in column) for column in zip(headers, *rows, strict=True)]
    return [
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in [headers, *rows]
    ]
