"""Response bodies of the API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class Bin(BaseModel):
    id: str
    lat: float
    lon: float
    address: str | None
    waste_stream: str
    volume_l: float
    fill_pct: float | None
    """The latest fill level; None until the bin's sensor has reported."""
    measured_at: datetime | None
    battery_pct: float | None
    offline: bool
    """No reading for 26 hours (or none at all)."""
    alarm: bool
    """A fire-risk or tilt event in the last 24 hours."""


class ForecastPoint(BaseModel):
    at: datetime
    level_pct: float
    """Expected level (above 100: waste beside the bin)."""
    level_sd_pct: float
    overflow_probability: float
    """Probability that the bin is full by then."""


class BinForecast(BaseModel):
    """A bin's forecast from its readings since its last emptying (see docs/planning.md)."""

    bin_id: str
    as_of: datetime
    level_pct: float
    """Estimated level now (not the last raw reading)."""
    level_sd_pct: float
    rate_pct_per_day: float
    """Fill per average day; the weekday factors scale it day by day."""
    rate_sd_pct_per_day: float
    weekday_factors: list[float]
    """Fill on each weekday, Monday first, relative to the average day."""
    full_pct: float
    full_at: datetime | None
    """When the expected level reaches `full_pct`; null if the bin does not fill."""
    source: str
    """"sensor", or what the forecast fell back to: "history" or "neighbours"."""
    flags: list[str]
    """Why the sensor was not trusted (e.g. "stale", "erratic", "no-readings")."""
    trusted: bool
    """Whether the planner acts on this forecast alone (see `flags`)."""
    ahead: list[ForecastPoint]


class Reading(BaseModel):
    measured_at: datetime
    received_at: datetime
    time_is_receive: bool
    device_id: str
    fill_pct: float | None
    distance_mm: int | None
    battery_pct: float | None
    temperature_c: float | None
    tilt_deg: float | None


class Stop(BaseModel):
    position: int
    kind: str
    site_id: str
    arrival_at: datetime
    load_after_l: float
    expected_fill_pct: float | None


class Route(BaseModel):
    vehicle_id: str
    distance_m: float
    duration_s: float
    load_l: float
    stops: list[Stop]


class Omission(BaseModel):
    bin_id: str
    reason: str


class Plan(BaseModel):
    id: int
    plan_date: date
    version: int
    status: str
    created_at: datetime
    solver: str
    distance_m: float
    duration_s: float
    routes: list[Route]
    omitted: list[Omission]


class Health(BaseModel):
    status: str
    database: str
    timescaledb: str | None


class DriverStop(Stop):
    report: str | None
    """"done" or "skipped" once the driver has reported on the stop (bins only)."""
    skip_reason: str | None


class DriverRoute(BaseModel):
    """A vehicle's route in the latest plan of a day, with what its driver has reported."""

    plan_id: int
    plan_date: date
    version: int
    vehicle_id: str
    distance_m: float
    duration_s: float
    stops: list[DriverStop]


class StopReport(BaseModel):
    """A driver's word on a stop: done, or skipped with one of the reasons."""

    status: Literal["done", "skipped"]
    reason: Literal["blocked", "not put out", "inaccessible", "contaminated"] | None = None
    note: str = Field(default="", max_length=1000)
    reported_at: datetime | None = None
    """When it happened (default: when the report arrives)."""


class ReportStored(BaseModel):
    plan_id: int
    bin_id: str
    stored: bool
    """False: the same report was there already (a retry), and nothing changed."""


class PlanChange(BaseModel):
    """A dispatcher's change of a day's plan."""

    kind: Literal["add", "remove", "move", "lock", "unlock", "urgent", "breakdown"]
    bin_ids: list[str] = Field(default_factory=list, max_length=500)
    vehicle_id: str | None = None
    position: int | None = Field(default=None, ge=0)
    note: str = Field(default="", max_length=1000)


class PlanVersion(BaseModel):
    plan_id: int
    plan_date: date
    version: int
    unplaced: list[str]
    """Urgent bins that fit on no route: they stay omitted, with their reasons."""


class Uplink(BaseModel):
    """One message as a gateway would publish it over MQTT: its topic and its JSON payload
    (Curbside's canonical reading, a The Things Stack v3 or a ChirpStack v4 uplink)."""

    topic: str = Field(min_length=1, max_length=500, pattern=r"^[^\x00]*$")
    """No NUL character: MQTT topics hold none, nor does the database's text."""
    payload: dict[str, Any] | list[dict[str, Any]]
    received_at: datetime | None = None
    """When the gateway received it (default: when the request arrives)."""


class UplinkBatch(BaseModel):
    messages: list[Uplink] = Field(min_length=1, max_length=1000)


class UplinkResult(BaseModel):
    """What was stored, after the commit: a retry of the same batch stores no reading twice
    (they come back as duplicates)."""

    stored: int
    duplicates: int
    rejected: int
    rejects_by_reason: dict[str, int]


class ResidentPickup(BaseModel):
    day: date
    waste_stream: str
    title: str
    """The stream as residents know it, e.g. "Paper and cardboard"."""
    bin_id: str
    moved_from: date | None
    """The public holiday whose collection moved to this day."""
    planned: bool
    """From a plan (a bin collected by need) rather than the weekly calendar."""


class Pickups(BaseModel):
    address: str | None
    bin_ids: list[str]
    pickups: list[ResidentPickup]


class BinToday(BaseModel):
    bin_id: str
    waste_stream: str
    status: Literal["collected", "skipped", "planned", "not planned"]
    """"planned": on today's plan, not yet reported; "not planned": not on it."""
    reason: str | None
    """Why a planned stop was skipped (blocked, not put out, inaccessible, contaminated)."""
    at: datetime | None
    """When it was reported, or when the truck is expected ("planned")."""


class CollectedToday(BaseModel):
    address: str | None
    day: date
    bins: list[BinToday]


class NearbyContainer(BaseModel):
    bin_id: str
    address: str | None
    lat: float
    lon: float
    waste_stream: str
    distance_m: float
    fill_pct: float | None
    """The latest reading; None when the sensor has not reported."""


class ResidentReport(BaseModel):
    """A problem a resident reported; no personal data is kept."""

    id: int
    kind: str
    description: str
    lat: float
    lon: float
    bin_id: str | None
    """The bin it concerns: named, or the nearest within 50 m."""
    status: str
    """"open"; "planned" once a plan collects its bin; "closed"."""
    plan_id: int | None
    created_at: datetime
    photo_url: str | None
