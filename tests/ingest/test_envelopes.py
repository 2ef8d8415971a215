"""Tests of ingest/envelopes.py: network-server uplinks and topics, good and bad."""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.envelopes import (
    CHIRPSTACK_UPLINKS,
    TTS_UPLINKS,
    Envelope,
    TopicMatch,
    classify_topic,
    parse_chirpstack,
    parse_tts,
)
from ingest.errors import RejectError
from ingest.sensors import decode_frame

DATA = Path(__file__).parents[1] / "data"
TTS = json.loads((DATA / "tts_em310_uplink.json").read_text())
CHIRPSTACK = json.loads((DATA / "chirpstack_ldds75_uplink.json").read_text())
RECEIVED = datetime(2024, 6, 1, 8, 15, 3, tzinfo=UTC)
NS_TIME = datetime(2024, 6, 1, 8, 15, 2, 221000, tzinfo=UTC)
PREFIX = "curbside/v1"

Parser = Callable[[bytes, datetime], Envelope]


def edited(document: dict[str, Any], *edits: tuple[str, Any]) -> bytes:
    """The document as JSON with dotted paths set to values; a value of `...` deletes the key."""
    document = copy.deepcopy(document)
    for path, value in edits:
        apply(document, path, value)
    return json.dumps(document).encode()


def apply(document: dict[str, Any], path: str, value: Any) -> None:
    """Set (or with `...` delete) the field at a dotted path; list items by their index."""
    *parents, key = path.split(".")
    target: Any = document
    for name in parents:
        target = target[int(name)] if isinstance(target, list) else target[name]
    if value is ...:
        del target[key]
    else:
        target[key] = value


def test_tts_sample_becomes_an_envelope() -> None:
    """The spec's TTS example gives ids, gateway time, port, counter, bytes and radio."""
    envelope = parse_tts(edited(TTS), RECEIVED)
    assert envelope == Envelope(
        device_keys=("bin-0042", "24E124713B123456", "24e124713b123456"),
        received_at=datetime(2024, 6, 1, 8, 15, 2, 180000, tzinfo=UTC),
        f_port=85,
        f_cnt=1207,
        payload=bytes.fromhex("01755C03824408040001"),
        decoded={"battery": 92, "distance": 2116, "position": "tilt"},
        dedup_id="as:up:01H...",
        radio={"gateways": 1, "rssi": -97, "snr": 7.25},
    )


def test_tts_sample_bytes_decode_as_em310() -> None:
    """The TTS example's frm_payload is the EM310-UDL sample frame."""
    envelope = parse_tts(edited(TTS), RECEIVED)
    values = decode_frame("em310-udl", envelope.f_port, envelope.payload or b"")
    assert (values.battery_pct, values.distance_mm, values.tilt) == (92, 2116, True)


def test_chirpstack_sample_becomes_an_envelope() -> None:
    """The spec's ChirpStack example gives ids, event time, port, counter, bytes and radio."""
    envelope = parse_chirpstack(edited(CHIRPSTACK), RECEIVED)
    assert envelope == Envelope(
        device_keys=("a84041000181c061", "A84041000181C061", "bin-0043"),
        received_at=datetime(2024, 6, 1, 8, 15, 2, 775023, tzinfo=UTC),
        f_port=2,
        f_cnt=311,
        payload=bytes.fromhex("0D0A07E900000001"),
        decoded=CHIRPSTACK["object"],
        dedup_id="3ac7e3c4-4401-4b8d-9386-a5c902f9202d",
        radio={"gateways": 1, "rssi": -101, "snr": 6.5},
    )


