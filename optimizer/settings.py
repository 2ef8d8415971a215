"""Settings of the planner: which bins to collect, how to travel, how long to search."""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from curbside.settings import ServiceSettings
from optimizer.select import SelectionSettings


class PlannerSettings(ServiceSettings):
    """Read from `CURBSIDE_*` variables, e.g. `CURBSIDE_FILL_THRESHOLD_PCT=70`. The forecast
    selection's defaults are `SelectionSettings`'s."""

    selection: Literal["forecast", "threshold"] = "forecast"
    """How bins are chosen: by forecast and calendar (`optimizer.select`), or every bin whose
    latest level reaches `fill_threshold_pct`."""
    fill_threshold_pct: float = Field(default=60.0, ge=0, le=100)
    """With threshold selection: bins whose latest fill level reaches this are collected."""
    overflow_risk: float = Field(default=SelectionSettings.risk, gt=0, le=1)
    """With forecast selection: the overflow probability before the next working day from
    which a bin is required."""
    visit_cost: float = Field(default=SelectionSettings.visit_cost, ge=0)
    """What a visit costs on an average route, in the vehicles' cost unit (prizes follow it)."""
    overflow_cost: float = Field(default=SelectionSettings.overflow_cost, ge=0)
    """What a day of a full bin costs, in the same unit."""
    max_full_days: float = Field(default=SelectionSettings.max_full_days, gt=0)
    """A bin collected by need with an area day (its `round_weekday`) is fetched on another
    day only when it would otherwise stand full this many days before its area's day."""
    service_s: int = Field(default=60, ge=0)
    """Time to empty one bin into the vehicle, in seconds."""
    detour_factor: float = Field(default=1.3, ge=1)
    """Road distance over great-circle distance."""
    speed_kmh: float = Field(default=25.0, gt=0)
    """Average driving speed between stops."""
    timezone: str = "UTC"
    """The city's time zone: shift hours in the `vehicles` table are local times of day."""
    time_limit_s: float = Field(default=5.0, gt=0)
    """How long the solver searches."""
    solution_limit: int | None = Field(default=None, ge=1)
    """Stop the search after this many solutions (repeatable runs); None: the time limit only."""
    seed: int = Field(default=0, ge=0)
    osrm_url: str | None = None
    """An OSRM-compatible table service for road distances; None: great-circle distances."""
    matrix_cache_dir: str | None = None
    """Where road matrices are kept between runs; None: not kept."""
    backend: Literal["auto", "ortools", "pyvrp"] = "auto"
    """Which routing backend searches; auto runs PyVRP beside OR-Tools when it can."""
    planner_metrics_port: int = Field(default=0, ge=0, le=65535)
    """`plan --every-evening` serves Prometheus metrics on this port (0.0.0.0); 0: none."""

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone: {value!r}") from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def selection_settings(self) -> SelectionSettings:
        return SelectionSettings(
            risk=self.overflow_risk,
            visit_cost=self.visit_cost,
            overflow_cost=self.overflow_cost,
            max_full_days=self.max_full_days,
        )
