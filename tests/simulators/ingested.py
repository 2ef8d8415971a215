"""Helpers for the sensor tests: what the ingest makes of simulated messages, without I/O.

The ingest's own public pipeline (`ingest.process`) reads the messages: topic, network
server envelope, the sensor model's byte decoder, the registry (device ids and DevEUIs) and
the bin's geometry, exactly as the running worker does before it writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from ingest import Batch, Device, Message, process
from simulators import City, Delivery
from simulators import Message as SimMessage

PREFIX = "curbside/v1"


def registry_of(city: City) -> dict[str, Device]:
    """The registry the ingest would load after `import_city`: by id and by DevEUI."""
    registry: dict[str, Device] = {}
    for device in city.devices:
        bin_ = city.bin(device.bin_id)
        entry = Device(device.id, device.sensor_model, bin_.id, bin_.geometry, device.dev_eui)
        registry[device.id] = entry
        if device.dev_eui is not None:
            registry[device.dev_eui.lower()] = registry[device.dev_eui.upper()] = entry
    return registry


def ingest_messages(
    city: City, messages: Iterable[SimMessage], received_at: datetime, prefix: str = PREFIX
) -> Batch:
    """The rows and rejects the ingest makes of the messages, received at `received_at`."""
    incoming = [Message(m.topic, m.payload, received_at) for m in messages]
    return process(incoming, registry_of(city), prefix)


def ingest_deliveries(
    city: City, deliveries: Iterable[Delivery], received_at: datetime, prefix: str = PREFIX
) -> Batch:
    """What the ingest makes of the messages of the deliveries (dropped ones have none)."""
    sent = [d.message for d in deliveries if d.message is not None]
    return ingest_messages(city, sent, received_at, prefix)
