"""The ingest worker: batches from the broker, decoded, written, then acknowledged."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from prometheus_client import start_http_server

from curbside import migrate
from curbside.topics import CHIRPSTACK_UPLINKS, TTS_UPLINKS, shared, uplink_filter
from ingest.consumer import ConsumerOptions, MqttSource
from ingest.metrics import IngestMetrics
from ingest.process import Batch, Message, process
from ingest.registry import Device, load_registry
from ingest.settings import IngestSettings
from ingest.writer import WriteResult, silent_sweep, write_batch

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
    """The database side: the registry (reloaded for unknown devices) and the writer.

    A lost connection is retried with backoff for as long as it takes: meanwhile nothing is
    acknowledged, so the broker keeps the messages.
    """

    def __init__(self, settings: IngestSettings, stop: threading.Event) -> None:
        self._settings = settings
        self._stop = stop
        self._rules = settings.event_rules()
        self._conn = _connect(settings.dsn, attempts=30)
        self._registry: dict[str, Device] = load_registry(self._conn)
        self._loaded_at = time.monotonic()
        self._misses: dict[str, float] = {}
        self._refresh_s = settings.registry_refresh_s
        self._swept_at = 0.0

    def close(self) -> None:
        self._conn.close()

    def _look_up(self, keys: set[str]) -> bool:
        """Fetch devices registered since the registry was loaded; True if any was found.

        A key looked up in vain is not asked for again within `registry_refresh_s`, so a
        stream from an unregistered device costs one small query per interval. The whole
        registry is reloaded every `registry_reload_s` to follow devices moved between bins.
        """
        now = time.monotonic()
        wanted = {k for k in keys if now - self._misses.get(k, -math.inf) >= self._refresh_s}
        if not wanted:
            return False
        found = load_registry(self._conn, wanted)
        self._registry.update(found)
        self._misses.update({key: now for key in wanted if key not in found})
        return bool(found)

    def _reload_if_due(self) -> None:
        if time.monotonic() - self._loaded_at >= self._settings.registry_reload_s:
            self._registry = load_registry(self._conn)
            self._loaded_at = time.monotonic()
            self._misses.clear()

    def ingest(self, messages: list[Message]) -> tuple[Batch, WriteResult]:
        """Decode and commit the messages, retrying through a database outage."""
        delay = 0.5
        while True:
            try:
                prefix = self._settings.topic_prefix
                self._reload_if_due()
                batch = process(messages, self._registry, prefix)
                if batch.unknown_keys and self._look_up(batch.unknown_keys):
                    batch = process(messages, self._registry, prefix)
                return batch, write_batch(self._conn, batch, self._rules)
            except psycopg.OperationalError as exc:
                log.warning("database unavailable (%s); retrying in %.1f s", exc, delay)
                time.sleep(delay)
                delay = min(delay * 2, 10.0)
                self._conn.close()
                self._conn = _connect(self._settings.dsn, attempts=None)

    def sweep_silent(self) -> None:
        """Every `silent_check_s`, record devices that stopped reporting."""
        if time.monotonic() - self._swept_at < self._settings.silent_check_s:
            return
        self._swept_at = time.monotonic()
        try:
            found = silent_sweep(self._conn, self._settings.silent_after_intervals)
        except psycopg.OperationalError as exc:
            log.warning("silent-sensor check skipped: %s", exc)
            return
        if found:
            log.info("%d sensor(s) went silent", found)


def _connect(dsn: str, attempts: int | None) -> psycopg.Connection:
    """Connect, retrying with backoff `attempts` times (None: until it works)."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return psycopg.connect(dsn, autocommit=True)
        except psycopg.OperationalError as exc:
            if attempts is not None and attempt >= attempts:
                raise
            log.warning("database not reachable (%s), retrying", exc)
            time.sleep(min(0.2 * attempt, 5.0))


def topic_filters(settings: IngestSettings) -> tuple[str, ...]:
    """The subscriptions of a worker: each enabled format, shared by the group when set."""
    filters = {
        "canonical": uplink_filter(settings.topic_prefix),
        "tts": TTS_UPLINKS,
        "chirpstack": CHIRPSTACK_UPLINKS,
    }
    return tuple(shared(settings.share_group, filters[name]) for name in settings.formats)


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
    metrics = IngestMetrics()
    server = None
    if settings.metrics_port is not None:
        server, _ = start_http_server(settings.metrics_port, registry=metrics.registry)
    store = _Store(settings, stop)
    options = ConsumerOptions(
        client_id=settings.client_id,
        topic_filters=topic_filters(settings),
        session_expiry_s=settings.session_expiry_s,
        max_pending=settings.max_pending,
        protocol=settings.mqtt_protocol,
        ca_file=settings.mqtt_ca_file,
        cert_file=settings.mqtt_cert_file,
        key_file=settings.mqtt_key_file,
    )
    try:
        with MqttSource(settings.broker, options) as source:
            log.info("ingesting %s into the database", ", ".join(options.topic_filters))
            if on_ready is not None:
                on_ready()
            while True:
                stopping = stop.is_set()
                wait = 0.0 if stopping else settings.batch_max_age_s
                messages = source.get_batch(settings.batch_size, wait)
                metrics.pending.set(source.pending)
                if not messages:
                    if stopping:
                        break
                    store.sweep_silent()
                    continue
                started = time.monotonic()
                batch, result = store.ingest(messages)
                metrics.unacked_skipped.inc(source.ack(batch.acks))
                lag = (datetime.now(UTC) - messages[0].received_at).total_seconds()
                metrics.record(len(messages), result, time.monotonic() - started, lag)
                stats.add(len(messages), result)
                if on_batch is not None:
                    on_batch(stats)
                store.sweep_silent()
    finally:
        store.close()
        if server is not None:
            server.shutdown()
            server.server_close()
    log.info(
        "ingest stopped: %d messages, %d stored, %d duplicates, %d rejected",
        stats.messages, stats.inserted, stats.duplicates, stats.rejected,
    )  # fmt: skip
    return stats
