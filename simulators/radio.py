"""The LoRaWAN side of a simulated city: its network ids, gateways and each uplink's reception.

What the network servers put around a sensor's bytes besides the bytes: which gateways heard
the frame and how well (RSSI, SNR), on which EU868 channel, at which spreading factor, with
how much airtime, and when. Pure and seeded: a device has a fixed link quality (its distance
to the gateways); each uplink draws its reception from the seed, the device and its frame
counter, so the same uplink is described identically every time.
"""

from __future__ import annotations

import hashlib
import math
import re
import uuid
from dataclasses import dataclass, field

from simulators.draws import normal, random_bytes, uniforms

EU868_CHANNELS_HZ = (
    868_100_000, 868_300_000, 868_500_000, 867_100_000,
    867_300_000, 867_500_000, 867_700_000, 867_900_000,
)  # fmt: skip
"""The eight uplink channels of a LoRaWAN EU868 network."""
BANDWIDTH_HZ = 125_000
LORAWAN_OVERHEAD_BYTES = 13
"""MAC header, frame header (no options), port and message integrity code around the bytes."""
LINK_RSSI_DBM = (-118.0, -72.0)
"""A device's mean signal at its nearest gateway, drawn evenly: from the edge of coverage to
a gateway down the street."""
RSSI_NOISE_DB = 3.0
FARTHER_GATEWAY_DB = 7.0
"""Each further gateway that hears a frame receives it this much weaker."""
EXTRA_GATEWAY_CHANCE = (0.5, 0.2)
"""Chance that a second and a third gateway hear a frame too."""
ADR_SF_BY_RSSI = ((-100.0, 7), (-105.0, 8), (-110.0, 9), (-114.0, 10), (-117.0, 11))
"""Spreading factor adaptive data rate settles on: the fastest the link margin allows."""
NS_DELAY_S = (0.02, 0.12)
"""From the gateway's reception to the network server's, drawn evenly."""
AS_DELAY_S = (0.002, 0.03)
"""From the network server to the application server."""
_ID = re.compile(r"^[a-z0-9](?:[-]?[a-z0-9]){2,35}$")
"""The Things Stack's id syntax (application, tenant, gateway ids)."""


@dataclass(frozen=True)
class Gateway:
    gateway_id: str
    eui: str
    """16 lower-case hex digits."""

    def __post_init__(self) -> None:
        if not _ID.match(self.gateway_id):
            raise ValueError(f"gateway id {self.gateway_id!r} is not a valid id")
        if not re.fullmatch(r"[0-9a-f]{16}", self.eui):
            raise ValueError(f"gateway EUI {self.eui!r} is not 16 lower-case hex digits")


@dataclass(frozen=True)
class Network:
    """A city's applications on The Things Stack and ChirpStack, and its gateways."""

    gateways: tuple[Gateway, ...]
    tts_application: str = "curbside"
    tts_tenant: str | None = "ttn"
    """None: The Things Stack Open Source, whose topics have no `@tenant`."""
    chirpstack_application_id: str = "3a9c5b8e-5d4f-4e0a-9b1c-7f2d6e8a1c40"
    chirpstack_application_name: str = "curbside"
    chirpstack_tenant_id: str = "52f14cd4-c6f1-4fbd-8f87-4025e1d49242"
    chirpstack_tenant_name: str = "City"
    seed: int = field(default=0)
    """Seeds each device's link quality."""

    def __post_init__(self) -> None:
        if not self.gateways:
            raise ValueError("a network needs at least one gateway")
        for name in ("tts_application", "tts_tenant"):
            value = getattr(self, name)
            if value is not None and not _ID.match(value):
                raise ValueError(f"{name} {value!r} is not a valid The Things Stack id")
        for name in ("chirpstack_application_id", "chirpstack_tenant_id"):
            uuid.UUID(getattr(self, name))  # ValueError when it is not one

    @classmethod
    def for_city(cls, seed: int, devices: int) -> Network:
        """A city's network: one gateway per 400 devices (at least three, at most 60)."""
        count = min(60, max(3, math.ceil(devices / 400)))
        gateways = tuple(
            Gateway(f"curbside-gw-{n:02d}", "b827ebfffe" + _digest(("gw", seed, n))[:6])
            for n in range(1, count + 1)
        )
        return cls(
            gateways=gateways,
            chirpstack_application_id=str(stable_uuid(("app", seed))),
            chirpstack_tenant_id=str(stable_uuid(("tenant", seed))),
            seed=seed,
        )


