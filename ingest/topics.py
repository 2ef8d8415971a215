"""Reading the device out of an uplink topic; the topic contract is in `curbside.topics`."""

from __future__ import annotations

from curbside.topics import DEFAULT_PREFIX
from ingest.errors import RejectError


def device_from_topic(topic: str, prefix: str = DEFAULT_PREFIX) -> str:
    """The device id in an uplink topic; a topic of another shape is rejected."""
    head = f"{prefix}/devices/"
    if not (topic.startswith(head) and topic.endswith("/up")):
        raise RejectError("unknown_topic", topic)
    device_id = topic[len(head) : -len("/up")]
    if not device_id or "/" in device_id:
        raise RejectError("unknown_topic", topic)
    return device_id
