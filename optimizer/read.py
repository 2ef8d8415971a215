"""Benchmark instances as `Problem`s: VRPLIB files (CVRP X set, Solomon and Gehring-Homberger
VRPTW); the waste-collection instances of Kim, Kim & Sahoo (2006) are read by `kim.py`.

Costs. Every vehicle costs `COST_PER_KM` = 1000 per km and nothing per hour, so a route costs
exactly its distance in matrix units (the matrices count "metres"; 1000 of them per km). The
matrices hold integers, `Instance.scale` of them per unit of the instance's published cost,
so `result.cost / instance.scale` compares with `Instance.bks`:

- CVRP (`TYPE : CVRP`, the X set): the nearest integer of the Euclidean distance, scale 1.
  Time plays no part: the duration matrix is zero and shifts span the whole 0..172800, so no
  route can run out of time (durations equal to the distances could: an X route is tens of
  thousands of units long), and a backend can leave time out of its search.
- VRPTW (`TYPE : VRPTW`, Solomon, Gehring-Homberger): the DIMACS convention, distances
  truncated to one decimal, held in tenths: floor(10 * euclid), scale 10. Durations equal
  distances, so time windows and service times are scaled by 10 as well; they must stay
  within 172800.

Windows. The files' windows include their end (the latest start); `Problem`'s windows leave
it out, so a window [e, l] becomes (e, l + 1) in the problem's integer units.

Fleets. VRPLIB's `VEHICLES` fixes the fleet (`Instance.max_vehicles`). Without it (the X set,
whose fleet is unlimited), the fleet is k (the `-k` of the name, or the bin-packing bound
ceil(total demand / capacity) when larger) plus a fifth of k, at least 2, and at most one
vehicle per customer: the best-known X solutions use up to 6 routes, or 4 %, beyond k.

Site ids. VRPLIB sites are named by their 0-based node number, as solution files number the
customers (the depot, node 1 of the file, is "0"); Kim's keep the file's Stop_ID. Solution
routes therefore map to tours through the stop ids (`solution_tours`).

Day. Every instance is planned on `DAY_START` (Monday 5 January 2026, 00:00 UTC).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from optimizer.geo import TravelMatrices
from optimizer.problem import (
    MAX_TIME_S,
    Break,
    Depot,
    GivenMatrices,
    Problem,
    Stop,
    Vehicle,
    Window,
)
from optimizer.tour import Tour

DAY_START = datetime(2026, 1, 5, tzinfo=UTC)
"""The day every benchmark instance is planned on."""
COST_PER_KM = 1000.0
"""Per 1000 matrix units: a route costs its distance in matrix units."""
DIMACS_SCALE = 10
"""Matrix units per unit of distance and time under the DIMACS convention (tenths)."""

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class Instance:
    """A benchmark instance as a problem, with its best-known cost and how to compare with it."""

    name: str
    problem: Problem
    bks: float | None
    """The best-known cost in the instance's own unit; None when unknown."""
    scale: int
    """Matrix units per unit of that cost: `result.cost / scale` compares with `bks`."""
    max_vehicles: int | None = None
    """The fleet size, when the instance fixes it; None when the fleet is a reader's choice."""

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("an instance needs a name")
        if isinstance(self.scale, bool) or not isinstance(self.scale, int) or self.scale < 1:
            raise ValueError(f"{self.name}: scale must be a positive integer, got {self.scale!r}")
        if self.bks is not None and not (math.isfinite(self.bks) and self.bks >= 0):
            raise ValueError(f"{self.name}: bks must be a finite cost >= 0, got {self.bks!r}")
        fleet = len(self.problem.vehicles)
        if self.max_vehicles is not None and not 1 <= self.max_vehicles <= fleet:
            raise ValueError(
                f"{self.name}: max_vehicles must be within 1..{fleet}, got {self.max_vehicles}"
            )


