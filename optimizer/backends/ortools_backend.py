"""The OR-Tools routing backend: every constraint of the model, as tours.

OR-Tools works on nodes; a node stands for a site of the problem (`Problem.sites`):

- one node per depot, shared by the vehicles starting or ending there;
- `trips` copies of each disposal facility, so a vehicle may unload several times a day;
- one node per stop;
- with facilities, one "return" node per end depot: the arc into it goes from the last site
  through the disposal facility nearest to the route's end, so every route unloads before it
  returns. The facility is added to the tour afterwards; its opening hours are checked on
  the plan, not in the search.

Everything is integer: litres and kilograms rounded against the plan (demand up, capacity
down), whole seconds and metres, costs in thousandths of the currency. Dimensions:

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

import math
from collections.abc import Sequence
from dataclasses import replace
from itertools import pairwise
from typing import Any

import numpy as np
from numpy.typing import NDArray
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from optimizer.backends.ortools_params import OrtoolsParams, search_parameters
from optimizer.geo import TravelMatrices
from optimizer.problem import Problem, Stop, Vehicle
from optimizer.schedule import Scheduler, earliest_start
from optimizer.tour import Tour

COST_SCALE = 1000
"""Integer cost units per unit of currency."""
_EPSILON = 1e-9


def demand_units(value: float) -> int:
    return max(0, math.ceil(value - _EPSILON))


def capacity_units(value: float, cap: int) -> int:
    return cap if math.isinf(value) else min(cap, math.floor(value + _EPSILON))


class RoutingModel:
    """The OR-Tools model of a problem, ready to search."""

    def __init__(self, problem: Problem, matrices: TravelMatrices, params: OrtoolsParams) -> None:
        if not problem.vehicles:
            raise ValueError("a routing model needs at least one vehicle")
        if matrices.size != len(problem.sites):
            raise ValueError("travel matrices do not match the problem's sites")
        self.problem, self.matrices, self.params = problem, matrices, params
        self._layout(problem, matrices, params)
        vehicles = problem.vehicles
        starts = [problem.start_index(v) for v in vehicles]
        ends = [self._return_node[problem.end_index(v)] for v in vehicles]
        self.manager: Any = pywrapcp.RoutingIndexManager(
            len(self.site_of), len(vehicles), starts, ends
        )
        self.routing: Any = pywrapcp.RoutingModel(self.manager)
        self.time: Any = None
        self._costs()
        self._loads()
        self._streams()
        if _timed(problem, matrices):
            self._time()
        self._stops()

    # -- nodes -------------------------------------------------------------------------------

    def _layout(self, problem: Problem, matrices: TravelMatrices, params: OrtoolsParams) -> None:
        """Nodes and their matrices: depots, facility copies, stops, return nodes."""
        depots, first_stop = len(problem.depots), problem.first_stop
        site_of = list(range(depots))
        trips = params.trips or self._trips_needed(problem)
        self.facility_nodes: list[int] = []
        for f in range(depots, first_stop):
            for _ in range(trips):
                self.facility_nodes.append(len(site_of))
                site_of.append(f)
        self.first_stop_node = len(site_of)
        site_of.extend(range(first_stop, len(problem.sites)))
        self._return_node: dict[int, int] = {d: d for d in range(depots)}
        distance = matrices.distance_m
        duration = matrices.duration_s
        nodes = np.array(site_of)
        dist = distance[np.ix_(nodes, nodes)]
        time = duration[np.ix_(nodes, nodes)]
        self.unload_via: dict[int, NDArray[np.int64]] = {}
        if problem.facilities:
            extra_dist: list[NDArray[np.int64]] = []
            extra_time: list[NDArray[np.int64]] = []
            for d in range(depots):
                via = self._via_facility(problem, matrices, d)
                self.unload_via[d] = via
                fac = np.asarray(via)[nodes]
                to_d = distance[nodes, fac] + distance[fac, d]
                unload = np.array([problem.facility_at(int(f)).unload_s for f in fac])
                t_d = duration[nodes, fac] + unload + duration[fac, d]
                # A depot or a facility (already unloaded) goes straight back.
                plain = np.array([s < first_stop for s in site_of])
                to_d = np.where(plain, distance[nodes, d], to_d)
                t_d = np.where(plain, duration[nodes, d], t_d)
                self._return_node[d] = len(site_of) + len(extra_dist)
                extra_dist.append(to_d)
                extra_time.append(t_d)
            k = len(extra_dist)
            dist = np.block(
                [[dist, np.array(extra_dist).T], [np.zeros((k, len(site_of) + k), np.int64)]]
            )
            time = np.block(
                [[time, np.array(extra_time).T], [np.zeros((k, len(site_of) + k), np.int64)]]
            )
            site_of.extend(range(k))  # a return node stands for its depot
        self.site_of = site_of
        self.facility_set = frozenset(self.facility_nodes)
        self.node_distance = dist
        self.node_duration = time

    @staticmethod
    def _trips_needed(problem: Problem) -> int:
        """Unloadings on the way the fleet may need at one facility: a quarter more than the
        number of smallest-truck loads the day's volume (or weight) makes. (Each route also
        unloads on its way home, through its return node: those need no copy.)"""
        if not problem.facilities:
            return 0
        loads = sum(s.demand_l for s in problem.stops) / min(v.capacity_l for v in problem.vehicles)
        weights = sum(s.demand_kg for s in problem.stops) / min(
            v.capacity_kg for v in problem.vehicles
        )
        return max(2, math.ceil(max(loads, weights) * 1.25))

    @staticmethod
    def _via_facility(problem: Problem, matrices: TravelMatrices, depot: int) -> NDArray[np.int64]:
        """For every site, the facility on the shortest way from it to the depot."""
        facilities = np.arange(len(problem.depots), problem.first_stop)
        distance = matrices.distance_m
        through = distance[:, facilities] + distance[facilities, depot][None, :]
        chosen: NDArray[np.int64] = facilities[np.argmin(through, axis=1)]
        return chosen

    # -- costs ---------------------------------------------------------------------------------

    def _costs(self) -> None:
        routing, problem = self.routing, self.problem
        evaluators: dict[float, int] = {}
        for v, vehicle in enumerate(problem.vehicles):
            if vehicle.cost_per_km not in evaluators:
                costs = np.rint(self.node_distance * (vehicle.cost_per_km * COST_SCALE / 1000))
                evaluators[vehicle.cost_per_km] = routing.RegisterTransitMatrix(
                    costs.astype(np.int64).tolist()
                )
            routing.SetArcCostEvaluatorOfVehicle(evaluators[vehicle.cost_per_km], v)
            routing.SetFixedCostOfVehicle(round(vehicle.fixed_cost * COST_SCALE), v)

    def _loads(self) -> None:
        routing, problem = self.routing, self.problem
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
            capacities = [capacity_units(c, cap_bound) for c in vehicle_capacities]
            largest = max(capacities)
            node_demand = [0] * len(self.site_of)
            for n in self.facility_nodes:
                node_demand[n] = -largest
            for i, d in enumerate(demands):
                node_demand[self.first_stop_node + i] = d
            callback = routing.RegisterUnaryTransitVector(node_demand)
            slack = largest if self.facility_nodes else 0
            routing.AddDimensionWithVehicleCapacity(callback, slack, capacities, True, name)
            dimension = routing.GetDimensionOrDie(name)
            if self.facility_nodes:  # only unloading frees room
                for index in range(routing.Size()):
                    if self.manager.IndexToNode(index) not in self.facility_set:
                        dimension.SlackVar(index).SetValue(0)

    def _streams(self) -> None:
        """A load of a stream some facility refuses is unloaded where that stream is taken."""
        routing, problem, manager = self.routing, self.problem, self.manager
        self.refused = _refused_streams(problem)
        for stream in sorted(self.refused):
            stops = [i for i, stop in enumerate(problem.stops) if stop.waste_stream == stream]
            node_demand = [0] * len(self.site_of)
            for n in self.facility_nodes:
                node_demand[n] = -len(stops)
            for i in stops:
                node_demand[self.first_stop_node + i] = 1
            callback = routing.RegisterUnaryTransitVector(node_demand)
            name = f"stream {stream}"
            routing.AddDimension(callback, len(stops), len(stops), True, name)
            dimension = routing.GetDimensionOrDie(name)
            for index in range(routing.Size()):
                node = manager.IndexToNode(index)
                if node not in self.facility_set:
                    dimension.SlackVar(index).SetValue(0)
                elif not problem.facility_at(self.site_of[node]).accepts(frozenset({stream})):
                    dimension.CumulVar(index).SetValue(0)
            for v in range(len(problem.vehicles)):
                dimension.CumulVar(routing.End(v)).SetValue(0)

    def _time(self) -> None:
        routing, problem, manager = self.routing, self.problem, self.manager
        service = np.zeros(len(self.site_of), dtype=np.int64)
        for node, site in enumerate(self.site_of):
            if node >= self.first_stop_node and node < self.first_stop_node + len(problem.stops):
                service[node] = problem.stops[node - self.first_stop_node].service_s
            elif node in self.facility_set:
                service[node] = problem.facility_at(site).unload_s
        transit = self.node_duration + service[:, None]
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
        for node in self.facility_nodes:
            facility = problem.facility_at(self.site_of[node])
            index = manager.NodeToIndex(node)
            latest = min(horizon, facility.closes_s - facility.unload_s)
            if facility.opens_s > latest:  # it cannot unload anyone within the shifts
                routing.ActiveVar(index).SetValue(0)
            else:
                time.CumulVar(index).SetRange(facility.opens_s, latest)
        for i, stop in enumerate(problem.stops):
            index = manager.NodeToIndex(self.first_stop_node + i)
            start = earliest_start(stop, 0)
            if start is None or start > horizon:  # no service may start within the shifts
                routing.ActiveVar(index).SetValue(0)
            else:
                _window(time.CumulVar(index), stop, horizon)
        for v in range(len(problem.vehicles)):
            routing.AddVariableMinimizedByFinalizer(time.CumulVar(routing.End(v)))
            routing.AddVariableMaximizedByFinalizer(time.CumulVar(routing.Start(v)))

    def _stops(self) -> None:
        routing, problem, manager = self.routing, self.problem, self.manager
        self.required_penalty = self._required_penalty()
        # A depot (or return node) no vehicle starts or ends at is a node like any other to
        # OR-Tools: it must never be visited.
        terminals = {problem.start_index(v) for v in problem.vehicles}
        terminals |= {self._return_node[problem.end_index(v)] for v in problem.vehicles}
        for node in range(len(self.site_of)):
            is_terminal = node < len(problem.depots) or node in self._return_node.values()
            if is_terminal and node not in terminals:
                index = manager.NodeToIndex(node)
                routing.AddDisjunction([index], 0)
                routing.ActiveVar(index).SetValue(0)
        for node in self.facility_nodes:  # which streams it takes is `_streams`' part
            routing.AddDisjunction([manager.NodeToIndex(node)], 0)
        for i, stop in enumerate(problem.stops):
            index = manager.NodeToIndex(self.first_stop_node + i)
            allowed = [v for v, vehicle in enumerate(problem.vehicles) if vehicle.accepts(stop)]
            if len(allowed) < len(problem.vehicles):
                routing.VehicleVar(index).SetValues([-1, *allowed])
            penalty = self.required_penalty if stop.required else round(stop.prize * COST_SCALE)
            routing.AddDisjunction([index], penalty)

    def _required_penalty(self) -> int:
        """More than the routing cost of any plan plus every optional stop's prize."""
        problem = self.problem
        max_arc = int(self.node_distance.max(initial=0))
        per_km = max(v.cost_per_km for v in problem.vehicles)
        arcs = (
            (len(self.site_of) + 2 * len(problem.vehicles)) * max_arc * per_km * COST_SCALE / 1000
        )
        spans = sum(v.cost_per_hour * v.shift_s / 3.6 for v in problem.vehicles)
        fixed = sum(v.fixed_cost * COST_SCALE for v in problem.vehicles)
        prizes = sum(s.prize * COST_SCALE for s in problem.stops if not s.required)
        return int(arcs + spans + fixed + prizes) + 1

    # -- search --------------------------------------------------------------------------------

    def search(self, time_limit_s: float, initial: Sequence[Tour] | None = None) -> Any:
        """The best assignment found within the limits, or None."""
        first = self.params.first_solution
        if first is None:
            first = "PARALLEL_CHEAPEST_INSERTION" if self.time is not None else "PATH_CHEAPEST_ARC"
        parameters = search_parameters(time_limit_s, self.params, first, len(self.site_of))
        if initial:
            routes: list[list[int]] = [[] for _ in self.problem.vehicles]
            for tour in initial:
                routes[tour.vehicle] = self._nodes_of(tour) or []
            assignment = self.routing.ReadAssignmentFromRoutes(routes, True)
            if assignment is not None:
                return self.routing.SolveFromAssignmentWithParameters(assignment, parameters)
        return self.routing.SolveWithParameters(parameters)

    def _nodes_of(self, tour: Tour) -> list[int] | None:
        """A tour's sites as nodes: facility copies handed out in turn; a final unloading
        before the depot is left to the return node, unless a stream needs it explicit."""
        sites = list(tour.sites)
        last_is_facility = sites and sites[-1] < self.problem.first_stop
        if self.problem.facilities and not self.refused and last_is_facility:
            sites.pop()
        free = {
            f: [n for n in self.facility_nodes if self.site_of[n] == f] for f in set(self.site_of)
        }
        nodes = []
        for site in sites:
            if site >= self.problem.first_stop:
                nodes.append(self.first_stop_node + site - self.problem.first_stop)
            elif free[site]:
                nodes.append(free[site].pop(0))
            else:
                return None  # more unloadings than the model has copies of the facility
        return nodes

    def tours(self, assignment: Any) -> list[Tour]:
        """The assignment's non-empty routes as tours, with the final unloading made explicit."""
        routing, manager, problem = self.routing, self.manager, self.problem
        tours = []
        for v, vehicle in enumerate(problem.vehicles):
            index = assignment.Value(routing.NextVar(routing.Start(v)))
            sites: list[int] = []
            while not routing.IsEnd(index):
                node = manager.IndexToNode(index)
                site = self.site_of[node]
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
    return model.tours(assignment), status
