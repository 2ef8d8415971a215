"""Tests of simulators/load_report.py: the report's checks, verdict, table and JSON."""

import json
from dataclasses import replace
from typing import Any

import pytest

from simulators import DeviceLoss, LoadReport
from simulators.load_report import Latency

LATENCY = Latency(samples=90, p50_s=0.1, p95_s=0.2, p99_s=0.25, max_s=0.3, method="insert")


def report(**changes: Any) -> LoadReport:
    """A QoS 1 run of 100 messages, 90 stored, device d1 missing 4 and d2 refused 6."""
    fields: dict[str, Any] = {
        "run_id": "abc123",
        "qos": 1,
        "publishers": 2,
        "devices": 5,
        "target_rate": 50.0,
        "planned": 100,
        "published": 100,
        "acknowledged": 100,
        "publish_s": 2.0,
        "stopped_by": "count",
        "stored": 90,
        "rejected": 6,
        "settled": False,
        "settle_s": 10.0,
        "latency": LATENCY,
        "losses": (DeviceLoss("d2", 20, 14, 6), DeviceLoss("d1", 20, 16, 0)),
    }
    fields.update(changes)
    return LoadReport(**fields)


def test_rate_and_loss_follow_from_the_counts() -> None:
    """Achieved rate is published over time; loss splits into refused and missing."""
    found = report()
    assert found.achieved_rate == 50.0
    assert (found.lost, found.missing) == (10, 4)
    assert [(loss.lost, loss.missing) for loss in found.losses] == [(6, 0), (4, 4)]


def test_the_verdict_tells_the_qos_apart() -> None:
    """Missing at QoS 1 breaks a promise; at QoS 0 it is allowed; refused messages arrived."""
    at_qos_1 = report().verdict()
    assert at_qos_1.startswith("lost 10 of 100: 6 refused by the ingest")
    assert "4 acknowledged at QoS 1 but not stored after 10 s without progress" in at_qos_1
    at_qos_0 = report(qos=0, acknowledged=None).verdict()
    assert "4 never stored, which QoS 0 allows" in at_qos_0
    unacked = report(acknowledged=97).verdict()
    assert "3 never acknowledged by the broker" in unacked
    assert "1 acknowledged at QoS 1 but not stored" in unacked
    whole = report(stored=100, rejected=0, losses=(), settled=True, latency=None)
    assert whole.verdict() == "no loss: all 100 messages stored"


def test_the_table_shows_the_figures_and_the_devices_that_lost() -> None:
    """One line per figure, then the devices, most lost first."""
    lines = report().table()
    assert lines[0] == "load run abc123: 2 publishers, QoS 1, 5 devices"
    text = "\n".join(lines)
    assert "100 of 100 planned in 2.00 s (count reached)" in text
    assert "50 msg/s (target 50 msg/s)" in text
    assert "p50 100  p95 200  p99 250  max 300\n" in text
    assert "90 readings, publish to insert (readings.stored_at" in text
    device_lines = [line.split() for line in lines[-2:]]
    assert device_lines == [["d2", "20", "14", "6", "0"], ["d1", "20", "16", "0", "4"]]


def test_the_json_holds_every_field_and_the_derived_figures() -> None:
    """A program reads the same report, each device's loss included."""
    document = json.loads(report().to_json())
    assert document["published"] == 100
    assert document["achieved_rate"] == 50.0
    assert (document["lost"], document["missing"]) == (10, 4)
    assert document["latency"]["p99_s"] == 0.25
    assert document["losses"][1] == {
        "device_id": "d1", "published": 20, "stored": 16, "rejected": 0, "lost": 4, "missing": 4,
    }  # fmt: skip
    assert document["verdict"] == report().verdict()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"qos": 2}, "qos must be 0 or 1"),
        ({"qos": 0}, "acknowledged is counted at QoS 1 and only there"),
        ({"stopped_by": "tired"}, "stopped_by must be one of"),
        ({"acknowledged": 101}, "more messages acknowledged than published"),
        ({"rejected": 11}, "more messages stored and rejected than published"),
        ({"publish_s": float("nan")}, "publish_s must be a finite number"),
        ({"losses": ()}, "do not add up"),
        ({"losses": (DeviceLoss("d2", 20, 14, 6),)}, "do not add up"),
        ({"losses": (DeviceLoss("d2", 20, 14, 6), DeviceLoss("d1", 20, 16, 3))}, "do not add up"),
        ({"stored": 100, "rejected": 0, "losses": (DeviceLoss("d1", 5, 5, 0),)}, "only devices"),
        ({"latency": replace(LATENCY, samples=91)}, "more latency samples than readings"),
    ],
)
def test_inconsistent_reports_are_refused(changes: dict[str, Any], message: str) -> None:
    """A report whose figures contradict each other raises ValueError."""
    with pytest.raises(ValueError, match=message):
        report(**changes)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: DeviceLoss("d", 5, 4, 2), "4 stored and 2 rejected of 5 published"),
        (lambda: DeviceLoss("d", 5, -1, 0), "must not be negative"),
        (lambda: replace(LATENCY, samples=0), "at least one sample"),
        (lambda: replace(LATENCY, p95_s=0.05), "finite and ordered"),
        (lambda: replace(LATENCY, method="guess"), "latency method must be one of"),
    ],
)
def test_inconsistent_parts_are_refused(make: Any, message: str) -> None:
    """A device's loss or a latency that cannot be raises ValueError."""
    with pytest.raises(ValueError, match=message):
        make()
