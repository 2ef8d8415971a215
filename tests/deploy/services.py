"""What the deployment files are checked against: the services' real settings classes and the
real `curbside` command line (used by tests/deploy/test_compose.py and test_kubernetes.py)."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pytest

import api
import ingest
import optimizer
import simulators
from curbside import cli
from curbside.grafana import GrafanaSettings
from curbside.settings import ServiceSettings, load

ROOT = Path(__file__).parents[2]
DEPLOY = ROOT / "deploy"

SETTINGS_BY_COMMAND: dict[str, type[ServiceSettings]] = {
    "db": ServiceSettings,
    "ingest": ingest.IngestSettings,
    "api": api.ApiSettings,
    "plan": optimizer.PlannerSettings,
}
"""The settings class each deployed subcommand builds (see curbside/cli.py)."""

EVERY_SETTINGS_CLASS: tuple[type[ServiceSettings], ...] = (
    *SETTINGS_BY_COMMAND.values(),
    simulators.SimulatorSettings,
    GrafanaSettings,
)

READ_DIRECTLY = frozenset({"CURBSIDE_LOG_FORMAT"})
"""CURBSIDE_* variables the command line reads itself rather than through a settings class."""


def variables(cls: type[ServiceSettings]) -> frozenset[str]:
    """The environment variables a settings class reads: its prefix and field names."""
    prefix = cls.model_config.get("env_prefix", "")
    return frozenset(f"{prefix}{name}".upper() for name in cls.model_fields)


def known_variables() -> frozenset[str]:
    """Every CURBSIDE_* variable some part of Curbside reads."""
    names: set[str] = set(READ_DIRECTLY)
    for cls in EVERY_SETTINGS_CLASS:
        names |= variables(cls)
    return frozenset(names)


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """`curbside ARGV` parsed by the real parser; a refusal fails with argparse's message."""
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors):
            return cli.build_parser().parse_args(list(argv))
    except SystemExit:
        pytest.fail(f"`curbside {' '.join(argv)}` does not parse: {errors.getvalue().strip()}")


def unread(argv: Sequence[str], names: Iterable[str]) -> list[str]:
    """The CURBSIDE_* names among these that `curbside ARGV` does not read."""
    read = variables(SETTINGS_BY_COMMAND[argv[0]]) | READ_DIRECTLY
    return sorted(name for name in names if name.startswith("CURBSIDE_") and name not in read)


def build_settings(
    argv: Sequence[str],
    environment: Mapping[str, str],
    monkeypatch: pytest.MonkeyPatch,
    *,
    all_read: bool = True,
) -> ServiceSettings:
    """The settings `curbside ARGV` builds from exactly these variables (none of the
    machine's); a bad value fails, and so does, with `all_read`, a CURBSIDE_* variable
    the command does not read."""
    cls = SETTINGS_BY_COMMAND[argv[0]]
    if all_read:
        ignored = unread(argv, environment)
        assert not ignored, f"`curbside {argv[0]}` does not read {', '.join(ignored)}"
    for name in os.environ:
        if name.startswith("CURBSIDE_"):
            monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return load(cls)


def registry_host(image: str) -> str | None:
    """The registry host an image reference names, if any (`host[:port]/path:tag`)."""
    first, slash, _ = image.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return first
    return None
