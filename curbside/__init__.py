"""Curbside's shared kernel: settings, the local runtime, schema migrations, the command line."""

from curbside.errors import CurbsideError, MigrationError, RuntimeServiceError
from curbside.geometry import BinGeometry
from curbside.settings import BrokerAddress, ServiceSettings, load

__all__ = [
    "BinGeometry",
    "BrokerAddress",
    "CurbsideError",
    "MigrationError",
    "RuntimeServiceError",
    "ServiceSettings",
    "load",
]
