"""Tests of the benchmark readers on copies of small public instances in tests/data.

X-n101-k25 (CVRPLIB X set, nint Euclidean), C101 (Solomon, DIMACS truncation) with their
best-known solutions, and 102_stop.txt of Kim, Kim & Sahoo (2006), kept with its CRLF lines.
"""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from optimizer import Break, Facility, Problem, Stop
from optimizer.check import check
from optimizer.kim import read_kim
from optimizer.read import (
    COST_PER_KM,
    DAY_START,
    Instance,
    Solution,
    read_vrplib,
    read_vrplib_solution,
    solution_tours,
)
from optimizer.result import Result
from optimizer.schedule import Scheduler

DATA = Path(__file__).resolve().parents[1] / "data"
X_N101 = DATA / "X-n101-k25.vrp"
C101 = DATA / "C101.vrp"
KIM_102 = DATA / "102_stop.txt"

Edit = Callable[[str], str]


@pytest.fixture
def x_n101() -> Instance:
    """The CVRP instance X-n101-k25: 100 customers, capacity 206, BKS 27591 on 26 routes."""
    return read_vrplib(X_N101)


@pytest.fixture
def c101() -> Instance:
    """The VRPTW instance C101: 100 customers, 10 vehicles of 200, BKS 827.3."""
    return read_vrplib(C101)


@pytest.fixture
def kim_102() -> Instance:
    """Kim et al.'s 102_stop: a depot, 2 landfills and 99 stops."""
    return read_kim(KIM_102)


@pytest.fixture
def edited(tmp_path: Path) -> Callable[[Path, Edit], Path]:
    """`edited(path, edit)`: a copy of the data file, its text changed by `edit`."""

    def write(source: Path, edit: Edit) -> Path:
        target = tmp_path / source.name
        target.write_bytes(edit(source.read_bytes().decode()).encode())
        return target

    return write


def replace(old: str, new: str) -> Edit:
    """An edit replacing the first occurrence of `old`, which must be there."""

    def edit(text: str) -> str:
        assert old in text
        return text.replace(old, new, 1)

    return edit


def without_section(name: str) -> Edit:
    """An edit dropping a VRPLIB section, its rows included."""

    def edit(text: str) -> str:
        lines = text.splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith(name))
        end = next(
            i for i in range(start + 1, len(lines)) if "SECTION" in lines[i] or "EOF" in lines[i]
        )
        return "\n".join(lines[:start] + lines[end:]) + "\n"

    return edit


def bks_result(instance: Instance) -> Result:
    """The instance's best-known solution (the .sol beside it) as a scheduled plan."""
    scheduler = Scheduler(instance.problem, instance.problem.matrices())
    solution = read_vrplib_solution(DATA / f"{instance.name}.sol")
    routes = tuple(scheduler.route(tour) for tour in solution_tours(instance, solution))
    return Result(routes, (), "bks", "file", 0, cost=sum(route.cost for route in routes))


def test_cvrp_counts_capacity_and_depot(x_n101: Instance) -> None:
    """A CVRP reads as one depot, every customer a stop, vehicles of the file's capacity."""
    problem = x_n101.problem
    assert (x_n101.name, x_n101.bks, x_n101.scale, x_n101.max_vehicles) == (
        "X-n101-k25",
        27591.0,
        1,
        None,
    )
    assert problem.day_start == DAY_START
    assert len(problem.depots) == 1
    assert not problem.facilities
    assert (problem.depots[0].id, problem.depots[0].point) == ("0", (365.0, 689.0))
    assert [stop.id for stop in problem.stops] == [str(n) for n in range(1, 101)]
    assert problem.stops[0] == Stop("1", 146.0, 180.0, demand_l=38.0)
    assert {v.capacity_l for v in problem.vehicles} == {206.0}
    assert {(v.shift_start_s, v.shift_end_s) for v in problem.vehicles} == {(0, 172_800)}
    assert {(v.cost_per_km, v.cost_per_hour) for v in problem.vehicles} == {(COST_PER_KM, 0.0)}


