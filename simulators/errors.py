"""Errors of the simulators."""

from curbside.errors import CurbsideError


class SimulatorError(CurbsideError):
    """A simulation cannot go on."""


class PublishError(SimulatorError):
    """The broker cannot be reached, refuses the simulator, or does not acknowledge in time."""
