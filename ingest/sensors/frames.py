"""Raw uplink bytes of a level sensor into values, by the device's sensor model."""

from __future__ import annotations

from collections.abc import Callable

from ingest.errors import RejectError
from ingest.sensors.dragino import decode_ldds75
from ingest.sensors.milesight import decode_em310, decode_em400
from ingest.sensors.tekelek import decode_tek766
from ingest.sensors.values import SensorValues

_Decoder = Callable[[int | None, bytes], SensorValues]

_DECODERS: dict[str, _Decoder] = {
    "em310-udl": decode_em310,
    "em400-udl": decode_em400,
    "em400-mud": decode_em400,
    "ldds75": decode_ldds75,
    "tek766": decode_tek766,
}
MODELS = tuple(_DECODERS)
"""Sensor model names (as in `devices.sensor_model`, any case) that have a byte decoder."""


def model_key(model: str) -> str:
    """A sensor model name as the decoders know it: trimmed, lower case."""
    return model.strip().lower()


def decode_frame(model: str, f_port: int | None, data: bytes) -> SensorValues:
    """Decode one uplink's application bytes; raise RejectError naming what is wrong."""
    decoder = _DECODERS.get(model_key(model))
    if decoder is None:
        raise RejectError("unknown_sensor_model", f"{model!r}; known: {', '.join(MODELS)}")
    return decoder(f_port, data)
