"""Tests of ingest/process.py: messages into rows and rejects."""

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from curbside import BinGeometry
from ingest import Device, Message, process
from ingest.registry import Assignment

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
REGISTRY = {
    "dev-1": Device("dev-1", "canonical-json", "bin-1", BinGeometry(1000, 200)),
    "dev-2": Device("dev-2", "canonical-json", None, None),
    "bin-0042": Device("bin-0042", "em310-udl", "bin-42", BinGeometry(2500, 300, 250)),
    "a84041000181c061": Device("ldds-1", "LDDS75", "bin-43", BinGeometry(2500, 300, 280)),
    "generic-1": Device("generic-1", "unknown-vendor", "bin-44", BinGeometry(1000, 200)),
}
DATA = Path(__file__).parents[1] / "data"
TTS_TOPIC = "v3/curbside@ttn/devices/bin-0042/up"
CHIRPSTACK_TOPIC = "application/17c82e96/device/a84041000181c061/event/up"


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


def test_a_nul_character_in_a_string_is_a_reject() -> None:
    """The database takes no NUL in text or jsonb; an escaped backslash before u0000 is
    text, not a NUL."""
    messages = [
        message("c/v1/devices/dev-1/up", b'{"fill_pct": 30, "note": "a\\u0000"}', 1),
        message("c/v1/devices/dev-1/up", b'{"fill_pct": 30, "note": "a\\\\u0000"}', 2),
    ]
    batch = process(messages, REGISTRY, "c/v1")
    assert [r.reason for r in batch.rejects] == ["malformed_json"]
    assert [r.measurement.extra for r in batch.rows] == [{"note": "a\\u0000"}]


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


def test_the_things_stack_uplink_is_decoded_from_its_bytes() -> None:
    """The EM310-UDL frame gives distance, battery and the tilt flag; f_cnt is the sequence."""
    payload = (DATA / "tts_em310_uplink.json").read_bytes()
    received = datetime(2024, 6, 1, 8, 15, 3, tzinfo=UTC)  # the sample's own day
    [row] = process([Message(TTS_TOPIC, payload, received, 1)], REGISTRY, "c/v1").rows
    m = row.measurement
    assert (row.device_id, row.bin_id, m.distance_mm, m.battery_pct) == (
        "bin-0042",
        "bin-42",
        2116,
        92,
    )
    assert (m.seq, m.tilted, m.suspect, m.time_is_receive) == (1207, True, True, True)
    assert m.measured_at == datetime(2024, 6, 1, 8, 15, 2, 180000, tzinfo=UTC)  # gateway time
    assert row.fill_pct == round((2500 - 2116) / 2200 * 100, 1)


def test_chirpstack_uplink_finds_the_device_by_dev_eui() -> None:
    """The LDDS75 frame of a ChirpStack event decodes with the registered model."""
    payload = (DATA / "chirpstack_ldds75_uplink.json").read_bytes()
    [row] = process([message(CHIRPSTACK_TOPIC, payload, 1)], REGISTRY, "c/v1").rows
    m = row.measurement
    assert (row.device_id, m.distance_mm, m.battery_v, m.seq) == ("ldds-1", 2025, 3.338, 311)
    assert not m.suspect


def test_a_dragino_frame_without_its_probe_is_rejected_with_the_reason() -> None:
    """Sensor flag 0 means no reading: a reject, not a reading of zero."""
    event = json.loads((DATA / "chirpstack_ldds75_uplink.json").read_text())
    event["data"] = base64.b64encode(bytes.fromhex("0D0A000000000000")).decode()
    event.pop("object")
    batch = process([message(CHIRPSTACK_TOPIC, json.dumps(event).encode(), 1)], REGISTRY, "c/v1")
    assert [r.reason for r in batch.rejects] == ["no_reading"]


def test_a_model_without_a_decoder_falls_back_to_the_decoded_object() -> None:
    """With no byte decoder for the model, the network server's decoded object is used."""
    event = json.loads((DATA / "chirpstack_ldds75_uplink.json").read_text())
    event["deviceInfo"]["devEui"] = "00000000000000aa"
    event["deviceInfo"]["deviceName"] = "generic-1"
    event["object"] = {"distance": 600, "battery": 77}
    topic = "application/x/device/00000000000000aa/event/up"
    [row] = process([message(topic, json.dumps(event).encode(), 1)], REGISTRY, "c/v1").rows
    assert (row.device_id, row.measurement.distance_mm, row.fill_pct) == ("generic-1", 600, 50.0)


def test_a_reading_follows_the_bin_the_device_sat_in_when_it_measured() -> None:
    """A device moved at noon: the morning's reading belongs to its old bin."""
    geometry = BinGeometry(1000, 200)
    moved = Device(
        "dev-m", "canonical-json", "bin-new", geometry,
        assignments=(
            Assignment("bin-old", None, NOW, geometry),
            Assignment("bin-new", NOW, None, geometry),
        ),
    )  # fmt: skip
    morning = json.dumps({"ts": (NOW - timedelta(hours=3)).isoformat(), "fill_pct": 5})
    rows = process(
        [message("c/v1/devices/dev-m/up", morning.encode(), 1),
         message("c/v1/devices/dev-m/up", b'{"fill_pct": 7}', 2)],
        {"dev-m": moved}, "c/v1",
    ).rows  # fmt: skip
    assert [r.bin_id for r in rows] == ["bin-old", "bin-new"]


def test_a_distance_the_sensor_cannot_vouch_for_is_suspect() -> None:
    """Inside the blind zone or past the bottom: stored, clamped, and flagged."""
    batch = process(
        [message("c/v1/devices/dev-1/up", b'{"distance_mm": 150}', 1),
         message("c/v1/devices/dev-1/up", b'{"distance_mm": 1200, "seq": 2}', 2),
         message("c/v1/devices/dev-1/up", b'{"distance_mm": 600, "seq": 3}', 3)],
        REGISTRY, "c/v1",
    )  # fmt: skip
    assert [(r.fill_pct, r.measurement.suspect) for r in batch.rows] == [
        (100.0, True), (0.0, True), (50.0, False),
    ]  # fmt: skip
