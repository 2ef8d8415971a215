"""Tests of deploy/mosquitto: the production broker configuration, its ACLs and scripts, on a
real Mosquitto started with exactly these files (tests/deploy/broker.py)."""

from __future__ import annotations

import socket
import ssl
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import MQTTProtocolVersion

from curbside import BrokerAddress
from curbside.runtime import wait_until
from ingest.consumer import ConsumerOptions, MqttSource
from ingest.errors import IngestError
from ingest.process import Message
from ingest.service import topic_filters
from ingest.settings import DEFAULT_BATCH_SIZE, IngestSettings
from simulators import PublishError
from simulators.publisher import Publisher
from tests.deploy.broker import (
    CONFIG,
    PATH_DIRECTIVES,
    PREFIX,
    Broker,
    Client,
    User,
    directives,
)

NOT_AUTHORIZED = 135
"""MQTT 5's reason for a refused login or publication (paho maps 3.1.1's CONNACK 5 to it)."""
BAD_CREDENTIALS = 134
CHIRPSTACK_APP = "0b7ee5b4-4a56-4f3b-a5a4-7d4f6c1d2e3f"
OTHER_CHIRPSTACK_APP = "9d3c6c1e-2f0a-4a43-8d55-3b1f4e6a7c80"


def fleet() -> dict[str, User]:
    """The ingest and one gateway of each kind, with new random passwords."""
    users = [
        User("ingest", "curbside-ingest"),
        User("tts", "tts-acme", ("acme@ttn",)),
        User("chirpstack", "cs-north", (CHIRPSTACK_APP,)),
        User("devices", "gw-vendor", ("dev-a", "dev-b")),
        User("devices", "dev-c", ("dev-c",)),  # a sensor that connects by itself
    ]
    return {user.name: user for user in users}


UPLINKS = {
    "tts-acme": "v3/acme@ttn/devices/sensor-1/up",
    "cs-north": f"application/{CHIRPSTACK_APP}/device/a84041000181c061/event/up",
    "gw-vendor": f"{PREFIX}/devices/dev-a/up",
    "dev-c": f"{PREFIX}/devices/dev-c/up",
}
"""A topic each gateway may publish on."""

FORBIDDEN = [
    ("tts-acme", "v3/other@ttn/devices/sensor-1/up"),  # another application
    ("tts-acme", "v3/acme@other/devices/sensor-1/up"),  # its application, another tenant
    ("tts-acme", "v3/acme@ttn/devices/sensor-1/down/push"),  # not an uplink
    ("tts-acme", "application/acme@ttn/device/a84041000181c061/event/up"),  # another format
    ("tts-acme", f"{PREFIX}/devices/acme@ttn/up"),  # Curbside's own topics under its name
    ("cs-north", f"application/{OTHER_CHIRPSTACK_APP}/device/a84041000181c061/event/up"),
    ("cs-north", f"application/{CHIRPSTACK_APP}/device/a84041000181c061/command/down"),
    ("gw-vendor", f"{PREFIX}/devices/dev-c/up"),  # another gateway's device
    ("gw-vendor", f"{PREFIX}/devices/dev-c/status"),  # the status of another device
    ("gw-vendor", f"{PREFIX}/devices/dev-z/up"),  # a device it was not given
    ("gw-vendor", f"{PREFIX}/devices/dev-a/up/more"),
    ("gw-vendor", "v3/acme@ttn/devices/sensor-1/up"),
    ("gw-vendor", "random/topic"),
    ("dev-c", f"{PREFIX}/devices/dev-a/up"),
    ("dev-c", f"{PREFIX}/devices/dev-a/status"),
    ("dev-c", "other/v1/devices/dev-c/up"),  # its device under another prefix
]
"""(gateway, a topic it must not publish on)."""


def marker() -> bytes:
    return uuid.uuid4().hex.encode()


