"""Tests of simulators/feed.py: a city's uplinks over a window, each device on its own schedule."""

import dataclasses
import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from simulators import Delivery, feed, generate_city, report_times
from simulators.feed import expected_readings
from simulators.sensors import report_times_of

END = datetime(2025, 3, 2, 12, tzinfo=UTC)
START = END - timedelta(hours=30)
CITY = generate_city(bins=50, seed=13)


class HalfFull:
    """Every bin at 50 %, whenever asked."""

    def __init__(self) -> None:
        self.asked = 0

    def fill_pct(self, bin_index: int, at: datetime) -> float:
        self.asked += 1
        return 50.0


def test_each_device_reports_on_its_own_schedule_in_sending_order() -> None:
    """Deliveries come in time order; each device's are its own report times, all of them."""
    deliveries = list(feed(CITY, START, END, seed=1))
    assert [d.send_at for d in deliveries] == sorted(d.send_at for d in deliveries)
    assert len(deliveries) == expected_readings(CITY, START, END)
    for device in CITY.devices:
        mine = [d.reading.ts for d in deliveries if d.device_id == device.id]
        assert mine == list(report_times_of(device, START, END))
    seconds = Counter(d.send_at for d in deliveries)
    assert max(seconds.values()) <= 3, "devices should not all report in the same second"


def test_frame_counters_go_up_by_one_per_report() -> None:
    """A device's consecutive readings carry consecutive counters."""
    deliveries = list(feed(CITY, START, END, seed=1))
    for device in CITY.devices[:10]:
        seqs = [d.reading.seq for d in deliveries if d.device_id == device.id]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))


def test_on_a_grid_every_device_reports_at_the_same_times() -> None:
    """With `grid`, every device reports at each of its times."""
    grid = report_times(END, 12, 3)
    deliveries = list(feed(CITY, END - timedelta(hours=12), END, seed=1, grid=grid))
    assert len(deliveries) == len(grid) * len(CITY.devices)
    assert {d.reading.ts for d in deliveries} == set(grid)


def test_the_levels_come_from_the_level_source() -> None:
    """Readings scatter around the source's level; it is asked once per reading."""
    source = HalfFull()
    deliveries = list(feed(CITY, START, END, seed=1, levels=source))
    assert source.asked == len(deliveries)
    assert statistics.median(d.reading.fill_pct for d in deliveries) == pytest.approx(50, abs=1.5)


def test_a_device_falls_silent_when_its_battery_is_empty() -> None:
    """A device with a sliver of battery reports for a while, then never again."""
    weak = dataclasses.replace(
        CITY.devices[0], battery_pct=0.02, report_interval_s=1800, report_offset_s=0
    )
    city = dataclasses.replace(CITY, devices=(weak, *CITY.devices[1:]))
    mine = [d for d in feed(city, START, END, seed=1) if d.device_id == weak.id]
    # 0.02 % lasts 0.02 / (0.007 / 48 + 0.002) = 9.3 half hours: readings 0 to 9
    assert len(mine) == 10
    assert mine[-1].reading.ts < START + timedelta(hours=5)
    assert mine[-1].reading.battery_pct == 0.0


def test_the_same_arguments_give_the_same_messages() -> None:
    """Two runs give identical deliveries; another seed other measurements."""
    once = list(feed(CITY, START, END, seed=1))
    assert list(feed(CITY, START, END, seed=1)) == once
    other = list(feed(CITY, START, END, seed=2))
    assert [d.message for d in other] != [d.message for d in once]


def test_a_window_must_not_end_before_it_starts() -> None:
    """An inverted window is refused; a zero-length one holds only readings at that moment."""
    with pytest.raises(ValueError, match="window"):
        list(feed(CITY, END, START, seed=1))
    assert all(d.reading.ts == END for d in feed(CITY, END, END, seed=1))


def test_a_delivery_is_consistent() -> None:
    """Only a dropped reading lacks a message, and nothing is sent before it is measured."""
    delivery = next(iter(feed(CITY, START, END, seed=1)))
    with pytest.raises(ValueError, match="dropped"):
        dataclasses.replace(delivery, message=None)
    with pytest.raises(ValueError, match="after it is measured"):
        dataclasses.replace(delivery, send_at=delivery.reading.ts - timedelta(seconds=1))
    assert isinstance(delivery, Delivery)
