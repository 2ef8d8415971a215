"""A Mosquitto started with deploy/mosquitto's production files, and MQTT clients for it.

The broker runs `mosquitto -c` on a copy of deploy/mosquitto/mosquitto.conf in which only the
listeners (free ports on the loopback interface) and the files' paths differ; its users come
from deploy/mosquitto/users.sh and its certificates from deploy/mosquitto/make-certs.sh, as an
operator makes them. Used by tests/deploy/test_broker.py.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from curbside.processes import running_pid, spawn, terminate
from curbside.runtime import free_port, port_open, wait_until
from curbside.topics import DEFAULT_PREFIX

CONFIG_DIR = Path(__file__).parents[2] / "deploy" / "mosquitto"
CONFIG = CONFIG_DIR / "mosquitto.conf"
DEPLOYED_DIR = "/mosquitto/config/private/"
"""Where the deployed configuration expects passwd, acl and certs/."""
DEPLOYED_DATA = "/mosquitto/data/"
PATH_DIRECTIVES = frozenset(
    {"password_file", "acl_file", "cafile", "certfile", "keyfile", "persistence_location"}
)
"""The directives whose value a test broker changes, besides `listener`."""

PREFIX = DEFAULT_PREFIX
"""The topic prefix of the tests' gateways: the ingest's default."""
WAIT_S = 10.0


def directives(text: str) -> list[tuple[str, str]]:
    """A Mosquitto configuration's directives in order: (name, value), comments left out."""
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition(" ")
            found.append((name, value.strip()))
    return found


def rewritten_config(deployed: str, root: Path, plain_port: int, tls_port: int) -> str:
    """The deployed configuration with listeners on `plain_port` and `tls_port` of 127.0.0.1
    and the private files and data under `root`; every other line as it is."""
    ports = iter((plain_port, tls_port))
    lines = []
    for line in deployed.splitlines():
        name, _, value = line.strip().partition(" ")
        if name == "listener":
            line = f"listener {next(ports)} 127.0.0.1"
        elif name in PATH_DIRECTIVES:
            value = value.replace(DEPLOYED_DIR, f"{root / 'private'}/")
            value = value.replace(DEPLOYED_DATA, f"{root / 'data'}/")
            line = f"{name} {value}"
        lines.append(line)
    if next(ports, None) is not None:
        raise AssertionError("the deployed configuration no longer has two listeners")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class User:
    """A broker user as users.sh adds it: `users.sh KIND NAME ARGS...`."""

    kind: str
    name: str
    args: tuple[str, ...] = ()
    password: str = field(default_factory=lambda: secrets.token_urlsafe(18))


