"""Simulators: a synthetic city and its sensors publishing over MQTT.

`generate_city` builds a seeded, reproducible `City`; `import_city` registers it in the
database. `feed` gives its sensors' uplinks over a window, each device in its own format
(canonical JSON, The Things Stack v3, ChirpStack v4) with the `FaultRates` asked for;
`publish_city`, `publish_history` and `play_city` publish them, as fast as the broker takes
them or paced by simulated time.

`loadtest` (or `run_load`) publishes a load as `LoadOptions` say and returns a `LoadReport`
of the achieved rate, the latency to storage and the loss per device.

`Twin` executes a day's plans against the city (and is a `LevelSource`); `score_policies`
runs the city for days under each collection `Policy` (`FixedRound`, `Threshold`,
`CurbsidePolicy`) and `score_table` prints them side by side.
"""

from simulators.calendar import belgian_holidays, easter_sunday
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
from simulators.clock import Pacer, timed_window
from simulators.containers import WASTE_STREAMS
from simulators.devices import FormatMix, assign_uplinks
from simulators.errors import PublishError, SimulatorError
from simulators.faults import FaultRates
from simulators.feed import Delivery, feed
from simulators.fill import FillModel, LevelSource
from simulators.fleet import KIND_OF_STREAM, VEHICLE_KINDS, VehicleKind
from simulators.levels import FilledLevels, LinearLevels
from simulators.load import LoadOptions, loadtest, run_load
from simulators.load_mqtt import LeanPublisher
from simulators.load_report import DeviceLoss, LoadReport
from simulators.playback import play_city
from simulators.policies import (
    CurbsideParams,
    CurbsidePolicy,
    DayView,
    FixedRound,
    Policy,
    Selection,
    Threshold,
    policy_named,
)
from simulators.publisher import PlayReport, Publisher, play, publish_city, publish_history
from simulators.radio import Network
from simulators.registry import import_city
from simulators.score import RunScore, ScoreParams, score_policies, score_table
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
from simulators.twin import Twin
from simulators.uplinks import Message, encode

__all__ = [
    "GHENT",
    "KIND_OF_STREAM",
    "VEHICLE_KINDS",
    "WASTE_STREAMS",
    "City",
    "CurbsideParams",
    "CurbsidePolicy",
    "DayView",
    "Delivery",
    "DeviceLoss",
    "FaultRates",
    "FillModel",
    "FilledLevels",
    "FixedRound",
    "FormatMix",
    "LeanPublisher",
    "LevelSource",
    "LinearLevels",
    "LoadOptions",
    "LoadReport",
    "Message",
    "Network",
    "Pacer",
    "PlayReport",
    "Policy",
    "PublishError",
    "Publisher",
    "Reading",
    "RunScore",
    "ScoreParams",
    "Selection",
    "SimBin",
    "SimDepot",
    "SimDevice",
    "SimFacility",
    "SimVehicle",
    "SimulatorError",
    "SimulatorSettings",
    "Threshold",
    "Twin",
    "VehicleKind",
    "assign_uplinks",
    "belgian_holidays",
    "easter_sunday",
    "encode",
    "feed",
    "fill_at",
    "generate_city",
    "history",
    "history_count",
    "import_city",
    "loadtest",
    "measure",
    "play",
    "play_city",
    "policy_named",
    "publish_city",
    "publish_history",
    "reading_payload",
    "report_times",
    "run_load",
    "score_policies",
    "score_table",
    "timed_window",
]
