"""Simulators: a synthetic city and its sensors publishing over MQTT.

`generate_city` builds a seeded, reproducible `City`; `import_city` registers it in the
database; `publish_history` plays its sensors' readings onto the broker in the canonical
format.
"""

from simulators.city import (
    GHENT,
    City,
    SimBin,
    SimDepot,
    SimDevice,
    SimFacility,
    SimVehicle,
    generate_city,
)
from simulators.containers import WASTE_STREAMS
from simulators.errors import PublishError, SimulatorError
from simulators.publisher import Publisher, publish_history
from simulators.registry import import_city
from simulators.sensors import (
    Reading,
    fill_at,
    history,
    history_count,
    measure,
    reading_payload,
    report_times,
)
from simulators.settings import SimulatorSettings

__all__ = [
    "GHENT",
    "WASTE_STREAMS",
    "City",
    "PublishError",
    "Publisher",
    "Reading",
    "SimBin",
    "SimDepot",
    "SimDevice",
    "SimFacility",
    "SimVehicle",
    "SimulatorError",
    "SimulatorSettings",
    "fill_at",
    "generate_city",
    "history",
    "history_count",
    "import_city",
    "measure",
    "publish_history",
    "reading_payload",
    "report_times",
]
