"""A vehicle's route as the backends give it: the sites it visits, in order, by matrix index.

Every backend (OR-Tools, PyVRP) answers with tours; `schedule` turns a tour into times and
loads from the problem's data alone, and `check` verifies the result, so no backend's own
arithmetic reaches a plan.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tour:
    """Vehicle `vehicle` (an index into `Problem.vehicles`) visits `sites` in order.

    `sites` are matrix indices (see `Problem.sites`) of stops and disposal facilities; the
    start and end depots are implied. The break, when the vehicle has one, is taken after
    `break_after` visits (0: before the first); None lets the scheduler place it.
    """

    vehicle: int
    sites: tuple[int, ...]
    break_after: int | None = None
    depart_s: int | None = None
    """When the backend has the vehicle leave its depot; None lets the scheduler choose."""

    def __post_init__(self) -> None:
        if self.vehicle < 0:
            raise ValueError(f"vehicle index must be >= 0, got {self.vehicle}")
        if self.break_after is not None and not 0 <= self.break_after <= len(self.sites):
            raise ValueError(f"break_after {self.break_after} outside a tour of {len(self.sites)}")
