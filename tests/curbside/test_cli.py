"""Tests of curbside/cli.py: help and argument errors; the device and reject commands."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from curbside.cli import build_parser, main
from ingest import Message, load_registry, process, write_batch

COMMANDS = [
    "services", "db", "ingest", "api", "plan", "holidays", "keys", "simulate", "devices",
    "rejects", "up", "down", "status", "grafana",
]  # fmt: skip


def test_every_subcommand_is_listed_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    """`curbside --help` names each subcommand."""
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert all(command in out for command in COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_each_subcommand_explains_itself(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Each subcommand's --help prints a description."""
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args([command, "--help"])
    assert exited.value.code == 0
    assert f"usage: curbside {command}" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ["plan", "--date", "tomorrow"],
        ["plan", "--every-evening", "6pm"],
        ["services", "sideways"],
        ["frobnicate"],
    ],
)
def test_bad_arguments_exit_with_a_usage_error(argv: list[str]) -> None:
    """Malformed arguments are refused with argparse's exit code 2."""
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(argv)
    assert exited.value.code == 2


def test_a_missing_env_file_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    """A settings file that is not there ends the command with an error message."""
    assert main(["--env-file", "/nonexistent/curbside.env", "status"]) == 1
    assert "settings file not found" in capsys.readouterr().err


