"""MQTT ingestion: decode device payloads, validate, de-duplicate and store them in batches."""

from ingest.decode import Measurement, decode_canonical
from ingest.devicefile import ImportFileError
from ingest.devices import ImportReport, import_devices_csv, import_devices_geojson
from ingest.errors import IngestError, RejectError
from ingest.process import Batch, Message, process
from ingest.registry import Assignment, Device, load_registry
from ingest.rejects import RejectRow, ReplayReport, list_rejects, replay_rejects
from ingest.rejects import summarize as summarize_rejects
from ingest.service import IngestStats, run
from ingest.settings import IngestSettings
from ingest.topics import device_from_topic
from ingest.writer import WriteResult, write_batch

__all__ = [
    "Assignment",
    "Batch",
    "Device",
    "ImportFileError",
    "ImportReport",
    "IngestError",
    "IngestSettings",
    "IngestStats",
    "Measurement",
    "Message",
    "RejectError",
    "RejectRow",
    "ReplayReport",
    "WriteResult",
    "decode_canonical",
    "device_from_topic",
    "import_devices_csv",
    "import_devices_geojson",
    "list_rejects",
    "load_registry",
    "process",
    "replay_rejects",
    "run",
    "summarize_rejects",
    "write_batch",
]
