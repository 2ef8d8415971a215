"""Route optimizer: choose bins, build the routing problem, solve it with OR-Tools, store plans.

The flow is build -> immutable `Problem` -> `solve(problem, time_limit_s, seed, params)` ->
`Result`; `plan_day` runs it against the database.
"""

from optimizer.errors import PlanningError, SolverError
from optimizer.geo import TravelMatrices, TravelModel, haversine_m, haversine_matrix
from optimizer.plan import PlanSummary, plan_day
from optimizer.problem import Depot, Problem, Site, Stop, Vehicle
from optimizer.result import Omission, OmissionReason, Result, Route, Visit
from optimizer.settings import PlannerSettings
from optimizer.solve import SolveParams, solve
from optimizer.store import load_problem, save_plan

__all__ = [
    "Depot",
    "Omission",
    "OmissionReason",
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
    "TravelMatrices",
    "TravelModel",
    "Vehicle",
    "Visit",
    "haversine_m",
    "haversine_matrix",
    "load_problem",
    "plan_day",
    "save_plan",
    "solve",
]