def test_chirpstack_sample_bytes_decode_as_ldds75() -> None:
    """The ChirpStack example's data is the LDDS75 test vector."""
    envelope = parse_chirpstack(edited(CHIRPSTACK), RECEIVED)
    values = decode_frame("ldds75", envelope.f_port, envelope.payload or b"")
    assert (values.battery_v, values.distance_mm) == (3.338, 2025)


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        ([("uplink_message.rx_metadata.0.time", ...)], NS_TIME),
        ([("uplink_message.rx_metadata", [])], NS_TIME),
        ([("uplink_message.rx_metadata.0.time", "garbage")], NS_TIME),
        ([("uplink_message.rx_metadata.0.time", "0001-01-01T00:00:00Z")], NS_TIME),
        (
            [("uplink_message.rx_metadata", ...), ("uplink_message.received_at", ...)],
            datetime(2024, 6, 1, 8, 15, 2, 412345),
        ),
        (
            [
                ("uplink_message.rx_metadata", ...),
                ("uplink_message.received_at", ...),
                ("received_at", ...),
            ],
            datetime(2024, 6, 1, 8, 15, 3),
        ),
    ],
)
def test_tts_time_falls_back_in_order(edits: list[tuple[str, Any]], expected: datetime) -> None:
    """Gateway time, then network server, then application server, then MQTT receipt."""
    envelope = parse_tts(edited(TTS, *edits), RECEIVED)
    assert envelope.received_at == expected.replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        ([("time", ...)], datetime(2024, 6, 1, 8, 15, 2, 760000)),
        ([("time", 17)], datetime(2024, 6, 1, 8, 15, 2, 760000)),
        ([("time", ...), ("rxInfo.0.nsTime", ...)], datetime(2024, 6, 1, 8, 15, 3)),
        ([("time", ...), ("rxInfo", ...)], datetime(2024, 6, 1, 8, 15, 3)),
    ],
)
def test_chirpstack_time_falls_back_in_order(
    edits: list[tuple[str, Any]], expected: datetime
) -> None:
    """Event time, then the first gateway's network-server time, then MQTT receipt."""
    envelope = parse_chirpstack(edited(CHIRPSTACK, *edits), RECEIVED)
    assert envelope.received_at == expected.replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("parser", "payload", "port", "count", "data"),
    [
        (parse_tts, edited(TTS, ("uplink_message.f_cnt", ...)), 85, 0, True),
        (
            parse_tts,
            edited(TTS, ("uplink_message.f_port", ...), ("uplink_message.frm_payload", ...)),
            0,
            1207,
            False,
        ),
        (parse_tts, edited(TTS, ("uplink_message.f_port", ...)), None, 1207, True),
        (parse_chirpstack, edited(CHIRPSTACK, ("fCnt", ...)), 2, 0, True),
        (parse_chirpstack, edited(CHIRPSTACK, ("fPort", ...), ("data", ...)), 0, 311, False),
        (parse_chirpstack, edited(CHIRPSTACK, ("fPort", ...)), None, 311, True),
        (parse_chirpstack, edited(CHIRPSTACK, ("data", "")), 2, 311, False),
    ],
)
def test_omitted_zero_fields(
    parser: Parser, payload: bytes, port: int | None, count: int, data: bool
) -> None:
    """An absent counter is 0; an absent port is 0 without bytes, unknown (None) with them."""
    envelope = parser(payload, RECEIVED)
    assert (envelope.f_port, envelope.f_cnt, envelope.payload is not None) == (port, count, data)


@pytest.mark.parametrize(
    ("parser", "payload", "keys"),
    [
        (
            parse_tts,
            edited(TTS, ("end_device_ids.device_id", ...)),
            ("24E124713B123456", "24e124713b123456"),
        ),
        (
            parse_tts,
            edited(TTS, ("end_device_ids.dev_eui", "24e124713b123456")),
            ("bin-0042", "24e124713b123456", "24E124713B123456"),
        ),
        (parse_tts, edited(TTS, ("end_device_ids.dev_eui", ...)), ("bin-0042",)),
        (
            parse_chirpstack,
            edited(CHIRPSTACK, ("deviceInfo.devEui", "A84041000181C061")),
            ("a84041000181c061", "A84041000181C061", "bin-0043"),
        ),
        (parse_chirpstack, edited(CHIRPSTACK, ("deviceInfo.devEui", ...)), ("bin-0043",)),
        (
            parse_chirpstack,
            edited(CHIRPSTACK, ("deviceInfo.deviceName", "")),
            ("a84041000181c061", "A84041000181C061"),
        ),
    ],
)
def test_device_keys_most_specific_first(
    parser: Parser, payload: bytes, keys: tuple[str, ...]
) -> None:
    """Keys come from whichever ids the envelope carries, without repeats."""
    assert parser(payload, RECEIVED).device_keys == keys


def test_radio_takes_the_best_gateway() -> None:
    """With several gateways the radio summary has the best rssi and snr and their count."""
    gateways = [
        {"gatewayId": "a", "rssi": -110, "snr": 9.0},
        {"gatewayId": "b", "rssi": -90, "snr": -2.5},
        {"gatewayId": "c"},
        "junk",
    ]
    envelope = parse_chirpstack(edited(CHIRPSTACK, ("rxInfo", gateways)), RECEIVED)
    assert envelope.radio == {"gateways": 3, "rssi": -90, "snr": 9.0}


