"""The HTTP API for dispatchers, drivers, residents and open data."""

from api.app import create_app
from api.settings import ApiSettings

__all__ = ["ApiSettings", "create_app"]
