"""Tests of ingest/registry.py: devices and their bins over time, in the real database."""

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from curbside import BinGeometry
from ingest import Assignment, Device, load_registry

LONG_AGO = datetime(2001, 1, 1, tzinfo=UTC)
DEV_EUI = "a84041000181c7e1"


def add_bin(conn: psycopg.Connection, bin_id: str, empty_mm: int = 1500) -> None:
    conn.execute(
        "INSERT INTO bins (id, lat, lon, waste_stream, volume_l, empty_distance_mm,"
        " full_distance_mm) VALUES (%s, 51.0, 3.7, 'paper', 1100, %s, 300)",
        (bin_id, empty_mm),
    )


def current_start(conn: psycopg.Connection, device_id: str) -> datetime:
    """When the device's open assignment began (the time of its last move)."""
    row = conn.execute(
        "SELECT valid_from FROM device_assignments WHERE device_id = %s AND valid_to IS NULL",
        (device_id,),
    ).fetchone()
    assert row is not None
    moment: datetime = row[0]
    return moment


def test_a_registered_device_sits_in_its_first_bin_since_always(
    db: psycopg.Connection, registered_device: str
) -> None:
    """A device's first bin holds for any time, even before registration."""
    device = load_registry(db)[registered_device]
    geometry = BinGeometry(1000, 200, 250)
    assert (device.bin_id, device.geometry, device.sensor_model) == (
        "bin-1",
        geometry,
        "canonical-json",
    )
    assert device.assignments == (Assignment("bin-1", None, None, geometry),)
    assert device.bin_at(LONG_AGO) == device.assignments[0]


def test_a_moved_device_keeps_its_old_bin_for_earlier_times(
    db: psycopg.Connection, registered_device: str
) -> None:
    """Before the move the old bin holds, from the move on (inclusive) the new one."""
    add_bin(db, "bin-2")
    db.execute("UPDATE devices SET bin_id = 'bin-2' WHERE id = %s", (registered_device,))
    moved_at = current_start(db, registered_device)
    device = load_registry(db)[registered_device]
    assert (device.bin_id, device.geometry) == ("bin-2", BinGeometry(1500, 300, 0))
    assert [(a.bin_id, a.valid_from, a.valid_to) for a in device.assignments] == [
        ("bin-1", None, moved_at),
        ("bin-2", moved_at, None),
    ]
    before = device.bin_at(moved_at - timedelta(microseconds=1))
    assert before is not None
    assert (before.bin_id, before.geometry) == ("bin-1", BinGeometry(1000, 200, 250))
    assert device.bin_at(moved_at) == device.assignments[1]
    assert device.bin_at(moved_at + timedelta(days=400)) == device.assignments[1]


def test_a_device_taken_out_of_its_bin_is_in_no_bin_afterwards(
    db: psycopg.Connection, registered_device: str
) -> None:
    """Clearing `bin_id` closes the assignment: no bin from then on, the old one before."""
    db.execute("UPDATE devices SET bin_id = NULL WHERE id = %s", (registered_device,))
    closed_at = db.execute("SELECT valid_to FROM device_assignments").fetchone()
    assert closed_at is not None
    device = load_registry(db)[registered_device]
    assert (device.bin_id, device.geometry) == (None, None)
    assert device.bin_at(closed_at[0]) is None
    before = device.bin_at(LONG_AGO)
    assert before is not None
    assert before.bin_id == "bin-1"


def test_a_device_given_its_first_bin_later_has_none_before(db: psycopg.Connection) -> None:
    """Registered without a bin, a device's bin holds only from its assignment on."""
    add_bin(db, "bin-2")
    db.execute("INSERT INTO devices (id, sensor_model) VALUES ('dev-5', 'ldds75')")
    assert load_registry(db)["dev-5"].assignments == ()
    db.execute("UPDATE devices SET bin_id = 'bin-2' WHERE id = 'dev-5'")
    assigned_at = current_start(db, "dev-5")
    device = load_registry(db)["dev-5"]
    assert device.bin_at(assigned_at - timedelta(seconds=1)) is None
    now = device.bin_at(assigned_at)
    assert now is not None
    assert now.bin_id == "bin-2"


def test_two_moves_in_one_transaction_leave_only_the_last(
    db: psycopg.Connection, registered_device: str
) -> None:
    """A move undone or redone within its transaction leaves no zero-length assignment."""
    add_bin(db, "bin-2")
    add_bin(db, "bin-3")
    with db.transaction():
        db.execute("UPDATE devices SET bin_id = 'bin-2' WHERE id = %s", (registered_device,))
        db.execute("UPDATE devices SET bin_id = 'bin-3' WHERE id = %s", (registered_device,))
    device = load_registry(db)[registered_device]
    assert [a.bin_id for a in device.assignments] == ["bin-1", "bin-3"]


def test_a_device_is_found_by_its_dev_eui_in_either_case(
    db: psycopg.Connection, registered_device: str
) -> None:
    """The DevEUI, lower- or upper-case, leads to the same device as its id."""
    db.execute("UPDATE devices SET dev_eui = %s WHERE id = %s", (DEV_EUI, registered_device))
    registry = load_registry(db)
    device = registry[registered_device]
    assert device.dev_eui == DEV_EUI
    assert registry.get(DEV_EUI) is device
    assert registry.get(DEV_EUI.upper()) is device
    assert "a84041000181c7e9" not in registry
    assert len({d.device_id for d in registry.values()}) == 1


def test_a_device_id_wins_over_another_devices_dev_eui(
    db: psycopg.Connection, registered_device: str
) -> None:
    """A device named like another device's DevEUI is found by its own id."""
    db.execute("UPDATE devices SET dev_eui = %s WHERE id = %s", (DEV_EUI, registered_device))
    db.execute("INSERT INTO devices (id, sensor_model) VALUES (%s, 'ldds75')", (DEV_EUI,))
    registry = load_registry(db)
    assert registry[DEV_EUI].device_id == DEV_EUI
    assert registry[DEV_EUI.upper()].device_id == registered_device


def test_a_device_built_without_history_has_its_bin_for_all_time() -> None:
    """A hand-built device (as in unit tests) answers `bin_at` with its current bin."""
    geometry = BinGeometry(1000, 200)
    assert Device("d", "m", "b", geometry).bin_at(LONG_AGO) == Assignment("b", None, None, geometry)
    assert Device("d", "m", None, None).bin_at(LONG_AGO) is None


def test_bin_at_refuses_a_time_without_an_offset() -> None:
    """A naive time cannot be placed against the history."""
    with pytest.raises(ValueError, match="UTC offset"):
        Device("d", "m", None, None).bin_at(datetime(2026, 1, 1))
