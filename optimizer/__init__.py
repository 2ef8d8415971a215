"""Route optimizer: build a problem, solve it with OR-Tools and PyVRP, check it, store plans.

The flow is build -> immutable `Problem` -> `solve(problem, time_limit_s, seed, params)` ->
`Result`, verified by `check`; `plan_day` runs it against the database.
"""

from optimizer.backends.ortools_params import OrtoolsParams
from optimizer.check import Violation, ViolationKind, check, verify
from optimizer.errors import PlanCheckError, PlanningError, SolverError
from optimizer.geo import TravelMatrices, TravelModel, haversine_m, haversine_matrix
from optimizer.plan import PlanSummary, plan_day
from optimizer.problem import (
    Break,
    Depot,
    Facility,
    GivenMatrices,
    Problem,
    Site,
    Stop,
    Vehicle,
)
from optimizer.result import Omission, OmissionReason, Result, Route, Visit, VisitKind
from optimizer.settings import PlannerSettings
from optimizer.solve import SolveParams, solve
from optimizer.store import load_problem, save_plan
from optimizer.streams import weight_kg
from optimizer.tour import Tour

__all__ = [
    "Break",
    "Depot",
    "Facility",
    "GivenMatrices",
    "Omission",
    "OmissionReason",
    "OrtoolsParams",
    "PlanCheckError",
    "PlanSummary",
    "PlannerSettings",
    "PlanningError",
    "Problem",
    "Result",
    "Route",
    "Site",
    "SolveParams",
    "SolverError",
    "Stop",
    "Tour",
    "TravelMatrices",
    "TravelModel",
    "Vehicle",
    "Violation",
    "ViolationKind",
    "Visit",
    "VisitKind",
    "check",
    "haversine_m",
    "haversine_matrix",
    "load_problem",
    "plan_day",
    "save_plan",
    "solve",
    "verify",
    "weight_kg",
]
