"""Large days split by territory: sectors around the depot, solved in parallel, then joined.

A day of thousands of stops is more than one search handles well in a minute (and its
matrices grow with the square of the stops). The stops are swept by their bearing from the
first depot into sectors of about `sector_size`; each sector gets a share of the fleet in
proportion to its work (volume or service time) and is searched in its own process, by
whichever backend the caller passes, with the sector's rows and columns of the travel
matrices (`cut_out`). The sectors' tours are joined into one plan (renumbered to the whole
problem); after OR-Tools' sectors, `improve` improves it part by part, across the sectors'
boundaries.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace

import numpy as np

from optimizer.geo import TravelMatrices
from optimizer.problem import GivenMatrices, Problem
from optimizer.tour import Tour


@dataclass(frozen=True)
class Sector:
    """A part of the problem: its own problem, and where its sites and vehicles come from."""

    problem: Problem
    sites: tuple[int, ...]
    """For each site of the sector's problem, its matrix index in the whole problem."""
    vehicles: tuple[int, ...]
    """For each vehicle of the sector's problem, its index in the whole problem."""

    def to_whole(self, tour: Tour) -> Tour:
        """A tour of the sector's problem as a tour of the whole problem."""
        sites = tuple(self.sites[s] for s in tour.sites)
        return Tour(self.vehicles[tour.vehicle], sites, tour.break_after, tour.depart_s)

    def to_part(self, tour: Tour) -> Tour:
        """A tour of the whole problem, by one of the sector's vehicles through its sites,
        as a tour of the sector's problem."""
        site = {whole: part for part, whole in enumerate(self.sites)}
        vehicle = self.vehicles.index(tour.vehicle)
        return Tour(vehicle, tuple(site[s] for s in tour.sites), tour.break_after, tour.depart_s)


def sweep_sectors(
    problem: Problem, matrices: TravelMatrices, sector_size: int, workers: int = 1
) -> list[Sector]:
    """The problem cut into sectors of at most about `sector_size` stops by bearing from the
    depot; as many as keep `workers` processes busy to the end (a multiple of them)."""
    if sector_size < 1:
        raise ValueError(f"sector_size must be at least 1, got {sector_size}")
    count = math.ceil(len(problem.stops) / sector_size)
    if count > 1:
        count = math.ceil(count / workers) * workers
    count = min(count, len(problem.vehicles))
    if count <= 1:
        return [
            Sector(problem, tuple(range(len(problem.sites))), tuple(range(len(problem.vehicles))))
        ]
    depot = problem.depots[0]
    bearings = [math.atan2(s.lon - depot.lon, s.lat - depot.lat) for s in problem.stops]
    order = sorted(range(len(problem.stops)), key=lambda i: bearings[i])
    # Start the sweep at the widest gap between bearings, so no sector straddles it.
    gaps = [
        (bearings[order[(k + 1) % len(order)]] - bearings[order[k]]) % (2 * math.pi)
        for k in range(len(order))
    ]
    start = (gaps.index(max(gaps)) + 1) % len(order)
    order = order[start:] + order[:start]
    chunks = [order[k * len(order) // count : (k + 1) * len(order) // count] for k in range(count)]
    fleet = _share_fleet(problem, chunks)
    return [
        cut_out(problem, matrices, chunk, vehicles)
        for chunk, vehicles in zip(chunks, fleet, strict=True)
    ]


def cut_out(
    problem: Problem, matrices: TravelMatrices, stops: Sequence[int], vehicles: Sequence[int]
) -> Sector:
    """The part of the problem with these stops and vehicles (indices into the problem's
    `stops` and `vehicles`), every depot and facility, and the matrices' rows and columns."""
    chosen = sorted(stops)
    sites = tuple(range(problem.first_stop)) + tuple(problem.first_stop + i for i in chosen)
    index = np.array(sites)
    sub = TravelMatrices(
        matrices.distance_m[np.ix_(index, index)], matrices.duration_s[np.ix_(index, index)]
    )
    part = replace(
        problem,
        vehicles=tuple(problem.vehicles[v] for v in vehicles),
        stops=tuple(problem.stops[i] for i in chosen),
        travel=GivenMatrices(sub),
    )
    return Sector(part, sites, tuple(vehicles))


def _share_fleet(problem: Problem, chunks: Sequence[Sequence[int]]) -> list[list[int]]:
    """Vehicles dealt to the sectors in proportion to their work, at least one each: the
    larger of a sector's share of the volume and its share of the service time."""
    stops = problem.stops
    volumes = [sum(stops[i].demand_l for i in chunk) for chunk in chunks]
    services = [sum(stops[i].service_s for i in chunk) for chunk in chunks]
    all_volume, all_service = sum(volumes) or 1, sum(services) or 1
    work = [
        max(v / all_volume, s / all_service) or 1.0 for v, s in zip(volumes, services, strict=True)
    ]
    total, fleet = sum(work), len(problem.vehicles)
    wanted = [max(1, round(fleet * w / total)) for w in work]
    while sum(wanted) > fleet:
        wanted[wanted.index(max(wanted))] -= 1
    while sum(wanted) < fleet:
        shares = [w / n for w, n in zip(work, wanted, strict=True)]
        wanted[shares.index(max(shares))] += 1
    vehicles = list(range(fleet))
    dealt, at = [], 0
    for n in wanted:
        dealt.append(vehicles[at : at + n])
        at += n
    return dealt


SectorSearch = Callable[[Problem, TravelMatrices, float], list[Tour]]
"""A backend's search of a sector: (its problem, its matrices, a deadline on
`time.perf_counter`'s clock, which every process shares) to its tours; a module-level
function (or a `functools.partial` of one), so it can be sent to another process."""


def _solve_sector(sector: Sector, deadline: float, search: SectorSearch) -> list[Tour]:
    return [sector.to_whole(t) for t in search(sector.problem, sector.problem.matrices(), deadline)]


def solve_by_sectors(
    problem: Problem,
    matrices: TravelMatrices,
    limit_s: float,
    search: SectorSearch,
    sector_size: int,
    pool: Executor,
    workers: int = 2,
) -> list[Tour]:
    """Tours of the whole problem from its sectors, searched by `pool`'s `workers` processes
    in waves; a sector's deadline is the end of its wave, so starting the processes counts."""
    started = time.perf_counter()
    sectors = sweep_sectors(problem, matrices, sector_size, workers)
    waves = math.ceil(len(sectors) / workers)
    wave_s = max(1.0, (limit_s - (time.perf_counter() - started)) / waves)
    futures = [
        pool.submit(_solve_sector, sector, started + (k // workers + 1) * wave_s, search)
        for k, sector in enumerate(sectors)
    ]
    return [tour for future in futures for tour in future.result()]
