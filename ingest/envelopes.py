"""Network-server uplinks (The Things Stack v3, ChirpStack v4) into envelopes: pure, no I/O.

An envelope is what the network server says about one uplink: the ids the device may be
registered under, the best receive time it knows, port, frame counter, the application
bytes, its own decoded object and a little radio information. The level sensor's bytes are
decoded elsewhere (`ingest.sensors`), keyed on the device's model.

Both servers leave zero values out of their JSON. An absent frame counter is therefore 0.
An absent port is 0 too when the frame has no application bytes (port 0 carries MAC
commands only); a frame with bytes but no port has an unknown port (None), never 0, so that
a decoder is not sent down the wrong layout.
"""

from __future__ import annotations

import base64
import binascii
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import orjson

from curbside.topics import CHIRPSTACK_UPLINKS as CHIRPSTACK_UPLINKS
from curbside.topics import TTS_UPLINKS as TTS_UPLINKS
from ingest.decode import parse_timestamp
from ingest.errors import RejectError
from ingest.topics import device_from_topic

TopicFormat = Literal["canonical", "tts", "chirpstack"]

# Keys only a ChirpStack `up` event has (its join, status, ack and log events have none).
_CHIRPSTACK_UPLINK_KEYS = ("rxInfo", "data", "object", "fPort", "fCnt", "dr", "adr", "confirmed")


@dataclass(frozen=True)
class TopicMatch:
    """The format a topic belongs to and the device id it names."""

    format: TopicFormat
    device_id: str
    application: str | None = None
    """TTS `app[@tenant]` or ChirpStack's application id; None for canonical topics."""


@dataclass(frozen=True)
class Envelope:
    """One uplink as the network server describes it."""

    device_keys: tuple[str, ...]
    """Ids the device may be registered under, most specific first."""
    received_at: datetime
    """The best time the network gives; a receive time, not a measurement time."""
    f_port: int | None
    f_cnt: int | None
    payload: bytes | None
    decoded: dict[str, Any] | None
    dedup_id: str | None
    radio: dict[str, Any] = field(default_factory=dict)
    """Best rssi (dBm) and snr (dB) over the gateways that heard the frame, and their count."""

    def __post_init__(self) -> None:
        if not self.device_keys or not all(self.device_keys):
            raise ValueError(f"device_keys must be non-empty ids, got {self.device_keys!r}")
        if self.received_at.tzinfo is None:
            raise ValueError("received_at must be time-zone aware")
        if self.f_port is not None and not 0 <= self.f_port <= 255:
            raise ValueError(f"f_port must be in 0..255, got {self.f_port}")
        if self.f_cnt is not None and self.f_cnt < 0:
            raise ValueError(f"f_cnt must not be negative, got {self.f_cnt}")


def classify_topic(topic: str, canonical_prefix: str) -> TopicMatch:
    """The format of an uplink topic and its device id; any other topic is rejected."""
    try:
        return TopicMatch("canonical", device_from_topic(topic, canonical_prefix))
    except RejectError:
        pass
    parts = topic.split("/")
    if all(parts):
        if len(parts) == 5 and (parts[0], parts[2], parts[4]) == ("v3", "devices", "up"):
            return TopicMatch("tts", parts[3], parts[1])
        shape = (parts[0], parts[2], parts[4], parts[5]) if len(parts) == 6 else ()
        if shape == ("application", "device", "event", "up"):
            return TopicMatch("chirpstack", parts[3], parts[1])
    raise RejectError("unknown_topic", topic)


def parse_tts(payload: bytes, received_at: datetime) -> Envelope:
    """A The Things Stack v3 `up` message; `received_at` is when MQTT delivered it."""
    doc = _json_object(payload)
    ids = doc.get("end_device_ids")
    if not isinstance(ids, dict):
        raise RejectError("invalid_envelope", "no end_device_ids")
    device_id = _optional_text(ids, "device_id")
    dev_eui = _optional_text(ids, "dev_eui")
    if device_id is None and dev_eui is None:
        raise RejectError("invalid_envelope", "neither device_id nor dev_eui")
    uplink = doc.get("uplink_message")
    if not isinstance(uplink, dict):
        raise RejectError("invalid_envelope", "not an uplink: no uplink_message")
    gateways = _entries(uplink, "rx_metadata")
    times = [gw.get("time") for gw in gateways]
    times += [uplink.get("received_at"), doc.get("received_at")]
    dedup = [
        c for c in _list(doc, "correlation_ids") if isinstance(c, str) and c.startswith("as:up:")
    ]
    data = _base64(uplink, "frm_payload")
    eui_variants = () if dev_eui is None else (dev_eui, dev_eui.upper(), dev_eui.lower())
    return Envelope(
        device_keys=_unique((device_id, *eui_variants)),
        received_at=_best_time(times, received_at),
        f_port=_counter(uplink, "f_port", 0 if data is None else None, 255),
        f_cnt=_counter(uplink, "f_cnt", 0, 2**32 - 1),
        payload=data,
        decoded=_optional_object(uplink, "decoded_payload"),
        dedup_id=dedup[0] if dedup else None,
        radio=_radio(gateways, ("rssi", "channel_rssi")),
    )


