"""MQTT ingestion: decode device payloads, validate, de-duplicate and store them in batches."""

from ingest.decode import Measurement, decode_canonical
from ingest.errors import IngestError, RejectError
from ingest.process import Batch, Message, process
from ingest.registry import Device, load_registry
from ingest.service import IngestStats, run
from ingest.settings import IngestSettings
from ingest.topics import device_from_topic
from ingest.writer import WriteResult, write_batch

__all__ = [
    "Batch",
    "Device",
    "IngestError",
    "IngestSettings",
    "IngestStats",
    "Measurement",
    "Message",
    "RejectError",
    "WriteResult",
    "decode_canonical",
    "device_from_topic",
    "load_registry",
    "process",
    "run",
    "write_batch",
]
