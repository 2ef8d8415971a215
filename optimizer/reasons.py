"""Why a stop was left out of a plan, worked out from the problem and the routes found.

The checks go from the stop alone to the plan as a whole: no vehicle may collect it; it is too
big for every vehicle; its round trip from the depot is longer than every shift; then, against
the routes of the plan, no vehicle has room left, or no vehicle with room has time left to fit
it in. When a route could still take it, an optional stop was not worth the detour and a
required one was missed because the search stopped. The checks use the same whole litres,
seconds and cost units as the model, so they agree with what the solver saw.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from optimizer.geo import TravelMatrices
from optimizer.model import (
    arc_costs,
    capacity_units,
    demand_units,
    penalty_of,
    span_cost_per_s,
)
from optimizer.problem import Problem
from optimizer.result import OmissionReason


def explain(
    problem: Problem,
    matrices: TravelMatrices,
    routes: Sequence[Sequence[int]],
    node: int,
    required_penalty: int,
) -> OmissionReason:
    """The reason stop node `node` (1-based; 0 is the depot) is in none of `routes`.

    `routes` holds, per vehicle of the problem, the stop nodes it visits in order.
    """
    stop = problem.stops[node - 1]
    vehicles = problem.vehicles
    travel = matrices.duration_s
    candidates = [v for v, vehicle in enumerate(vehicles) if vehicle.accepts(stop)]
    if not candidates:
        return OmissionReason.NO_VEHICLE

    demand = demand_units(stop)
    candidates = [v for v in candidates if demand <= capacity_units(vehicles[v])]
    if not candidates:
        return OmissionReason.CAPACITY

    round_trip = int(travel[0, node] + stop.service_s + travel[node, 0])
    candidates = [v for v in candidates if round_trip <= vehicles[v].shift_s]
    if not candidates:
        return OmissionReason.SHIFT_LENGTH

    def load(nodes: Sequence[int]) -> int:
        return sum(demand_units(problem.stops[n - 1]) for n in nodes)

    candidates = [v for v in candidates if load(routes[v]) + demand <= capacity_units(vehicles[v])]
    if not candidates:
        return OmissionReason.CAPACITY

    cheapest: int | None = None
    for v in candidates:
        vehicle = vehicles[v]
        costs = arc_costs(matrices.distance_m, vehicle)
        path = [0, *routes[v], 0]
        duration = sum(int(travel[a, b]) for a, b in pairwise(path))
        duration += sum(problem.stops[n - 1].service_s for n in routes[v])
        for a, b in pairwise(path):
            extra_s = int(travel[a, node] + stop.service_s + travel[node, b] - travel[a, b])
            if duration + extra_s > vehicle.shift_s:
                continue
            extra_cost = int(costs[a, node] + costs[node, b] - costs[a, b])
            extra_cost += span_cost_per_s(vehicle) * extra_s
            cheapest = extra_cost if cheapest is None else min(cheapest, extra_cost)
    if cheapest is None:
        return OmissionReason.SHIFT_LENGTH
    if not stop.required and cheapest >= penalty_of(stop, required_penalty):
        return OmissionReason.NOT_WORTH_IT
    return OmissionReason.SEARCH_LIMIT
