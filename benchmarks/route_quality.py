"""Route quality: Curbside's engine against best-known costs and the open solvers, side by side.

    .venv/bin/python -m benchmarks.route_quality            # every set, about an hour
    .venv/bin/python -m benchmarks.route_quality --quick    # one small instance per set
    .venv/bin/python -m benchmarks.route_quality --sets x solomon
    .venv/bin/python -m benchmarks.route_quality --sets x --solvers ortools --only X-n101-k25

For each instance, in the same run and at the same wall time: Curbside's engine (`solve`,
backend auto: both cores), its OR-Tools backend alone (tuned), plain OR-Tools (path cheapest
arc then guided local search, OR-Tools' other defaults, one search of the whole instance)
and PyVRP's own `solve` on the instance file, stopped at the same wall time after reading
it as `solve` is given. Each run is a fresh process; the table gives the cost, the gap to the
best-known cost, and for Curbside its peak memory. Kim et al.'s waste instances have no
machine-readable best-known cost and constraints PyVRP lacks: the table gives distance,
vehicles and the checker's verdict.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from benchmarks.instances import write_random_cvrp

REPOSITORY = Path(__file__).resolve().parents[1]
DATA = REPOSITORY.parent / "shared" / "benchmarks"
"""The shared benchmark instances, beside the repository."""
QUICK_DATA = REPOSITORY / "tests" / "data"
"""`--quick` reads the copies of one small instance per set kept for the tests."""
X_SET = ["X-n101-k25", "X-n153-k22", "X-n200-k36", "X-n303-k21", "X-n401-k29",
         "X-n502-k39", "X-n701-k44", "X-n1001-k43"]  # fmt: skip
SOLOMON = ["C101", "C201", "R101", "R201", "RC101", "RC201"]
KIM = ["102_stop", "277_stop", "335_stop", "444_stop", "804_stop", "1051_stop", "1351_stop",
       "1599_stop", "1932_stop", "2100_stop"]  # fmt: skip
SOLVERS = ("ours", "ortools", "plain", "pyvrp")


@dataclass(frozen=True)
class Case:
    kind: str
    """"vrplib" or "kim"."""
    path: Path
    time_s: float
    dimacs: bool = False


@dataclass(frozen=True)
class Outcome:
    cost: float | None
    """In the instance's cost unit; None when no feasible plan was found."""
    vehicles: int
    omitted: int
    seconds: float
    """How long the solver took (for ours: `solve`, from the problem read to the plan checked)."""
    peak_mib: float
    note: str = ""


def cases(sets: Sequence[str], quick: bool, scratch: Path) -> list[Case]:
    """The instances of the chosen sets with their time limits."""
    chosen: list[Case] = []
    if quick:
        quick_cases = {
            "x": Case("vrplib", QUICK_DATA / "X-n101-k25.vrp", 3),
            "solomon": Case("vrplib", QUICK_DATA / "C101.vrp", 3, dimacs=True),
            "kim": Case("kim", QUICK_DATA / "102_stop.txt", 3),
            "random": Case("vrplib", write_random_cvrp(scratch, 200, seed=1), 3),
        }
        return [quick_cases[name] for name in sets if name in quick_cases]
    if "x" in sets:
        chosen += [Case("vrplib", DATA / "cvrp" / f"{n}.vrp", 60) for n in X_SET]
    if "solomon" in sets:
        folder = DATA / "vrptw" / "solomon"
        chosen += [Case("vrplib", folder / f"{n}.vrp", 30, dimacs=True) for n in SOLOMON]
    if "kim" in sets:
        folder = DATA / "waste" / "kim2006"
        chosen += [Case("kim", folder / f"{n}.txt", 30) for n in KIM]
    if "random" in sets:
        chosen += [Case("vrplib", write_random_cvrp(scratch, n, seed=1), 60) for n in (2000, 5000)]
    if "first" in sets:  # the first plan's targets: 2,000 stops within 10 s, 5,000 within 30 s
        chosen += [
            Case("vrplib", write_random_cvrp(scratch, n, seed=1), limit)
            for n, limit in ((2000, 10), (5000, 30))
        ]
    return chosen


def _peak_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def run_one(case: Case, solver: str, seed: int) -> Outcome:
    """One solver on one instance, in this (fresh) process."""
    started = time.perf_counter()
    if solver == "pyvrp":
        return _pyvrp_own(case, seed)
    from optimizer import OrtoolsParams, SolveParams, SolverError, solve
    from optimizer.kim import read_kim
    from optimizer.read import read_vrplib

    instance = read_kim(case.path) if case.kind == "kim" else read_vrplib(case.path)
    params = {
        "ours": SolveParams(),
        "ortools": SolveParams(backend="ortools"),
        "plain": SolveParams(  # one search of the whole day: no sectors, no parts
            backend="ortools",
            ortools=OrtoolsParams(
                first_solution="PATH_CHEAPEST_ARC",
                metaheuristic="GUIDED_LOCAL_SEARCH",
                iterated_local_search=False,
                neighbors=0,
            ),
            first_share=1.0,
        ),
    }[solver]
    try:
        result = solve(instance.problem, case.time_s, seed, params)
    except SolverError as exc:
        return Outcome(None, 0, 0, time.perf_counter() - started, _peak_mib(), str(exc))
    required_missed = sum(1 for o in result.omissions if _required(instance.problem, o.stop_id))
    if required_missed:
        cost = None
    elif case.kind == "kim":
        cost = result.distance_m / 1000  # km
    else:
        cost = result.cost / instance.scale
    routes, omitted = len(result.routes), len(result.omissions)
    return Outcome(cost, routes, omitted, result.runtime_s, _peak_mib(), result.solver)


