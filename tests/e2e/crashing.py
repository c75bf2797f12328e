"""A worker killed with SIGKILL mid-stream, then restarted: the crash tests' common course.

The input comes in three parts. The worker processes part A, commits it (faust commits once
``BROKER_COMMIT_EVERY`` = len(A) messages are acknowledged, when the next one arrives: the
first of B), processes part B without committing it (no timed commits), and is killed once
B's effects and table changelog records are on the broker: a crash after the effects and
before the commit, which no SIGTERM test can produce (faust commits on the way out). Part C
arrives while it is down. The restarted worker replays B and processes C; the tests then
compare every effect with what a worker that never crashed would have left.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from connectors.kafka.settings import KafkaSettings
from tests.kafka_helpers import committed_offsets, committed_total, produce
from tests.waiting import wait_for
from tests.workers import FaustWorker

Record = tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]

#: faust reads these settings of its own from the environment. A short session lets the
#: restarted worker take over the dead one's partitions in seconds, not after faust's 60 s.
QUICK_TAKEOVER = {"BROKER_SESSION_TIMEOUT": "6", "BROKER_HEARTBEAT_INTERVAL": "1"}


class Crash:
    """One worker's life, crash and restart on one source topic (module docstring)."""

    def __init__(self, kafka: KafkaSettings, *, module: str, group: str, topic: str, env: dict[str, str], logs: Path) -> None:
        self.kafka = kafka
        self.module = module
        self.group = group
        self.topic = topic
        self.env = {**env, **QUICK_TAKEOVER}
        self.logs = logs
        self.produced = 0
        self.committed_at_crash: int | None = None

    def produce(self, records: Sequence[Record]) -> None:
        produce(self.kafka, self.topic, records)
        self.produced += len(records)

    def kill_after(self, part_a: Sequence[Record], part_b: Sequence[Record], *, applied: Callable[[int], bool]) -> None:
        """Process A (committed) and B (not committed), then SIGKILL. ``applied(n)``: are the
        effects and changelog records of the first ``n`` messages all on the broker?"""
        assert len(part_b) < len(part_a), "B must not reach the commit threshold itself"
        env = {**self.env, "BROKER_COMMIT_EVERY": str(len(part_a)), "BROKER_COMMIT_INTERVAL": "3600"}
        worker = FaustWorker(self.module, env, self.logs / f"{self.module}-before-crash.log").start()
        try:
            for part in (part_a, part_b):
                self.produce(part)
                wait_for(lambda: applied(self.produced), timeout_s=60, what=f"the effects of {self.produced} messages")
            self.committed_at_crash = committed_total(self.kafka, self.group, self.topic)
        finally:
            worker.kill()
        # The crash must fall between the effects and the commit, or nothing is replayed.
        assert 0 < self.committed_at_crash < self.produced, (self.committed_at_crash, self.produced)

    def restart_with(self, part_c: Sequence[Record]) -> None:
        """Produce C while the worker is down; restart it and wait until it committed everything."""
        self.produce(part_c)
        with FaustWorker(self.module, self.env, self.logs / f"{self.module}-after-crash.log").start() as worker:
            try:
                wait_for(lambda: committed_total(self.kafka, self.group, self.topic) >= self.produced, timeout_s=90,
                         what=f"all {self.produced} messages committed after the restart")
            except AssertionError as exc:
                offsets = committed_offsets(self.kafka, self.group, self.topic)
                exc.add_note(f"{self.topic} partition: (committed, end) {offsets}\n{worker.log_tail(60)}")
                raise
