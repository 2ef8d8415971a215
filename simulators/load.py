"""The load generator: N publishers at a target rate or flat out, then what the ingest stored.

`LoadOptions` says how much and how fast; `run_load` publishes canonical readings of a
city's registered devices on the broker it is given, waits for the ingest, and returns a
`LoadReport` (simulators/load_report.py) with the achieved rate, the latency from publish to
storage and the loss per device; `loadtest` does the same for the settings of a deployment,
registering the city first.

Publishers are threads of this process, each with its own connection (simulators/
load_mqtt.py). On a two-core machine the broker, the ingest and the database need the CPU
far more than the generator: threads share one core at most (Python's GIL), and on it the
lean client puts 80,000 to 100,000 QoS 1 messages/s into the local broker, several times
what the ingest stores there. Processes could take both cores, and with them the capacity measured.

The schedule is the run's, not each publisher's: message g of the run is due g / rate
seconds after the start and publisher i sends g = i, i + n, i + 2n, ... So a duration at a
rate plans exactly ceil(rate * duration) messages however many publishers share them, and
publishers catch up in bursts when they fall behind. Each device belongs to one publisher,
so its messages go out in order on one connection; each carries its publish time as `ts`
(to the microsecond, strictly increasing per device) and the run's id.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from curbside import migrate
from curbside.settings import BrokerAddress
from curbside.topics import uplink_topic
from simulators import load_db
from simulators.city import City, generate_city
from simulators.errors import PublishError
from simulators.load_mqtt import LeanPublisher, Message
from simulators.load_report import DeviceLoss, LoadReport
from simulators.registry import import_city
from simulators.settings import SimulatorSettings

Say = Callable[[str], None]
BATCH = 500
"""Messages written at once at most."""
ACK_WAIT_S = 10.0
"""After publishing, how long QoS 1 acknowledgements are waited for."""
SOCKET_TIMEOUT_S = 10.0
"""A write the broker does not take for this long fails its publisher."""
FLAT_OUT_DEADLINE_S = 600.0
"""The default deadline of a count published as fast as the broker takes it."""
_PROGRESS_S = 10.0


def scheduled(rate: float, duration_s: float) -> int:
    """How many messages are due within `duration_s` at `rate`: those at g / rate < duration."""
    return math.ceil(round(rate * duration_s, 9))


def share_size(total: int, publishers: int, index: int) -> int:
    """How many of the run's `total` messages publisher `index` sends."""
    return len(range(index, total, publishers))


def due(elapsed_s: float, rate: float, publishers: int, index: int) -> int:
    """How many of publisher `index`'s messages are due `elapsed_s` after the start."""
    position = elapsed_s * rate - index
    return 0 if position < 0 else math.floor(position / publishers) + 1


def due_at(k: int, rate: float, publishers: int, index: int) -> float:
    """Seconds after the start when publisher `index`'s `k`-th message (from 0) is due."""
    return (index + k * publishers) / rate


def _positive(name: str, value: float | None) -> None:
    if value is not None and (isinstance(value, bool) or not (math.isfinite(value) and value > 0)):
        raise ValueError(f"{name} must be a positive number, got {value!r}")


@dataclass(frozen=True)
class LoadOptions:
    """How much to publish, how fast, and when to give up."""

    publishers: int = 4
    rate: float | None = None
    """Messages per second in all; None: as fast as the broker takes them."""
    qos: int = 1
    count: int | None = None
    duration_s: float | None = None
    """Exactly one of `count` and `duration_s`."""
    deadline_s: float | None = None
    """Publishing stops this long after the start whatever is left; None: the planned time
    plus a tenth (at least 2 s), or 600 s for a count as fast as possible."""
    window: int = 1000
    """QoS 1 messages awaiting the broker's acknowledgement, per publisher, at most."""
    settle_s: float = 10.0
    """After publishing, the wait for the ingest ends once nothing new landed for this long."""

    def __post_init__(self) -> None:
        if isinstance(self.publishers, bool) or self.publishers < 1:
            raise ValueError(f"publishers must be at least 1, got {self.publishers!r}")
        if self.qos not in (0, 1):
            raise ValueError(f"qos must be 0 or 1, got {self.qos!r}")
        if (self.count is None) == (self.duration_s is None):
            raise ValueError("give either a count or a duration")
        if self.count is not None and (isinstance(self.count, bool) or self.count < 1):
            raise ValueError(f"count must be at least 1, got {self.count!r}")
        _positive("rate", self.rate)
        _positive("duration", self.duration_s)
        _positive("deadline", self.deadline_s)
        if not 1 <= self.window <= 65535:
            raise ValueError(f"window must be within 1..65535, got {self.window!r}")
        if not (math.isfinite(self.settle_s) and self.settle_s >= 0):
            raise ValueError(f"settle_s must be a number >= 0, got {self.settle_s!r}")

    @property
    def planned(self) -> int | None:
        """Messages to publish: the count, or rate * duration; None when only the clock ends it."""
        if self.count is not None:
            return self.count
        if self.rate is not None and self.duration_s is not None:
            return scheduled(self.rate, self.duration_s)
        return None

    @property
    def deadline(self) -> float:
        """Seconds after the start when publishing stops whatever is left."""
        if self.deadline_s is not None:
            return self.deadline_s
        planned_s = self.duration_s
        if planned_s is None and self.count is not None and self.rate is not None:
            planned_s = self.count / self.rate
        return FLAT_OUT_DEADLINE_S if planned_s is None else planned_s + max(2.0, planned_s / 10)


