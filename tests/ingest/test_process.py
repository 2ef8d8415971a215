"""Tests of ingest/process.py: messages into rows and rejects."""

from datetime import UTC, datetime

from curbside import BinGeometry
from ingest import Device, Message, process
from ingest.process import unknown_devices

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
REGISTRY = {
    "dev-1": Device("dev-1", "canonical-json", "bin-1", BinGeometry(1000, 200)),
    "dev-2": Device("dev-2", "canonical-json", None, None),
}


def message(topic: str, payload: bytes, ack: int) -> Message:
    return Message(topic, payload, NOW, ack)


def test_every_message_becomes_a_row_or_a_reject_and_is_acknowledged() -> None:
    """Good, unknown and malformed messages are all accounted for."""
    messages = [
        message("c/v1/devices/dev-1/up", b'{"ts": "2026-11-27T11:00:00Z", "fill_pct": 30}', 1),
        message("c/v1/devices/dev-9/up", b'{"fill_pct": 30}', 2),
        message("c/v1/devices/dev-1/up", b"{oops", 3),
        message("c/v1/elsewhere", b'{"fill_pct": 30}', 4),
    ]
    batch = process(messages, REGISTRY, "c/v1")
    assert batch.acks == [1, 2, 3, 4]
    assert [(r.device_id, r.bin_id, r.fill_pct) for r in batch.rows] == [("dev-1", "bin-1", 30)]
    assert [r.reason for r in batch.rejects] == [
        "unknown_device",
        "malformed_json",
        "unknown_topic",
    ]
    assert batch.rejects[1].payload == b"{oops"


def test_distance_becomes_fill_with_the_bins_geometry() -> None:
    """A distance-only reading gets its fill level from the bin's geometry."""
    batch = process(
        [message("c/v1/devices/dev-1/up", b'{"distance_mm": 600}', 1)], REGISTRY, "c/v1"
    )
    assert batch.rows[0].fill_pct == 50.0


def test_device_without_a_bin_keeps_its_distance_only() -> None:
    """With no bin there is no geometry: the row stores the distance and no fill level."""
    batch = process(
        [message("c/v1/devices/dev-2/up", b'{"distance_mm": 600}', 1)], REGISTRY, "c/v1"
    )
    assert batch.rows[0].fill_pct is None
    assert batch.rows[0].measurement.distance_mm == 600


def test_unknown_devices_lists_only_unregistered_ones() -> None:
    """Only devices missing from the registry are listed."""
    messages = [message(f"c/v1/devices/{d}/up", b"{}", 0) for d in ("dev-1", "dev-5", "dev-6")]
    assert unknown_devices(messages, REGISTRY, "c/v1") == {"dev-5", "dev-6"}
