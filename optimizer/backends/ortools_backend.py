"""The OR-Tools routing backend: every constraint of the model, as tours.

OR-Tools works on nodes, each standing for a site of the problem: depots, copies of the
disposal facilities, stops, and return nodes that unload on the way home (`ortools_nodes`).

Everything is integer: litres and kilograms rounded against the plan (demand up, capacity
down: `units`), whole seconds and metres, costs in thousandths of the currency. Dimensions:

- `litres` and `kilograms`: load since the last unloading. A facility node has a demand of
  minus the largest capacity and a slack up to it, so the load after it can drop to zero.
- one `stream` dimension per waste stream some facility refuses: that stream's stops on board
  since the last unloading, none when arriving at such a facility or at the end, so a load
  of it is unloaded where it is taken (the return node's facility may be any).
- `time`: seconds after the day's start; a transit is the service or unloading time at the
  origin plus the travel time. Time windows, forbidden intervals, opening hours, shifts, the
  route duration and the break are constraints on it.

Every stop is a disjunction: leaving it out costs its prize, or for a required stop more
than any plan's routing cost, so a required stop is only left out when no plan can serve it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from itertools import pairwise
from typing import Any

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from optimizer.backends.ortools_nodes import NodeLayout
from optimizer.backends.ortools_params import (
    OrtoolsParams,
    search_parameters,
    use_iterated_local_search,
)
from optimizer.backends.units import capacity_units, demand_units
from optimizer.geo import TravelMatrices
from optimizer.problem import Problem, Stop, Vehicle
from optimizer.schedule import Scheduler, earliest_start
from optimizer.tour import Tour

log = logging.getLogger(__name__)

COST_SCALE = 1000
"""Integer cost units per unit of currency."""


class RoutingModel:
    """The OR-Tools model of a problem, ready to search."""

    def __init__(self, problem: Problem, matrices: TravelMatrices, params: OrtoolsParams) -> None:
        if not problem.vehicles:
            raise ValueError("a routing model needs at least one vehicle")
        if matrices.size != len(problem.sites):
            raise ValueError("travel matrices do not match the problem's sites")
        self.problem, self.matrices, self.params = problem, matrices, params
        self.nodes = NodeLayout.build(problem, matrices, params.trips)
        """Which node stands for which site, and the matrices between nodes."""
        vehicles = problem.vehicles
        starts = [problem.start_index(v) for v in vehicles]
        ends = [self.nodes.return_node[problem.end_index(v)] for v in vehicles]
        self.manager: Any = pywrapcp.RoutingIndexManager(
            self.nodes.size, len(vehicles), starts, ends
        )
        self.routing: Any = pywrapcp.RoutingModel(self.manager)
        self.time: Any = None
        self._costs()
        self._loads()
        self._streams()
        if _timed(problem, matrices):
            self._time()
        self._stops()

    # -- costs ---------------------------------------------------------------------------------

    def _costs(self) -> None:
        routing, problem = self.routing, self.problem
        evaluators: dict[float, int] = {}
        for v, vehicle in enumerate(problem.vehicles):
            if vehicle.cost_per_km not in evaluators:
                costs = np.rint(self.nodes.distance * (vehicle.cost_per_km * COST_SCALE / 1000))
                evaluators[vehicle.cost_per_km] = routing.RegisterTransitMatrix(
                    costs.astype(np.int64).tolist()
                )
            routing.SetArcCostEvaluatorOfVehicle(evaluators[vehicle.cost_per_km], v)
            routing.SetFixedCostOfVehicle(round(vehicle.fixed_cost * COST_SCALE), v)

    def _loads(self) -> None:
        routing, problem, nodes = self.routing, self.problem, self.nodes
        for name, stop_demands, vehicle_capacities in (
            (
                "litres",
                [s.demand_l for s in problem.stops],
                [v.capacity_l for v in problem.vehicles],
            ),
            (
                "kilograms",
                [s.demand_kg for s in problem.stops],
                [v.capacity_kg for v in problem.vehicles],
            ),
        ):
            demands = [demand_units(d) for d in stop_demands]
            if name == "kilograms" and not any(demands):
                continue
            cap_bound = max(sum(demands), 1)
            capacities = [capacity_units(c, cap_bound, cap_bound) for c in vehicle_capacities]
            largest = max(capacities)
            node_demand = [0] * nodes.size
            for n in nodes.facility_nodes:
                node_demand[n] = -largest
            for i, d in enumerate(demands):
                node_demand[nodes.first_stop_node + i] = d
            callback = routing.RegisterUnaryTransitVector(node_demand)
            slack = largest if nodes.facility_nodes else 0
            routing.AddDimensionWithVehicleCapacity(callback, slack, capacities, True, name)
            dimension = routing.GetDimensionOrDie(name)
            if nodes.facility_nodes:  # only unloading frees room
                for index in range(routing.Size()):
                    if self.manager.IndexToNode(index) not in nodes.facility_set:
                        dimension.SlackVar(index).SetValue(0)

    def _streams(self) -> None:
        """A load of a stream some facility refuses is unloaded where that stream is taken."""
        routing, problem, manager, nodes = self.routing, self.problem, self.manager, self.nodes
        self.refused = _refused_streams(problem)
        for stream in sorted(self.refused):
            stops = [i for i, stop in enumerate(problem.stops) if stop.waste_stream == stream]
            node_demand = [0] * nodes.size
            for n in nodes.facility_nodes:
                node_demand[n] = -len(stops)
            for i in stops:
                node_demand[nodes.first_stop_node + i] = 1
            callback = routing.RegisterUnaryTransitVector(node_demand)
            name = f"stream {stream}"
            routing.AddDimension(callback, len(stops), len(stops), True, name)
            dimension = routing.GetDimensionOrDie(name)
            for index in range(routing.Size()):
                node = manager.IndexToNode(index)
                if node not in nodes.facility_set:
                    dimension.SlackVar(index).SetValue(0)
                elif not problem.facility_at(nodes.site_of[node]).accepts(frozenset({stream})):
                    dimension.CumulVar(index).SetValue(0)
            for v in range(len(problem.vehicles)):
                dimension.CumulVar(routing.End(v)).SetValue(0)

    def _time(self) -> None:
        routing, problem, manager, nodes = self.routing, self.problem, self.manager, self.nodes
        service = np.zeros(nodes.size, dtype=np.int64)
        for node, site in enumerate(nodes.site_of):
            if node >= nodes.first_stop_node and node < nodes.first_stop_node + len(problem.stops):
                service[node] = problem.stops[node - nodes.first_stop_node].service_s
            elif node in nodes.facility_set:
                service[node] = problem.facility_at(site).unload_s
        transit = nodes.duration + service[:, None]
        callback = routing.RegisterTransitMatrix(transit.tolist())
        horizon = max(v.shift_end_s for v in problem.vehicles)
        routing.AddDimension(callback, horizon, horizon, False, "time")
        time = self.time = routing.GetDimensionOrDie("time")
        solver = routing.solver()
        for v, vehicle in enumerate(problem.vehicles):
            start_depot = problem.depots[problem.start_index(vehicle)]
            end_depot = problem.depots[problem.end_index(vehicle)]
            leave = max(vehicle.shift_start_s, start_depot.opens_s)
            latest_back = min(vehicle.shift_end_s, end_depot.closes_s)
            if problem.facilities:  # the last unloading must be over before a facility closes
                end = problem.end_index(vehicle)
                latest_back = min(
                    latest_back,
                    max(
                        f.closes_s + int(self.matrices.duration_s[i, end])
                        for i, f in enumerate(problem.facilities, start=len(problem.depots))
                    ),
                )
            if leave > latest_back:  # opening hours leave it no time to work: it stays home
                routing.NextVar(routing.Start(v)).SetValue(routing.End(v))
                continue
            time.CumulVar(routing.Start(v)).SetRange(leave, vehicle.shift_end_s)
            time.CumulVar(routing.End(v)).SetRange(vehicle.shift_start_s, latest_back)
            time.SetSpanUpperBoundForVehicle(vehicle.duration_limit_s, v)
            time.SetSpanCostCoefficientForVehicle(
                round(vehicle.cost_per_hour * COST_SCALE / 3600), v
            )
            if vehicle.lunch is not None:
                lunch = vehicle.lunch
                interval = solver.FixedDurationIntervalVar(
                    lunch.earliest_s, lunch.latest_s, lunch.duration_s, False, f"break {vehicle.id}"
                )
                time.SetBreakIntervalsOfVehicle([interval], v, service.tolist())
                # OR-Tools may place the break after the route's end, when the route is back
                # by its latest start: the crew then takes it at the depot (see schedule).
        for node in nodes.facility_nodes:
            facility = problem.facility_at(nodes.site_of[node])
            index = manager.NodeToIndex(node)
            latest = min(horizon, facility.closes_s - facility.unload_s)
            if facility.opens_s > latest:  # it cannot unload anyone within the shifts
                routing.ActiveVar(index).SetValue(0)
            else:
                time.CumulVar(index).SetRange(facility.opens_s, latest)
        for i, stop in enumerate(problem.stops):
            index = manager.NodeToIndex(nodes.first_stop_node + i)
            start = earliest_start(stop, 0)
            if start is None or start > horizon:  # no service may start within the shifts
                routing.ActiveVar(index).SetValue(0)
            else:
                _window(time.CumulVar(index), stop, horizon)
        for v in range(len(problem.vehicles)):
            routing.AddVariableMinimizedByFinalizer(time.CumulVar(routing.End(v)))
            routing.AddVariableMaximizedByFinalizer(time.CumulVar(routing.Start(v)))

    def _stops(self) -> None:
        routing, problem, manager, nodes = self.routing, self.problem, self.manager, self.nodes
        self.required_penalty = self._required_penalty()
        # A depot (or return node) no vehicle starts or ends at is a node like any other to
        # OR-Tools: it must never be visited.
        terminals = {problem.start_index(v) for v in problem.vehicles}
        terminals |= {nodes.return_node[problem.end_index(v)] for v in problem.vehicles}
        for node in range(nodes.size):
            is_terminal = node < len(problem.depots) or node in nodes.return_node.values()
            if is_terminal and node not in terminals:
                index = manager.NodeToIndex(node)
                routing.AddDisjunction([index], 0)
                routing.ActiveVar(index).SetValue(0)
        for node in nodes.facility_nodes:  # which streams it takes is `_streams`' part
            routing.AddDisjunction([manager.NodeToIndex(node)], 0)
        for i, stop in enumerate(problem.stops):
            index = manager.NodeToIndex(nodes.first_stop_node + i)
            allowed = [v for v, vehicle in enumerate(problem.vehicles) if vehicle.accepts(stop)]
            if len(allowed) < len(problem.vehicles):
                routing.VehicleVar(index).SetValues([-1, *allowed])
            penalty = self.required_penalty if stop.required else round(stop.prize * COST_SCALE)
            routing.AddDisjunction([index], penalty)

    def _required_penalty(self) -> int:
        """More than the routing cost of any plan plus every optional stop's prize."""
        problem = self.problem
        max_arc = int(self.nodes.distance.max(initial=0))
        per_km = max(v.cost_per_km for v in problem.vehicles)
        arcs = (self.nodes.size + 2 * len(problem.vehicles)) * max_arc * per_km * COST_SCALE / 1000
        spans = sum(v.cost_per_hour * v.shift_s / 3.6 for v in problem.vehicles)
        fixed = sum(v.fixed_cost * COST_SCALE for v in problem.vehicles)
        prizes = sum(s.prize * COST_SCALE for s in problem.stops if not s.required)
        return int(arcs + spans + fixed + prizes) + 1

    # -- search --------------------------------------------------------------------------------

    def search(self, time_limit_s: float, initial: Sequence[Tour] | None = None) -> Any:
        """The best assignment found within the limits, or None."""
        first = first_solutions(self.problem, self.matrices, self.params)[0]
        parameters = search_parameters(time_limit_s, self.params, first, self.nodes.size)
        if initial:
            # A final unloading is left to the return node, unless a stream needs it explicit.
            drop_final_unloading = bool(self.problem.facilities) and not self.refused
            vehicles = len(self.problem.vehicles)
            routes = self.nodes.routes_of(initial, vehicles, drop_final_unloading)
            assignment = None
            if routes is not None:
                assignment = self.routing.ReadAssignmentFromRoutes(routes, True)
            if assignment is not None:
                return self.routing.SolveFromAssignmentWithParameters(assignment, parameters)
            log.warning("OR-Tools could not start from the given routes; searching afresh")
        if iterated(self.problem, self.matrices, self.params):
            use_iterated_local_search(parameters, self.params, self._nearest_arc_cost())
            return self.routing.SolveWithIteratedLocalSearch(parameters)
        return self.routing.SolveWithParameters(parameters)

    def _nearest_arc_cost(self) -> float:
        """The mean cost, in the model's units, of the arc from a stop to its nearest site."""
        nodes, first = self.nodes, self.nodes.first_stop_node
        stops = nodes.distance[first : first + len(self.problem.stops)].astype(np.float64)
        if not stops.size:
            return 1.0
        stops[np.arange(len(stops)), np.arange(first, first + len(stops))] = np.inf
        nearest = stops.min(axis=1)
        per_km = max(v.cost_per_km for v in self.problem.vehicles)
        return float(np.mean(nearest[np.isfinite(nearest)])) * per_km * COST_SCALE / 1000

    def tours(self, assignment: Any) -> list[Tour]:
        """The assignment's non-empty routes as tours, with the final unloading made explicit."""
        routing, manager, problem = self.routing, self.manager, self.problem
        tours = []
        for v, vehicle in enumerate(problem.vehicles):
            index = assignment.Value(routing.NextVar(routing.Start(v)))
            sites: list[int] = []
            while not routing.IsEnd(index):
                node = manager.IndexToNode(index)
                site = self.nodes.site_of[node]
                if not (sites and site == sites[-1] and site < problem.first_stop):
                    sites.append(site)
                index = assignment.Value(routing.NextVar(index))
            if not any(site >= problem.first_stop for site in sites):
                continue  # no bin: the vehicle stays at home
            depart = None
            if self.time is not None:
                depart = int(assignment.Value(self.time.CumulVar(routing.Start(v))))
            # The break is left to the scheduler, which places it where the route ends
            # earliest: at least as early as OR-Tools' placement, so no less feasible.
            tour = Tour(v, tuple(sites), depart_s=depart)
            if problem.facilities and sites[-1] >= problem.first_stop:
                tour = self._with_final_unloading(tour, vehicle)
            tours.append(tour)
        return tours

    def _with_final_unloading(self, tour: Tour, vehicle: Vehicle) -> Tour:
        """The tour with its last unloading: at the facility on the shortest way home,
        unless another one is open in time when that one is not."""
        problem, last = self.problem, tour.sites[-1]
        end = problem.end_index(vehicle)
        distance = self.matrices.distance_m
        facilities = sorted(
            range(len(problem.depots), problem.first_stop),
            key=lambda f: int(distance[last, f] + distance[f, end]),
        )
        scheduler = Scheduler(problem, self.matrices)
        candidates = [replace(tour, sites=(*tour.sites, f)) for f in facilities]
        return next((c for c in candidates if scheduler.timing(c).feasible), candidates[0])


