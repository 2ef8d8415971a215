"""Tests of curbside/topics.py: the topic contract shared by devices, simulators and ingest."""

import pytest

from curbside.topics import uplink_filter, uplink_topic
from ingest import device_from_topic


def test_uplink_topic_round_trips_through_the_ingest() -> None:
    """What a simulated device publishes on, the ingest reads the device from."""
    assert uplink_topic("dev-7", "city/v1") == "city/v1/devices/dev-7/up"
    assert device_from_topic(uplink_topic("dev-7", "city/v1"), "city/v1") == "dev-7"


def test_uplink_filter_shares_when_a_group_is_named() -> None:
    """A share group turns the filter into a shared subscription."""
    assert uplink_filter("curbside/v1") == "curbside/v1/devices/+/up"
    assert uplink_filter("curbside/v1", "g") == "$share/g/curbside/v1/devices/+/up"


@pytest.mark.parametrize(
    ("device_id", "prefix"),
    [("", "a"), ("a/b", "a"), ("a+", "a"), ("#", "a"), ("dev-1", ""), ("dev-1", "a/#")],
)
def test_topics_with_wildcards_or_empty_parts_are_refused(device_id: str, prefix: str) -> None:
    """Device ids and prefixes that would break the topic structure are refused."""
    with pytest.raises(ValueError, match="must"):
        uplink_topic(device_id, prefix)