@dataclass(frozen=True)
class Reception:
    """One gateway's reception of a frame."""

    gateway: Gateway
    rssi_dbm: int
    snr_db: float


@dataclass(frozen=True)
class Uplink:
    """How one frame went over the air and through the network server."""

    receptions: tuple[Reception, ...]
    spreading_factor: int
    channel_index: int
    airtime_s: float
    gateway_ns: int
    """When the gateways received the frame (its end, `airtime_s` after it was sent), in ns
    since the Unix epoch."""
    network_server_ns: int
    application_server_ns: int
    random: int
    """128 random bits for the servers' own ids (correlation, deduplication, uplink ids)."""

    @property
    def frequency_hz(self) -> int:
        return EU868_CHANNELS_HZ[self.channel_index]

    @property
    def data_rate(self) -> int:
        """The EU868 data rate index: DR5 is SF7 at 125 kHz, DR0 is SF12."""
        return 12 - self.spreading_factor


def airtime_s(payload_bytes: int, spreading_factor: int) -> float:
    """Time on air of a LoRaWAN uplink at 125 kHz, coding rate 4/5, 8-symbol preamble, explicit
    header, CRC on (the Semtech modem's formula)."""
    symbol_s = (1 << spreading_factor) / BANDWIDTH_HZ
    low_rate = 1 if spreading_factor >= 11 else 0
    size = payload_bytes + LORAWAN_OVERHEAD_BYTES
    bits = 8 * size - 4 * spreading_factor + 28 + 16
    symbols = 8 + max(math.ceil(bits / (4 * (spreading_factor - 2 * low_rate))) * 5, 0)
    return (8 + 4.25 + symbols) * symbol_s


def receive(network: Network, device_id: str, seq: int, received_ns: int, size: int) -> Uplink:
    """The reception of a device's frame `seq` of `size` bytes, which reaches the network
    server at `received_ns`: the gateways heard its end a little before, the application
    server gets it a little after. A report time is never a receive time in its future."""
    link = _link(network, device_id)
    key = ("uplink", network.seed, device_id, seq)
    u = uniforms(key, 17)
    spreading = next((sf for floor, sf in ADR_SF_BY_RSSI if link.rssi_dbm > floor), 12)
    heard = 1 + sum(1 for n, chance in enumerate(EXTRA_GATEWAY_CHANCE) if u[n] < chance)
    receptions = []
    for rank in range(min(heard, len(network.gateways))):
        rssi = link.rssi_dbm - FARTHER_GATEWAY_DB * rank
        rssi += RSSI_NOISE_DB * normal(u[2 + 4 * rank], u[3 + 4 * rank])
        snr = min(13.5, (rssi + 112.0) * 0.5) + normal(u[4 + 4 * rank], u[5 + 4 * rank])
        gateway = network.gateways[(link.home + rank) % len(network.gateways)]
        receptions.append(Reception(gateway, round(rssi), round(snr * 4) / 4))
    air_s = airtime_s(size, spreading)
    network_ns = received_ns
    gateway_ns = network_ns - round(_between(NS_DELAY_S, u[14]) * 1e9)
    return Uplink(
        receptions=tuple(receptions),
        spreading_factor=spreading,
        channel_index=int(u[15] * len(EU868_CHANNELS_HZ)),
        airtime_s=air_s,
        gateway_ns=gateway_ns,
        network_server_ns=network_ns,
        application_server_ns=network_ns + round(_between(AS_DELAY_S, u[16]) * 1e9),
        random=int.from_bytes(random_bytes(key, 16), "big"),
    )


def _between(bounds: tuple[float, float], u: float) -> float:
    return bounds[0] + (bounds[1] - bounds[0]) * u


@dataclass(frozen=True)
class _Link:
    rssi_dbm: float
    home: int
    """Index of the device's nearest gateway."""


def _link(network: Network, device_id: str) -> _Link:
    draw = int(_digest(("link", network.seed, device_id))[:16], 16)
    low, high = LINK_RSSI_DBM
    return _Link(low + (high - low) * (draw % 10_000) / 10_000, draw // 10_000)


def _digest(key: tuple[object, ...]) -> str:
    return hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()


def stable_uuid(key: tuple[object, ...]) -> uuid.UUID:
    """A random-looking (version 4) UUID that follows from the key: the servers' ids."""
    return uuid.UUID(bytes=bytes.fromhex(_digest(key)), version=4)
