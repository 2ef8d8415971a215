"""Errors of the shared kernel; each package keeps its own small exception module."""


class CurbsideError(Exception):
    """Base of every error Curbside raises on purpose."""


class RuntimeServiceError(CurbsideError):
    """A local service (database cluster or broker) could not be set up, started or stopped."""


class MigrationError(CurbsideError):
    """A schema migration is malformed or failed to apply."""
