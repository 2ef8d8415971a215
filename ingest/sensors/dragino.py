"""Dragino LDDS75 frames: 8 big-endian bytes on port 2.

Layout from the vendor decoder (dragino/dragino-end-node-decoder `LDDS75/LDDS75_Decoder_V1.1.4.js`)
and the no-sensor / invalid markers from ChirpStack's device profile codec
(chirpstack/lorawan-device-profiles `vendors/dragino/codecs/ldds75.js`).
"""

from __future__ import annotations

from ingest.errors import RejectError
from ingest.sensors.values import SensorValues

PORT = 2
FRAME_SIZE = 8
NO_SENSOR_MM = 0
INVALID_MM = 20


def decode_ldds75(f_port: int | None, data: bytes) -> SensorValues:
    """A periodic LDDS75 frame: battery volts, distance mm, probe temperature, sensor flag.

    An unknown port (None) is taken as the periodic port.
    """
    if f_port not in (None, PORT):
        raise RejectError("unsupported_port", f"LDDS75 frames come on port {PORT}, not {f_port}")
    if len(data) != FRAME_SIZE:
        raise RejectError("undecodable_payload", f"LDDS75 frame of {len(data)} bytes, not 8")
    battery_mv = int.from_bytes(data[0:2], "big") & 0x3FFF
    distance = int.from_bytes(data[2:4], "big")
    temperature = int.from_bytes(data[5:7], "big", signed=True)
    note = ""
    if data[7] == 0 or distance == NO_SENSOR_MM:
        note = "no sensor"
    elif distance == INVALID_MM:
        note = "invalid reading"
    return SensorValues(
        distance_mm=None if note else distance,
        battery_v=battery_mv / 1000,
        temperature_c=temperature / 10 if temperature else None,  # 0: no DS18B20 probe
        valid=not note,
        note=note,
        extra={"interrupt": data[4]},
    )