@dataclass(frozen=True)
class LoadDevice:
    """A device as its publisher needs it: where it publishes and what it measures."""

    topic: bytes
    body: bytes
    """The reading's values as JSON members, without braces."""


class _Share:
    """One publisher's part of the run, played on its own thread."""

    def __init__(
        self,
        index: int,
        publisher: LeanPublisher,
        devices: Sequence[LoadDevice],
        options: LoadOptions,
        run_id: str,
        start: float,
    ) -> None:
        self.index = index
        self.publisher = publisher
        self.devices = devices
        self.options = options
        self.start = start
        self.sent = 0
        self.stopped_by = "error"
        self.error: str | None = None
        self.crash: BaseException | None = None
        self.ended = start
        self.first_us: int | None = None
        self.last_us = 0
        self._device_us = [0] * len(devices)
        self._tail = f',"{load_db.RUN_FIELD}":"{run_id}"}}'.encode()
        self._second = -1
        self._second_text = b""

    def run(self) -> None:
        try:
            self.stopped_by = self._play()
            if self.publisher.qos:
                self.publisher.wait_for_acks(ACK_WAIT_S)
        except PublishError as exc:
            self.error = f"publisher {self.index}: {exc}"
        except BaseException as exc:  # a bug: raised again on the caller's thread
            self.crash = exc
        finally:
            self.ended = time.monotonic()

    def _play(self) -> str:
        pub, options, index = self.publisher, self.options, self.index
        rate, publishers = options.rate, options.publishers
        planned = options.planned
        total = None if planned is None else share_size(planned, publishers, index)
        # the clock ends a run at its deadline, or at its duration when there is no rate
        end, ended_by = self.start + options.deadline, "deadline"
        duration_s = options.duration_s
        if duration_s is not None and rate is None and duration_s <= options.deadline:
            end, ended_by = self.start + duration_s, "duration"
        while True:
            now = time.monotonic()
            if total is not None and self.sent >= total:
                return "count" if options.count is not None else "duration"
            if now >= end:
                return ended_by
            wanted = BATCH if total is None else total - self.sent
            if rate is not None:
                wanted = min(wanted, due(now - self.start, rate, publishers, index) - self.sent)
            n = min(wanted, pub.room, BATCH)
            if n > 0:
                pub.write(self._messages(n))
                pub.poll()
                continue
            wake = end
            if rate is not None and pub.room > 0:
                wake = min(wake, self.start + due_at(self.sent, rate, publishers, index))
            pub.poll(min(wake - now, 1.0))  # sleeps, reading acknowledgements as they come
            pub.keep_alive()

    def _messages(self, n: int) -> list[Message]:
        devices, device_us = self.devices, self._device_us
        count = len(devices)
        out = []
        for i in range(self.sent, self.sent + n):
            m = i % count
            us = max(time.time_ns() // 1000, device_us[m] + 1)
            device_us[m] = us
            payload = b'{"ts":"%s",%s,"seq":%d' % (self._stamp(us), devices[m].body, i // count)
            out.append((devices[m].topic, payload + self._tail))
            if self.first_us is None or us < self.first_us:
                self.first_us = us
            self.last_us = max(self.last_us, us)
        self.sent += n
        return out

    def _stamp(self, us: int) -> bytes:
        """RFC 3339 UTC to the microsecond, the whole seconds formatted once per second."""
        second, fraction = divmod(us, 1_000_000)
        if second != self._second:
            self._second = second
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)).encode()
        return b"%s.%06dZ" % (self._second_text, fraction)

    def published(self) -> dict[str, int]:
        """Messages sent per device topic."""
        count = len(self.devices)
        return {
            d.topic.decode(): len(range(m, self.sent, count)) for m, d in enumerate(self.devices)
        }


