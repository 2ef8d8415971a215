"""Tests of ingest/sensors/frames.py: decoding by sensor model, and no crash on any bytes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.errors import RejectError
from ingest.sensors import MODELS, SensorValues, decode_frame

SAMPLES = [
    ("em310-udl", 85, "01755C03824408040001", 2116),
    ("EM310-UDL", 85, "01755C03824408040001", 2116),
    ("em400-udl", 85, "01755C036701010482440805 0001", 2116),
    (" EM400-MUD ", 85, "8367E800018482410601", 1601),
    ("LDDS75", 2, "0D0A07E900000001", 2025),
    ("tek766", 16, "10000000011 21B7701131BAA01121BA90114F274", 2740),
]


@pytest.mark.parametrize(("model", "port", "data", "distance"), SAMPLES)
def test_models_dispatch_case_insensitively(
    model: str, port: int, data: str, distance: int
) -> None:
    """Each supported model, in any case, reaches its decoder."""
    values = decode_frame(model, port, bytes.fromhex(data.replace(" ", "")))
    assert (values.distance_mm, values.valid) == (distance, True)


def test_models_lists_the_supported_names() -> None:
    """MODELS names every model with a byte decoder, in lower case."""
    assert set(MODELS) == {"em310-udl", "em400-udl", "em400-mud", "ldds75", "tek766"}


@pytest.mark.parametrize("model", ["", "canonical-json", "ldds20", "em310"])
def test_unknown_models_are_rejected(model: str) -> None:
    """A model without a byte decoder is an unknown_sensor_model reject."""
    with pytest.raises(RejectError) as caught:
        decode_frame(model, 2, bytes.fromhex("0D0A07E900000001"))
    assert caught.value.reason == "unknown_sensor_model"


@settings(database=None)
@given(
    st.sampled_from(MODELS),
    st.none() | st.integers(0, 255) | st.sampled_from([2, 16, 85]),
    st.binary(max_size=40),
)
def test_arbitrary_bytes_decode_or_reject(model: str, port: int | None, data: bytes) -> None:
    """No frame makes a decoder fail with anything but a reject."""
    try:
        values = decode_frame(model, port, data)
    except RejectError as exc:
        assert exc.reason in {"undecodable_payload", "unsupported_port"}  # noqa: PT017
    else:
        assert isinstance(values, SensorValues)
        assert values.valid == (values.distance_mm is not None)
