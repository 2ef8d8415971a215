"""Waste streams: how heavy a litre of each is, loose in its bin.

Trucks are limited by weight as well as volume; sensors measure volume. A stop's weight is
its volume times its stream's bulk density. The figures are typical densities of
uncompacted waste in containers, as municipal audits report them (kg per litre).
"""

from __future__ import annotations

import math

DENSITY_KG_PER_L: dict[str, float] = {
    "residual": 0.12,
    "bio": 0.40,
    "paper": 0.07,
    "packaging": 0.04,
    "glass": 0.30,
    "litter": 0.10,
}
DEFAULT_DENSITY_KG_PER_L = 0.15
"""For a stream not listed (or none)."""


def weight_kg(stream: str | None, litres: float) -> float:
    """The weight of `litres` of the stream's waste."""
    if not (math.isfinite(litres) and litres >= 0):
        raise ValueError(f"litres must be a finite number >= 0, got {litres!r}")
    density = DENSITY_KG_PER_L.get(stream or "", DEFAULT_DENSITY_KG_PER_L)
    return litres * density