def test_cvrp_fleet_exceeds_the_named_k(x_n101: Instance) -> None:
    """The fleet is k = 25 plus a fifth, room for the 26 routes of the best-known solution."""
    assert len(x_n101.problem.vehicles) == 30


def test_cvrp_distances_are_nint_and_durations_zero(x_n101: Instance) -> None:
    """Depot (365, 689) to customer 1 (146, 180) is sqrt(307042) = 554.11, so 554; no time."""
    matrices = x_n101.problem.matrices()
    assert matrices.distance_m[0, 1] == matrices.distance_m[1, 0] == 554
    assert not matrices.duration_s.any()


def test_cvrp_bks_recomputes_to_its_cost(x_n101: Instance) -> None:
    """The best-known routes cost exactly 27591 on the matrices and break no rule."""
    result = bks_result(x_n101)
    assert check(x_n101.problem, result) == []
    assert len(result.routes) == 26
    assert result.distance_m == 27591
    assert result.cost / x_n101.scale == x_n101.bks


def test_vrptw_counts_fleet_windows_and_service(c101: Instance) -> None:
    """A VRPTW fixes its fleet; windows and service times are in tenths, ends included."""
    problem = c101.problem
    assert (c101.bks, c101.scale, c101.max_vehicles, len(problem.vehicles)) == (827.3, 10, 10, 10)
    assert len(problem.stops) == 100
    assert (problem.depots[0].opens_s, problem.depots[0].closes_s) == (0, 12_360)
    assert {(v.shift_start_s, v.shift_end_s, v.capacity_l) for v in problem.vehicles} == {
        (0, 12_360, 200.0)
    }
    first = problem.stops[0]
    assert (first.demand_l, first.service_s, first.windows) == (10.0, 900, ((9120, 9671),))


def test_vrptw_distances_are_truncated_tenths(c101: Instance) -> None:
    """Depot (40, 50) to customer 1 (45, 68) is sqrt(349) = 18.68, so 18.6: 186 tenths."""
    matrices = c101.problem.matrices()
    assert matrices.distance_m[0, 1] == 186
    assert np.array_equal(matrices.duration_s, matrices.distance_m)


def test_vrptw_bks_recomputes_to_its_cost(c101: Instance) -> None:
    """The best-known routes cost 8273 tenths, 827.3, and keep every window and capacity."""
    result = bks_result(c101)
    assert check(c101.problem, result) == []
    assert result.distance_m == 8273
    assert result.cost / c101.scale == pytest.approx(c101.bks, abs=1e-9)


def test_read_solution() -> None:
    """A solution file gives its routes by customer number and its stated cost."""
    solution = read_vrplib_solution(DATA / "X-n101-k25.sol")
    assert len(solution.routes) == 26
    assert solution.routes[0] == (31, 46, 35)
    assert solution.cost == 27591


def test_read_vrplib_without_solution_has_no_bks(
    edited: Callable[[Path, Edit], Path],
) -> None:
    """Without a .sol file beside the instance, the best-known cost is unknown."""
    instance = read_vrplib(edited(X_N101, lambda text: text))
    assert instance.bks is None