def _required(problem: object, stop_id: str) -> bool:
    stops = getattr(problem, "stops", ())
    return any(s.id == stop_id and s.required for s in stops)


def _pyvrp_own(case: Case, seed: int) -> Outcome:
    if case.kind != "vrplib":
        return Outcome(None, 0, 0, 0.0, 0.0, "n/a: constraints PyVRP lacks")
    import pyvrp

    data = pyvrp.read(str(case.path), round_func="dimacs" if case.dimacs else "round")
    # The same wall time as `solve`: from the instance read to the plan, PyVRP's own
    # preparation (its neighbour lists) included.
    solving = time.perf_counter()
    deadline = solving + case.time_s
    result = pyvrp.solve(
        data, stop=lambda _: time.perf_counter() >= deadline, seed=seed, display=False
    )
    scale = 10 if case.dimacs else 1
    cost = result.cost() / scale if result.is_feasible() else None
    routes = result.best.num_routes()
    return Outcome(cost, routes, 0, time.perf_counter() - solving, _peak_mib())


def _bks(case: Case) -> float | None:
    if case.kind != "vrplib":
        return None
    solution = case.path.with_suffix(".sol")
    if not solution.exists():
        return None
    for line in solution.read_text().splitlines():
        if line.lower().startswith("cost"):
            return float(line.split()[-1])
    return None


def _gap(cost: float | None, bks: float | None) -> str:
    if cost is None:
        return "     -"
    if bks is None:
        return f"{cost:10,.1f}"
    return f"{cost:10,.1f} {100 * (cost - bks) / bks:+6.2f}%"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one small instance per set, 3 s")
    parser.add_argument(
        "--sets", nargs="+", default=["x", "solomon", "kim", "random", "first"],
        choices=["x", "solomon", "kim", "random", "first"],
    )  # fmt: skip
    parser.add_argument("--solvers", nargs="+", default=list(SOLVERS), choices=SOLVERS)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", nargs="+", metavar="INSTANCE", help="these instances of the sets")
    args = parser.parse_args(argv)
    context = multiprocessing.get_context("spawn")
    gaps: dict[str, list[float]] = {s: [] for s in args.solvers}
    with tempfile.TemporaryDirectory(prefix="curbside-routes-") as scratch:
        chosen = cases(args.sets, args.quick, Path(scratch))
        if args.only:
            chosen = [case for case in chosen if case.path.stem in args.only]
        header = f"{'instance':14} {'s':>3} {'best known':>10}"
        header += "".join(f" {name:>18}" for name in args.solvers)
        print(header + "   vehicles  peak MiB  solve s (ours)", flush=True)
        for case in chosen:
            bks = _bks(case)
            outcomes = {}
            for solver in args.solvers:
                if case.kind == "kim" and solver in ("ortools", "pyvrp"):
                    # PyVRP has no breaks: "ours" is the OR-Tools backend on these.
                    outcomes[solver] = Outcome(None, 0, 0, 0.0, 0.0, "same as ours / n/a")
                    continue
                with ProcessPoolExecutor(1, mp_context=context, max_tasks_per_child=1) as pool:
                    outcomes[solver] = pool.submit(run_one, case, solver, args.seed).result()
                print(f"  {case.path.stem} {solver}: {outcomes[solver]}", file=sys.stderr)
            row = f"{case.path.stem:14} {case.time_s:3.0f} "
            row += f"{bks:10,.0f}" if bks else f"{'-':>10}"
            for solver in args.solvers:
                row += f" {_gap(outcomes[solver].cost, bks):>18}"
                cost = outcomes[solver].cost
                if bks and cost is not None:
                    gaps[solver].append(100 * (cost - bks) / bks)
            ours = outcomes.get("ours")
            if ours is not None:
                row += f"   {ours.vehicles:8d}  {ours.peak_mib:8.0f}  {ours.seconds:14.1f}"
                if ours.omitted:
                    row += f"  ({ours.omitted} left out)"
            print(row, flush=True)
    print("mean gap to best known: " + ", ".join(
        f"{s} {statistics.fmean(g):+.2f}% ({len(g)})" for s, g in gaps.items() if g
    ))  # fmt: skip


if __name__ == "__main__":
    main()
