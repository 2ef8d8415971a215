"""Tests of curbside/cli.py: help and argument errors, without services."""

import pytest

from curbside.cli import build_parser, main

COMMANDS = ["services", "db", "ingest", "api", "plan", "simulate", "up", "down", "status"]


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
    "argv", [["plan", "--date", "tomorrow"], ["services", "sideways"], ["frobnicate"]]
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
