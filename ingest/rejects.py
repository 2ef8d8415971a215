"""The rejects table from an operator's side: what was refused and why, and replaying it.

Once the cause of a reject is fixed (its device registered, a decoder taught a format), a
replay runs the stored messages through `process` again, oldest first, in chunks. Each chunk is
one transaction: the readings its messages now make and the marks on their rejects
(`resolved_at`, `resolution = 'replayed'`) commit together, so a crash never leaves a reading
stored with its reject still open, nor a reject closed without its reading. Readings are
stored as the writer stores them (a reading already there is not stored again); a message that
fails again keeps its reject, with the new reason and detail when they changed. Replayed
readings derive no events: those are for what happens now.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg

from ingest.process import Batch, Message, Row, process
from ingest.registry import Device, load_registry
from ingest.writer import write_batch

_COLUMNS = "id, received_at, topic, payload, reason, detail, resolved_at, resolution"


@dataclass(frozen=True)
class RejectRow:
    """A row of `ingest_rejects`: a message as received, and why it was refused."""

    id: int
    received_at: datetime
    topic: str
    payload: bytes
    reason: str
    detail: str
    resolved_at: datetime | None = None
    resolution: str | None = None

    def preview(self, width: int = 40) -> str:
        """The payload as text on one line, non-printable characters escaped, cut to `width`."""
        text = self.payload.decode("utf-8", errors="backslashreplace")
        text = "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)
        return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


@dataclass(frozen=True)
class ReplayReport:
    examined: int = 0
    """Open rejects replayed."""
    resolved: int = 0
    """Rejects whose message now decodes; marked resolved."""
    inserted: int = 0
    """Readings stored by the replay."""
    duplicates: int = 0
    """Readings the replayed messages made that were already stored."""
    still_rejected: Counter[str] = field(default_factory=Counter)
    """Rejects left open, by their (possibly new) reason."""

    def describe(self) -> str:
        still = sum(self.still_rejected.values())
        reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(self.still_rejected.items()))
        return (
            f"replayed {self.examined} reject(s): {self.resolved} resolved "
            f"({self.inserted} reading(s) stored, {self.duplicates} already stored), "
            f"{still} still rejected" + (f" ({reasons})" if reasons else "")
        )


def list_rejects(
    conn: psycopg.Connection,
    reason: str | None = None,
    since: datetime | None = None,
    include_resolved: bool = False,
    limit: int = 100,
) -> list[RejectRow]:
    """The newest rejects (open ones only, unless `include_resolved`), newest first."""
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    where, params = _filters(reason, since, include_resolved)
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM ingest_rejects {where} "
        "ORDER BY received_at DESC, id DESC LIMIT %(limit)s",
        {**params, "limit": limit},
    ).fetchall()
    return [_reject(row) for row in rows]


def summarize(conn: psycopg.Connection) -> list[tuple[str, int]]:
    """How many rejects are open, by reason, the most frequent first."""
    rows = conn.execute(
        "SELECT reason, count(*) FROM ingest_rejects WHERE resolved_at IS NULL "
        "GROUP BY reason ORDER BY count(*) DESC, reason"
    ).fetchall()
    return [(reason, count) for reason, count in rows]


def replay_rejects(
    conn: psycopg.Connection,
    prefix: str,
    reason: str | None = None,
    since: datetime | None = None,
    limit: int | None = None,
    chunk_size: int = 1000,
) -> ReplayReport:
    """Replay the open rejects (of a reason, received since a time; at most `limit`).

    Each chunk commits on its own when `conn` is in autocommit mode. Rejects another replay
    holds locked are skipped, so two replays never process the same reject.
    """
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    if chunk_size < 1:
        raise ValueError(f"chunk size must be >= 1, got {chunk_size}")
    registry = load_registry(conn)
    where, params = _filters(reason, since, include_resolved=False)
    after = "AND (received_at, id) > (%(after_at)s, %(after_id)s)"
    total = _Replay()
    last: RejectRow | None = None
    while limit is None or total.examined < limit:
        size = chunk_size if limit is None else min(chunk_size, limit - total.examined)
        bounds = {} if last is None else {"after_at": last.received_at, "after_id": last.id}
        with conn.transaction():
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM ingest_rejects {where} {after if bounds else ''} "
                "ORDER BY received_at, id LIMIT %(size)s FOR UPDATE SKIP LOCKED",
                {**params, **bounds, "size": size},
            ).fetchall()
            chunk = [_reject(row) for row in rows]
            if chunk:
                total.add_chunk(conn, chunk, registry, prefix)
        if len(chunk) < size:
            break
        last = chunk[-1]
    return ReplayReport(
        total.examined, total.resolved, total.inserted, total.duplicates, total.still
    )


@dataclass
class _Replay:
    examined: int = 0
    resolved: int = 0
    inserted: int = 0
    duplicates: int = 0
    still: Counter[str] = field(default_factory=Counter)

    def add_chunk(
        self,
        conn: psycopg.Connection,
        chunk: list[RejectRow],
        registry: Mapping[str, Device],
        prefix: str,
    ) -> None:
        """Replay one chunk inside the caller's transaction."""
        rows: list[Row] = []
        resolved: list[int] = []
        changed: list[tuple[int, str, str]] = []
        for reject in chunk:
            message = Message(reject.topic, reject.payload, reject.received_at)
            batch = process([message], registry, prefix)
            if batch.rejects:
                again = batch.rejects[0]
                self.still[again.reason] += 1
                if (again.reason, again.detail) != (reject.reason, reject.detail):
                    changed.append((reject.id, again.reason, again.detail))
            else:
                rows.extend(batch.rows)
                resolved.append(reject.id)
        if rows:
            result = write_batch(conn, Batch(rows=rows))
            self.inserted += result.inserted
            self.duplicates += result.duplicates
        if resolved:
            conn.execute(
                "UPDATE ingest_rejects SET resolved_at = now(), resolution = 'replayed' "
                "WHERE id = ANY(%s)",
                (resolved,),
            )
        if changed:
            ids, reasons, details = (list(column) for column in zip(*changed, strict=True))
            conn.execute(
                "UPDATE ingest_rejects r SET reason = c.reason, detail = c.detail "
                "FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS c(id, reason, detail) "
                "WHERE r.id = c.id",
                (ids, reasons, details),
            )
        self.examined += len(chunk)
        self.resolved += len(resolved)


def _filters(
    reason: str | None, since: datetime | None, include_resolved: bool
) -> tuple[str, dict[str, Any]]:
    """A WHERE clause (possibly empty) and its parameters."""
    if since is not None and since.tzinfo is None:
        raise ValueError(f"need a time with a UTC offset, got {since.isoformat()}")
    conditions = [] if include_resolved else ["resolved_at IS NULL"]
    if reason is not None:
        conditions.append("reason = %(reason)s")
    if since is not None:
        conditions.append("received_at >= %(since)s")
    where = f"WHERE {' AND '.join(conditions)}" if conditions else "WHERE true"
    return where, {"reason": reason, "since": since}


def _reject(row: tuple[Any, ...]) -> RejectRow:
    id_, received_at, topic, payload, reason, detail, resolved_at, resolution = row
    return RejectRow(
        id_, received_at, topic, bytes(payload), reason, detail, resolved_at, resolution
    )
