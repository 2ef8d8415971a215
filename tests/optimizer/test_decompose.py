"""Tests of cutting a day into sectors: every stop in one sector, the fleet shared by work."""

import math
from collections.abc import Callable

from optimizer import Problem, Stop, Vehicle
from optimizer.decompose import sweep_sectors

StopAt = Callable[..., Stop]
Truck = Callable[..., Vehicle]
MakeProblem = Callable[..., Problem]


def _ring(stop_at: StopAt, count: int, service_s: Callable[[int], int]) -> list[Stop]:
    return [
        stop_at(
            f"s{i}",
            5 * math.cos(2 * math.pi * i / count),
            5 * math.sin(2 * math.pi * i / count),
            service_s=service_s(i),
        )
        for i in range(count)
    ]


def test_every_stop_is_in_one_sector_and_the_sectors_fill_the_workers(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem
) -> None:
    """30 stops by sectors of 10 make 3, rounded up to 4 for two workers; each sector holds
    a run of neighbouring stops, and all of them together hold each stop once."""
    problem = make_problem(_ring(stop_at, 30, lambda i: 60), [truck(f"t{k}") for k in range(8)])
    sectors = sweep_sectors(problem, problem.matrices(), 10, workers=2)
    assert len(sectors) == 4
    ids = sorted(stop.id for sector in sectors for stop in sector.problem.stops)
    assert ids == sorted(stop.id for stop in problem.stops)
    assert sorted(v for sector in sectors for v in sector.vehicles) == list(range(8))
    assert len(sweep_sectors(problem, problem.matrices(), 10)) == 3  # one worker


def test_a_sector_with_more_service_gets_more_vehicles(
    stop_at: StopAt, truck: Truck, make_problem: MakeProblem
) -> None:
    """Equal volumes, but half the ring takes ten times as long to serve: its sector gets
    most of the fleet."""
    slow_half = _ring(stop_at, 20, lambda i: 600 if i < 10 else 60)
    problem = make_problem(slow_half, [truck(f"t{k}") for k in range(10)])
    sectors = sweep_sectors(problem, problem.matrices(), 10, workers=2)
    assert len(sectors) == 2
    fleet = {
        sum(stop.service_s for stop in sector.problem.stops): len(sector.vehicles)
        for sector in sectors
    }
    assert fleet[6000] > fleet[600]
