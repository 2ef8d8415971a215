"""`curbside simulate publish`: a saved city's sensors played onto the broker the settings name.

History mode (no speed) publishes the `history_hours` before now as fast as the broker takes
them; with a speed the same span is played paced (`clock.timed_window`: it ends when the run
does). The bins fill from the fill model (`levels.FilledLevels`), each device reports on its
own interval, or on a common grid when `CURBSIDE_STEP_HOURS` is set, in its own format, with
the faults asked for.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from simulators.city import City
from simulators.clock import Pacer, timed_window
from simulators.faults import FaultRates
from simulators.feed import expected_readings, feed
from simulators.fill import FillModel
from simulators.levels import FilledLevels
from simulators.publisher import PlayReport, Progress, play
from simulators.radio import Network
from simulators.sensors import report_times
from simulators.settings import SimulatorSettings


def play_city(
    city: City,
    settings: SimulatorSettings,
    *,
    faults: FaultRates | None = None,
    speed: float | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> PlayReport:
    """Publish the city's sensors as the settings say; return what was sent."""
    moment = now or datetime.now(UTC)
    hours = float(settings.history_hours)
    if speed is None:
        end = moment.replace(second=0, microsecond=0)
        start = end - timedelta(hours=hours)
    else:
        start, end = timed_window(hours, speed, moment)
    grid = None
    if "step_hours" in settings.model_fields_set:
        grid = report_times(end, hours, settings.step_hours)
    deliveries = feed(
        city,
        start,
        end,
        settings.seed,
        levels=FilledLevels(city, FillModel(city, settings.seed), start),
        faults=faults,
        network=Network.for_city(city.seed, len(city.devices)),
        prefix=settings.topic_prefix,
        grid=grid,
    )
    pacer = None if speed is None else Pacer(speed, start)
    total = expected_readings(city, start, end, grid)
    return play(deliveries, settings.broker, pacer, progress, total)
