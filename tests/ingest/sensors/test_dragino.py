"""Tests of ingest/sensors/dragino.py: LDDS75 frames."""

from __future__ import annotations

import pytest

from ingest.errors import RejectError
from ingest.sensors.dragino import decode_ldds75
from ingest.sensors.values import SensorValues


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            "0D0A 07E9 00 0000 01",
            SensorValues(distance_mm=2025, battery_v=3.338, extra={"interrupt": 0}),
        ),
        (
            "CD0A 07E9 01 00FA 01",
            SensorValues(
                distance_mm=2025, battery_v=3.338, temperature_c=25.0, extra={"interrupt": 1}
            ),
        ),
        (
            "0D0A 0118 00 FF9C 01",
            SensorValues(
                distance_mm=280, battery_v=3.338, temperature_c=-10.0, extra={"interrupt": 0}
            ),
        ),
        (
            "0D0A 07E9 00 0000 00",
            SensorValues(battery_v=3.338, valid=False, note="no sensor", extra={"interrupt": 0}),
        ),
        (
            "0D0A 0000 00 0000 01",
            SensorValues(battery_v=3.338, valid=False, note="no sensor", extra={"interrupt": 0}),
        ),
        (
            "0D0A 0014 00 0000 01",
            SensorValues(
                battery_v=3.338, valid=False, note="invalid reading", extra={"interrupt": 0}
            ),
        ),
    ],
)
def test_ldds75_frames_decode(data: str, expected: SensorValues) -> None:
    """Battery (top bits masked), distance, probe temperature and the no-reading markers."""
    assert decode_ldds75(2, bytes.fromhex(data.replace(" ", ""))) == expected


def test_unknown_port_is_taken_as_the_periodic_port() -> None:
    """Without a port the 8-byte layout is assumed."""
    sample = bytes.fromhex("0D0A07E900000001")
    assert decode_ldds75(None, sample) == decode_ldds75(2, sample)


@pytest.mark.parametrize(
    ("port", "data", "reason"),
    [
        (2, "", "undecodable_payload"),
        (2, "0D0A07E9000000", "undecodable_payload"),
        (2, "0D0A07E90000000100", "undecodable_payload"),
        (None, "0E1C0B05", "undecodable_payload"),
        (3, "0D0A07E900000001", "unsupported_port"),
        (5, "270101000E1C", "unsupported_port"),
    ],
)
def test_bad_ldds75_frames_are_rejected(port: int | None, data: str, reason: str) -> None:
    """Wrong lengths and ports other than 2 are rejects."""
    with pytest.raises(RejectError) as caught:
        decode_ldds75(port, bytes.fromhex(data))
    assert caught.value.reason == reason
