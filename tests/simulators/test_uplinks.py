"""Tests of simulators/uplinks.py and radio.py: network servers' envelopes, as they make them."""

import base64
import dataclasses
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from simulators import City, Network, SimBin, SimDevice, encode
from simulators.formats import sensor_frame
from simulators.radio import EU868_CHANNELS_HZ, Gateway, airtime_s
from simulators.sensors import Reading
from tests.simulators.ingested import ingest_messages

TS = datetime(2025, 3, 2, 12, 0, 7, tzinfo=UTC)
NETWORK = Network.for_city(seed=4, devices=900)
EM310 = SimDevice(
    "dev-0042", "bin-0042", "em310-udl", "em310-udl", uplink="tts", dev_eui="24e1247100001234"
)
LDDS75 = SimDevice(
    "dev-0043", "bin-0043", "ldds75", "ldds75", uplink="chirpstack", dev_eui="a840410000001235"
)
READING = Reading("dev-0042", TS, 35.0, 1480, 91.0, 12.5, seq=1207)


def payload(device: SimDevice, reading: Reading = READING) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(encode(reading, device, NETWORK, "curbside/v1").payload)
    return document


def leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [value] + [leaf for item in value.values() for leaf in leaves(item)]
    if isinstance(value, list):
        return [value] + [leaf for item in value for leaf in leaves(item)]
    return [value]


def test_the_things_stack_uplink_has_the_servers_shape() -> None:
    """Topic with application@tenant and the console's `eui-` device id; DevEUI in upper
    case; bytes, port, counter, gateways, settings; frequency as a string; no decoded object."""
    message = encode(READING, EM310, NETWORK, "curbside/v1")
    assert message.topic == "v3/curbside@ttn/devices/eui-24e1247100001234/up"
    doc = json.loads(message.payload)
    ids, up = doc["end_device_ids"], doc["uplink_message"]
    assert (ids["device_id"], ids["dev_eui"]) == ("eui-24e1247100001234", "24E1247100001234")
    assert ids["application_ids"] == {"application_id": "curbside"}
    assert (up["f_port"], up["f_cnt"]) == (85, 1207)
    assert base64.b64decode(up["frm_payload"]) == sensor_frame(READING, "em310-udl").data
    assert int(up["settings"]["frequency"]) in EU868_CHANNELS_HZ
    assert "decoded_payload" not in up
    assert doc["correlation_ids"][0].startswith("as:up:")
    assert len(doc["correlation_ids"][0]) == len("as:up:") + 26  # a ULID
    assert 1 <= len(up["rx_metadata"]) <= 3
    assert {g["gateway_ids"]["gateway_id"] for g in up["rx_metadata"]} <= {
        g.gateway_id for g in NETWORK.gateways
    }


def test_receive_times_follow_the_frame_through_the_network() -> None:
    """The network server receives the frame at the reading's time, the gateways 20 to 120 ms
    before, the application server up to 30 ms after; nanoseconds, in UTC; the airtime is the
    frame's at its spreading factor."""
    up = payload(EM310)["uplink_message"]
    gateway = datetime.fromisoformat(up["rx_metadata"][0]["time"])
    network = datetime.fromisoformat(up["received_at"])
    application = datetime.fromisoformat(payload(EM310)["received_at"])
    assert network == TS
    assert timedelta(milliseconds=20) <= network - gateway <= timedelta(milliseconds=120)
    assert timedelta(0) < application - network <= timedelta(milliseconds=30)
    settings = up["settings"]["data_rate"]["lora"]
    air = airtime_s(len(sensor_frame(READING, "em310-udl").data), settings["spreading_factor"])
    assert up["consumed_airtime"] == f"{air:.6f}s"
    assert len(up["rx_metadata"][0]["time"].split(".")[1]) == len("123456789Z")