@pytest.fixture(scope="module")
def broker(services_dir: Path) -> Iterator[Broker]:
    """One production-configured broker for this module's tests that need no restart."""
    server = Broker(services_dir / f"broker-{uuid.uuid4().hex[:8]}", fleet())
    server.set_up()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def connect(broker: Broker) -> Iterator[Callable[..., Client]]:
    """`connect(user, tls=False)`: a client of that user, logged in (closed after the test)."""
    clients: list[Client] = []

    def open_client(name: str, tls: bool = False) -> Client:
        port = broker.tls_port if tls else broker.plain_port
        ca_file = broker.ca_file if tls else None
        client = Client(port, name, broker.password(name), ca_file=ca_file)
        clients.append(client)
        reason = client.connect()
        assert not reason.is_failure, f"{name} was refused: {reason}"
        return client

    yield open_client
    for client in clients:
        client.close()


@pytest.fixture
def ingest(connect: Callable[..., Client]) -> Client:
    """The ingest's user subscribed to `#`: every topic but $SYS."""
    client = connect("curbside-ingest")
    client.subscribe("#")
    return client


def refusal(client: Client) -> int:
    """The CONNACK reason of a connection attempt expected to fail."""
    try:
        reason = client.connect()
    finally:
        client.close()
    assert reason.is_failure
    return reason.value


# --- The files ---------------------------------------------------------------------------


def test_the_tested_config_differs_from_the_deployed_one_only_in_listeners_and_paths(
    broker: Broker,
) -> None:
    """The broker under test runs the deployed file; only ports and file paths are moved."""
    deployed = directives(CONFIG.read_text())
    tested = directives(broker.config_file.read_text())
    assert [name for name, _ in tested] == [name for name, _ in deployed]
    kept = PATH_DIRECTIVES | {"listener"}
    assert [d for d in tested if d[0] not in kept] == [d for d in deployed if d[0] not in kept]
    for name, value in tested:
        if name in PATH_DIRECTIVES:
            assert Path(value).is_relative_to(broker.root), (name, value)
    listeners = [value for name, value in tested if name == "listener"]
    assert listeners == [f"{broker.plain_port} 127.0.0.1", f"{broker.tls_port} 127.0.0.1"]


def test_the_queue_limits_fit_the_ingest() -> None:
    """Limits are set, a whole ingest batch may be in flight, sessions last as the ingest's."""
    config = dict(directives(CONFIG.read_text()))
    assert int(config["max_queued_messages"]) > 0
    assert int(config["max_queued_bytes"]) > 0
    assert int(config["max_packet_size"]) > 0
    assert int(config["max_inflight_messages"]) >= DEFAULT_BATCH_SIZE
    expiry = config["persistent_client_expiration"]
    assert expiry.endswith("d")
    assert int(expiry[:-1]) * 86400 == IngestSettings.model_fields["session_expiry_s"].default
    assert (config["allow_anonymous"], config["persistence"]) == ("false", "true")


def test_users_sh_keeps_one_block_per_user(broker: Broker) -> None:
    """The ACL file is the deployed template plus one block per user, with its topics."""
    acl = (broker.private_dir / "acl").read_text()
    template = (CONFIG.parent / "acl").read_text()
    assert acl.startswith(template)
    blocks = acl[len(template) :].strip().split("\n\n")
    assert sorted(block.splitlines()[0] for block in blocks) == sorted(
        f"user {name}" for name in broker.users
    )
    assert "topic write curbside/v1/devices/dev-b/status" in acl
    assert not [line for line in acl.splitlines() if line.startswith("pattern")]


# --- Logging in --------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", [mqtt.MQTTv5, mqtt.MQTTv311])
def test_anonymous_clients_are_refused(broker: Broker, protocol: MQTTProtocolVersion) -> None:
    """A client without a user name is not let in, in MQTT 5 or 3.1.1."""
    assert refusal(Client(broker.plain_port, protocol=protocol)) == NOT_AUTHORIZED


@pytest.mark.parametrize(
    ("username", "password", "protocol"),
    [
        ("curbside-ingest", "wrong", mqtt.MQTTv5),
        ("curbside-ingest", "wrong", mqtt.MQTTv311),
        ("gw-vendor", "", mqtt.MQTTv5),
        ("gw-vendor", "password of curbside-ingest", mqtt.MQTTv5),
        ("nobody", "password of curbside-ingest", mqtt.MQTTv5),
    ],
)
def test_wrong_passwords_and_unknown_users_are_refused(
    broker: Broker, username: str, password: str, protocol: MQTTProtocolVersion
) -> None:
    """A wrong password, another user's password or an unknown user is refused."""
    if password.startswith("password of "):
        password = broker.password(password.removeprefix("password of "))
    client = Client(broker.plain_port, username, password, protocol=protocol)
    assert refusal(client) in (NOT_AUTHORIZED, BAD_CREDENTIALS)