def _refused_streams(problem: Problem) -> frozenset[str]:
    """The streams of stops that some disposal facility does not take."""
    streams = {stop.waste_stream for stop in problem.stops if stop.waste_stream is not None}
    return frozenset(
        s for s in streams if not all(f.accepts(frozenset({s})) for f in problem.facilities)
    )


def first_solutions(
    problem: Problem, matrices: TravelMatrices, params: OrtoolsParams
) -> tuple[str, ...]:
    """OR-Tools' first solution strategies for the problem, best first: the one asked for,
    or parallel cheapest insertion where time constrains anything (the others left dozens of
    Kim's stops out), else path cheapest arc; each with a second one to run beside it."""
    if params.first_solution is not None:
        return (params.first_solution,)
    if _timed(problem, matrices):
        return ("PARALLEL_CHEAPEST_INSERTION", "LOCAL_CHEAPEST_INSERTION")
    return ("PATH_CHEAPEST_ARC", "SAVINGS")


def iterated(problem: Problem, matrices: TravelMatrices, params: OrtoolsParams) -> bool:
    """Whether a search from scratch is OR-Tools' iterated local search (see `OrtoolsParams`)."""
    if params.iterated_local_search is not None:
        return params.iterated_local_search
    return not _timed(problem, matrices)


def _timed(problem: Problem, matrices: TravelMatrices) -> bool:
    """Whether time constrains or costs anything; without, the search skips the dimension."""
    if matrices.duration_s.any():
        return True
    stops = problem.stops
    if any(s.service_s or s.windows or s.forbidden for s in stops):
        return True
    return any(v.lunch or v.cost_per_hour for v in problem.vehicles) or any(
        f.unload_s for f in problem.facilities
    )