def test_tts_radio_uses_channel_rssi_when_rssi_is_absent() -> None:
    """TTS omits rssi on some gateways; channel_rssi stands in."""
    payload = edited(TTS, ("uplink_message.rx_metadata.0.rssi", ...))
    assert parse_tts(payload, RECEIVED).radio["rssi"] == -97


def test_tts_without_uplink_correlation_id_has_no_dedup_id() -> None:
    """Only an `as:up:` correlation id is a dedup handle."""
    payload = edited(TTS, ("correlation_ids", ["gs:uplink:01H..."]))
    assert parse_tts(payload, RECEIVED).dedup_id is None


@pytest.mark.parametrize(
    ("parser", "payload", "reason"),
    [
        (parse_tts, b"not json", "malformed_json"),
        (parse_tts, b"\xff\xfe\x00", "malformed_json"),
        (parse_tts, b"[" * 100_000, "malformed_json"),
        (parse_tts, b"[]", "invalid_envelope"),
        (parse_tts, b"{}", "invalid_envelope"),
        (parse_tts, edited(TTS, ("end_device_ids", "bin-0042")), "invalid_envelope"),
        (
            parse_tts,
            edited(TTS, ("end_device_ids.device_id", ...), ("end_device_ids.dev_eui", ...)),
            "invalid_envelope",
        ),
        (parse_tts, edited(TTS, ("end_device_ids.device_id", 42)), "invalid_envelope"),
        (parse_tts, edited(TTS, ("uplink_message", ...)), "invalid_envelope"),
        (parse_tts, edited(TTS, ("uplink_message.f_port", "85")), "invalid_envelope"),
        (parse_tts, edited(TTS, ("uplink_message.f_port", 256)), "invalid_envelope"),
        (parse_tts, edited(TTS, ("uplink_message.f_cnt", -1)), "invalid_envelope"),
        (parse_tts, edited(TTS, ("uplink_message.f_cnt", True)), "invalid_envelope"),
        (parse_tts, edited(TTS, ("uplink_message.decoded_payload", [1])), "invalid_envelope"),
        (parse_tts, edited(TTS, ("uplink_message.frm_payload", "AXVc!")), "malformed_payload"),
        (parse_tts, edited(TTS, ("uplink_message.frm_payload", "AXV")), "malformed_payload"),
        (parse_tts, edited(TTS, ("uplink_message.frm_payload", [1])), "malformed_payload"),
        (parse_chirpstack, b"{", "malformed_json"),
        (parse_chirpstack, b'"up"', "invalid_envelope"),
        (parse_chirpstack, edited(CHIRPSTACK, ("deviceInfo", ...)), "invalid_envelope"),
        (
            parse_chirpstack,
            edited(CHIRPSTACK, ("deviceInfo.devEui", ...), ("deviceInfo.deviceName", ...)),
            "invalid_envelope",
        ),
        (
            parse_chirpstack,
            json.dumps(
                {"deviceInfo": CHIRPSTACK["deviceInfo"], "time": CHIRPSTACK["time"], "margin": 7}
            ).encode(),
            "invalid_envelope",
        ),
        (parse_chirpstack, edited(CHIRPSTACK, ("fCnt", 2.5)), "invalid_envelope"),
        (parse_chirpstack, edited(CHIRPSTACK, ("object", "x")), "invalid_envelope"),
        (parse_chirpstack, edited(CHIRPSTACK, ("data", "DQoH6QAAAAE")), "malformed_payload"),
    ],
)
def test_bad_envelopes_are_rejected_with_a_reason(
    parser: Parser, payload: bytes, reason: str
) -> None:
    """Each kind of bad envelope names its own reason."""
    with pytest.raises(RejectError) as caught:
        parser(payload, RECEIVED)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("curbside/v1/devices/dev-1/up", TopicMatch("canonical", "dev-1")),
        ("v3/curbside@ttn/devices/bin-0042/up", TopicMatch("tts", "bin-0042", "curbside@ttn")),
        ("v3/curbside/devices/bin-0042/up", TopicMatch("tts", "bin-0042", "curbside")),
        (
            "application/17c82e96-be03-4f38-aef3-f83d48582d97/device/a84041000181c061/event/up",
            TopicMatch("chirpstack", "a84041000181c061", "17c82e96-be03-4f38-aef3-f83d48582d97"),
        ),
    ],
)
def test_topics_are_classified(topic: str, expected: TopicMatch) -> None:
    """Each uplink topic shape gives its format and the device id in it."""
    assert classify_topic(topic, PREFIX) == expected