@dataclass(frozen=True)
class Solution:
    """A VRPLIB solution file: routes of customer numbers (the depot is 0) and the stated cost."""

    routes: tuple[tuple[int, ...], ...]
    cost: float

    def __post_init__(self) -> None:
        if not self.routes:
            raise ValueError("a solution needs at least one route")
        for number, route in enumerate(self.routes, start=1):
            if not route:
                raise ValueError(f"route #{number} is empty")
        if not (math.isfinite(self.cost) and self.cost >= 0):
            raise ValueError(f"cost must be a finite number >= 0, got {self.cost!r}")


def read_vrplib(path: PathLike) -> Instance:
    """A CVRP or VRPTW instance in VRPLIB format; its BKS from the `.sol` file beside it."""
    path = Path(path)
    try:
        header, sections = _vrplib_parts(path.read_text(encoding="utf-8"))
        name = header.get("NAME", path.stem)
        problem, max_vehicles, scale = _vrplib_problem(header, sections, name)
        solution = path.with_suffix(".sol")
        bks = read_vrplib_solution(solution).cost if solution.is_file() else None
        return Instance(name, problem, bks, scale, max_vehicles)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc


def read_vrplib_solution(path: PathLike) -> Solution:
    """The `Route #k: ...` lines and the `Cost` line of a VRPLIB solution file."""
    path = Path(path)
    routes: list[tuple[int, ...]] = []
    cost: float | None = None
    try:
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            line = raw.strip()
            if line.lower().startswith("route"):
                _, _, customers = line.partition(":")
                what = f"line {number}: customer"
                routes.append(tuple(parse_integer(c, what) for c in customers.split()))
            elif line.lower().startswith("cost"):
                cost = parse_number(line[4:].strip(), f"line {number}: cost")
        if cost is None:
            raise ValueError("no Cost line")
        return Solution(tuple(routes), cost)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc


def solution_tours(instance: Instance, solution: Solution) -> tuple[Tour, ...]:
    """The solution's routes as tours, route k on vehicle k; customers are found by stop id."""
    problem = instance.problem
    if len(solution.routes) > len(problem.vehicles):
        raise ValueError(
            f"{instance.name}: {len(solution.routes)} routes for {len(problem.vehicles)} vehicles"
        )
    index = {stop.id: problem.first_stop + i for i, stop in enumerate(problem.stops)}
    tours = []
    for vehicle, route in enumerate(solution.routes):
        missing = [c for c in route if str(c) not in index]
        if missing:
            raise ValueError(f"{instance.name}: route #{vehicle + 1}: no customer {missing[0]}")
        tours.append(Tour(vehicle, tuple(index[str(c)] for c in route)))
    return tuple(tours)


_HEADER_LINE = re.compile(r"^([A-Z_]+)\s*:\s*(.*)$")


def _vrplib_parts(text: str) -> tuple[dict[str, str], dict[str, list[list[str]]]]:
    """The `KEY : value` lines and the rows of each `..._SECTION`, up to `EOF`."""
    header: dict[str, str] = {}
    sections: dict[str, list[list[str]]] = {}
    rows: list[list[str]] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line == "EOF":
            break
        keyword = line.split()[0]
        if keyword.endswith("_SECTION"):
            if keyword in sections:
                raise ValueError(f"line {number}: {keyword} appears twice")
            rows = sections[keyword] = []
        elif match := _HEADER_LINE.match(line):
            header[match[1]] = match[2].strip()
            rows = None
        elif rows is None:
            raise ValueError(f"line {number}: {line!r} is neither a header line nor in a section")
        else:
            rows.append(line.split())
    return header, sections


