"""A reading as the broker gets it: canonical JSON, or a network server's uplink around the bytes.

Three formats (ARCHITECTURE.md, MQTT topics; `shared/specs/sensor-payloads.md` 1 and 2):

- canonical: `{prefix}/devices/{device_id}/up`, the reading as JSON (`sensors.reading_payload`);
- The Things Stack v3: `v3/{application}@{tenant}/devices/{device_id}/up`. The device id is
  the console's default, `eui-` and the DevEUI, so the ingest finds the device by its DevEUI.
  `uplink_message` carries the bytes (`frm_payload`), port, frame counter, the gateways'
  metadata and radio settings, and three receive times: gateway, network and application
  server. No payload formatter runs, so there is no `decoded_payload`;
- ChirpStack v4: `application/{application_id}/device/{dev_eui}/event/up`, the `up` event in
  the protobuf JSON mapping (camelCase), without a codec (no `object`).

Both servers leave out fields whose value is zero, empty or false; so do these encoders (a
first frame has no frame counter). LoRaWAN frames carry no measurement time: the network
server receives the frame at the reading's time, the gateways 20 to 120 ms before it (the
time The Things Stack's uplink gives first), the application server up to 30 ms after. So a
reading published at its time never has a receive time in the future.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from curbside.topics import uplink_topic
from simulators.city import SimDevice
from simulators.formats import Frame, sensor_frame
from simulators.radio import Network, Uplink, receive, stable_uuid
from simulators.sensors import Reading, reading_payload

JOIN_EUI = {"em310-udl": "24e124c0002a0001", "ldds75": "a840410000000101"}
"""The join EUI a device ships with (plausible values, one per maker)."""
PROFILE_NAMES = {"em310-udl": "Milesight EM310-UDL", "ldds75": "Dragino LDDS75"}
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass(frozen=True)
class Message:
    """An MQTT message: where it goes and what it says."""

    topic: str
    payload: bytes


def encode(
    reading: Reading,
    device: SimDevice,
    network: Network,
    prefix: str,
    frame: Frame | None = None,
) -> Message:
    """The message the device's reading reaches the broker as, in the device's format.

    `frame` replaces the bytes the hardware would send (for a garbled frame); it has no
    effect on a canonical device.
    """
    if device.uplink == "canonical":
        return Message(uplink_topic(device.id, prefix), reading_payload(reading))
    frame = frame or sensor_frame(reading, device.hardware)
    received_ns = round(reading.ts.timestamp()) * 10**9
    uplink = receive(network, device.id, reading.seq, received_ns, len(frame.data))
    if device.uplink == "tts":
        payload = tts_uplink(device, network, reading, frame, uplink)
        return Message(tts_topic(device, network), payload)
    if device.uplink == "chirpstack":
        return Message(
            chirpstack_topic(device, network),
            chirpstack_uplink(device, network, reading, frame, uplink),
        )
    raise ValueError(f"{device.id}: unknown uplink {device.uplink!r}")


def tts_device_id(device: SimDevice) -> str:
    """The device's id in The Things Stack: the console's default, `eui-{dev_eui}`."""
    return f"eui-{_dev_eui(device)}"


def tts_topic(device: SimDevice, network: Network) -> str:
    application = network.tts_application
    if network.tts_tenant is not None:
        application = f"{application}@{network.tts_tenant}"
    return f"v3/{application}/devices/{tts_device_id(device)}/up"


def chirpstack_topic(device: SimDevice, network: Network) -> str:
    return f"application/{network.chirpstack_application_id}/device/{_dev_eui(device)}/event/up"


def tts_uplink(
    device: SimDevice, network: Network, reading: Reading, frame: Frame, uplink: Uplink
) -> bytes:
    """The Things Stack v3 `up` message."""
    eui = _dev_eui(device)
    ulids = [_ulid(uplink.application_server_ns, _mixed(uplink.random, n)) for n in range(5)]
    gateway_time = _rfc3339(uplink.gateway_ns, "Z")
    message = {
        "end_device_ids": {
            "device_id": tts_device_id(device),
            "application_ids": {"application_id": network.tts_application},
            "dev_eui": eui.upper(),
            "join_eui": JOIN_EUI[device.hardware].upper(),
            "dev_addr": _dev_addr("260b", device).upper(),
        },
        "correlation_ids": [
            f"as:up:{ulids[0]}",
            f"gs:conn:{ulids[1]}",
            f"gs:up:host:{ulids[2]}",
            f"gs:uplink:{ulids[3]}",
            f"ns:uplink:{ulids[4]}",
        ],
        "received_at": _rfc3339(uplink.application_server_ns, "Z"),
        "uplink_message": {
            "session_key_id": base64.b64encode(_bytes(_mixed(int(eui, 16), 0), 16)).decode(),
            "f_port": frame.f_port,
            "f_cnt": reading.seq,
            "frm_payload": base64.b64encode(frame.data).decode(),
            "rx_metadata": [
                {
                    "gateway_ids": {
                        "gateway_id": r.gateway.gateway_id,
                        "eui": r.gateway.eui.upper(),
                    },
                    "time": gateway_time,
                    "timestamp": (uplink.gateway_ns // 1000) % 2**32,
                    "rssi": r.rssi_dbm,
                    "channel_rssi": r.rssi_dbm,
                    "snr": r.snr_db,
                    "channel_index": uplink.channel_index,
                    "received_at": _rfc3339(uplink.gateway_ns + 3_000_000, "Z"),
                }
                for r in uplink.receptions
            ],
            "settings": {
                "data_rate": {
                    "lora": {
                        "bandwidth": 125_000,
                        "spreading_factor": uplink.spreading_factor,
                        "coding_rate": "4/5",
                    }
                },
                "frequency": str(uplink.frequency_hz),
                "timestamp": (uplink.gateway_ns // 1000) % 2**32,
            },
            "received_at": _rfc3339(uplink.network_server_ns, "Z"),
            "consumed_airtime": f"{uplink.airtime_s:.6f}s",
            "network_ids": {"net_id": "000013", "tenant_id": network.tts_tenant or ""},
        },
    }
    return _json(message)


def chirpstack_uplink(
    device: SimDevice, network: Network, reading: Reading, frame: Frame, uplink: Uplink
) -> bytes:
    """The ChirpStack v4 `up` event, JSON mapping."""
    eui = _dev_eui(device)
    event = {
        "deduplicationId": str(_uuid4(uplink.random)),
        "time": _rfc3339(uplink.network_server_ns, "+00:00"),
        "deviceInfo": {
            "tenantId": network.chirpstack_tenant_id,
            "tenantName": network.chirpstack_tenant_name,
            "applicationId": network.chirpstack_application_id,
            "applicationName": network.chirpstack_application_name,
            "deviceProfileId": str(stable_uuid(("profile", network.seed, device.hardware))),
            "deviceProfileName": PROFILE_NAMES[device.hardware],
            "deviceName": device.id,
            "devEui": eui,
            "deviceClassEnabled": "CLASS_A",
            "tags": {},
        },
        "devAddr": _dev_addr("00", device),
        "adr": True,
        "dr": uplink.data_rate,
        "fCnt": reading.seq,
        "fPort": frame.f_port,
        "confirmed": False,
        "data": base64.b64encode(frame.data).decode(),
        "rxInfo": [
            {
                "gatewayId": r.gateway.eui,
                "uplinkId": (uplink.random >> (16 * rank)) % 65_536,
                "nsTime": _rfc3339(uplink.network_server_ns, "Z"),
                "rssi": r.rssi_dbm,
                "snr": r.snr_db,
                "channel": uplink.channel_index,
                "rfChain": 1 if uplink.channel_index >= 3 else 0,
                "location": {},
                "context": base64.b64encode(_bytes(uplink.gateway_ns // 1000, 4)).decode(),
                "metadata": {"region_config_id": "eu868", "region_common_name": "EU868"},
                "crcStatus": "CRC_OK",
            }
            for rank, r in enumerate(uplink.receptions)
        ],
        "txInfo": {
            "frequency": uplink.frequency_hz,
            "modulation": {
                "lora": {
                    "bandwidth": 125_000,
                    "spreadingFactor": uplink.spreading_factor,
                    "codeRate": "CR_4_5",
                }
            },
        },
    }
    return _json(event)


def _dev_eui(device: SimDevice) -> str:
    if device.dev_eui is None:
        raise ValueError(f"{device.id}: a LoRaWAN uplink needs the device's DevEUI")
    return device.dev_eui


def _dev_addr(prefix: str, device: SimDevice) -> str:
    """A device address of the network's range: its DevEUI's last digits after the prefix."""
    return prefix + _dev_eui(device)[-(8 - len(prefix)) :]


def _pruned(value: Any) -> Any:
    """The value without zero, empty and false fields, as the servers' JSON leaves them out."""
    if isinstance(value, list):
        return [_pruned(item) for item in value]
    if not isinstance(value, dict):
        return value
    kept = {}
    for key, item in value.items():
        if isinstance(item, dict | list):
            item = _pruned(item)
        if item or item is True:  # 0, 0.0, "", False, None, {} and [] are left out
            kept[key] = item
    return kept


def _json(document: dict[str, Any]) -> bytes:
    return json.dumps(_pruned(document), separators=(",", ":")).encode()


def _rfc3339(ns: int, zone: str) -> str:
    """An RFC 3339 UTC time with nanoseconds, ending in `Z` or `+00:00`."""
    seconds, fraction = divmod(ns, 10**9)
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S") + (
        f".{fraction:09d}{zone}"
    )


def _ulid(ns: int, random: int) -> str:
    """A ULID: 48 bits of milliseconds and 80 random bits, in Crockford's base 32."""
    value = ((ns // 10**6) % 2**48) << 80 | random % 2**80
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def _uuid4(random: int) -> uuid.UUID:
    return uuid.UUID(int=random % 2**128, version=4)


def _mixed(number: int, salt: int) -> int:
    """Another 128 random-looking bits that follow from `number` and `salt`."""
    digest = hashlib.blake2b(f"{number}:{salt}".encode(), digest_size=16).digest()
    return int.from_bytes(digest, "big")


def _bytes(number: int, size: int) -> bytes:
    return (number % (1 << (8 * size))).to_bytes(size, "big")
