"""What one uplink of a level sensor says, in Curbside's units."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SensorValues:
    """The values of one frame; `valid` means it carries a level the sensor vouches for.

    Values are as the device reported them: the caller checks them against the accepted
    ranges (`ingest.decode.RANGES`) and turns `tilt` into a suspect reading.
    """

    distance_mm: int | None = None
    fill_pct: float | None = None
    battery_pct: float | None = None
    battery_v: float | None = None
    temperature_c: float | None = None
    tilt: bool | None = None
    """The sensor's own tilt flag (Milesight position: tilted by 20 degrees or more)."""
    alarm: bool | None = None
    """A threshold alarm of the sensor is active (False: released; None: not reported)."""
    valid: bool = True
    note: str = ""
    """Why the frame has no valid level, or what the decoder had to skip."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Device details worth keeping with the reading (interrupt flag, echo quality)."""

    def __post_init__(self) -> None:
        for name in ("fill_pct", "battery_pct", "battery_v", "temperature_c"):
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):
                raise ValueError(f"{name} must be finite, got {value!r}")
        for name in ("distance_mm", "battery_pct", "battery_v"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must not be negative, got {value!r}")
        if self.valid and self.distance_mm is None and self.fill_pct is None:
            raise ValueError("a valid reading needs a distance or a fill level")
        if not self.valid and not self.note:
            raise ValueError("a reading that is not valid needs a note saying why")
