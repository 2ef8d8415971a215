"""MQTT topics of the canonical contract: `{prefix}/devices/{device_id}/up`."""

from __future__ import annotations

from ingest.errors import RejectError

DEFAULT_PREFIX = "curbside/v1"


def uplink_filter(prefix: str = DEFAULT_PREFIX, share_group: str | None = None) -> str:
    """The subscription filter for every device's uplinks, shared by a group when named."""
    topic = f"{prefix}/devices/+/up"
    return f"$share/{share_group}/{topic}" if share_group else topic


def uplink_topic(device_id: str, prefix: str = DEFAULT_PREFIX) -> str:
    """The topic a device publishes its readings on."""
    if not device_id or any(c in device_id for c in "/+#"):
        raise ValueError(f"device id must be non-empty without '/', '+' or '#': {device_id!r}")
    return f"{prefix}/devices/{device_id}/up"


def device_from_topic(topic: str, prefix: str = DEFAULT_PREFIX) -> str:
    """The device id in an uplink topic; a topic of another shape is rejected."""
    head = f"{prefix}/devices/"
    if not (topic.startswith(head) and topic.endswith("/up")):
        raise RejectError("unknown_topic", topic)
    device_id = topic[len(head) : -len("/up")]
    if not device_id or "/" in device_id:
        raise RejectError("unknown_topic", topic)
    return device_id
