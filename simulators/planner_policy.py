"""Curbside's planner as a policy of the twin: `optimizer.select` deciding from what the
twin's sensors said that morning.

Each bin becomes a `Forecast` from the view: its morning reading (2 % noise), its estimated
rate (30 % uncertain over the coming days, as `CurbsidePolicy` assumes), a flat week. The
planner's own selection then decides: household bins on their calendar day
(`SimBin.schedule`), bins by need on their area's day (the round's weekday) when they may
overflow before the next one, on other days only when they would stand full for days, and
the rest optional with the planner's prizes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from optimizer.forecast import FLAT_WEEK, Forecast
from optimizer.select import Candidate, SelectionSettings, select_bins
from simulators.observations import NOISE_PCT, READING_S
from simulators.policies import DayView, Selection

RATE_CV = 0.3
"""Relative uncertainty of a bin's estimated rate over the coming days."""


@dataclass(frozen=True)
class PlannerPolicy:
    """The production planner's choice (`optimizer.select`) on the twin."""

    settings: SelectionSettings = field(default_factory=SelectionSettings)
    name: str = "planner"

    def select(self, view: DayView) -> Selection:
        morning = datetime.combine(view.day, datetime.min.time(), UTC)
        morning += timedelta(seconds=READING_S)
        candidates = []
        for b, level, rate in zip(
            view.city.bins, view.measured_pct, view.rate_pct_per_day, strict=True
        ):
            found = Forecast(
                as_of=morning,
                level_pct=float(level),
                level_sd_pct=NOISE_PCT,
                rate_pct_per_day=float(rate),
                rate_sd_pct_per_day=RATE_CV * float(rate),
                weekday_factors=FLAT_WEEK,
                full_pct=100.0,
                source="sensor",
            )
            if b.schedule == "calendar":
                due = b.round_weekday == view.day.weekday()
                candidates.append(Candidate(b.id, found, due, b.waste_stream))
            else:  # its round's weekday is its area's day
                candidates.append(Candidate(b.id, found, None, b.waste_stream, b.round_weekday))
        chosen = select_bins(candidates, view.day, UTC, self.settings)
        index = {b.id: i for i, b in enumerate(view.city.bins)}
        return Selection(
            tuple(index[c.bin_id] for c in chosen if c.required),
            tuple((index[c.bin_id], c.prize) for c in chosen if not c.required),
        )
