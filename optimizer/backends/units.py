"""Litres and kilograms as the whole units the backends' solvers count loads in.

Demand rounds up and capacity down, so a plan feasible in integers is feasible in the
problem's real numbers: no rounded load is lighter than the real one, no rounded room
larger. `_EPSILON` forgives floating-point noise (99.9999999999 litres load as 100).
"""

from __future__ import annotations

import math

_EPSILON = 1e-9


def demand_units(value: float) -> int:
    """Litres or kilograms to load, rounded up to whole units."""
    return max(0, math.ceil(value - _EPSILON))


def capacity_units(value: float, unbounded: int, cap: int | None = None) -> int:
    """Room in whole units, rounded down; `unbounded` stands for an infinite capacity, and
    no room exceeds `cap`, when one is given."""
    if math.isinf(value):
        return unbounded
    room = math.floor(value + _EPSILON)
    return room if cap is None else min(cap, room)
