"""The level sensors' own uplink bytes, as the real devices send them: pure encoders.

Layouts as the ingest's decoders read them (`ingest.sensors`; facts in
`shared/specs/sensor-payloads.md` 3.1 and 3.3):

- Milesight EM310-UDL, port 85: a stream of (channel, type, value) items: battery `01 75`
  (u8, %), distance `03 82` (u16 little endian, mm), position `04 00` (u8: 0 normal, 1 tilt,
  set when the device leans 20 degrees or more). It has no thermometer. Inside its blind zone
  it is taken to report the nearest distance it measures (the blind zone's edge); its
  documentation does not say.
- Dragino LDDS75, port 2: 8 big-endian bytes: battery (mV, the top two bits clear), distance
  (mm; 0 means no probe, 20 an invalid reading, which is what it sends for a surface inside
  its 280 mm blind zone), interrupt flag, DS18B20 probe temperature (i16, 0.1 degC; 0 means no
  probe, so a probe reading exactly 0.0 degC reads as none), sensor flag (1: probe found).
  The simulated LDDS75 has the temperature probe fitted. Its battery is reported in volts:
  `battery_mv` maps percent onto a lithium cell's 3.1 V (empty) to 3.6 V (full).
"""

from __future__ import annotations

from dataclasses import dataclass

from simulators.city import SimDevice
from simulators.sensors import Reading

EM310_PORT = 85
LDDS75_PORT = 2
LDDS75_NO_SENSOR_MM = 0
LDDS75_INVALID_MM = 20
TILT_FLAG_DEG = 20.0
"""The EM310-UDL sets its position flag from this angle on."""
BATTERY_EMPTY_MV = 3100
BATTERY_FULL_MV = 3600
_U16 = 0xFFFF


@dataclass(frozen=True)
class Frame:
    """One uplink's application bytes and the LoRaWAN port they go on."""

    f_port: int
    data: bytes

    def __post_init__(self) -> None:
        if not 1 <= self.f_port <= 223:
            raise ValueError(f"an application port is within 1..223, got {self.f_port}")


def em310_frame(distance_mm: int, battery_pct: float, tilted: bool) -> bytes:
    """An EM310-UDL periodic report: battery, distance, position."""
    battery = min(100, max(0, round(battery_pct)))
    distance = min(_U16, max(0, distance_mm))
    return (
        bytes([0x01, 0x75, battery])
        + bytes([0x03, 0x82])
        + distance.to_bytes(2, "little")
        + bytes([0x04, 0x00, 1 if tilted else 0])
    )


def ldds75_frame(
    distance_mm: int | None,
    battery_mv: int,
    temperature_c: float | None,
    *,
    interrupt: bool = False,
) -> bytes:
    """An LDDS75 periodic report; `distance_mm` None sends the invalid-reading value."""
    distance = LDDS75_INVALID_MM if distance_mm is None else min(_U16, max(0, distance_mm))
    tenths = 0 if temperature_c is None else round(temperature_c * 10)
    if not -32768 <= tenths <= 32767:
        raise ValueError(f"temperature {temperature_c} degC does not fit the LDDS75 frame")
    return (
        (battery_mv & 0x3FFF).to_bytes(2, "big")
        + distance.to_bytes(2, "big")
        + bytes([1 if interrupt else 0])
        + tenths.to_bytes(2, "big", signed=True)
        + bytes([1])
    )


def battery_mv(battery_pct: float) -> int:
    """The cell voltage, in mV, of a battery with this much left."""
    share = min(100.0, max(0.0, battery_pct)) / 100.0
    return round(BATTERY_EMPTY_MV + share * (BATTERY_FULL_MV - BATTERY_EMPTY_MV))


def sensor_frame(reading: Reading, hardware: str) -> Frame:
    """What the device's hardware sends for a reading."""
    tilted = reading.tilt_deg is not None and reading.tilt_deg >= TILT_FLAG_DEG
    if hardware == "em310-udl":
        return Frame(EM310_PORT, em310_frame(reading.distance_mm, reading.battery_pct, tilted))
    if hardware == "ldds75":
        distance = None if reading.in_blind_zone else reading.distance_mm
        data = ldds75_frame(distance, battery_mv(reading.battery_pct), reading.temperature_c)
        return Frame(LDDS75_PORT, data)
    raise ValueError(f"no uplink bytes for hardware {hardware!r}")


def reports_temperature(device: SimDevice) -> bool:
    """Whether the device's uplinks carry a temperature (the EM310-UDL's do not)."""
    return device.uplink == "canonical" or device.hardware != "em310-udl"


def reports_tilt(device: SimDevice) -> bool:
    """Whether the device's uplinks say that the bin leans (canonical `tilt_deg`, EM310-UDL
    position); others show a knocked-over bin only through an implausible distance."""
    return device.uplink == "canonical" or device.hardware == "em310-udl"