def test_the_ingest_s_user_reads_the_broker_s_uptime(
    broker: Broker, connect: Callable[..., Client]
) -> None:
    """The compose health check logs in as the ingest and reads $SYS/broker/uptime."""
    ingest = connect("curbside-ingest")
    ingest.subscribe("$SYS/broker/uptime")
    wait_until(
        lambda: any(topic == "$SYS/broker/uptime" for topic, _ in ingest.messages),
        15,
        "$SYS/broker/uptime",
        broker.log_file,
    )


# --- What gateways may publish and read ----------------------------------------------------


@pytest.mark.parametrize("gateway", sorted(UPLINKS))
def test_a_gateway_s_uplinks_reach_the_ingest_s_shared_subscription(
    connect: Callable[..., Client], gateway: str
) -> None:
    """The ingest's own subscriptions ($share/curbside-ingest/...) get each gateway's uplinks."""
    settings = IngestSettings(topic_prefix=PREFIX, share_group="curbside-ingest")
    ingest = connect("curbside-ingest")
    filters = topic_filters(settings)
    assert all(f.startswith("$share/curbside-ingest/") for f in filters)
    assert not any(reason.is_failure for reason in ingest.subscribe(*filters))
    payload = marker()
    assert not connect(gateway).publish(UPLINKS[gateway], payload).is_failure
    ingest.wait_for(UPLINKS[gateway], payload)


@pytest.mark.parametrize(
    ("gateway", "topic"),
    [("gw-vendor", f"{PREFIX}/devices/dev-b/status"), ("dev-c", f"{PREFIX}/devices/dev-c/status")],
)
def test_a_gateway_publishes_its_devices_status(
    connect: Callable[..., Client], ingest: Client, gateway: str, topic: str
) -> None:
    """A device's status (retained, as the topic contract has it) is its gateway's to publish."""
    payload = b'{"online": true, "id": "' + marker() + b'"}'
    client = connect(gateway)
    assert not client.publish(topic, payload, retain=True).is_failure
    ingest.wait_for(topic, payload)
    assert not client.publish(topic, b"", retain=True).is_failure  # clears the retained one


@pytest.mark.parametrize(("gateway", "topic"), FORBIDDEN)
def test_a_gateway_publishing_outside_its_topics_is_not_delivered(
    connect: Callable[..., Client], ingest: Client, gateway: str, topic: str
) -> None:
    """The broker refuses the message (MQTT 5 says so) and nobody receives it: a marker the
    gateway publishes next, on its own topic, arrives and the refused message before it not."""
    client = connect(gateway)
    refused, after = marker(), marker()
    assert client.publish(topic, refused).value == NOT_AUTHORIZED
    assert not client.publish(UPLINKS[gateway], after).is_failure
    assert (topic, refused) not in ingest.wait_for(UPLINKS[gateway], after)
    assert refused not in [payload for _, payload in ingest.messages]


@pytest.mark.parametrize("gateway", sorted(UPLINKS))
def test_gateways_read_nothing(
    connect: Callable[..., Client], ingest: Client, gateway: str
) -> None:
    """A gateway subscribed to everything, its own topic included, gets no message at all."""
    reader = connect(gateway)
    reader.subscribe("#", UPLINKS[gateway], "$SYS/#", f"{PREFIX}/devices/+/status")
    other = "cs-north" if gateway == "tts-acme" else "tts-acme"
    own_payload, other_payload = marker(), marker()
    assert not reader.publish(UPLINKS[gateway], own_payload).is_failure
    assert not connect(other).publish(UPLINKS[other], other_payload).is_failure
    ingest.wait_for(UPLINKS[other], other_payload)
    ingest.wait_for(UPLINKS[gateway], own_payload)
    # Whatever the broker had routed to the reader precedes this acknowledgement on its
    # connection: after it, an empty list means nothing was delivered.
    assert not reader.publish(UPLINKS[gateway], marker()).is_failure
    assert reader.messages == []