# --- devices and rejects, against the test database ------------------------------------------

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line pointed at the test database, with topic prefix `c/v1`."""
    monkeypatch.setenv("CURBSIDE_DATABASE_URL", database_url)
    monkeypatch.setenv("CURBSIDE_TOPIC_PREFIX", "c/v1")


def test_devices_import_registers_a_file(
    db: psycopg.Connection, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """`curbside devices import` registers a CSV or GeoJSON file and reports the counts."""
    assert main(["devices", "import", str(DATA / "devices.csv")]) == 0
    assert "bins: 3 new, 0 updated; devices: 2 new" in capsys.readouterr().out
    assert main(["devices", "import", str(DATA / "devices.geojson")]) == 0
    assert "bins: 0 new, 0 updated; devices: 0 new, 0 updated" in capsys.readouterr().out
    assert db.execute("SELECT count(*) FROM devices").fetchone() == (2,)


def test_keys_are_created_listed_and_revoked(
    db: psycopg.Connection, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """A key is printed once and stored only as a hash; revoking it twice is refused."""
    assert main(["keys", "create", "--role", "dispatcher", "--name", "Desk"]) == 0
    key = capsys.readouterr().out.splitlines()[-1]
    assert key.startswith("cs_")
    stored = db.execute("SELECT key_hash FROM api_keys").fetchone()
    assert stored is not None
    assert key.encode() not in bytes(stored[0])
    assert main(["keys", "create", "--role", "gateway", "--name", "G", "--vehicle", "t9"]) == 1
    assert "only a driver's key is tied to a vehicle" in capsys.readouterr().err
    assert main(["keys", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].split() == ["id", "role", "name", "vehicle", "created", "state"]
    assert listed[-1].split()[:3] == ["1", "dispatcher", "Desk"]
    assert main(["keys", "revoke", "1"]) == 0
    assert main(["keys", "revoke", "1"]) == 1
    assert "no live key 1" in capsys.readouterr().err


def test_holidays_are_added_listed_and_removed(
    db: psycopg.Connection, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Christmas moves its calendar collections to the Saturday; New Year drops them; a
    holiday moved onto itself and one removed twice are refused with the reason."""
    christmas = ["holidays", "add", "2026-12-25", "--name", "Christmas"]
    assert main([*christmas, "--moved-to", "2026-12-26"]) == 0
    assert main(["holidays", "add", "2027-01-01", "--name", "New Year"]) == 0
    capsys.readouterr()
    assert main(["holidays", "list", "--since", "2026-12-01"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "2026-12-25 Christmas: collections move to 2026-12-26",
        "2027-01-01 New Year: no collection",
    ]
    assert main([*christmas, "--moved-to", "2026-12-25"]) == 1
    assert "cannot move to the holiday itself" in capsys.readouterr().err
    assert main(["holidays", "remove", "2027-01-01"]) == 0
    assert main(["holidays", "remove", "2027-01-01"]) == 1
    assert "no holiday on 2027-01-01" in capsys.readouterr().err
    assert db.execute("SELECT day, moved_to FROM holidays").fetchall() == [
        (date(2026, 12, 25), date(2026, 12, 26))
    ]


@pytest.mark.parametrize(
    ("name", "text", "error"),
    [
        ("bins.csv", "bin_id,lat,lon\n", "line 1: missing column(s) waste_stream"),
        ("bins.txt", "", "expected a .csv, .geojson or .json file"),
        ("absent.json", None, "file not found"),
    ],
)
def test_devices_import_reports_what_is_wrong(
    db: psycopg.Connection,
    cli_env: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    text: str | None,
    error: str,
) -> None:
    """A bad file, another kind of file or none at all ends with exit code 1 and the reason."""
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    assert main(["devices", "import", str(path)]) == 1
    assert error in capsys.readouterr().err
    assert db.execute("SELECT count(*) FROM bins").fetchone() == (0,)


def test_rejects_list_summary_and_replay(
    db: psycopg.Connection, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rejects are listed and counted, then replayed once their device is registered."""
    message = Message("c/v1/devices/dev-1/up", b'{"fill_pct": 40}', datetime.now(UTC))
    write_batch(db, process([message], load_registry(db), "c/v1"))
    assert main(["rejects", "list"]) == 0
    listed = capsys.readouterr().out
    assert "unknown_device" in listed
    assert 'c/v1/devices/dev-1/up  dev-1   {"fill_pct": 40}' in listed
    assert main(["rejects", "summary"]) == 0
    assert "unknown_device  1" in capsys.readouterr().out
    assert main(["devices", "import", str(DATA / "devices.csv")]) == 0
    assert main(["rejects", "replay", "--reason", "unknown_device"]) == 0
    assert "replayed 1 reject(s): 1 resolved (1 reading(s) stored" in capsys.readouterr().out
    assert main(["rejects", "list"]) == 0
    assert capsys.readouterr().out == "no open rejects\n"
    assert main(["rejects", "list", "--all", "--since", "2000-01-01"]) == 0
    assert "replayed" in capsys.readouterr().out
    assert db.execute("SELECT device_id, bin_id FROM readings").fetchall() == [("dev-1", "bin-1")]


@pytest.mark.parametrize(
    "argv",
    [["rejects", "list", "--since", "yesterday"], ["rejects", "list", "--limit", "0"], ["rejects"]],
)
def test_rejects_arguments_are_checked(argv: list[str]) -> None:
    """A time that is not ISO 8601, a limit below one or a missing action is a usage error."""
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(argv)
    assert exited.value.code == 2


def test_db_prune_keeps_the_days_asked_for(
    db: psycopg.Connection, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """`curbside db prune --keep-days N` drops the old readings; without N it says so."""
    old = datetime(2020, 1, 1, tzinfo=UTC)
    db.execute(
        "INSERT INTO readings (device_id, measured_at, received_at, fill_pct)"
        " VALUES ('d', %s, %s, 50), ('d', now(), now(), 60)",
        (old, old),
    )
    assert main(["db", "prune"]) == 1
    assert "--keep-days" in capsys.readouterr().err
    assert main(["db", "prune", "--keep-days", "400"]) == 0
    assert "1 chunk(s) of readings dropped" in capsys.readouterr().out
    assert db.execute("SELECT fill_pct FROM readings").fetchall() == [(60.0,)]


def test_plan_if_working_day_skips_a_holiday(
    db: psycopg.Connection, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """With tomorrow a public holiday, `curbside plan --if-working-day` plans nothing."""
    tomorrow = date.today() + timedelta(days=1)
    db.execute("INSERT INTO holidays (day, name) VALUES (%s, 'Test day')", (tomorrow,))
    assert main(["plan", "--if-working-day"]) == 0
    assert f"no collection on {tomorrow}: nothing to plan" in capsys.readouterr().out
    assert db.execute("SELECT count(*) FROM plans").fetchone() == (0,)
