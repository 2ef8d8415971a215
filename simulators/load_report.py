"""What a load run achieved: rate, latency from publish to storage, and loss per device.

Frozen, validated values; `table()` prints them for a person, `to_json()` for a program.
Loss is published minus stored. It splits into messages the ingest refused (they reached it
and sit in `ingest_rejects`, e.g. an unregistered device) and messages that never arrived;
the verdict says whether the QoS allowed the latter: QoS 0 delivers at most once, QoS 1 at
least once once the broker has acknowledged.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from typing import Any

_STOP_WORDS = {
    "count": "count reached",
    "duration": "duration over",
    "deadline": "deadline hit",
    "error": "a publisher failed",
}
STOPS = tuple(_STOP_WORDS)
"""Why publishing ended: the planned count went out, the duration is over, the deadline hit,
or a publisher failed (its reason is in `errors`)."""
LATENCY_METHODS = {
    "commit": "publish to commit (PostgreSQL's commit timestamps)",
    "insert": "publish to insert (readings.stored_at; the commit follows within its batch)",
}
_SHOWN_LOSSES = 20


@dataclass(frozen=True)
class Latency:
    """Seconds from publish to the reading's commit, or to its insert (see `method`)."""

    samples: int
    p50_s: float
    p95_s: float
    p99_s: float
    max_s: float
    method: str

    def __post_init__(self) -> None:
        if self.samples < 1:
            raise ValueError(f"latency needs at least one sample, got {self.samples}")
        values = (self.p50_s, self.p95_s, self.p99_s, self.max_s)
        if not all(math.isfinite(v) for v in values) or sorted(values) != list(values):
            raise ValueError(f"latency percentiles must be finite and ordered, got {values}")
        if self.method not in LATENCY_METHODS:
            raise ValueError(f"latency method must be one of {sorted(LATENCY_METHODS)}")


@dataclass(frozen=True)
class DeviceLoss:
    """One device's messages: published, stored as readings, refused by the ingest."""

    device_id: str
    published: int
    stored: int
    rejected: int

    def __post_init__(self) -> None:
        if min(self.published, self.stored, self.rejected) < 0:
            raise ValueError(f"{self.device_id}: counts must not be negative")
        if self.stored + self.rejected > self.published:
            raise ValueError(
                f"{self.device_id}: {self.stored} stored and {self.rejected} rejected of "
                f"{self.published} published"
            )

    @property
    def lost(self) -> int:
        return self.published - self.stored

    @property
    def missing(self) -> int:
        """Published, neither stored nor refused: lost on the way or not arrived yet."""
        return self.lost - self.rejected


