"""Tests of ingest/sensors/tekelek.py: TEK 766 measurement frames (provisional layout)."""

from __future__ import annotations

import pytest

from ingest.errors import RejectError
from ingest.sensors.tekelek import decode_tek766
from ingest.sensors.values import SensorValues

SAMPLE = bytes.fromhex("10000000 01121B77 01131BAA 01121BA9 0114F274".replace(" ", ""))


@pytest.mark.parametrize("port", [16, None])
def test_sample_decodes_to_its_newest_reading(port: int | None) -> None:
    """The spec's sample: 274 cm ullage at 27 degrees, SRC 7, SRSSI 7."""
    assert decode_tek766(port, SAMPLE) == SensorValues(
        distance_mm=2740, temperature_c=27.0, extra={"src": 7, "srssi": 7}
    )


def test_temperatures_from_50_up_are_negative() -> None:
    """The temperature byte wraps at 50: 0xF2 is -14 degrees."""
    values = decode_tek766(16, bytes.fromhex("100000000114F274"))
    assert (values.distance_mm, values.temperature_c) == (2760, -14.0)


@pytest.mark.parametrize(
    ("port", "data", "reason"),
    [
        (48, SAMPLE.hex(), "unsupported_port"),
        (16, "", "undecodable_payload"),
        (16, "10000000011221", "undecodable_payload"),
        (16, "20000000 01121B77".replace(" ", ""), "undecodable_payload"),
    ],
)
def test_bad_tek766_frames_are_rejected(port: int, data: str, reason: str) -> None:
    """Other ports, message types and short frames are rejects."""
    with pytest.raises(RejectError) as caught:
        decode_tek766(port, bytes.fromhex(data))
    assert caught.value.reason == reason
