"""Public holidays in the database: no collection that day, and where its calendar
collections go (`holidays.moved_to`; none: they are dropped)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import psycopg


@dataclass(frozen=True)
class Holiday:
    day: date
    name: str
    moved_to: date | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("a holiday needs a name")
        if self.moved_to == self.day:
            raise ValueError(f"{self.day}: collections cannot move to the holiday itself")

    def describe(self) -> str:
        moved = f"collections move to {self.moved_to}" if self.moved_to else "no collection"
        return f"{self.day} {self.name}: {moved}"


def save_holiday(conn: psycopg.Connection, holiday: Holiday) -> None:
    """Add the holiday, or replace the one on its day."""
    conn.execute(
        "INSERT INTO holidays (day, name, moved_to) VALUES (%s, %s, %s) "
        "ON CONFLICT (day) DO UPDATE SET name = EXCLUDED.name, moved_to = EXCLUDED.moved_to",
        (holiday.day, holiday.name.strip(), holiday.moved_to),
    )


def remove_holiday(conn: psycopg.Connection, day: date) -> bool:
    """Remove the holiday on `day`; whether there was one."""
    return conn.execute("DELETE FROM holidays WHERE day = %s", (day,)).rowcount > 0


def list_holidays(conn: psycopg.Connection, since: date | None = None) -> list[Holiday]:
    """The holidays from `since` on (all when None), in order."""
    rows = conn.execute(
        "SELECT day, name, moved_to FROM holidays WHERE %s::date IS NULL OR day >= %s ORDER BY day",
        (since, since),
    ).fetchall()
    return [Holiday(*row) for row in rows]