def parse_chirpstack(payload: bytes, received_at: datetime) -> Envelope:
    """A ChirpStack v4 `up` event (JSON mapping); `received_at` is when MQTT delivered it."""
    doc = _json_object(payload)
    info = doc.get("deviceInfo")
    if not isinstance(info, dict):
        raise RejectError("invalid_envelope", "no deviceInfo")
    dev_eui = _optional_text(info, "devEui")
    name = _optional_text(info, "deviceName")
    if dev_eui is None and name is None:
        raise RejectError("invalid_envelope", "neither devEui nor deviceName")
    if not any(key in doc for key in _CHIRPSTACK_UPLINK_KEYS):
        raise RejectError("invalid_envelope", "not an uplink event")
    gateways = _entries(doc, "rxInfo")
    data = _base64(doc, "data")
    eui_variants = () if dev_eui is None else (dev_eui.lower(), dev_eui.upper())
    return Envelope(
        device_keys=_unique((*eui_variants, name)),
        received_at=_best_time(
            [doc.get("time"), *(gw.get("nsTime") for gw in gateways)], received_at
        ),
        f_port=_counter(doc, "fPort", 0 if data is None else None, 255),
        f_cnt=_counter(doc, "fCnt", 0, 2**32 - 1),
        payload=data,
        decoded=_optional_object(doc, "object"),
        dedup_id=_optional_text(doc, "deduplicationId"),
        radio=_radio(gateways, ("rssi",)),
    )


def _json_object(payload: bytes) -> dict[str, Any]:
    try:
        doc = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:  # also invalid UTF-8 and nesting past 1,024
        raise RejectError("malformed_json", str(exc)) from exc
    if not isinstance(doc, dict):
        raise RejectError("invalid_envelope", f"expected a JSON object, got {type(doc).__name__}")
    return doc


def _optional_text(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RejectError("invalid_envelope", f"{key} must be a string, got {value!r}")
    return value


def _optional_object(obj: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = obj.get(key)
    if value is None or isinstance(value, dict):
        return value
    raise RejectError("invalid_envelope", f"{key} must be an object, got {type(value).__name__}")


def _counter(obj: dict[str, Any], key: str, absent: int | None, top: int) -> int | None:
    value = obj.get(key)
    if value is None:
        return absent
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
        raise RejectError(
            "invalid_envelope", f"{key} must be an integer in 0..{top}, got {value!r}"
        )
    return value


def _base64(obj: dict[str, Any], key: str) -> bytes | None:
    value = obj.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RejectError("malformed_payload", f"{key} must be a base64 string, got {value!r}")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RejectError("malformed_payload", f"{key}: {exc}") from exc


def _list(obj: dict[str, Any], key: str) -> list[Any]:
    value = obj.get(key)
    return value if isinstance(value, list) else []


def _entries(obj: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The objects of a list field such as the per-gateway metadata; anything else is ignored."""
    return [entry for entry in _list(obj, key) if isinstance(entry, dict)]


def _best_time(candidates: list[Any], received_at: datetime) -> datetime:
    """The first candidate that is a plausible time, else the MQTT receive time."""
    if received_at.tzinfo is None:
        raise ValueError("received_at must be time-zone aware")
    for value in candidates:
        if isinstance(value, str):
            try:
                return parse_timestamp(value, received_at)
            except RejectError:
                continue
    return received_at


def _radio(gateways: list[dict[str, Any]], rssi_keys: tuple[str, ...]) -> dict[str, Any]:
    rssi = [v for gw in gateways for v in [_first_number(gw, rssi_keys)] if v is not None]
    snr = [v for gw in gateways for v in [_first_number(gw, ("snr",))] if v is not None]
    radio: dict[str, Any] = {"gateways": len(gateways)}
    if rssi:
        radio["rssi"] = max(rssi)
    if snr:
        radio["snr"] = max(snr)
    return radio


def _first_number(obj: dict[str, Any], keys: tuple[str, ...]) -> float | None:
    for key in keys:
        value = obj.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return value
    return None


def _unique(keys: tuple[str | None, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(key for key in keys if key))
