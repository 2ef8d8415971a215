"""Tests of ingest/topics.py."""

import pytest

from ingest import RejectError, device_from_topic


@pytest.mark.parametrize(
    "topic",
    [
        "other/v1/devices/dev-1/up",
        "curbside/v1/devices/dev-1/status",
        "curbside/v1/devices//up",
        "curbside/v1/devices/a/b/up",
    ],
)
def test_device_from_topic_rejects_other_shapes(topic: str) -> None:
    """Topics outside the uplink pattern are rejected as unknown_topic."""
    with pytest.raises(RejectError) as caught:
        device_from_topic(topic, "curbside/v1")
    assert caught.value.reason == "unknown_topic"
