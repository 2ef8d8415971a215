"""The MQTT topic contract (ARCHITECTURE.md): devices publish on `{prefix}/devices/{id}/up`."""

from __future__ import annotations

DEFAULT_PREFIX = "curbside/v1"


def uplink_topic(device_id: str, prefix: str = DEFAULT_PREFIX) -> str:
    """The topic a device publishes its readings on."""
    for name, value in (("prefix", prefix), ("device id", device_id)):
        if not value or any(c in value for c in "+#"):
            raise ValueError(f"{name} must be non-empty without '+' or '#': {value!r}")
    if "/" in device_id:
        raise ValueError(f"device id must not contain '/': {device_id!r}")
    return f"{prefix}/devices/{device_id}/up"


def uplink_filter(prefix: str = DEFAULT_PREFIX, share_group: str | None = None) -> str:
    """The subscription filter for every device's uplinks, shared by a group when named."""
    topic = f"{prefix}/devices/+/up"
    return f"$share/{share_group}/{topic}" if share_group else topic