@pytest.mark.parametrize(
    ("source", "edit", "message"),
    [
        (X_N101, without_section("DEMAND_SECTION"), "DEMAND_SECTION is missing"),
        (X_N101, without_section("DEPOT_SECTION"), "DEPOT_SECTION is missing"),
        (X_N101, without_section("NODE_COORD_SECTION"), "NODE_COORD_SECTION is missing"),
        (X_N101, replace("DIMENSION : \t101", "DIMENSION : 100"), "101 rows for DIMENSION 100"),
        (X_N101, replace("EUC_2D", "GEO"), "unknown EDGE_WEIGHT_TYPE 'GEO'"),
        (X_N101, replace("TYPE : \tCVRP", "TYPE : TSP"), "unknown TYPE 'TSP'"),
        (X_N101, replace("CAPACITY : \t206", ""), "CAPACITY is missing"),
        (X_N101, replace("1\t365\t689", "1\t365\tx"), "'x' is not a number"),
        (X_N101, replace("1\t365\t689", "1\t365\tnan"), "'nan' is not a finite number"),
        (X_N101, replace("2\t146\t180", "1\t146\t180"), "node 1 is repeated"),
        (X_N101, replace("\t1\t\r\n\t-1", "\t1 2\r\n\t-1"), "must name one depot, got 2"),
        (X_N101, replace("DIMENSION", "DIMENSION : 101\nbogus"), "neither a header line"),
        (C101, without_section("TIME_WINDOW_SECTION"), "TIME_WINDOW_SECTION is missing"),
        (C101, replace("1 0 1236", "1 0 20000"), "outside 0..172800"),
        (C101, replace("2 912 967", "2 967 912"), "time window 967..912 is empty"),
        (C101, replace("VEHICLES : 10", "VEHICLES : 0"), "VEHICLES must be at least 1"),
    ],
)
def test_read_vrplib_rejects_bad_files(
    edited: Callable[[Path, Edit], Path], source: Path, edit: Edit, message: str
) -> None:
    """A malformed instance raises ValueError naming the file and what is wrong."""
    path = edited(source, edit)
    with pytest.raises(ValueError, match=message) as caught:
        read_vrplib(path)
    assert str(caught.value).startswith(str(path))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Route #1: 1 2\n", "no Cost line"),
        ("Route #1: 1 x\nCost 5\n", "'x' is not an integer"),
        ("Cost 5\n", "at least one route"),
        ("Route #1:\nCost 5\n", "route #1 is empty"),
        ("Route #1: 1\nCost -5\n", "finite number >= 0"),
    ],
)
def test_read_solution_rejects_bad_files(tmp_path: Path, text: str, message: str) -> None:
    """A malformed solution file raises ValueError."""
    path = tmp_path / "bad.sol"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        read_vrplib_solution(path)


@pytest.mark.parametrize(
    ("routes", "message"),
    [
        (((1, 2), (101,)), "route #2: no customer 101"),
        (((0, 1),), "route #1: no customer 0"),
        (tuple((n,) for n in range(1, 32)), "31 routes for 30 vehicles"),
    ],
)
def test_solution_tours_rejects_what_the_instance_lacks(
    x_n101: Instance, routes: tuple[tuple[int, ...], ...], message: str
) -> None:
    """Unknown customers, the depot among them, and routes beyond the fleet are refused."""
    with pytest.raises(ValueError, match=message):
        solution_tours(x_n101, Solution(routes, 0.0))


def test_kim_counts_depot_and_fleet(kim_102: Instance) -> None:
    """102_stop: one depot open 04:00-15:00, 2 landfills, 99 stops, no known best cost."""
    problem = kim_102.problem
    assert (kim_102.name, kim_102.bks, kim_102.scale, kim_102.max_vehicles) == (
        "102_stop",
        None,
        1,
        None,
    )
    assert (len(problem.depots), len(problem.facilities), len(problem.stops)) == (1, 2, 99)
    depot = problem.depots[0]
    assert (depot.id, depot.opens_s, depot.closes_s) == ("0", 4 * 3600, 15 * 3600)
    # Bounds: 897 yd3 over 400 a day gives 3; twice that plus 2.
    assert len(problem.vehicles) == 8
    vehicle = problem.vehicles[0]
    assert (vehicle.capacity_l, vehicle.shift_start_s, vehicle.shift_end_s) == (280.0, 14400, 54000)


def test_kim_lunch_starts_between_11_and_12(kim_102: Instance) -> None:
    """Every vehicle lunches for the header's 3600 s, starting from 11:00 to 12:00."""
    lunches = {vehicle.lunch for vehicle in kim_102.problem.vehicles}
    assert lunches == {Break(earliest_s=11 * 3600, latest_s=12 * 3600, duration_s=3600)}


