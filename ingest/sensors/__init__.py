"""Level sensors: their uplink bytes, or the network server's decoded object, into values."""

from ingest.sensors.decoded import values_from_decoded
from ingest.sensors.frames import MODELS, decode_frame, model_key
from ingest.sensors.values import SensorValues

__all__ = ["MODELS", "SensorValues", "decode_frame", "model_key", "values_from_decoded"]
