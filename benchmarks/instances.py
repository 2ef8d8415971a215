"""Random uniform routing instances, written as VRPLIB files so every solver reads the same data.

Customers are spread uniformly over a 1,000 x 1,000 square with the depot in the middle;
demands are drawn from 1 to 9 and a vehicle carries 100, so a route serves about 20 of them
and the fleet is never the limit. Seeded: the same size and seed give the same file.
"""

from __future__ import annotations

import random
from pathlib import Path

SIDE = 1000
CAPACITY = 100


def random_cvrp_text(customers: int, seed: int) -> str:
    """A VRPLIB CVRP instance of `customers` random customers."""
    if customers < 1:
        raise ValueError(f"customers must be at least 1, got {customers}")
    rng = random.Random(seed)
    points = [(SIDE // 2, SIDE // 2)]
    points += [(rng.randint(0, SIDE), rng.randint(0, SIDE)) for _ in range(customers)]
    demands = [0] + [rng.randint(1, 9) for _ in range(customers)]
    lines = [
        f"NAME : uniform-n{customers}-s{seed}",
        "TYPE : CVRP",
        f"DIMENSION : {customers + 1}",
        "EDGE_WEIGHT_TYPE : EUC_2D",
        f"CAPACITY : {CAPACITY}",
        "NODE_COORD_SECTION",
        *(f"{i} {x} {y}" for i, (x, y) in enumerate(points, start=1)),
        "DEMAND_SECTION",
        *(f"{i} {d}" for i, d in enumerate(demands, start=1)),
        "DEPOT_SECTION",
        "1",
        "-1",
        "EOF",
    ]
    return "\n".join(lines) + "\n"


def write_random_cvrp(folder: Path, customers: int, seed: int) -> Path:
    """Write the instance into `folder` and return its path."""
    path = folder / f"uniform-n{customers}-s{seed}.vrp"
    path.write_text(random_cvrp_text(customers, seed))
    return path
