"""API keys with roles, stored as hashes: created and revoked from the command line.

A key is `cs_` and 32 random bytes in URL-safe base64, shown once when it is created; the
database keeps its SHA-256 (a key is random and long, so a fast hash cannot be searched
back). Roles: `admin` (everything), `dispatcher`, `driver` (optionally tied to a vehicle:
that driver sees and reports on that vehicle's route only) and `gateway`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

import psycopg

Role = Literal["admin", "dispatcher", "driver", "gateway"]
ROLES: tuple[str, ...] = get_args(Role)
PREFIX = "cs_"


@dataclass(frozen=True)
class ApiKey:
    """A key as the database knows it (never the key itself)."""

    id: int
    name: str
    role: str
    vehicle_id: str | None
    created_at: datetime
    revoked_at: datetime | None = None

    def allows(self, *roles: str) -> bool:
        """Whether this key may act in one of `roles` (an admin may act in any)."""
        return self.role == "admin" or self.role in roles


def key_hash(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def create_key(
    conn: psycopg.Connection, name: str, role: str, vehicle_id: str | None = None
) -> tuple[ApiKey, str]:
    """A new key: its record and the key itself, which is not stored and cannot be shown
    again."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    if not name.strip():
        raise ValueError("a key needs a name (who or what uses it)")
    if vehicle_id is not None and role != "driver":
        raise ValueError("only a driver's key is tied to a vehicle")
    if vehicle_id is not None:
        known = conn.execute("SELECT 1 FROM vehicles WHERE id = %s", (vehicle_id,)).fetchone()
        if known is None:
            raise ValueError(f"no vehicle {vehicle_id!r}")
    key = PREFIX + secrets.token_urlsafe(32)
    row = conn.execute(
        "INSERT INTO api_keys (name, role, vehicle_id, key_hash) VALUES (%s, %s, %s, %s) "
        "RETURNING id, name, role, vehicle_id, created_at, revoked_at",
        (name.strip(), role, vehicle_id, key_hash(key)),
    ).fetchone()
    assert row is not None  # RETURNING gives the inserted row
    return ApiKey(*row), key


def find_key(conn: psycopg.Connection, key: str) -> ApiKey | None:
    """The live (not revoked) key, or None."""
    if not key.startswith(PREFIX):
        return None
    row = conn.execute(
        "SELECT id, name, role, vehicle_id, created_at, revoked_at FROM api_keys "
        "WHERE key_hash = %s AND revoked_at IS NULL",
        (key_hash(key),),
    ).fetchone()
    return None if row is None else ApiKey(*row)


def revoke_key(conn: psycopg.Connection, key_id: int) -> bool:
    """Revoke a key; whether a live key of that id was there."""
    done = conn.execute(
        "UPDATE api_keys SET revoked_at = now() WHERE id = %s AND revoked_at IS NULL", (key_id,)
    )
    return done.rowcount > 0


def list_keys(conn: psycopg.Connection, include_revoked: bool = False) -> list[ApiKey]:
    rows = conn.execute(
        "SELECT id, name, role, vehicle_id, created_at, revoked_at FROM api_keys "
        "WHERE %s OR revoked_at IS NULL ORDER BY id",
        (include_revoked,),
    ).fetchall()
    return [ApiKey(*row) for row in rows]
