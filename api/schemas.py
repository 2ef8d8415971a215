"""Response bodies of the API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


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
