"""Tests of ingest/sensors/decoded.py: the network server's decoded objects as a fallback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.errors import RejectError
from ingest.sensors import SensorValues, values_from_decoded

DATA = Path(__file__).parents[2] / "data"


def test_tts_sample_object_decodes() -> None:
    """The TTS example's decoded_payload gives the EM310 sample's values."""
    document = json.loads((DATA / "tts_em310_uplink.json").read_text())
    decoded = document["uplink_message"]["decoded_payload"]
    assert values_from_decoded("em310-udl", decoded) == SensorValues(
        distance_mm=2116, battery_pct=92, tilt=True
    )


def test_chirpstack_sample_object_decodes() -> None:
    """The ChirpStack example's object gives the LDDS75 sample's values."""
    document = json.loads((DATA / "chirpstack_ldds75_uplink.json").read_text())
    assert values_from_decoded("ldds75", document["object"]) == SensorValues(
        distance_mm=2025, battery_v=3.338, extra={"interrupt": 0}
    )


LDDS75_V4 = {
    "Node_type": "LDDS75",
    "Bat": "3.338 V",
    "Distance": "2025 mm",
    "Interrupt_flag": 0,
    "TempC_DS18B20": "0.00 °C",
    "Sensor_flag": 1,
}


@pytest.mark.parametrize(
    ("model", "decoded", "expected"),
    [
        (
            "ldds75",
            LDDS75_V4,
            SensorValues(distance_mm=2025, battery_v=3.338, extra={"interrupt": 0}),
        ),
        (
            "ldds75",
            {"Bat": 3.1, "Distance": "No Sensor", "TempC_DS18B20": "-5.30"},
            SensorValues(battery_v=3.1, temperature_c=-5.3, valid=False, note="no sensor"),
        ),
        (
            "ldds75",
            {"Bat": 3.1, "Distance": "Invalid Reading"},
            SensorValues(battery_v=3.1, valid=False, note="invalid reading"),
        ),
        ("ldds75", {"Distance": 20}, SensorValues(valid=False, note="invalid reading")),
        ("ldds75", {"Distance": "0 mm"}, SensorValues(valid=False, note="no sensor")),
        (
            "ldds75",
            {"Distance": 900, "Sensor_flag": 0},
            SensorValues(valid=False, note="no sensor"),
        ),
        ("em310-udl", {"distance": 20}, SensorValues(distance_mm=20)),
        (
            "em310-udl",
            {"battery": 92, "distance": 2116, "tilt": "normal"},
            SensorValues(distance_mm=2116, battery_pct=92, tilt=False),
        ),
        ("em310-udl", {"distance": 2116, "position": 1}, SensorValues(distance_mm=2116, tilt=True)),
        (
            "em310-udl",
            {"distance": 2116, "position": "unknown"},
            SensorValues(distance_mm=2116, tilt=None),
        ),
        (
            "em400-udl",
            {
                "temperature": 23.2,
                "temperature_alarm": "threshold_alarm",
                "distance": 1601,
                "distance_alarm": "threshold_alarm_release",
            },
            SensorValues(
                distance_mm=1601,
                temperature_c=23.2,
                alarm=True,
                extra={"temperature_alarm": True, "distance_alarm": False},
            ),
        ),
        ("other", {"fill_pct": 42.5}, SensorValues(fill_pct=42.5)),
        (
            "other",
            {"distance_mm": 700.4, "battery_pct": "88 %", "temperature_c": 21.5},
            SensorValues(distance_mm=700, battery_pct=88, temperature_c=21.5),
        ),
        (
            "other",
            {"distance": "274 cm", "alarm": True},
            SensorValues(distance_mm=2740, alarm=True),
        ),
        (
            "other",
            {"battery_v": "3600 mV"},
            SensorValues(battery_v=3.6, valid=False, note="no level in decoded object"),
        ),
        ("other", {"distance_mm": 700, "distance": 9999}, SensorValues(distance_mm=700)),
    ],
)
def test_decoded_objects_give_values(
    model: str, decoded: dict[str, Any], expected: SensorValues
) -> None:
    """Known key names, numeric text with units, vendor words and no-reading markers."""
    assert values_from_decoded(model, decoded) == expected


@pytest.mark.parametrize(
    ("decoded", "reason"),
    [
        ({}, "undecodable_payload"),
        ({"foo": 1, "Node_type": "LDDS75"}, "undecodable_payload"),
        ({"distance": None}, "undecodable_payload"),
        ({"distance": "far"}, "invalid_field"),
        ({"distance": "12 furlongs"}, "invalid_field"),
        ({"distance": True}, "invalid_field"),
        ({"distance": [1]}, "invalid_field"),
        ({"distance": -5}, "invalid_field"),
        ({"distance": float("inf")}, "invalid_field"),
        ({"distance": 10**400}, "invalid_field"),
        ({"fill_pct": "NaN"}, "invalid_field"),
        ({"fill_pct": float("nan")}, "invalid_field"),
        ({"distance": 900, "battery": -1}, "invalid_field"),
        ({"Bat": "3.3 volts"}, "invalid_field"),
    ],
)
def test_bad_decoded_objects_are_rejected(decoded: dict[str, Any], reason: str) -> None:
    """An object with nothing usable, or a known key with a bad value, is a reject."""
    with pytest.raises(RejectError) as caught:
        values_from_decoded("em310-udl", decoded)
    assert caught.value.reason == reason


KEYS = st.sampled_from(
    ["distance", "distance_mm", "Distance", "fill_pct", "battery", "battery_pct", "Bat",
     "battery_v", "temperature", "temperature_c", "TempC_DS18B20", "position", "tilt",
     "alarm", "distance_alarm", "temperature_alarm", "Sensor_flag", "Interrupt_flag", "x"]
)  # fmt: skip
VALUES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.builds("{} {}".format, st.floats(0, 1e6), st.sampled_from(["mm", "cm", "V", "%", "°C"]))
    | st.lists(st.integers(), max_size=2)
)


# Generation speed depends on how busy the machine is, not on the code under test.
@settings(database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["em310-udl", "ldds75", "other"]), st.dictionaries(KEYS, VALUES, max_size=8))
def test_arbitrary_objects_decode_or_reject(model: str, decoded: dict[str, Any]) -> None:
    """No decoded object makes the fallback fail with anything but a reject."""
    try:
        values = values_from_decoded(model, decoded)
    except RejectError as exc:
        assert exc.reason in {"undecodable_payload", "invalid_field"}  # noqa: PT017
    else:
        assert values.valid == (values.distance_mm is not None or values.fill_pct is not None)
