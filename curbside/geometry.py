"""How a lid-mounted level sensor sees a bin: distances to fill levels and back.

The sensor measures the distance down to the waste. The bin is empty at `empty_distance_mm`
(the bottom) and full at `full_distance_mm` (the full mark); closer than `blind_zone_mm` the
sensor cannot measure at all. The ingest turns distances into fill levels with this, and the
simulated sensors turn fill levels into distances.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BinGeometry:
    empty_distance_mm: int
    full_distance_mm: int
    blind_zone_mm: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.full_distance_mm < self.empty_distance_mm:
            raise ValueError(
                f"need 0 <= full distance < empty distance, got "
                f"{self.full_distance_mm} and {self.empty_distance_mm}"
            )
        if self.blind_zone_mm < 0:
            raise ValueError(f"blind zone must be >= 0 mm, got {self.blind_zone_mm}")

    def fill_pct(self, distance_mm: int) -> float:
        """Fill level for a measured distance, to 0.1 %, clamped to 0..100.

        A distance inside the blind zone means the waste is at least that close to the
        sensor; it counts as full as far as the sensor can tell, like any distance nearer
        than the full mark.
        """
        if distance_mm <= max(self.blind_zone_mm, self.full_distance_mm):
            return 100.0
        span = self.empty_distance_mm - self.full_distance_mm
        level = (self.empty_distance_mm - distance_mm) / span * 100.0
        return round(min(100.0, max(0.0, level)), 1)

    def trusts(self, distance_mm: int) -> bool:
        """Whether the sensor can vouch for this distance: past its blind zone and the full
        mark, not beyond the bottom (an echo past the floor, a bin tipped over)."""
        nearest = max(self.blind_zone_mm, self.full_distance_mm)
        return nearest < distance_mm <= self.empty_distance_mm

    def distance_mm(self, fill_pct: float) -> int:
        """The distance a sensor sees at a fill level, between its blind zone and the bottom."""
        span = self.empty_distance_mm - self.full_distance_mm
        distance = self.empty_distance_mm - fill_pct / 100.0 * span
        return round(min(float(self.empty_distance_mm), max(float(self.blind_zone_mm), distance)))