def _vrplib_problem(
    header: dict[str, str], sections: dict[str, list[list[str]]], name: str
) -> tuple[Problem, int | None, int]:
    """The problem, the fleet size the instance fixes (if it does) and the scale."""
    kind = _required(header, "TYPE")
    if kind not in ("CVRP", "VRPTW"):
        raise ValueError(f"unknown TYPE {kind!r} (CVRP or VRPTW)")
    weights = _required(header, "EDGE_WEIGHT_TYPE")
    if weights != "EUC_2D":
        raise ValueError(f"unknown EDGE_WEIGHT_TYPE {weights!r} (EUC_2D only)")
    dimension = parse_integer(_required(header, "DIMENSION"), "DIMENSION")
    if dimension < 2:
        raise ValueError(f"DIMENSION must be at least 2, got {dimension}")
    capacity = parse_number(_required(header, "CAPACITY"), "CAPACITY")
    coords = _table(sections, "NODE_COORD_SECTION", dimension, 2)
    demands = [row[0] for row in _table(sections, "DEMAND_SECTION", dimension, 1)]
    depot = _depot(sections, dimension)
    order = [depot, *(node for node in range(dimension) if node != depot)]
    squared = _squared_distances(np.array([coords[node] for node in order], dtype=np.float64))
    if kind == "CVRP":
        scale, times = 1, _untimed(dimension)
        distance = np.floor(np.sqrt(squared) + 0.5).astype(np.int64)
        duration = np.zeros_like(distance)
    else:
        scale, times = DIMACS_SCALE, _dimacs_times(header, sections, dimension, depot)
        distance = np.floor(np.sqrt(DIMACS_SCALE**2 * squared)).astype(np.int64)
        duration = distance.copy()
    stops = tuple(
        Stop(
            str(node),
            coords[node][0],
            coords[node][1],
            demand_l=demands[node],
            service_s=times.service_s[node],
            windows=times.windows[node],
        )
        for node in order[1:]
    )
    given = header.get("VEHICLES")
    fleet = (
        _vrplib_fleet(name, [demands[node] for node in order[1:]], capacity)
        if given is None
        else parse_integer(given, "VEHICLES")
    )
    if fleet < 1:
        raise ValueError(f"VEHICLES must be at least 1, got {fleet}")
    opens_s, closes_s = times.depot_hours
    x, y = coords[depot]
    problem = Problem(
        day_start=DAY_START,
        depots=(Depot(str(depot), x, y, opens_s=opens_s, closes_s=closes_s),),
        vehicles=uniform_fleet(fleet, capacity, opens_s, closes_s, lunch=None),
        stops=stops,
        travel=GivenMatrices(TravelMatrices(distance, duration)),
    )
    return problem, None if given is None else fleet, scale


@dataclass(frozen=True)
class _Times:
    """When the depot is open (the shift) and, by 0-based node, windows and service times."""

    depot_hours: Window
    windows: list[tuple[Window, ...]]
    service_s: list[int]


def _untimed(dimension: int) -> _Times:
    """CVRP: the depot always open, no windows, no service time."""
    return _Times((0, MAX_TIME_S), [()] * dimension, [0] * dimension)


def _dimacs_times(
    header: dict[str, str], sections: dict[str, list[list[str]]], dimension: int, depot: int
) -> _Times:
    """VRPTW: windows and service times in tenths, like the distances."""
    rows = _table(sections, "TIME_WINDOW_SECTION", dimension, 2)
    windows = [_tenths_window(row[0], row[1], f"node {node + 1}") for node, row in enumerate(rows)]
    if "SERVICE_TIME_SECTION" in sections:
        service = [row[0] for row in _table(sections, "SERVICE_TIME_SECTION", dimension, 1)]
    else:
        service = [parse_number(header.get("SERVICE_TIME", "0"), "SERVICE_TIME")] * dimension
    return _Times(
        depot_hours=windows[depot],
        windows=[((start, end + 1),) for start, end in windows],
        service_s=[_tenths(s, f"node {node + 1} service") for node, s in enumerate(service)],
    )


