"""Errors of the optimizer."""

from curbside.errors import CurbsideError


class PlanningError(CurbsideError):
    """A day cannot be planned as the database stands (no depot, no vehicles)."""


class SolverError(PlanningError):
    """The solver ended without any plan, not even one leaving every stop out."""
