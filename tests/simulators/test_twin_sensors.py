"""The twin's emptyings through the sensors to the ingest: the sensors report the drop.

A simulated city runs a day under a plan that empties one bin; its devices then publish that
day, in their real formats, with the twin as their level source, to the real broker; the
real ingest stores the readings and, seeing the fill drop, records the emptying as a
collection of that bin, in the reporting interval after the truck came.
"""

from datetime import UTC, datetime, timedelta

import numpy as np
import psycopg

from curbside import BrokerAddress
from optimizer import OrtoolsParams, SolveParams, solve
from simulators import FillModel, generate_city, import_city, publish_city
from simulators.dispatch import DispatchParams, day_problem
from simulators.policies import DayView, Selection
from simulators.twin import Twin, midnight
from tests.simulators.test_publisher import ingest_worker, stored

FAST = SolveParams(backend="ortools", ortools=OrtoolsParams(solution_limit=100))


def test_an_emptying_by_the_twin_reaches_the_ingest_as_a_collection(
    db: psycopg.Connection, database_url: str, mqtt_url: str, broker: BrokerAddress,
    topic_prefix: str,
) -> None:  # fmt: skip
    city = generate_city(bins=12, seed=4)
    import_city(db, city)
    day = (datetime.now(UTC) - timedelta(days=2)).date()
    levels = np.full(len(city.bins), 20.0)
    levels[0] = 85.0
    twin = Twin(city, FillModel(city, 4), day, levels_pct=levels)
    view = DayView(day, city, levels, np.zeros(len(city.bins)), day + timedelta(days=1), 14 * 3600)
    problem = day_problem(city, view, Selection((0,)), DispatchParams())
    outcome = twin.run_day(problem, solve(problem, 5, 0, FAST))
    (emptying,) = [e for truck in outcome.trucks for e in truck.emptyings]
    assert emptying.bin_index == 0
    emptied_at = midnight(day) + timedelta(seconds=emptying.at_s)

    with ingest_worker(database_url, mqtt_url, topic_prefix):
        report = publish_city(
            city, broker, topic_prefix, midnight(day), midnight(day) + timedelta(days=1), 4,
            levels=twin,
        )  # fmt: skip
        assert stored(db, report.distinct) == report.distinct
    collections = db.execute(
        "SELECT collected_at FROM collections WHERE bin_id = %s AND source = 'sensor'",
        (city.bins[0].id,),
    ).fetchall()
    device = next(d for d in city.devices if d.bin_id == city.bins[0].id)
    interval = timedelta(seconds=device.report_interval_s)
    assert [at for (at,) in collections if emptied_at <= at <= emptied_at + interval]
