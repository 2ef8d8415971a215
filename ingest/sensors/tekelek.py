"""Tekelek TEK 766 measurement frames (provisional: third-party sources only, spec 3.4).

Layout from faithhunja/Tekelek-Ultrasonic-LoRaWAN-Level-Sensor `measurements_conversion.py`:
a message type byte 0x10, three status bytes, then readings of 4 bytes each, newest first
(ullage u16 BE in cm, temperature u8, echo quality SRC/SRSSI nibbles). Only the newest is
decoded. Port 16 is what another public decoder uses for this frame; the status frame (port
48) is not decoded.
"""

from __future__ import annotations

from ingest.errors import RejectError
from ingest.sensors.values import SensorValues

PORT = 16
MEASUREMENT = 0x10


def decode_tek766(f_port: int | None, data: bytes) -> SensorValues:
    """The newest reading of a TEK 766 measurement frame: distance mm, temperature, quality.

    An unknown port (None) is taken as the measurement port.
    """
    if f_port not in (None, PORT):
        raise RejectError(
            "unsupported_port", f"TEK 766 measurements come on port {PORT}, not {f_port}"
        )
    if len(data) < 8 or data[0] != MEASUREMENT:
        raise RejectError(
            "undecodable_payload", f"not a TEK 766 measurement frame: {data[:8].hex()}"
        )
    ullage_cm = int.from_bytes(data[4:6], "big")
    temperature = data[6] - 256 if data[6] >= 50 else data[6]
    return SensorValues(
        distance_mm=ullage_cm * 10,
        temperature_c=float(temperature),
        extra={"src": data[7] >> 4, "srssi": data[7] & 0x0F},
    )