def _tenths_window(start: float, end: float, what: str) -> Window:
    """A window with both ends included, in tenths; room is left for the tenth after it."""
    window = (_tenths(start, what), _tenths(end, what))
    if window[0] > window[1] or window[1] >= MAX_TIME_S:
        raise ValueError(f"{what}: time window {start:g}..{end:g} is empty or ends too late")
    return window


def _tenths(value: float, what: str) -> int:
    ticks = round(value * DIMACS_SCALE)
    if not 0 <= ticks <= MAX_TIME_S:
        raise ValueError(f"{what}: time {value:g} is {ticks} in tenths, outside 0..{MAX_TIME_S}")
    return ticks


def _table(
    sections: dict[str, list[list[str]]], name: str, dimension: int, width: int
) -> list[list[float]]:
    """The section's `width` values of every node, by 0-based node number."""
    rows = sections.get(name)
    if rows is None:
        raise ValueError(f"{name} is missing")
    if len(rows) != dimension:
        raise ValueError(f"{name} has {len(rows)} rows for DIMENSION {dimension}")
    values: list[list[float] | None] = [None] * dimension
    for row in rows:
        if len(row) != width + 1:
            raise ValueError(f"{name}: expected a node and {width} values, got {' '.join(row)!r}")
        node = parse_integer(row[0], f"{name} node")
        if not 1 <= node <= dimension or values[node - 1] is not None:
            raise ValueError(f"{name}: node {node} is repeated or outside 1..{dimension}")
        values[node - 1] = [parse_number(value, f"{name} node {node}") for value in row[1:]]
    return [row for row in values if row is not None]


def _depot(sections: dict[str, list[list[str]]], dimension: int) -> int:
    """The 0-based node number of the only depot."""
    if "DEPOT_SECTION" not in sections:
        raise ValueError("DEPOT_SECTION is missing")
    tokens = [token for row in sections["DEPOT_SECTION"] for token in row]
    nodes = [parse_integer(token, "DEPOT_SECTION") for token in tokens]
    depots = nodes[: nodes.index(-1)] if -1 in nodes else nodes
    if len(depots) != 1:
        raise ValueError(f"DEPOT_SECTION must name one depot, got {len(depots)}")
    if not 1 <= depots[0] <= dimension:
        raise ValueError(f"DEPOT_SECTION: node {depots[0]} is outside 1..{dimension}")
    return depots[0] - 1


def _vrplib_fleet(name: str, demands: Sequence[float], capacity: float) -> int:
    """k plus a fifth (at least 2), at most one per customer (see the module's docstring)."""
    k = math.ceil(sum(demands) / capacity)
    if named := re.search(r"-k(\d+)", name):
        k = max(k, int(named[1]))
    return max(1, min(len(demands), k + max(2, math.ceil(k / 5))))


def _squared_distances(points: NDArray[np.float64]) -> NDArray[np.float64]:
    """Squared straight-line distances between every pair of plane points (exact for integers)."""
    x, y = points[:, 0], points[:, 1]
    squared: NDArray[np.float64] = np.square(x[:, None] - x) + np.square(y[:, None] - y)
    return squared


def _required(header: dict[str, str], key: str) -> str:
    if key not in header:
        raise ValueError(f"{key} is missing")
    return header[key]


def parse_number(text: str, what: str) -> float:
    """A finite number read from a file's field; `what` names it in the error."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{what}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{what}: {text!r} is not a finite number")
    return value


def parse_integer(text: str, what: str) -> int:
    """An integer read from a file's field; `what` names it in the error."""
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{what}: {text!r} is not an integer") from None


def uniform_fleet(
    size: int, capacity: float, start_s: int, end_s: int, lunch: Break | None
) -> tuple[Vehicle, ...]:
    """`size` identical vehicles `v0`, `v1`, ... costing their distance in matrix units."""
    return tuple(
        Vehicle(
            f"v{i}",
            capacity,
            start_s,
            end_s,
            cost_per_km=COST_PER_KM,
            cost_per_hour=0.0,
            lunch=lunch,
        )
        for i in range(size)
    )
