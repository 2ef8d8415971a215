"""Tests of ingest/sensors/values.py: what a SensorValues may hold."""

from __future__ import annotations

from typing import Any

import pytest

from ingest.sensors import SensorValues


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"battery_pct": 90},
        {"distance_mm": -1},
        {"distance_mm": 100, "battery_v": -0.1},
        {"fill_pct": float("nan")},
        {"distance_mm": 100, "temperature_c": float("inf")},
        {"distance_mm": 100, "valid": False},
    ],
)
def test_inconsistent_values_are_refused(fields: dict[str, Any]) -> None:
    """A valid reading needs a level; a reading that is not valid needs a note."""
    with pytest.raises(ValueError, match=r"must|needs"):
        SensorValues(**fields)


def test_a_no_reading_frame_keeps_its_other_values() -> None:
    """A frame without a level is still a value, with its note."""
    values = SensorValues(battery_v=3.1, valid=False, note="no sensor")
    assert (values.distance_mm, values.battery_v, values.valid) == (None, 3.1, False)
