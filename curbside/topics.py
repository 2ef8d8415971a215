"""The MQTT topic contract (ARCHITECTURE.md): Curbside's own uplinks and the network servers'."""

from __future__ import annotations

DEFAULT_PREFIX = "curbside/v1"
TTS_UPLINKS = "v3/+/devices/+/up"
"""Uplinks of The Things Stack v3 (`v3/{application}@{tenant}/devices/{device}/up`)."""
CHIRPSTACK_UPLINKS = "application/+/device/+/event/up"
"""Uplink events of ChirpStack v4 (`application/{application}/device/{dev_eui}/event/up`)."""


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
    return shared(share_group, f"{prefix}/devices/+/up")


def shared(share_group: str | None, topic_filter: str) -> str:
    """A filter as a shared subscription of the group, or as it is without a group."""
    return f"$share/{share_group}/{topic_filter}" if share_group else topic_filter
