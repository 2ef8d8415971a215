"""Tests of curbside/settings.py."""

from pathlib import Path

import pytest

from curbside import BrokerAddress, ServiceSettings, load


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mqtt://localhost", BrokerAddress("localhost", 1883)),
        ("mqtt://broker:1884", BrokerAddress("broker", 1884)),
        ("mqtts://u:p%40ss@broker", BrokerAddress("broker", 8883, "u", "p@ss", tls=True)),
    ],
)
def test_broker_urls_parse(url: str, expected: BrokerAddress) -> None:
    """Host, port, credentials and TLS come from the URL, with MQTT's default ports."""
    assert BrokerAddress.parse(url) == expected


@pytest.mark.parametrize("url", ["http://broker", "mqtt://", "broker:1883"])
def test_bad_broker_urls_are_refused(url: str) -> None:
    """Anything but mqtt:// or mqtts:// with a host is a clear error."""
    with pytest.raises(ValueError, match="broker URL"):
        BrokerAddress.parse(url)


def test_defaults_point_at_the_local_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    """With nothing configured, the database and broker are the local runtime's."""
    for name in ("CURBSIDE_DATABASE_URL", "CURBSIDE_MQTT_URL", "CURBSIDE_LOCAL_DB_PORT"):
        monkeypatch.delenv(name, raising=False)
    settings = ServiceSettings()
    assert settings.dsn == "postgresql://curbside@127.0.0.1:55432/curbside"
    assert settings.broker == BrokerAddress("127.0.0.1", 11883)


def test_environment_and_env_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """CURBSIDE_* variables override an env file, which overrides the defaults."""
    env_file = tmp_path / "curbside.env"
    env_file.write_text("CURBSIDE_MQTT_URL=mqtt://from-file:1999\nCURBSIDE_LOCAL_DB_PORT=6000\n")
    monkeypatch.setenv("CURBSIDE_LOCAL_DB_PORT", "7000")
    settings = load(ServiceSettings, env_file)
    assert settings.broker.host == "from-file"
    assert settings.local_db_port == 7000


def test_a_missing_env_file_is_an_error(tmp_path: Path) -> None:
    """Naming a settings file that is not there fails instead of running on defaults."""
    with pytest.raises(ValueError, match="not found"):
        load(ServiceSettings, tmp_path / "nope.env")