def _window(cumul: Any, stop: Stop, horizon: int) -> None:
    """Restrict a stop's service start to its windows, away from its forbidden intervals."""
    if stop.windows:
        cumul.SetRange(stop.windows[0][0], min(horizon, stop.windows[-1][1] - 1))
        for (_, end), (start, _) in pairwise(stop.windows):
            if start > end:
                cumul.RemoveInterval(end, start - 1)
    for start, end in stop.forbidden:
        low = max(0, start - stop.service_s + 1)
        if low <= end - 1:
            cumul.RemoveInterval(low, end - 1)


def solve_ortools(
    problem: Problem,
    matrices: TravelMatrices,
    time_limit_s: float,
    params: OrtoolsParams | None = None,
    initial: Sequence[Tour] | None = None,
) -> tuple[list[Tour], str] | None:
    """Tours of the best plan found, and OR-Tools' status word; None when none was found."""
    model = RoutingModel(problem, matrices, params or OrtoolsParams())
    assignment = model.search(time_limit_s, initial)
    status = routing_enums_pb2.RoutingSearchStatus.Value.Name(model.routing.status())
    if assignment is None:
        return None
    if status == "ROUTING_NOT_SOLVED":  # the iterated local search leaves it unset
        status = "ROUTING_SUCCESS"
    return model.tours(assignment), status
