"""The ingest worker: batches from the broker, decoded, written, then acknowledged."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg

from curbside import migrate
from curbside.topics import uplink_filter
from ingest.consumer import MqttSource
from ingest.process import Batch, Message, process, unknown_devices
from ingest.registry import Device, load_registry
from ingest.settings import IngestSettings
from ingest.writer import WriteResult, write_batch

log = logging.getLogger(__name__)


@dataclass
class IngestStats:
    messages: int = 0
    inserted: int = 0
    duplicates: int = 0
    rejected: int = 0

    def add(self, messages: int, result: WriteResult) -> None:
        self.messages += messages
        self.inserted += result.inserted
        self.duplicates += result.duplicates
        self.rejected += result.rejected


class _Store:
    """The database side: the registry, reloaded when unknown devices appear, and the writer."""

    def __init__(self, settings: IngestSettings) -> None:
        self._settings = settings
        self._conn = _connect(settings.dsn)
        self._registry: dict[str, Device] = load_registry(self._conn)
        self._loaded_at = time.monotonic()

    def close(self) -> None:
        self._conn.close()

    def registry(self, messages: list[Message]) -> dict[str, Device]:
        """The registry to decode these messages with, reloaded when it lacks their devices.

        Reloads are at most `registry_refresh_s` apart: a batch naming an unknown device waits
        for the next allowed reload rather than rejecting a device registered a moment ago.
        """
        if unknown_devices(messages, self._registry, self._settings.topic_prefix):
            next_load = self._loaded_at + self._settings.registry_refresh_s
            time.sleep(max(0.0, next_load - time.monotonic()))
            self._registry = load_registry(self._conn)
            self._loaded_at = time.monotonic()
        return self._registry

    def write(self, batch: Batch) -> WriteResult:
        """Write the batch; on a lost connection reconnect and write it again."""
        delay = 0.5
        while True:
            try:
                return write_batch(self._conn, batch)
            except psycopg.OperationalError as exc:
                log.warning("database write failed (%s); retrying in %.1f s", exc, delay)
                time.sleep(delay)
                delay = min(delay * 2, 30.0)
                self._conn.close()
                self._conn = _connect(self._settings.dsn)


def _connect(dsn: str) -> psycopg.Connection:
    for attempt in range(1, 31):
        try:
            return psycopg.connect(dsn, autocommit=True)
        except psycopg.OperationalError as exc:
            if attempt == 30:
                raise
            log.warning("database not reachable (%s), retrying", exc)
            time.sleep(min(0.2 * attempt, 5.0))
    raise AssertionError("unreachable")


def run(
    settings: IngestSettings,
    stop: threading.Event,
    on_ready: Callable[[], None] | None = None,
    on_batch: Callable[[IngestStats], None] | None = None,
) -> IngestStats:
    """Ingest until `stop` is set, then flush what was received and return the totals.

    `on_ready` is called once subscribed; `on_batch` after each committed batch.
    """
    migrate.upgrade(settings.dsn)
    stats = IngestStats()
    store = _Store(settings)
    topic_filter = uplink_filter(settings.topic_prefix, settings.share_group)
    try:
        with MqttSource(
            settings.broker,
            settings.client_id,
            topic_filter,
            settings.session_expiry_s,
            settings.queue_size,
        ) as source:
            log.info("ingesting %s into the database", topic_filter)
            if on_ready is not None:
                on_ready()
            while True:
                stopping = stop.is_set()
                wait = 0.0 if stopping else settings.batch_max_age_s
                messages = source.get_batch(settings.batch_size, wait)
                if not messages:
                    if stopping:
                        break
                    continue
                batch = process(messages, store.registry(messages), settings.topic_prefix)
                stats.add(len(messages), store.write(batch))
                source.ack(batch.acks)
                if on_batch is not None:
                    on_batch(stats)
    finally:
        store.close()
    return stats
