"""Fixtures for the ingest tests: a registered bin with its device."""

from collections.abc import Callable, Iterator

import paho.mqtt.client as mqtt
import psycopg
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from curbside import BrokerAddress


@pytest.fixture
def registered_device(db: psycopg.Connection) -> str:
    """A bin `bin-1` with device `dev-1` in the registry; returns the device id."""
    db.execute(
        "INSERT INTO bins (id, lat, lon, waste_stream, volume_l, empty_distance_mm,"
        " full_distance_mm, blind_zone_mm) VALUES ('bin-1', 51.05, 3.72, 'residual', 240,"
        " 1000, 200, 250)"
    )
    db.execute(
        "INSERT INTO devices (id, sensor_model, bin_id) VALUES ('dev-1', 'canonical-json', 'bin-1')"
    )
    return "dev-1"


@pytest.fixture
def publish(broker: BrokerAddress) -> Iterator[Callable[[str, bytes], None]]:
    """Publish at QoS 1 to the test broker and wait for the broker's acknowledgement."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect(broker.host, broker.port)
    client.loop_start()

    def send(topic: str, payload: bytes) -> None:
        client.publish(topic, payload, qos=1).wait_for_publish(timeout=10)

    yield send
    client.disconnect()
    client.loop_stop()