def test_a_gateway_added_while_running_publishes_after_a_reload(
    broker: Broker, connect: Callable[..., Client], ingest: Client
) -> None:
    """users.sh and SIGHUP add a gateway without a restart; removing it locks it out and
    closes its connection."""
    broker.add_user(User("tts", "tts-late", ("late@ttn",)))
    broker.reload()
    password = broker.password("tts-late")

    def logs_in() -> bool:
        client = Client(broker.plain_port, "tts-late", password)
        try:
            return not client.connect().is_failure
        finally:
            client.close()

    wait_until(logs_in, 10, "the new gateway's login", broker.log_file)
    payload = marker()
    gateway = connect("tts-late")
    assert not gateway.publish("v3/late@ttn/devices/s/up", payload).is_failure
    ingest.wait_for("v3/late@ttn/devices/s/up", payload)

    broker.remove_user("tts-late")
    broker.reload()
    gateway.wait_until_disconnected()  # its open connection is closed too
    wait_until(lambda: not logs_in(), 10, "the removed gateway's refusal", broker.log_file)


def test_a_packet_above_the_size_limit_is_not_delivered(
    connect: Callable[..., Client], ingest: Client
) -> None:
    """Up to max_packet_size a message goes through; above it the broker disconnects the
    sender without delivering the message."""
    limit = int(dict(directives(CONFIG.read_text()))["max_packet_size"])
    topic = UPLINKS["gw-vendor"]
    gateway = connect("gw-vendor")
    fits = marker() + b" " * (limit - 1024)
    assert not gateway.publish(topic, fits).is_failure
    ingest.wait_for(topic, fits)
    too_large = marker() + b" " * limit
    gateway.publish_nowait(topic, too_large)
    gateway.wait_until_disconnected()
    after = marker()
    assert not connect("dev-c").publish(UPLINKS["dev-c"], after).is_failure
    ingest.wait_for(UPLINKS["dev-c"], after)
    assert too_large not in [payload for _, payload in ingest.messages]


# --- TLS ---------------------------------------------------------------------------------


def test_the_tls_listener_takes_a_client_trusting_the_ca(
    connect: Callable[..., Client], ingest: Client
) -> None:
    """Over TLS, a gateway checking the server against ca.crt logs in and publishes."""
    payload = marker()
    gateway = connect("gw-vendor", tls=True)
    assert not gateway.publish(UPLINKS["gw-vendor"], payload).is_failure
    ingest.wait_for(UPLINKS["gw-vendor"], payload)


def test_the_tls_listener_refuses_wrong_passwords(broker: Broker) -> None:
    client = Client(broker.tls_port, "gw-vendor", "wrong", ca_file=broker.ca_file)
    assert refusal(client) in (NOT_AUTHORIZED, BAD_CREDENTIALS)


