"""Settings shared by every Curbside service: where the database and the broker are.

Each service has its own settings class that extends `ServiceSettings`; the entry point
builds it once (from `CURBSIDE_*` environment variables and an optional env file) and passes
it down. With nothing configured, the services use the project's local runtime.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote, urlsplit

from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_DB_PORT = 55432
LOCAL_MQTT_PORT = 11883

SettingsT = TypeVar("SettingsT", bound=BaseSettings)


@dataclass(frozen=True)
class BrokerAddress:
    """An MQTT broker parsed from `mqtt://[user[:password]@]host[:port]` (or `mqtts://`)."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
            raise ValueError(f"broker URL must start with mqtt:// or mqtts://, got {url!r}")
        if not parts.hostname:
            raise ValueError(f"broker URL has no host: {url!r}")
        tls = parts.scheme in ("mqtts", "ssl")
        return cls(
            host=parts.hostname,
            port=parts.port or (8883 if tls else 1883),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=tls,
        )


class ServiceSettings(BaseSettings):
    """What every service needs: the database, the broker and the local runtime's folder."""

    model_config = SettingsConfigDict(env_prefix="CURBSIDE_", extra="ignore")

    database_url: str | None = None
    """An external PostgreSQL/TimescaleDB; unset means the local runtime's database."""
    mqtt_url: str | None = None
    """An external MQTT broker; unset means the local runtime's broker."""
    state_dir: Path = Path(".state")
    """Where the local runtime keeps its database cluster, broker data, logs and pids."""
    local_db_port: int = LOCAL_DB_PORT
    local_mqtt_port: int = LOCAL_MQTT_PORT

    @property
    def dsn(self) -> str:
        """The database to use: the configured one, else the local runtime's."""
        return self.database_url or f"postgresql://curbside@127.0.0.1:{self.local_db_port}/curbside"

    @property
    def broker(self) -> BrokerAddress:
        """The broker to use: the configured one, else the local runtime's."""
        return BrokerAddress.parse(self.mqtt_url or f"mqtt://127.0.0.1:{self.local_mqtt_port}")


def load(cls: type[SettingsT], env_file: Path | None = None) -> SettingsT:
    """Build a settings class from the environment and, when given, an env file."""
    if env_file is not None and not env_file.is_file():
        raise ValueError(f"settings file not found: {env_file}")
    return cls(_env_file=env_file)
