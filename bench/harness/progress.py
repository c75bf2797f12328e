"""Watching a worker make progress from the outside: counters of its effects (feed-file lines,
records on topics, the notifier's published count), its consumer group's committed offsets, and
a timeline of when each counter moved."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from confluent_kafka import OFFSET_INVALID, ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

Probe = Callable[[], float]


class FeedFileLines:
    """Lines appended to the vespa-loader's feed file (one per document operation); reads only
    what was added since the last call."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._position = 0
        self._lines = 0

    def __call__(self) -> float:
        if not self._path.exists():
            return 0
        with self._path.open("rb") as handle:
            handle.seek(self._position)
            chunk = handle.read()
        self._position += len(chunk)
        self._lines += chunk.count(b"\n")
        return self._lines


class TopicRecords:
    """Records on some topics: the sum of their partitions' latest offsets, in one request.
    Topics that do not exist (yet) count 0 until ``refresh`` finds them."""

    def __init__(self, admin: AdminClient, topics: Iterable[str]) -> None:
        self._admin = admin
        self._wanted = list(topics)
        self._partitions: list[TopicPartition] = []
        self.refresh()

    def refresh(self, *, matching: Callable[[str], bool] | None = None) -> list[str]:
        """Look the topics up again (plus every existing topic ``matching``); returns those found."""
        metadata = self._admin.list_topics(timeout=10).topics
        names = {t for t in self._wanted if t in metadata}
        if matching is not None:
            names |= {t for t in metadata if matching(t)}
        self._partitions = [TopicPartition(t, p) for t in sorted(names) for p in metadata[t].partitions]
        return sorted(names)

    def __call__(self) -> float:
        if not self._partitions:
            return 0
        request = {tp: OffsetSpec.latest() for tp in self._partitions}
        return sum(future.result().offset for future in self._admin.list_offsets(request, request_timeout=10).values())


class HubPublished:
    """Notifications the notifier's hub published so far (``GET /healthz``, ``published``)."""

    def __init__(self, port: int) -> None:
        self._url = f"http://127.0.0.1:{port}/healthz"

    def __call__(self) -> float:
        try:
            with urllib.request.urlopen(self._url, timeout=2) as response:
                return int(json.load(response)["published"])
        except OSError:
            return 0  # web server not listening yet


@dataclass
class Timeline:
    """``(perf_counter, value)`` at the first poll and whenever the value changed."""

    samples: list[tuple[float, float]] = field(default_factory=list)

    def add(self, at: float, value: float) -> None:
        if not self.samples or self.samples[-1][1] != value:
            self.samples.append((at, value))

    def first_progress(self) -> tuple[float, float] | None:
        return next(((t, v) for t, v in self.samples if v > 0), None)

    def reached(self, target: float) -> float | None:
        return next((t for t, v in self.samples if v >= target), None)

    def value_at(self, at: float) -> float | None:
        """The value last seen at or before ``at``."""
        before = [v for t, v in self.samples if t <= at]
        return before[-1] if before else None

    @property
    def last(self) -> float:
        return self.samples[-1][1] if self.samples else 0


def watch(probes: Mapping[str, Probe], done: Callable[[dict[str, float]], bool], *, interval_s: float,
          timeout_s: float, check: Callable[[], None] = lambda: None) -> tuple[dict[str, Timeline], bool]:
    """Poll every probe every ``interval_s`` until ``done(latest values)`` or ``timeout_s``
    passes; ``check`` runs every poll too (e.g. raising when the worker died). Returns the
    timelines and whether ``done`` was reached."""
    timelines = {name: Timeline() for name in probes}
    deadline = time.perf_counter() + timeout_s
    while True:
        values = {}
        for name, probe in probes.items():
            values[name] = probe()
            timelines[name].add(time.perf_counter(), values[name])
        if done(values):
            return timelines, True
        if time.perf_counter() > deadline:
            return timelines, False
        check()
        time.sleep(interval_s)


def end_offsets(admin: AdminClient, topic: str) -> dict[int, int]:
    """Latest offset per partition of ``topic``."""
    partitions = admin.list_topics(topic, timeout=10).topics[topic].partitions
    request = {TopicPartition(topic, p): OffsetSpec.latest() for p in partitions}
    return {tp.partition: f.result().offset for tp, f in admin.list_offsets(request, request_timeout=10).items()}


def committed(admin: AdminClient, group: str, topic: str, partitions: Iterable[int]) -> dict[int, int]:
    """The group's committed offset per partition of ``topic`` (0 where it has none)."""
    request = ConsumerGroupTopicPartitions(group, [TopicPartition(topic, p) for p in partitions])
    result = admin.list_consumer_group_offsets([request], request_timeout=10)[group].result()
    return {tp.partition: 0 if tp.offset == OFFSET_INVALID else max(tp.offset, 0) for tp in result.topic_partitions}


def commits_cover(admin: AdminClient, group: str, topic: str, ends: Mapping[int, int]) -> bool:
    """Whether ``group`` has committed every message of ``topic`` up to ``ends``."""
    offsets = committed(admin, group, topic, ends)
    return all(offsets.get(p, 0) >= end for p, end in ends.items())


def commit_offsets(admin: AdminClient, group: str, offsets: Mapping[tuple[str, int], int]) -> None:
    """Set an idle (or new) group's committed offsets, as ``kafka-consumer-groups --reset-offsets`` does."""
    request = ConsumerGroupTopicPartitions(group, [TopicPartition(t, p, o) for (t, p), o in offsets.items()])
    admin.alter_consumer_group_offsets([request], request_timeout=10)[group].result()
