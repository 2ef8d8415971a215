"""Errors of the optimizer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from curbside.errors import CurbsideError

if TYPE_CHECKING:
    from optimizer.check import Violation


class PlanningError(CurbsideError):
    """A day cannot be planned as the database stands (no depot, no vehicles)."""


class SolverError(PlanningError):
    """The solver ended without any plan, not even one leaving every stop out."""


class PyvrpError(SolverError):
    """PyVRP cannot express the problem, rejected the model, or found no feasible plan."""


class PlanCheckError(PlanningError):
    """A plan breaks rules of its problem: a bug of whatever produced it."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = tuple(violations)
        lines = "".join(f"\n  {violation}" for violation in self.violations)
        super().__init__(f"the plan breaks {len(self.violations)} rule(s):{lines}")
