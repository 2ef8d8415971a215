"""Tests of curbside/logs.py."""

import json
import logging

from curbside.logs import JsonFormatter


def test_json_lines_carry_the_message_and_extra_fields() -> None:
    """A record becomes one JSON object with level, logger, message and its extras."""
    record = logging.makeLogRecord(
        {"name": "ingest", "levelname": "WARNING", "msg": "lost %d", "args": (3,), "batch": 7}
    )
    entry = json.loads(JsonFormatter().format(record))
    assert (entry["level"], entry["logger"], entry["message"]) == ("warning", "ingest", "lost 3")
    assert entry["batch"] == 7
    assert entry["time"].endswith("+00:00")
