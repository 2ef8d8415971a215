"""The OR-Tools routing model of a problem; OR-Tools does not leak past this module and solve.

Node 0 is the depot and node i is `problem.stops[i - 1]`. The model works in integers:
litres rounded against the plan (demand up, capacity down), whole seconds, whole metres, and
costs in thousandths of the currency of `Vehicle.cost_per_km` and `cost_per_hour`.
Dimensions:

- `load`: litres collected; a vehicle's capacity bounds it.
- `time`: seconds after the day's start. A vehicle leaves the depot at its shift start and must
  be back by its shift end; a transit is the travel time plus the service time at its origin.

Every stop is a disjunction: leaving it out costs its penalty, so an over-subscribed day still
gets a plan. A required stop's penalty exceeds any routing cost, so the solver only leaves one
out when no plan can serve it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np
from numpy.typing import NDArray
from ortools.constraint_solver import pywrapcp

from optimizer.geo import TravelMatrices
from optimizer.problem import Problem, Stop, Vehicle

COST_SCALE = 1000
"""Integer cost units per unit of currency."""

_EPSILON = 1e-9
LOAD = "load"
TIME = "time"


def demand_units(stop: Stop) -> int:
    """A stop's demand in whole litres, rounded up."""
    return max(0, math.ceil(stop.demand_l - _EPSILON))


def capacity_units(vehicle: Vehicle) -> int:
    """A vehicle's capacity in whole litres, rounded down."""
    return math.floor(vehicle.capacity_l + _EPSILON)


def arc_costs(distance_m: NDArray[np.int64], vehicle: Vehicle) -> NDArray[np.int64]:
    """Cost units of driving each arc with this vehicle."""
    # cost_per_km [currency/km] * metres / 1000 * COST_SCALE
    costs: NDArray[np.int64] = np.rint(
        distance_m * (vehicle.cost_per_km * COST_SCALE / 1000)
    ).astype(np.int64)
    return costs


def span_cost_per_s(vehicle: Vehicle) -> int:
    """Cost units per second of the vehicle's route duration."""
    return round(vehicle.cost_per_hour * COST_SCALE / 3600)


def penalty_of(stop: Stop, required_penalty: int) -> int:
    """What leaving the stop out costs the objective."""
    return required_penalty if stop.required else round(stop.prize * COST_SCALE)


def required_penalty(problem: Problem, matrices: TravelMatrices) -> int:
    """A penalty larger than the routing cost of any plan plus every optional stop's prize."""
    max_arc = max(
        (int(arc_costs(matrices.distance_m, v).max(initial=0)) for v in problem.vehicles),
        default=0,
    )
    arcs = (len(problem.stops) + 2 * len(problem.vehicles)) * max_arc
    spans = sum(span_cost_per_s(v) * v.shift_end_s for v in problem.vehicles)
    prizes = sum(round(s.prize * COST_SCALE) for s in problem.stops if not s.required)
    return arcs + spans + prizes + 1


class Model:
    """A routing model built from a problem, ready to be searched."""

    def __init__(self, problem: Problem, matrices: TravelMatrices) -> None:
        if not problem.vehicles:
            raise ValueError("a routing model needs at least one vehicle")
        if matrices.size != len(problem.stops) + 1:
            raise ValueError("travel matrices do not match the problem's sites")
        self.problem = problem
        self.matrices = matrices
        self.required_penalty = required_penalty(problem, matrices)
        vehicles = problem.vehicles
        self.manager: Any = pywrapcp.RoutingIndexManager(matrices.size, len(vehicles), 0)
        self.routing: Any = pywrapcp.RoutingModel(self.manager)
        routing = self.routing

        evaluators: dict[float, int] = {}
        for v, vehicle in enumerate(vehicles):
            if vehicle.cost_per_km not in evaluators:
                costs = arc_costs(matrices.distance_m, vehicle)
                evaluators[vehicle.cost_per_km] = routing.RegisterTransitMatrix(costs.tolist())
            routing.SetArcCostEvaluatorOfVehicle(evaluators[vehicle.cost_per_km], v)

        demands = [0, *(demand_units(stop) for stop in problem.stops)]
        load_cb = routing.RegisterUnaryTransitVector(demands)
        capacities = [capacity_units(vehicle) for vehicle in vehicles]
        routing.AddDimensionWithVehicleCapacity(load_cb, 0, capacities, True, LOAD)

        service = np.array([0, *(stop.service_s for stop in problem.stops)], dtype=np.int64)
        transit = matrices.duration_s + service[:, None]
        time_cb = routing.RegisterTransitMatrix(transit.tolist())
        shift_ends = [vehicle.shift_end_s for vehicle in vehicles]
        routing.AddDimensionWithVehicleCapacity(time_cb, 0, shift_ends, False, TIME)
        self.time: Any = routing.GetDimensionOrDie(TIME)
        for v, vehicle in enumerate(vehicles):
            start = self.time.CumulVar(routing.Start(v))
            start.SetRange(vehicle.shift_start_s, vehicle.shift_start_s)
            self.time.SetSpanCostCoefficientForVehicle(span_cost_per_s(vehicle), v)

        for node, stop in enumerate(problem.stops, start=1):
            index = self.manager.NodeToIndex(node)
            allowed = [v for v, vehicle in enumerate(vehicles) if vehicle.accepts(stop)]
            if len(allowed) < len(vehicles):
                # -1 keeps the stop free to stay unserved; with no vehicle allowed it must.
                routing.VehicleVar(index).SetValues([-1, *allowed])
            routing.AddDisjunction([index], penalty_of(stop, self.required_penalty))

    def solve(self, parameters: Any) -> Any:
        """Search with OR-Tools search parameters; the assignment found, or None."""
        return self.routing.SolveWithParameters(parameters)

    def status(self) -> int:
        return int(self.routing.status())

    def routes(self, assignment: Any) -> list[tuple[list[int], list[int]]]:
        """Per vehicle: its stop nodes in order, and its times at depot, stops, depot."""
        routing, manager = self.routing, self.manager
        routes = []
        for v in range(len(self.problem.vehicles)):
            index = routing.Start(v)
            nodes: list[int] = []
            times = [int(assignment.Value(self.time.CumulVar(index)))]
            index = assignment.Value(routing.NextVar(index))
            while not routing.IsEnd(index):
                nodes.append(int(manager.IndexToNode(index)))
                times.append(int(assignment.Value(self.time.CumulVar(index))))
                index = assignment.Value(routing.NextVar(index))
            times.append(int(assignment.Value(self.time.CumulVar(index))))
            routes.append((nodes, times))
        return routes


def path_distance(matrices: TravelMatrices, nodes: Sequence[int]) -> int:
    """Metres driven from the depot through the nodes and back."""
    path = [0, *nodes, 0]
    return int(sum(matrices.distance_m[a, b] for a, b in pairwise(path)))
