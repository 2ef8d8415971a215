"""A city's sensors over a time window: every uplink they send, with faults, in delivery order.

`feed` is pure: it says what goes on the wire and when, and the publisher only moves it.
Each device reports at its own interval and phase (or, with `grid`, all at the same
times), until its battery runs out or a fault ends it. Each reading is measured from the
bin's true level (`levels`, a `LevelSource`; default linear growth), changed by the device's
faults (knocked over, on fire), then encoded in the device's uplink format or replaced by
garbage, dropped, doubled or held back as `FaultRates` draw it. Deliveries come out ordered
by when they are sent, which is their measurement time except for held-back ones. The same
arguments give the same deliveries, byte for byte.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from curbside.topics import DEFAULT_PREFIX
from simulators.city import City, SimBin, SimDevice
from simulators.faults import (
    FaultRates,
    afflict,
    delivery_fault,
    garble,
    hold_back,
    plan_device,
)
from simulators.fill import LevelSource
from simulators.formats import reports_temperature
from simulators.radio import Network
from simulators.sensors import Reading, battery_at, frame_counter, measure, report_times_of
from simulators.uplinks import Message, encode


@dataclass(frozen=True)
class Delivery:
    """One reading's fate: the message sent at `send_at`, or none for a dropped reading."""

    send_at: datetime
    reading: Reading
    """What the device measured (for garbage: the reading the garbage replaced)."""
    message: Message | None
    fault: str | None = None
    """The per-reading fault (`faults.PER_READING`); "duplicate" marks the second copy."""

    def __post_init__(self) -> None:
        if (self.message is None) != (self.fault == "dropout"):
            raise ValueError(f"{self.reading.device_id}: only a dropped reading has no message")
        if self.send_at < self.reading.ts:
            raise ValueError(f"{self.reading.device_id}: a reading is sent after it is measured")

    @property
    def device_id(self) -> str:
        return self.reading.device_id


def feed(
    city: City,
    start: datetime,
    end: datetime,
    seed: int,
    *,
    levels: LevelSource | None = None,
    faults: FaultRates | None = None,
    network: Network | None = None,
    prefix: str = DEFAULT_PREFIX,
    grid: Sequence[datetime] | None = None,
) -> Iterator[Delivery]:
    """Every delivery of the city's devices measured within [start, end], in sending order.

    `levels` gives the bins' true levels (default: `sensors.fill_at`, linear from `start`);
    `network` the LoRaWAN ids (default: `Network.for_city`); `grid`, when given, the report
    times of every device instead of its own schedule.
    """
    if not start <= end:
        raise ValueError("the window must not end before it starts")
    rates = faults or FaultRates()
    net = network or Network.for_city(city.seed, len(city.devices))
    streams = []
    for device in city.devices:
        index = city.bin_index(device.bin_id)
        stream = _device_stream(
            device, city.bins[index], index, start, end, seed, levels, rates, net, prefix, grid
        )
        streams.append(stream)
    return _merged(streams)


def expected_readings(
    city: City, start: datetime, end: datetime, grid: Sequence[datetime] | None = None
) -> int:
    """How many readings the devices' schedules hold within [start, end] before any fault or
    empty battery ends them: the total for progress reports."""
    if grid is not None:
        return len(grid) * len(city.devices)
    first, last = math.ceil(start.timestamp()), math.floor(end.timestamp())
    total = 0
    for device in city.devices:
        interval, offset = device.report_interval_s, device.report_offset_s
        total += max(0, (last - offset) // interval - -((offset - first) // interval) + 1)
    return total


_Batch = tuple[datetime, list[Delivery]]


def _device_stream(
    device: SimDevice,
    bin: SimBin,
    bin_index: int,
    start: datetime,
    end: datetime,
    seed: int,
    levels: LevelSource | None,
    rates: FaultRates,
    network: Network,
    prefix: str,
    grid: Sequence[datetime] | None,
) -> Iterator[_Batch]:
    """The device's deliveries, one batch per report time, in time order."""
    plan = plan_device(device, reports_temperature(device), start, end, rates, seed)
    times = report_times_of(device, start, end) if grid is None else iter(grid)
    step_s = device.report_interval_s if grid is None else _grid_step(grid)
    for at in times:
        if (plan.dies_at is not None and at >= plan.dies_at) or battery_at(device, start, at) <= 0:
            return
        seq = frame_counter(at, step_s)
        level = None if levels is None else levels.fill_pct(bin_index, at)
        measured = measure(bin, device, start, at, seq, seed, level_pct=level)
        reading = afflict(measured, bin, device, plan, seed)
        fault = delivery_fault(rates, seed, device.id, seq)
        if fault == "dropout":
            yield at, [Delivery(at, reading, None, fault)]
            continue
        if fault == "garbage":
            message = garble(reading, device, network, prefix, seed)
        else:
            message = encode(reading, device, network, prefix)
        if fault == "out_of_order":
            late = min(end, at + hold_back(device, seed, seq))
            yield at, [Delivery(late, reading, message, fault)]
        elif fault == "duplicate":
            yield at, [Delivery(at, reading, message), Delivery(at, reading, message, fault)]
        else:
            yield at, [Delivery(at, reading, message, fault)]


def _merged(streams: list[Iterator[_Batch]]) -> Iterator[Delivery]:
    """All devices' deliveries by sending time (ties: first produced, first sent)."""
    order = itertools.count()
    heap: list[tuple[datetime, int, _Batch | Delivery, Iterator[_Batch] | None]] = []
    for stream in streams:
        batch = next(stream, None)
        if batch is not None:
            heapq.heappush(heap, (batch[0], next(order), batch, stream))
    while heap:
        _, _, item, source = heapq.heappop(heap)
        if isinstance(item, Delivery):
            yield item
            continue
        for delivery in item[1]:
            heapq.heappush(heap, (delivery.send_at, next(order), delivery, None))
        if source is not None and (batch := next(source, None)) is not None:
            heapq.heappush(heap, (batch[0], next(order), batch, source))


def _grid_step(grid: Sequence[datetime]) -> int:
    """The spacing of a common grid of report times, in seconds (1 for a single time)."""
    if len(grid) < 2:
        return 1
    return max(1, round((grid[1] - grid[0]).total_seconds()))