def test_the_chirpstack_event_has_the_servers_shape() -> None:
    """Topic with the application's UUID and the lower-case DevEUI; camelCase fields, the
    device profile, `time` with an offset, rx and tx information; no codec object."""
    reading = dataclasses.replace(READING, device_id="dev-0043")
    message = encode(reading, LDDS75, NETWORK, "curbside/v1")
    app = NETWORK.chirpstack_application_id
    assert message.topic == f"application/{app}/device/a840410000001235/event/up"
    doc = json.loads(message.payload)
    info = doc["deviceInfo"]
    assert (info["devEui"], info["deviceName"], info["applicationId"]) == (
        "a840410000001235",
        "dev-0043",
        app,
    )
    assert info["deviceProfileName"] == "Dragino LDDS75"
    assert (doc["fPort"], doc["fCnt"]) == (2, 1207)
    assert doc["time"].endswith("+00:00")
    assert doc["txInfo"]["frequency"] in EU868_CHANNELS_HZ
    assert doc["dr"] == 12 - doc["txInfo"]["modulation"]["lora"]["spreadingFactor"]
    assert "object" not in doc
    assert "confirmed" not in doc
    assert all(rx["crcStatus"] == "CRC_OK" for rx in doc["rxInfo"])


@pytest.mark.parametrize("device", [EM310, LDDS75])
def test_zero_fields_are_left_out_as_the_servers_do(device: SimDevice) -> None:
    """A first frame (counter 0) has no counter field, and no value anywhere is 0, empty or
    false."""
    doc = payload(device, dataclasses.replace(READING, seq=0))
    assert "f_cnt" not in doc.get("uplink_message", {})
    assert "fCnt" not in doc
    assert not [leaf for leaf in leaves(doc) if leaf in (0, "", False, None, {}, [])]


def test_the_same_uplink_is_described_the_same_and_the_next_one_differently() -> None:
    """Encoding is deterministic; the next frame has other ids, radio draw and counter."""
    first = encode(READING, LDDS75, NETWORK, "p").payload
    assert encode(READING, LDDS75, NETWORK, "p").payload == first
    later = dataclasses.replace(READING, seq=1208, ts=TS + timedelta(hours=1))
    second = json.loads(encode(later, LDDS75, NETWORK, "p").payload)
    assert second["deduplicationId"] != json.loads(first)["deduplicationId"]


def test_the_things_stack_open_source_topic_has_no_tenant() -> None:
    """Without a tenant the application stands alone in the topic, and the ingest still reads
    it, finding the device by its DevEUI."""
    network = dataclasses.replace(NETWORK, tts_tenant=None)
    message = encode(READING, EM310, network, "curbside/v1")
    assert message.topic.startswith("v3/curbside/devices/")
    bin_ = SimBin("bin-0042", 51.0, 3.7, "", "residual", 240.0, 1000, 300, 250, 10.0, 0.0)
    city = City(1, (51.0, 3.7), (bin_,), (EM310,), (), (), ())
    batch = ingest_messages(city, [message], TS + timedelta(minutes=1))
    assert [(r.device_id, r.bin_id, r.measurement.distance_mm) for r in batch.rows] == [
        ("dev-0042", "bin-0042", 1480)
    ]


def test_a_city_network_grows_with_the_city() -> None:
    """At least three gateways, one per 400 devices; ids follow from the seed."""
    assert len(Network.for_city(1, 10).gateways) == 3
    assert len(Network.for_city(1, 10_000).gateways) == 25
    assert Network.for_city(1, 10) == Network.for_city(1, 10)
    assert Network.for_city(1, 10).chirpstack_application_id != (
        Network.for_city(2, 10).chirpstack_application_id
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"gateways": ()}, "gateway"),
        ({"tts_application": "Not An Id"}, "tts_application"),
        ({"tts_tenant": "a/b"}, "tts_tenant"),
        ({"chirpstack_application_id": "not-a-uuid"}, "UUID"),
    ],
)
def test_impossible_networks_are_refused(change: dict[str, object], message: str) -> None:
    """No gateway, ids The Things Stack would refuse, a ChirpStack id that is no UUID."""
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(NETWORK, **change)  # type: ignore[arg-type]


def test_gateways_check_their_ids() -> None:
    """A gateway EUI is 16 lower-case hex digits."""
    with pytest.raises(ValueError, match="EUI"):
        Gateway("gw-one", "B827EBFFFE000001")