def run_script(script: str, args: Sequence[str], env: Mapping[str, str], stdin: str = "") -> None:
    """Run one of deploy/mosquitto's scripts; fail with its error output."""
    result = subprocess.run(
        [str(CONFIG_DIR / script), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )
    if result.returncode != 0:
        raise AssertionError(f"{script} {' '.join(args)} failed: {result.stderr.strip()}")


@dataclass
class Broker:
    """A production-configured Mosquitto in `root`; `start` and `stop` keep its files."""

    root: Path
    users: dict[str, User]
    plain_port: int = field(default_factory=free_port)
    tls_port: int = field(default_factory=free_port)

    @property
    def private_dir(self) -> Path:
        return self.root / "private"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def config_file(self) -> Path:
        return self.root / "mosquitto.conf"

    @property
    def ca_file(self) -> Path:
        return self.private_dir / "certs" / "ca.crt"

    @property
    def log_file(self) -> Path:
        return self.root / "mosquitto.log"

    @property
    def pid_file(self) -> Path:
        return self.root / "mosquitto.pid"

    def password(self, name: str) -> str:
        return self.users[name].password

    def set_up(self) -> None:
        """Write the configuration, add the users and make the certificates."""
        self.root.mkdir(parents=True)
        self.data_dir.mkdir()
        if os.geteuid() == 0:  # mosquitto gives up root for its own user: let it write here
            shutil.chown(self.data_dir, "mosquitto", "mosquitto")
        deployed = CONFIG.read_text()
        self.config_file.write_text(
            rewritten_config(deployed, self.root, self.plain_port, self.tls_port)
        )
        for user in self.users.values():
            self.add_user(user)
        run_script("make-certs.sh", [str(self.ca_file.parent), "localhost", "127.0.0.1"], {})

    def add_user(self, user: User) -> None:
        self.users[user.name] = user
        env = {"CURBSIDE_BROKER_DIR": str(self.private_dir), "CURBSIDE_TOPIC_PREFIX": PREFIX}
        run_script("users.sh", [user.kind, user.name, *user.args], env, user.password + "\n")

    def remove_user(self, name: str) -> None:
        run_script("users.sh", ["remove", name], {"CURBSIDE_BROKER_DIR": str(self.private_dir)})
        del self.users[name]

    def start(self) -> None:
        spawn(["mosquitto", "-c", str(self.config_file)], self.log_file, self.pid_file)
        wait_until(
            lambda: port_open(self.plain_port) and port_open(self.tls_port),
            WAIT_S,
            "mosquitto",
            self.log_file,
        )

    def reload(self) -> None:
        """SIGHUP: the broker rereads passwd and acl."""
        pid = running_pid(self.pid_file)
        assert pid is not None, "the broker is not running"
        os.kill(pid, signal.SIGHUP)

    def stop(self) -> None:
        terminate(self.pid_file)


class Client:
    """A paho-mqtt client of one user; it collects the messages it receives.

    `publish` waits for the broker's acknowledgement, `subscribe` for its SUBACK: once they
    return, the broker has handled the packet. Messages from one connection reach a subscriber
    in the order they were published (MQTT's ordering guarantee, within one QoS).
    """

    def __init__(
        self,
        port: int,
        username: str | None = None,
        password: str | None = None,
        *,
        client_id: str = "",
        protocol: MQTTProtocolVersion = mqtt.MQTTv5,
        ca_file: Path | None = None,
        tls: bool = False,
        clean_start: bool = True,
        session_expiry_s: int = 0,
    ) -> None:
        self._port = port
        self._protocol = protocol
        self._clean_start = clean_start
        self._session_expiry_s = session_expiry_s
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=protocol,
            clean_session=None if protocol == mqtt.MQTTv5 else clean_start,
            reconnect_on_failure=False,
        )
        if username is not None:
            self._client.username_pw_set(username, password)
        if tls or ca_file is not None:
            self._client.tls_set(ca_certs=None if ca_file is None else str(ca_file))
        self._state = threading.Condition()
        self.connack: ReasonCode | None = None
        self.session_present = False
        self.disconnected = False
        self.messages: list[tuple[str, bytes]] = []
        self._acks: dict[int, ReasonCode] = {}
        self._subacks: dict[int, list[ReasonCode]] = {}
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        self._client.on_publish = self._on_publish
        self._client.on_subscribe = self._on_subscribe
        self._client.on_disconnect = self._on_disconnect

    def connect(self) -> ReasonCode:
        """Connect and return the broker's CONNACK reason (raises when TLS fails)."""
        properties = None
        if self._protocol == mqtt.MQTTv5:
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = self._session_expiry_s
            self._client.connect(
                "127.0.0.1", self._port, clean_start=self._clean_start, properties=properties
            )
        else:
            self._client.connect("127.0.0.1", self._port)
        self._client.loop_start()
        with self._state:
            if not self._state.wait_for(lambda: self.connack is not None, WAIT_S):
                raise AssertionError(f"no CONNACK from the broker on port {self._port}")
            assert self.connack is not None
            return self.connack

    def subscribe(self, *filters: str) -> list[ReasonCode]:
        """Subscribe at QoS 1; the SUBACK's reasons, one per filter."""
        result, mid = self._client.subscribe([(topic_filter, 1) for topic_filter in filters])
        assert mid is not None, f"cannot subscribe: {mqtt.error_string(result)}"
        with self._state:
            if not self._state.wait_for(lambda: mid in self._subacks, WAIT_S):
                raise AssertionError(f"no SUBACK for {filters}")
            return self._subacks.pop(mid)

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> ReasonCode:
        """Publish at QoS 1; the broker's PUBACK reason (MQTT 5 names a refusal)."""
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        mid = info.mid
        with self._state:
            if not self._state.wait_for(lambda: mid in self._acks, WAIT_S):
                raise AssertionError(f"no PUBACK for {topic}")
            return self._acks.pop(mid)

    def publish_nowait(self, topic: str, payload: bytes) -> None:
        """Publish at QoS 1 without waiting for an answer."""
        self._client.publish(topic, payload, qos=1)

    def wait_for(self, topic: str, payload: bytes) -> list[tuple[str, bytes]]:
        """Wait until this message arrives; the messages received up to and including it."""
        with self._state:
            if not self._state.wait_for(lambda: (topic, payload) in self.messages, WAIT_S):
                raise AssertionError(f"{topic} {payload!r} did not arrive; got {self.messages}")
            return self.messages[: self.messages.index((topic, payload)) + 1]

    def wait_until_disconnected(self) -> None:
        """Wait until the broker has closed this client's connection."""
        with self._state:
            if not self._state.wait_for(lambda: self.disconnected, WAIT_S):
                raise AssertionError("the broker did not close the connection")

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        with self._state:
            self.connack = reason
            self.session_present = bool(flags.session_present)
            self._state.notify_all()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        with self._state:
            self.disconnected = True
            self._state.notify_all()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self._state:
            self.messages.append((message.topic, bytes(message.payload)))
            self._state.notify_all()

    def _on_publish(
        self, client: mqtt.Client, userdata: Any, mid: int, reason: ReasonCode, props: Any
    ) -> None:
        with self._state:
            self._acks[mid] = reason
            self._state.notify_all()

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, reasons: list[ReasonCode], props: Any
    ) -> None:
        with self._state:
            self._subacks[mid] = reasons
            self._state.notify_all()
