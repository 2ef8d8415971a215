"""Tests of ingest/sensors/milesight.py: EM310-UDL and EM400-UDL item streams."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ingest.errors import RejectError
from ingest.sensors.milesight import decode_em310, decode_em400
from ingest.sensors.values import SensorValues

Decoder = Callable[[int | None, bytes], SensorValues]
DEVICE_INFO = "FF0BFF FF0101 FF166136C19146280010 FF090140 FF0A0114 FF0F00 FFFF0100 FFFE00"


def frame(text: str) -> bytes:
    """Bytes from hex with spaces anywhere."""
    return bytes.fromhex(text.replace(" ", ""))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            "01 75 5C 03 82 44 08 04 00 01",
            SensorValues(distance_mm=2116, battery_pct=92, tilt=True),
        ),
        ("04 00 00 03 82 44 08", SensorValues(distance_mm=2116, tilt=False)),
        ("04 00 07 03 82 44 08", SensorValues(distance_mm=2116, tilt=None)),
        (DEVICE_INFO + "01 75 64 03 82 2C 01", SensorValues(distance_mm=300, battery_pct=100)),
        ("FE 03 B0 04 FF 10 FF 03 82 2C 01", SensorValues(distance_mm=300)),
        ("FE 06 81 2C 01 B8 0B 00 00 00 00 03 82 2C 01", SensorValues(distance_mm=300)),
        (
            "03 82 44 08 99 99 01 75 5C",
            SensorValues(distance_mm=2116, note="stopped at unknown item 99 99 at offset 4"),
        ),
        (
            "03 82 44 08 01 75",
            SensorValues(distance_mm=2116, note="stopped at truncated item 01 75 at offset 4"),
        ),
        (
            "01 75 5C",
            SensorValues(battery_pct=92, valid=False, note="no distance in frame"),
        ),
        (DEVICE_INFO, SensorValues(valid=False, note="device information only")),
    ],
)
def test_em310_frames_decode(data: str, expected: SensorValues) -> None:
    """EM310-UDL items decode in any order; info items and replies are skipped by size."""
    assert decode_em310(85, frame(data)) == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            "01 75 5C 03 67 01 01 04 82 44 08 05 00 01",
            SensorValues(distance_mm=2116, battery_pct=92, temperature_c=25.7, tilt=True),
        ),
        (
            "83 67 E8 00 01 84 82 41 06 01",
            SensorValues(
                distance_mm=1601,
                temperature_c=23.2,
                alarm=True,
                extra={"temperature_alarm": True, "distance_alarm": True},
            ),
        ),
        (
            "84 82 41 06 00",
            SensorValues(distance_mm=1601, alarm=False, extra={"distance_alarm": False}),
        ),
        ("03 67 9C FF 04 82 10 27", SensorValues(distance_mm=10000, temperature_c=-10.0)),
        (
            "06 88 00 00 00 00 00 00 00 00 00 04 82 E8 03",
            SensorValues(distance_mm=1000),
        ),
        (
            DEVICE_INFO + "FE 71 00 FE 1C 03 05 04 82 E8 03",
            SensorValues(distance_mm=1000),
        ),
        (
            "01 75 5C 03 82 44 08 04 00 01",
            SensorValues(
                battery_pct=92,
                valid=False,
                note="no distance in frame; stopped at unknown item 03 82 at offset 3",
            ),
        ),
    ],
)
def test_em400_frames_decode(data: str, expected: SensorValues) -> None:
    """EM400-UDL items, alarm variants included; an EM310 frame is not an EM400 frame."""
    assert decode_em400(85, frame(data)) == expected


@pytest.mark.parametrize("decoder", [decode_em310, decode_em400])
@pytest.mark.parametrize(
    "data",
    [
        "",
        "99",
        "99 99 01",
        "01",
        "03 82 44",
        "FF",
        "FF 16 01 02",
        "FE 01 00",
        "FF 06 00 00",
    ],
)
def test_undecodable_frames_are_rejected(decoder: Decoder, data: str) -> None:
    """A frame whose first item cannot be read is an undecodable_payload reject."""
    with pytest.raises(RejectError) as caught:
        decoder(85, frame(data))
    assert caught.value.reason == "undecodable_payload"


def test_port_is_not_checked() -> None:
    """The vendor decoders ignore the port; so do these."""
    sample = frame("01 75 5C 03 82 44 08 04 00 01")
    assert decode_em310(None, sample) == decode_em310(85, sample) == decode_em310(1, sample)


def test_downlink_replies_are_model_specific() -> None:
    """A reply only the EM400 sends (install height, 0xFF 0x13) stops the EM310 decoder."""
    reply = frame("FF 13 01")
    assert decode_em400(85, reply) == SensorValues(valid=False, note="device information only")
    with pytest.raises(RejectError):
        decode_em310(85, reply)
