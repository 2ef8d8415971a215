"""Gateways over HTTP: a batch of uplinks in the formats of the MQTT topics, through the
same decoders, answered after the commit."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends

from api import schemas
from api.deps import Conn, require
from api.keys import ApiKey
from ingest import IngestSettings, Message, load_registry, process
from ingest.writer import write_batch

router = APIRouter(prefix="/v1", tags=["gateways"])
Gateway = Annotated[ApiKey, Depends(require("gateway"))]


@router.post("/uplinks")
def post_uplinks(conn: Conn, key: Gateway, batch: schemas.UplinkBatch) -> schemas.UplinkResult:
    """Store a batch of uplinks as the MQTT ingest does: each message on its topic (e.g.
    `curbside/v1/readings/{device}`, `v3/{app}/devices/{device}/up`,
    `application/{app}/device/{dev_eui}/event/up`) is decoded, stored, or kept as a reject
    with its reason. The answer comes after the commit."""
    settings = IngestSettings()
    now = datetime.now(UTC)
    messages = [
        Message(m.topic, json.dumps(m.payload).encode(), m.received_at or now)
        for m in batch.messages
    ]
    # A first pass names the devices the batch needs; only those are read from the registry.
    needed = process(messages, {}, settings.topic_prefix).unknown_keys
    registry = load_registry(conn, needed) if needed else {}
    decoded = process(messages, registry, settings.topic_prefix)
    written = write_batch(conn, decoded, settings.event_rules())
    return schemas.UplinkResult(
        stored=written.inserted,
        duplicates=written.duplicates,
        rejected=written.rejected,
        rejects_by_reason=dict(written.rejects_by_reason),
    )