@dataclass(frozen=True)
class LoadReport:
    """One load run, from the publishers' side and the database's."""

    run_id: str
    qos: int
    publishers: int
    devices: int
    target_rate: float | None
    """Messages/s in all; None: as fast as the broker took them."""
    planned: int | None
    """Messages meant to go out (count, or rate * duration); None when only the clock ends it."""
    published: int
    """Messages handed to the broker."""
    acknowledged: int | None
    """QoS 1 messages the broker acknowledged; None at QoS 0."""
    publish_s: float
    """From the start until the last message went out (at QoS 1: was acknowledged)."""
    stopped_by: str
    stored: int
    rejected: int
    settled: bool
    """Every message published was stored or refused before the wait for the ingest ended."""
    settle_s: float
    latency: Latency | None
    losses: tuple[DeviceLoss, ...]
    """Devices that lost anything, most lost first."""
    errors: tuple[str, ...] = ()
    """Publishers that failed part-way, with the broker's or the network's reason."""

    def __post_init__(self) -> None:
        if self.qos not in (0, 1):
            raise ValueError(f"qos must be 0 or 1, got {self.qos!r}")
        if (self.acknowledged is None) != (self.qos == 0):
            raise ValueError("acknowledged is counted at QoS 1 and only there")
        if self.stopped_by not in STOPS:
            raise ValueError(f"stopped_by must be one of {STOPS}, got {self.stopped_by!r}")
        if min(self.published, self.stored, self.rejected, self.acknowledged or 0) < 0:
            raise ValueError("counts must not be negative")
        if (self.acknowledged or 0) > self.published:
            raise ValueError("more messages acknowledged than published")
        if self.stored + self.rejected > self.published:
            raise ValueError("more messages stored and rejected than published")
        if not (math.isfinite(self.publish_s) and self.publish_s >= 0):
            raise ValueError(f"publish_s must be a finite number >= 0, got {self.publish_s!r}")
        lost = sum(loss.lost for loss in self.losses)
        refused = sum(loss.rejected for loss in self.losses)
        if (lost, refused) != (self.lost, self.rejected):
            raise ValueError("the devices' losses do not add up to the run's")
        if any(loss.lost == 0 for loss in self.losses):
            raise ValueError("losses lists only devices that lost messages")
        if self.latency is not None and self.latency.samples > self.stored:
            raise ValueError("more latency samples than readings stored")

    @property
    def achieved_rate(self) -> float:
        """Messages/s published: `published / publish_s`."""
        return self.published / self.publish_s if self.publish_s > 0 else 0.0

    @property
    def lost(self) -> int:
        return self.published - self.stored

    @property
    def missing(self) -> int:
        """Neither stored nor refused by the ingest."""
        return self.lost - self.rejected

    def verdict(self) -> str:
        """One line: whether anything was lost, and whether the QoS allowed it."""
        if self.published == 0:
            return "nothing published"
        if self.lost == 0:
            return f"no loss: all {self.published:,} messages stored"
        parts = []
        if self.rejected:
            parts.append(
                f"{self.rejected:,} refused by the ingest (`curbside rejects list`): they arrived"
            )
        if self.missing and self.qos == 0:
            parts.append(
                f"{self.missing:,} never stored, which QoS 0 allows: it delivers at most once"
            )
        elif self.missing:
            unacked = self.published - (self.acknowledged or 0)
            acked_missing = self.missing - min(unacked, self.missing)
            if unacked:
                parts.append(f"{min(unacked, self.missing):,} never acknowledged by the broker")
            if acked_missing:
                parts.append(
                    f"{acked_missing:,} acknowledged at QoS 1 but not stored after "
                    f"{self.settle_s:g} s without progress: QoS 1 must not lose them (is an "
                    "ingest worker running? `curbside status`; a stopped worker's session keeps "
                    "them until it returns)"
                )
        return f"lost {self.lost:,} of {self.published:,}: " + "; ".join(parts)

    def table(self) -> list[str]:
        """The report as lines of text: the figures, then the devices that lost anything."""
        target = "as fast as the broker takes them"
        if self.target_rate is not None:
            target = f"target {self.target_rate:,.0f} msg/s"
        planned = f" of {self.planned:,} planned" if self.planned is not None else ""
        rows = [
            (
                "published",
                f"{self.published:,}{planned} in {self.publish_s:.2f} s "
                f"({_STOP_WORDS[self.stopped_by]})",
            ),
            ("achieved rate", f"{self.achieved_rate:,.0f} msg/s ({target})"),
        ]
        if self.acknowledged is not None:
            rows.append(("acknowledged", f"{self.acknowledged:,}"))
        rows += [
            ("stored", f"{self.stored:,}"),
            ("rejected", f"{self.rejected:,}"),
            ("lost", f"{self.lost:,} ({self.missing:,} missing, {self.rejected:,} rejected)"),
        ]
        if self.latency is not None:
            lat = self.latency
            rows += [
                (
                    "latency, ms",
                    f"p50 {1000 * lat.p50_s:,.0f}  p95 {1000 * lat.p95_s:,.0f}  "
                    f"p99 {1000 * lat.p99_s:,.0f}  max {1000 * lat.max_s:,.0f}",
                ),
                ("latency of", f"{lat.samples:,} readings, {LATENCY_METHODS[lat.method]}"),
            ]
        rows.append(("verdict", self.verdict()))
        rows += [("error", error) for error in self.errors]
        head = (
            f"load run {self.run_id}: {self.publishers} publishers, QoS {self.qos}, "
            f"{self.devices:,} devices"
        )
        width = max(len(name) for name, _ in rows)
        lines = [head, *(f"  {name:<{width}}  {value}" for name, value in rows)]
        if self.losses:
            lines.append(f"devices that lost messages ({len(self.losses):,}):")
            lines.append(
                f"  {'device':<20} {'published':>9} {'stored':>9} {'rejected':>9} {'missing':>9}"
            )
            for loss in self.losses[:_SHOWN_LOSSES]:
                lines.append(
                    f"  {loss.device_id:<20} {loss.published:>9,} {loss.stored:>9,} "
                    f"{loss.rejected:>9,} {loss.missing:>9,}"
                )
            if len(self.losses) > _SHOWN_LOSSES:
                lines.append(f"  ... and {len(self.losses) - _SHOWN_LOSSES:,} more (see --json)")
        return lines

    def as_dict(self) -> dict[str, Any]:
        """Every field, the devices' losses in full, and the derived figures."""
        document = dataclasses.asdict(self)
        document.update(
            achieved_rate=self.achieved_rate,
            lost=self.lost,
            missing=self.missing,
            verdict=self.verdict(),
        )
        for loss, item in zip(self.losses, document["losses"], strict=True):
            item.update(lost=loss.lost, missing=loss.missing)
        return document

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2)