def run_load(
    conn: psycopg.Connection[Any],
    city: City,
    broker: BrokerAddress,
    prefix: str,
    options: LoadOptions,
    say: Say = lambda _: None,
) -> LoadReport:
    """Publish the load, wait for the ingest to store it, and report what landed.

    The city's devices must be registered (`import_city`) for their readings to be stored;
    the readings table needs `stored_at` (migration 0003). Talks to `broker` only.
    """
    if options.publishers > len(city.devices):
        raise ValueError(
            f"{options.publishers} publishers for {len(city.devices)} devices: each device "
            "publishes on one connection, so use at most as many publishers as devices"
        )
    load_db.check_schema(conn)
    bodies = load_db.reading_bodies(conn, city)
    topics = {d.id: uplink_topic(d.id, prefix) for d in city.devices}
    devices = [LoadDevice(topics[d.id].encode(), bodies[d.id]) for d in city.devices]
    run_id = uuid.uuid4().hex[:12]
    n = options.publishers
    with contextlib.ExitStack() as stack:
        publishers = [
            stack.enter_context(
                LeanPublisher(
                    broker, f"curbside-load-{run_id}-{i}", qos=options.qos,
                    window=options.window, timeout_s=SOCKET_TIMEOUT_S,
                )
            )
            for i in range(n)
        ]  # fmt: skip
        say(
            f"publishing to {broker.host}:{broker.port} at QoS {options.qos}: {n} publishers, "
            f"{len(devices):,} devices, run {run_id}"
        )
        start = time.monotonic()
        shares = [_Share(i, publishers[i], devices[i::n], options, run_id, start) for i in range(n)]
        _play_all(shares, say)
    by_topic: dict[str, int] = {}
    for share in shares:
        by_topic.update(share.published())
    published = sum(by_topic.values())
    publish_s = max(share.ended for share in shares) - start
    firsts = [s.first_us for s in shares if s.first_us is not None]
    first_us = min(firsts, default=time.time_ns() // 1000)
    last_us = max(max(s.last_us for s in shares), first_us)
    run = load_db.LoadRun(run_id, topics, _moment(first_us), _moment(last_us))
    say(f"published {published:,} in {publish_s:.1f} s; waiting for the ingest to store them")
    settled = load_db.wait_until_landed(conn, run, published, options.settle_s)
    return _report(conn, run, options, shares, by_topic, publish_s, settled)


def _moment(epoch_us: int) -> datetime:
    seconds, us = divmod(epoch_us, 1_000_000)
    return datetime.fromtimestamp(seconds, UTC) + timedelta(microseconds=us)


def _play_all(shares: Sequence[_Share], say: Say) -> None:
    threads = [threading.Thread(target=s.run, name=f"load-{s.index}") for s in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(_PROGRESS_S)
            if thread.is_alive():
                say(f"  {sum(s.sent for s in shares):,} published")
    for share in shares:
        if share.crash is not None:
            raise share.crash


def _report(
    conn: psycopg.Connection[Any],
    run: load_db.LoadRun,
    options: LoadOptions,
    shares: Sequence[_Share],
    by_topic: dict[str, int],
    publish_s: float,
    settled: bool,
) -> LoadReport:
    stored = load_db.stored(conn, run)
    rejected = load_db.rejected(conn, run)
    losses = []
    for device_id, topic in run.topics.items():
        loss = DeviceLoss(
            device_id, by_topic[topic], stored.get(device_id, 0), rejected.get(device_id, 0)
        )
        if loss.lost:
            losses.append(loss)
    losses.sort(key=lambda loss: (-loss.lost, loss.device_id))
    stops = {s.stopped_by for s in shares}
    return LoadReport(
        run_id=run.id,
        qos=options.qos,
        publishers=options.publishers,
        devices=len(run.topics),
        target_rate=options.rate,
        planned=options.planned,
        published=sum(by_topic.values()),
        acknowledged=sum(s.publisher.acked for s in shares) if options.qos else None,
        publish_s=publish_s,
        stopped_by=next(stop for stop in ("error", "deadline", *stops) if stop in stops),
        stored=sum(stored.values()),
        rejected=sum(rejected.values()),
        settled=settled,
        settle_s=options.settle_s,
        latency=load_db.latency(conn, run),
        losses=tuple(losses),
        errors=tuple(s.error for s in shares if s.error),
    )


def loadtest(settings: SimulatorSettings, options: LoadOptions, say: Say) -> LoadReport:
    """Register the settings' city in their database, then `run_load` against their broker."""
    migrate.upgrade(settings.dsn)
    city = generate_city(settings.bins, settings.seed, settings.centre, settings.radius_m)
    with psycopg.connect(settings.dsn, autocommit=True) as conn:
        import_city(conn, city)
        say(f"registered a city of {len(city.devices):,} devices (seed {settings.seed})")
        return run_load(conn, city, settings.broker, settings.topic_prefix, options, say)
