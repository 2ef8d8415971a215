"""Tests of ingest/topics.py."""

import pytest

from ingest import RejectError, device_from_topic, uplink_filter, uplink_topic


def test_uplink_topic_round_trips_through_device_from_topic() -> None:
    """A device's topic names the device again."""
    assert device_from_topic(uplink_topic("dev-7", "city/v1"), "city/v1") == "dev-7"


def test_uplink_filter_shares_when_a_group_is_named() -> None:
    """A share group turns the filter into a shared subscription."""
    assert uplink_filter("curbside/v1") == "curbside/v1/devices/+/up"
    assert uplink_filter("curbside/v1", "g") == "$share/g/curbside/v1/devices/+/up"


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


@pytest.mark.parametrize("device_id", ["", "a/b", "a+", "#"])
def test_uplink_topic_refuses_device_ids_with_wildcards(device_id: str) -> None:
    """Device ids that would break the topic structure are refused."""
    with pytest.raises(ValueError, match="device id"):
        uplink_topic(device_id)