@pytest.mark.parametrize(
    "topic",
    [
        "",
        "curbside/v1/devices//up",
        "curbside/v2/devices/dev-1/up",
        "v3/curbside@ttn/devices/bin-0042/join",
        "v3/curbside@ttn/devices/bin-0042/down/sent",
        "v3//devices/bin-0042/up",
        "v3/curbside/devices/bin-0042/up/extra",
        "application/app/device/a84041000181c061/event/status",
        "application/app/device//event/up",
        "application/app/devices/a84041000181c061/event/up",
        "/application/app/device/a84041000181c061/event/up",
    ],
)
def test_other_topics_are_rejected(topic: str) -> None:
    """A topic of no known uplink shape is an unknown_topic reject."""
    with pytest.raises(RejectError) as caught:
        classify_topic(topic, PREFIX)
    assert caught.value.reason == "unknown_topic"


def test_subscription_filters_match_their_topic_shapes() -> None:
    """The network-server filters are the uplink topic shapes with wildcards."""
    assert TTS_UPLINKS == "v3/+/devices/+/up"
    assert CHIRPSTACK_UPLINKS == "application/+/device/+/event/up"


REASONS = {"malformed_json", "invalid_envelope", "malformed_payload"}
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
TTS_PATHS = [
    "end_device_ids",
    "end_device_ids.device_id",
    "end_device_ids.dev_eui",
    "correlation_ids",
    "received_at",
    "uplink_message",
    "uplink_message.f_port",
    "uplink_message.f_cnt",
    "uplink_message.frm_payload",
    "uplink_message.decoded_payload",
    "uplink_message.rx_metadata",
    "uplink_message.rx_metadata.0.time",
    "uplink_message.rx_metadata.0.rssi",
    "uplink_message.received_at",
]
CHIRPSTACK_PATHS = [
    "deduplicationId",
    "time",
    "deviceInfo",
    "deviceInfo.devEui",
    "deviceInfo.deviceName",
    "fCnt",
    "fPort",
    "data",
    "object",
    "rxInfo",
    "rxInfo.0.nsTime",
    "rxInfo.0.rssi",
    "rxInfo.0.snr",
]


def mutations(document: dict[str, Any], paths: list[str]) -> st.SearchStrategy[bytes]:
    """The document with some of its fields deleted or replaced by arbitrary JSON."""

    def mutate(edits: list[tuple[str, Any]]) -> bytes:
        mutated = copy.deepcopy(document)
        for path, value in edits:
            with contextlib.suppress(KeyError, IndexError, TypeError, ValueError):
                apply(mutated, path, value)  # fails below a field an earlier edit replaced
        return json.dumps(mutated).encode()

    edit = st.tuples(st.sampled_from(paths), st.just(...) | JSON_VALUES)
    return st.lists(edit, max_size=4).map(mutate)


def check_decodes_or_rejects(parser: Parser, payload: bytes) -> None:
    """The parser returns a valid envelope or rejects with one of the envelope reasons."""
    try:
        envelope = parser(payload, RECEIVED)
    except RejectError as exc:
        assert exc.reason in REASONS  # noqa: PT017
    else:
        assert envelope.device_keys
        assert envelope.received_at.tzinfo is not None


ARBITRARY = st.binary(max_size=200) | JSON_VALUES.map(lambda value: json.dumps(value).encode())


@settings(database=None)
@given(ARBITRARY | mutations(TTS, TTS_PATHS))
def test_tts_parser_decodes_or_rejects(payload: bytes) -> None:
    """No input makes the TTS parser fail with anything but a reject."""
    check_decodes_or_rejects(parse_tts, payload)


@settings(database=None)
@given(ARBITRARY | mutations(CHIRPSTACK, CHIRPSTACK_PATHS))
def test_chirpstack_parser_decodes_or_rejects(payload: bytes) -> None:
    """No input makes the ChirpStack parser fail with anything but a reject."""
    check_decodes_or_rejects(parse_chirpstack, payload)
