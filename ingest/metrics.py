"""Prometheus metrics of an ingest worker, in a registry of its own (no import-time globals)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from ingest.writer import WriteResult


class IngestMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.received = Counter("curbside_ingest_messages", "MQTT messages received", registry=r)
        self.stored = Counter("curbside_ingest_readings_stored", "Readings stored", registry=r)
        self.duplicates = Counter(
            "curbside_ingest_duplicates", "Readings already stored (redeliveries)", registry=r
        )
        self.rejected = Counter(
            "curbside_ingest_rejects", "Messages rejected, by reason", ["reason"], registry=r
        )
        self.events = Counter(
            "curbside_ingest_events", "Events derived, by kind", ["kind"], registry=r
        )
        self.batch_size = Histogram(
            "curbside_ingest_batch_messages",
            "Messages per committed batch",
            buckets=(1, 10, 50, 100, 250, 500, 1000, 2000, 5000),
            registry=r,
        )
        self.batch_seconds = Histogram(
            "curbside_ingest_batch_seconds", "Time to decode and commit a batch", registry=r
        )
        self.lag_seconds = Histogram(
            "curbside_ingest_lag_seconds",
            "From a batch's oldest message's arrival to its commit",
            registry=r,
        )
        self.pending = Gauge(
            "curbside_ingest_pending_messages", "Messages received, not yet committed", registry=r
        )
        self.unacked_skipped = Counter(
            "curbside_ingest_acks_skipped",
            "Acknowledgements skipped after a reconnect (the broker redelivers)",
            registry=r,
        )

    def record(self, messages: int, result: WriteResult, seconds: float, lag_s: float) -> None:
        self.received.inc(messages)
        self.stored.inc(result.inserted)
        self.duplicates.inc(result.duplicates)
        for reason, count in result.rejects_by_reason.items():
            self.rejected.labels(reason).inc(count)
        for kind, count in result.events_by_kind.items():
            self.events.labels(kind).inc(count)
        self.batch_size.observe(messages)
        self.batch_seconds.observe(seconds)
        self.lag_seconds.observe(lag_s)