def test_a_client_not_trusting_the_ca_does_not_connect(broker: Broker) -> None:
    """The server's certificate is not one the system's CAs vouch for, but ca.crt does."""
    address = ("127.0.0.1", broker.tls_port)
    untrusting = ssl.create_default_context()
    with (
        socket.create_connection(address, timeout=10) as sock,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        untrusting.wrap_socket(sock, server_hostname="127.0.0.1")
    trusting = ssl.create_default_context(cafile=broker.ca_file)
    with (
        socket.create_connection(address, timeout=10) as sock,
        trusting.wrap_socket(sock, server_hostname="127.0.0.1") as tls,
    ):
        assert tls.version() in ("TLSv1.2", "TLSv1.3")


# --- The project's own clients -------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["mqtt", "mqtts"])
def test_the_ingest_consumer_logs_in_with_its_settings(
    broker: Broker, connect: Callable[..., Client], scheme: str
) -> None:
    """The real consumer, configured as the ingest is (CURBSIDE_MQTT_URL with the user and
    password, CURBSIDE_MQTT_CA_FILE), subscribes and receives a gateway's uplink."""
    port = broker.tls_port if scheme == "mqtts" else broker.plain_port
    settings = IngestSettings(
        mqtt_url=f"{scheme}://curbside-ingest:{broker.password('curbside-ingest')}@127.0.0.1:{port}",
        mqtt_ca_file=str(broker.ca_file),
        topic_prefix=PREFIX,
        client_id=f"ingest-{uuid.uuid4().hex[:8]}",
        share_group="curbside-ingest",
        session_expiry_s=0,  # no session left behind in the shared group
    )
    options = ConsumerOptions(
        client_id=settings.client_id,
        topic_filters=topic_filters(settings),
        session_expiry_s=settings.session_expiry_s,
        protocol=settings.mqtt_protocol,
        ca_file=settings.mqtt_ca_file,
    )
    payload = marker()
    with MqttSource(settings.broker, options) as source:
        assert not connect("tts-acme").publish(UPLINKS["tts-acme"], payload).is_failure
        deadline = time.monotonic() + 10
        received: list[Message] = []
        while payload not in [m.payload for m in received] and time.monotonic() < deadline:
            received += source.get_batch(100, 0.5)
        assert (UPLINKS["tts-acme"], payload) in [(m.topic, m.payload) for m in received]
        source.ack([m.ack for m in received])


def test_the_ingest_consumer_with_a_wrong_password_stops_at_once(broker: Broker) -> None:
    address = BrokerAddress("127.0.0.1", broker.plain_port, "curbside-ingest", "wrong")
    options = ConsumerOptions(client_id="ingest-wrong", topic_filters=("#",), session_expiry_s=0)
    with pytest.raises(IngestError, match="refused the connection"):
        MqttSource(address, options).__enter__()


def test_the_simulators_publisher_logs_in_as_a_gateway(
    broker: Broker, ingest: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The simulators publish with a gateway's credentials (in CURBSIDE_MQTT_URL); over TLS
    they trust the CA through SSL_CERT_FILE; what the ACL refuses fails the flush."""
    monkeypatch.setenv("SSL_CERT_FILE", str(broker.ca_file))
    password = broker.password("gw-vendor")
    for port, tls in ((broker.plain_port, False), (broker.tls_port, True)):
        payload = marker()
        with Publisher(BrokerAddress("127.0.0.1", port, "gw-vendor", password, tls)) as publisher:
            publisher.publish(UPLINKS["gw-vendor"], payload)
            publisher.flush()
            publisher.publish(f"{PREFIX}/devices/dev-c/up", b"{}")
            with pytest.raises(PublishError, match="refused 1 of 2"):
                publisher.flush()
        ingest.wait_for(UPLINKS["gw-vendor"], payload)


# --- Persistence -------------------------------------------------------------------------


def test_queued_messages_survive_a_broker_restart(services_dir: Path) -> None:
    """A QoS 1 uplink queued for the ingest's offline persistent session is on disk when the
    broker stops, and delivered when the ingest comes back to the restarted broker."""
    broker = Broker(services_dir / f"broker-{uuid.uuid4().hex[:8]}", fleet())
    broker.set_up()
    broker.start()
    try:

        def ingest_session() -> Client:
            return Client(
                broker.plain_port, "curbside-ingest", broker.password("curbside-ingest"),
                client_id="curbside-ingest-1", clean_start=False, session_expiry_s=3600,
            )  # fmt: skip

        ingest = ingest_session()
        assert not ingest.connect().is_failure
        ingest.subscribe(f"$share/curbside-ingest/{PREFIX}/devices/+/up")
        ingest.close()

        gateway = Client(broker.plain_port, "gw-vendor", broker.password("gw-vendor"))
        assert not gateway.connect().is_failure
        payload = marker()
        assert not gateway.publish(UPLINKS["gw-vendor"], payload).is_failure
        gateway.close()

        broker.stop()
        assert (broker.data_dir / "mosquitto.db").is_file()
        broker.start()

        ingest = ingest_session()
        try:
            assert not ingest.connect().is_failure
            assert ingest.session_present
            ingest.wait_for(UPLINKS["gw-vendor"], payload)
        finally:
            ingest.close()
    finally:
        broker.stop()