def test_kim_sites(kim_102: Instance) -> None:
    """A landfill is open until its latest start plus unloading; a stop keeps its window."""
    assert kim_102.problem.facilities[0] == Facility(
        "1", 1229125.0, 3460107.0, opens_s=0, closes_s=86_400 + 1600, unload_s=1600
    )
    assert kim_102.problem.stops[0] == Stop(
        "3", 1208344.0, 3469904.0, demand_l=12.0, service_s=180, windows=((7 * 3600, 86_401),)
    )


def test_kim_manhattan_distance_by_hand(kim_102: Instance) -> None:
    """Depot to landfill 1: 14096 + 1291 = 15387 ft = 4689.96 m; 2.914 mi at 40 mph, 262.3 s."""
    matrices = kim_102.problem.matrices()
    assert matrices.distance_m[0, 1] == matrices.distance_m[1, 0] == 4690
    assert matrices.duration_s[0, 1] == 262


def test_kim_reads_minutes_past_59_as_hundredths_of_an_hour(
    edited: Callable[[Path, Edit], Path],
) -> None:
    """A latest start of 1675, as 2100_stop has, is 16.75 h: 16:45."""
    instance = read_kim(edited(KIM_102, replace("0700 2400 180", "0700 1675 180")))
    assert instance.problem.stops[0].windows == ((7 * 3600, 16 * 3600 + 45 * 60 + 1),)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (replace("0700 2400 180", "0700 2400"), "line 10: expected 8 fields, got 7"),
        (replace("12.00 1\r", "12.00 3\r"), "line 10: unknown type 3"),
        (replace("9999.00 2\r", "9999.00 0\r"), "expected one depot"),
        (lambda text: text.replace("9999.00 2\r", "9999.00 1\r"), "no landfill"),
        (replace("0700 2400 180", "0700 2500 180"), "'2500' is not a time HHMM"),
        (replace("0700 2400 180", "1200 0700 180"), "earliest start 1200 after latest 0700"),
        (replace("Stop_ID", "Stop"), "expected the column line"),
        (replace("280.0", "zero"), "header line 1: 'zero' is not a number"),
        (replace("40\t", "0\t"), "speed must be > 0"),
        (lambda text: "\r\n".join(text.splitlines()[:4]), "expected 5 header lines"),
    ],
)
def test_read_kim_rejects_bad_files(
    edited: Callable[[Path, Edit], Path], edit: Edit, message: str
) -> None:
    """A malformed Kim instance raises ValueError naming the file and what is wrong."""
    path = edited(KIM_102, edit)
    with pytest.raises(ValueError, match=message) as caught:
        read_kim(path)
    assert str(caught.value).startswith(str(path))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": " "}, "needs a name"),
        ({"scale": 0}, "scale must be a positive integer"),
        ({"scale": 2.5}, "scale must be a positive integer"),
        ({"bks": -1.0}, "bks must be a finite cost"),
        ({"bks": float("inf")}, "bks must be a finite cost"),
        ({"max_vehicles": 31}, r"max_vehicles must be within 1\.\.30"),
    ],
)
def test_instance_rejects_bad_values(
    x_n101: Instance, changes: dict[str, object], message: str
) -> None:
    """An instance's scale, best-known cost and fleet size are checked."""
    fields: dict[str, object] = {
        "name": x_n101.name,
        "problem": x_n101.problem,
        "bks": x_n101.bks,
        "scale": x_n101.scale,
        "max_vehicles": None,
    }
    with pytest.raises(ValueError, match=message):
        Instance(**(fields | changes))  # type: ignore[arg-type]


def test_instance_problem_is_a_problem(x_n101: Instance, c101: Instance, kim_102: Instance) -> None:
    """Every reader gives a validated Problem whose matrices match its sites."""
    for instance in (x_n101, c101, kim_102):
        assert isinstance(instance.problem, Problem)
        assert instance.problem.matrices().size == len(instance.problem.sites)
