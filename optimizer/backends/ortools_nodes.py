"""OR-Tools' nodes: which node stands for which site of the problem (`Problem.sites`).

OR-Tools works on nodes, laid out in this order:

- one node per depot, shared by the vehicles starting or ending there;
- `trips` copies of each disposal facility, so a vehicle may unload several times a day;
- one node per stop;
- with facilities, one "return" node per end depot: the arc into it goes from the last site
  through the disposal facility nearest to the route's end, so every route unloads before it
  returns. The facility is added to the tour afterwards; its opening hours are checked on
  the plan, not in the search.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from optimizer.geo import TravelMatrices
from optimizer.problem import Problem
from optimizer.tour import Tour


@dataclass(frozen=True)
class NodeLayout:
    """The nodes of a routing model, the sites they stand for, and the matrices between them.

    Built once by `build` and only read after: the lists are not copied, so do not change them.
    """

    site_of: list[int]
    """The site each node stands for; a return node stands for its depot."""
    facility_nodes: list[int]
    """The facility copies, `trips` per facility in the facilities' order."""
    facility_set: frozenset[int]
    """`facility_nodes`, for membership tests."""
    first_stop_node: int
    """The node of the first stop; the stops' nodes follow in the problem's order."""
    first_stop: int
    """The site of the first stop (`Problem.first_stop`)."""
    return_node: dict[int, int]
    """The node a route ends at, by end depot: the depot itself without facilities."""
    unload_via: dict[int, NDArray[np.int64]]
    """By depot, the facility each site goes home through (with facilities)."""
    distance: NDArray[np.int64]
    """Metres from node to node; into a return node, through its facility."""
    duration: NDArray[np.int64]
    """Seconds from node to node; into a return node, with the unloading time too."""

    @property
    def size(self) -> int:
        """How many nodes there are."""
        return len(self.site_of)

    @classmethod
    def build(cls, problem: Problem, matrices: TravelMatrices, trips: int | None) -> NodeLayout:
        """Nodes and their matrices: depots, facility copies, stops, return nodes.

        `trips` copies of each facility; None: as many as `_trips_needed`."""
        depots, first_stop = len(problem.depots), problem.first_stop
        site_of = list(range(depots))
        trips = trips or _trips_needed(problem)
        facility_nodes: list[int] = []
        for f in range(depots, first_stop):
            for _ in range(trips):
                facility_nodes.append(len(site_of))
                site_of.append(f)
        first_stop_node = len(site_of)
        site_of.extend(range(first_stop, len(problem.sites)))
        return_node: dict[int, int] = {d: d for d in range(depots)}
        distance = matrices.distance_m
        duration = matrices.duration_s
        nodes = np.array(site_of)
        dist = distance[np.ix_(nodes, nodes)]
        time = duration[np.ix_(nodes, nodes)]
        unload_via: dict[int, NDArray[np.int64]] = {}
        if problem.facilities:
            extra_dist: list[NDArray[np.int64]] = []
            extra_time: list[NDArray[np.int64]] = []
            for d in range(depots):
                via = _via_facility(problem, matrices, d)
                unload_via[d] = via
                fac = np.asarray(via)[nodes]
                to_d = distance[nodes, fac] + distance[fac, d]
                unload = np.array([problem.facility_at(int(f)).unload_s for f in fac])
                t_d = duration[nodes, fac] + unload + duration[fac, d]
                # A depot or a facility (already unloaded) goes straight back.
                plain = np.array([s < first_stop for s in site_of])
                to_d = np.where(plain, distance[nodes, d], to_d)
                t_d = np.where(plain, duration[nodes, d], t_d)
                return_node[d] = len(site_of) + len(extra_dist)
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
        return cls(
            site_of=site_of,
            facility_nodes=facility_nodes,
            facility_set=frozenset(facility_nodes),
            first_stop_node=first_stop_node,
            first_stop=first_stop,
            return_node=return_node,
            unload_via=unload_via,
            distance=dist,
            duration=time,
        )

    def routes_of(
        self, tours: Sequence[Tour], vehicles: int, drop_final_unloading: bool
    ) -> list[list[int]] | None:
        """Tours as one route of nodes per vehicle (empty for a vehicle without a tour): the
        facility copies are handed out in turn across all the tours. With
        `drop_final_unloading`, a final unloading before the depot is left to the return node.
        None when the tours unload more often than the model has copies of a facility."""
        free = {f: [n for n in self.facility_nodes if self.site_of[n] == f] for f in self.site_of}
        routes: list[list[int]] = [[] for _ in range(vehicles)]
        for tour in tours:
            sites = list(tour.sites)
            if drop_final_unloading and sites and sites[-1] < self.first_stop:
                sites.pop()
            for site in sites:
                if site >= self.first_stop:
                    routes[tour.vehicle].append(self.first_stop_node + site - self.first_stop)
                elif free[site]:
                    routes[tour.vehicle].append(free[site].pop(0))
                else:
                    return None  # more unloadings than the model has copies of the facility
        return routes


def _trips_needed(problem: Problem) -> int:
    """Unloadings on the way the fleet may need at one facility: a quarter more than the
    number of smallest-truck loads the day's volume (or weight) makes. (Each route also
    unloads on its way home, through its return node: those need no copy.)"""
    if not problem.facilities:
        return 0
    loads = sum(s.demand_l for s in problem.stops) / min(v.capacity_l for v in problem.vehicles)
    weights = sum(s.demand_kg for s in problem.stops) / min(v.capacity_kg for v in problem.vehicles)
    return max(2, math.ceil(max(loads, weights) * 1.25))


def _via_facility(problem: Problem, matrices: TravelMatrices, depot: int) -> NDArray[np.int64]:
    """For every site, the facility on the shortest way from it to the depot."""
    facilities = np.arange(len(problem.depots), problem.first_stop)
    distance = matrices.distance_m
    through = distance[:, facilities] + distance[facilities, depot][None, :]
    chosen: NDArray[np.int64] = facilities[np.argmin(through, axis=1)]
    return chosen
