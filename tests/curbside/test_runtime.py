"""Tests of curbside/runtime.py: the local broker's and database's lifecycle."""

from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from curbside.runtime import LocalMosquitto, LocalPostgres, free_port, port_open


def test_broker_starts_once_serves_and_stops(services_dir: Path) -> None:
    """A second start is a no-op; the broker accepts clients; stop frees the port."""
    broker = LocalMosquitto(services_dir / "lifecycle-mqtt", free_port(), persistent=False)
    broker.start()
    try:
        pid = broker.pid_file.read_text()
        broker.start()
        assert broker.pid_file.read_text() == pid
        client = mqtt.Client(CallbackAPIVersion.VERSION2)
        assert client.connect("127.0.0.1", broker.port) == mqtt.MQTT_ERR_SUCCESS
        client.disconnect()
    finally:
        broker.stop()
    assert not broker.is_running()
    assert not port_open(broker.port)


def test_database_cluster_restarts_with_its_data(services_dir: Path) -> None:
    """A stopped cluster starts again from its data folder without re-initialising."""
    import psycopg

    cluster = LocalPostgres(services_dir / "lifecycle-pg", free_port(), durable=False)
    cluster.start()
    try:
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (x int)")
        cluster.stop()
        assert not cluster.is_running()
        assert cluster.initialize() is False
        cluster.start()
        with psycopg.connect(cluster.url) as conn:
            assert conn.execute("SELECT to_regclass('kept')::text").fetchone() == ("kept",)
    finally:
        cluster.stop()
