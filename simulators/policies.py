"""Collection policies: which bins to empty on a day, from what the system knows that morning.

A policy sees a `DayView` (the noisy morning readings, estimated fill rates, the next
collection day) and answers a `Selection`: bins that must be emptied, and bins worth
emptying with a prize. The scorer routes every policy's selection with the same
`optimizer.solve`, so policies differ by what they select, not by how it is routed. Issue 6's
planner plugs in here as one more `Policy`.

- `FixedRound`: every bin on its weekday (`SimBin.round_weekday`), whatever its level.
- `Threshold`: every bin whose morning reading is at or above X %.
- `CurbsidePolicy`: required when the bin may overflow before the next collection day is
  over; optional, with a prize, when it is fairly full, so that a half-full bin beside the
  day's routes is taken instead of costing a trip of its own later.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

import numpy as np

from simulators.city import City
from simulators.observations import NOISE_PCT, READING_S, fill_clock
from simulators.twin import Floats


@dataclass(frozen=True, eq=False)
class DayView:
    """What a policy knows on the morning of a collection day."""

    day: date
    city: City
    measured_pct: Floats
    """This morning's reading of every bin (true level plus sensor noise), `city.bins` order."""
    rate_pct_per_day: Floats
    """Every bin's estimated fill rate (`Observations.rates`)."""
    next_day: date
    """The next collection day after this one."""
    shift_end_s: int
    """When the day's collection is over (the fleet's latest shift end), seconds of the day."""

    def predicted_pct(self, day: date, seconds: float) -> Floats:
        """Every bin's expected level at a later moment, if not emptied (uncapped)."""
        days = fill_clock(day, seconds) - fill_clock(self.day, READING_S)
        predicted: Floats = self.measured_pct + self.rate_pct_per_day * days
        return predicted


@dataclass(frozen=True)
class Selection:
    """Bin indices (`city.bins` order) to collect: required ones, optional ones with a prize."""

    required: tuple[int, ...]
    optional: tuple[tuple[int, float], ...] = ()
    """(bin index, prize): what emptying the bin today is worth, in vehicle-cost currency."""

    def __post_init__(self) -> None:
        indices = [*self.required, *(index for index, _ in self.optional)]
        if len(set(indices)) != len(indices):
            raise ValueError("a bin is selected more than once")
        if any(index < 0 for index in indices):
            raise ValueError("bin indices must be >= 0")
        if any(not (math.isfinite(prize) and prize >= 0) for _, prize in self.optional):
            raise ValueError("prizes must be finite numbers >= 0")

    def __len__(self) -> int:
        return len(self.required) + len(self.optional)


class Policy(Protocol):
    """Chooses the bins of a collection day."""

    @property
    def name(self) -> str: ...

    def select(self, view: DayView) -> Selection: ...


@dataclass(frozen=True)
class FixedRound:
    """The usual practice: every bin on its round's weekday (Monday to Friday)."""

    name: str = "fixed round"

    def select(self, view: DayView) -> Selection:
        weekday = view.day.weekday()
        return Selection(
            tuple(i for i, b in enumerate(view.city.bins) if b.round_weekday == weekday)
        )


@dataclass(frozen=True)
class Threshold:
    """Empty every bin whose morning reading is at or above `threshold_pct`."""

    threshold_pct: float = 70.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.threshold_pct) and 0 <= self.threshold_pct <= 100):
            raise ValueError(f"threshold_pct must be within [0, 100], got {self.threshold_pct!r}")

    @property
    def name(self) -> str:
        return f"above {self.threshold_pct:g} %"

    def select(self, view: DayView) -> Selection:
        chosen = np.flatnonzero(view.measured_pct >= self.threshold_pct)
        return Selection(tuple(int(i) for i in chosen))


@dataclass(frozen=True)
class CurbsideParams:
    """How the Curbside policy weighs overflow against driving."""

    max_risk: float = 0.1
    """A bin is required when its chance of overflowing before the next collection day is
    over reaches this."""
    rate_cv: float = 0.3
    """Relative uncertainty of a rate estimate over the coming days (day-to-day variation,
    weekday patterns, bursts)."""
    optional_from_pct: float = 40.0
    """A bin expected at least this full today is offered to the routes as optional."""
    visit_cost: float = 6.0
    """What a visit to empty a full bin is worth saving, in vehicle-cost currency: three
    minutes of a rear loader and its crew (120 an hour), eight of a litter van (45). A bin
    taken now at L % earns L % of it."""
    overflow_cost: float = 30.0
    """What an overflowing bin costs the city (a complaint, litter to pick up): a quarter of
    an hour of a rear loader's crew; an optional bin earns it times the risk it removes."""

    def __post_init__(self) -> None:
        if not 0 < self.max_risk < 1:
            raise ValueError(f"max_risk must be within (0, 1), got {self.max_risk!r}")
        for name in ("rate_cv", "optional_from_pct", "visit_cost", "overflow_cost"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")


@dataclass(frozen=True)
class CurbsidePolicy:
    """Curbside's planner, first version: by risk of overflow, with prizes for the rest."""

    params: CurbsideParams = field(default_factory=CurbsideParams)
    name: str = "curbside"

    def select(self, view: DayView) -> Selection:
        p = self.params
        mid_shift_s = (READING_S + view.shift_end_s) / 2
        today = np.minimum(view.predicted_pct(view.day, mid_shift_s), 100.0)
        by_next = view.predicted_pct(view.next_day, view.shift_end_s)
        days = fill_clock(view.next_day, view.shift_end_s) - fill_clock(view.day, READING_S)
        spread = np.hypot(NOISE_PCT, p.rate_cv * view.rate_pct_per_day * days)
        risk = overflow_risk(by_next, spread)
        required = risk >= p.max_risk
        offered = ~required & (today >= p.optional_from_pct)
        prizes = p.visit_cost * today / 100.0 + p.overflow_cost * risk
        return Selection(
            tuple(int(i) for i in np.flatnonzero(required)),
            tuple((int(i), round(float(prizes[i]), 3)) for i in np.flatnonzero(offered)),
        )


def overflow_risk(expected_pct: Floats, spread_pct: Floats) -> Floats:
    """The chance that a level expected at `expected_pct`, give or take `spread_pct` (one
    standard deviation, normal), reaches 100 %."""
    z = (100.0 - expected_pct) / np.maximum(spread_pct, 1e-9)
    risk: Floats = 0.5 * np.vectorize(math.erfc, otypes=[np.float64])(z / math.sqrt(2.0))
    return risk


def policy_named(name: str) -> Policy:
    """A policy by its command-line name: `fixed`, `threshold-X` (X in %), `curbside` or
    `planner` (the production planner's selection, `simulators.planner_policy`)."""
    if name == "fixed":
        return FixedRound()
    if name == "curbside":
        return CurbsidePolicy()
    if name == "planner":
        from simulators.planner_policy import PlannerPolicy

        return PlannerPolicy()
    if name.startswith("threshold-"):
        try:
            return Threshold(float(name.removeprefix("threshold-")))
        except ValueError as exc:
            raise ValueError(f"bad threshold policy {name!r}: {exc}") from exc
    raise ValueError(f"unknown policy {name!r}: expected fixed, threshold-X, curbside or planner")
