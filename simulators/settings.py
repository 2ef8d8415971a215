"""Settings of the simulators."""

from __future__ import annotations

from pydantic import Field

from curbside.settings import ServiceSettings
from curbside.topics import DEFAULT_PREFIX
from simulators.city import GHENT


class SimulatorSettings(ServiceSettings):
    """Read from `CURBSIDE_*` variables, e.g. `CURBSIDE_BINS=500`."""

    bins: int = Field(default=60, ge=1)
    """How many bins (each with one sensor) the generated city has."""
    seed: int = Field(default=1, ge=0)
    """Seed of the city and of the sensors' noise: the same seed plays the same city."""
    centre_lat: float = Field(default=GHENT[0], ge=-90, le=90)
    centre_lon: float = Field(default=GHENT[1], ge=-180, le=180)
    radius_m: float = Field(default=2500.0, gt=0)
    """Bins stand along streets within this distance of the centre."""
    topic_prefix: str = DEFAULT_PREFIX
    history_hours: int = Field(default=48, ge=1)
    """How many hours of readings to publish, ending now."""
    step_hours: float = Field(default=1.0, gt=0)
    """Time between two readings of one sensor, in hours."""

    @property
    def centre(self) -> tuple[float, float]:
        return (self.centre_lat, self.centre_lon)
