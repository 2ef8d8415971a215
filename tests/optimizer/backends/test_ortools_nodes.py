"""Tests of the OR-Tools node layout: which node stands for which site, and the arcs home.

Problems lie on the straight road of `on_a_line` (a km is 1000 m and 60 s; the depot at km 0).
"""

from collections.abc import Callable

from optimizer import Depot, Facility, Problem, Stop, Tour, Vehicle
from optimizer.backends.ortools_nodes import NodeLayout

OnALine = Callable[..., Problem]
StopKm = Callable[..., Stop]
Van = Callable[..., Vehicle]


def _layout(problem: Problem, trips: int | None) -> NodeLayout:
    return NodeLayout.build(problem, problem.matrices(), trips)


def test_nodes_are_depots_facility_copies_stops_and_return_nodes(
    on_a_line: OnALine, stop_km: StopKm, van: Van
) -> None:
    """Each facility has `trips` copies; each depot a return node standing for it."""
    depots = [Depot("A", 0.0, 0.0), Depot("B", 20.0, 0.0)]
    facilities = [Facility("F1", -1.0, 0.0), Facility("F2", 5.0, 0.0)]
    stops = [stop_km("a", 2), stop_km("b", 8), stop_km("c", 18)]
    vehicles = [van("ta"), van("tb", start_depot="B")]
    nodes = _layout(on_a_line(stops, vehicles, facilities, depots), trips=2)
    assert nodes.site_of == [0, 1, 2, 2, 3, 3, 4, 5, 6, 0, 1]
    assert nodes.facility_nodes == [2, 3, 4, 5]
    assert nodes.first_stop_node == 6


def test_the_return_arc_unloads_on_the_way_home(
    on_a_line: OnALine, stop_km: StopKm, van: Van
) -> None:
    """From a stop, the arc home goes through the facility on the shortest way there (with its
    unloading time); from a facility or the depot it goes straight."""
    facilities = [Facility("F1", -1.0, 0.0), Facility("F2", 5.0, 0.0, unload_s=100)]
    nodes = _layout(on_a_line([stop_km("a", 2), stop_km("b", 8)], [van()], facilities), trips=1)
    home = nodes.size - 1  # the depot's return node
    a, b = nodes.first_stop_node, nodes.first_stop_node + 1
    assert nodes.distance[a, home] == 3000 + 1000  # via F1
    assert nodes.distance[b, home] == 3000 + 5000  # via F2
    assert nodes.duration[b, home] == 180 + 100 + 300
    assert nodes.distance[2, home] == 5000  # F2 goes straight home
    assert nodes.distance[0, home] == 0


def test_tours_become_routes_of_nodes(on_a_line: OnALine, stop_km: StopKm, van: Van) -> None:
    """Facility visits take the facility's copies in turn, across all the tours; the final
    unloading is left to the return node when asked; tours unloading more often than there
    are copies have no routes."""
    facilities = [Facility("F1", -1.0, 0.0), Facility("F2", 5.0, 0.0)]
    problem = on_a_line([stop_km("a", 2), stop_km("b", 8)], [van("t1"), van("t2")], facilities)
    nodes = _layout(problem, trips=2)  # F1: nodes 1, 2; F2: 3, 4; a 5, b 6
    first, second = Tour(0, (3, 1, 2)), Tour(1, (4, 1, 2))  # a, F1, F2 and b, F1, F2
    assert nodes.routes_of([first, second], 2, drop_final_unloading=True) == [[5, 1], [6, 2]]
    assert nodes.routes_of([second], 2, drop_final_unloading=False) == [[], [6, 1, 3]]
    thrice = Tour(0, (3, 1, 4, 1, 1))
    assert nodes.routes_of([thrice], 2, drop_final_unloading=False) is None
