"""Errors of the ingest."""

from curbside.errors import CurbsideError


class IngestError(CurbsideError):
    """The ingest cannot go on (broker unreachable after retries, database gone)."""


class RejectError(ValueError):
    """A message that cannot become a reading; it is stored as a reject with this reason."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class UnknownDeviceError(RejectError):
    """No registered device under any of the keys a message names."""

    def __init__(self, keys: tuple[str, ...]) -> None:
        super().__init__("unknown_device", " / ".join(dict.fromkeys(keys)))
        self.keys = keys
