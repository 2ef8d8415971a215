"""The residents' lookups answered from memory, and kept current by the database's
notifications.

The residents' endpoints are the API's busiest, and what they read changes a few times a
day: a bin registered, a holiday moved, a plan stored or edited. A query per lookup cost
more than the rest of the request together (docs/api.md, Speed), so each server process
keeps a copy (`optimizer.pickups.Lookups`) and answers from it.

The database says when the copy is old: triggers on bins, holidays, plans and plan_stops
notify the channel `curbside_residents` (migration 0010). Each process listens on a
connection of its own; the first lookup after a notification reloads the copy before it
answers. A lookup thus sees every change whose notification reached the process, which
takes well under a millisecond after its commit (docs/api.md). When the listening connection
breaks, the copy is reloaded once it listens again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import date, timedelta

import psycopg
from psycopg_pool import AsyncConnectionPool

from optimizer.pickups import Lookups, load_lookups

CHANNEL = "curbside_residents"
RECONNECT_S = 1.0
"""How long the listener waits before it connects again after losing its connection."""

log = logging.getLogger(__name__)


class ResidentsIndex:
    """The residents' lookups' copy of the database, reloaded after each change it hears
    of. Use `listening` around the time it serves."""

    def __init__(self, dsn: str, pool: AsyncConnectionPool) -> None:
        self._dsn = dsn
        self._pool = pool
        self._lookups: Lookups | None = None
        self._heard = 0
        """Notifications heard (and connections made: the changes missed before listening)."""
        self._loaded = -1
        """`_heard` when the copy's reload began."""
        self._reloading = asyncio.Lock()

    async def lookups(self) -> Lookups:
        """The copy, reloaded first when a change was heard of since it was loaded."""
        while self._lookups is None or self._loaded < self._heard:
            async with self._reloading:
                if self._lookups is not None and self._loaded >= self._heard:
                    break  # another lookup reloaded it while this one waited
                heard = self._heard
                async with self._pool.connection() as conn:
                    self._lookups = await load_lookups(conn, date.today() - timedelta(days=1))
                self._loaded = heard
        return self._lookups

    @contextlib.asynccontextmanager
    async def listening(self) -> AsyncIterator[None]:
        """Listen for changes while the body runs; the first connection is listening when
        the body starts, so no change after that is missed."""
        conn = await self._listen()
        task = asyncio.create_task(self._hear(conn))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _listen(self) -> psycopg.AsyncConnection:
        conn = await psycopg.AsyncConnection.connect(self._dsn, autocommit=True)
        await conn.execute(f"LISTEN {CHANNEL}")
        self._heard += 1  # whatever changed before it listened
        return conn

    async def _hear(self, conn: psycopg.AsyncConnection) -> None:
        while True:
            try:
                async with conn:
                    async for _ in conn.notifies():
                        self._heard += 1
            except psycopg.Error as exc:
                log.warning("residents' index: lost its listening connection: %s", exc)
            while True:
                await asyncio.sleep(RECONNECT_S)
                try:
                    conn = await self._listen()
                    break
                except psycopg.Error as exc:
                    log.warning("residents' index: cannot listen yet: %s", exc)
