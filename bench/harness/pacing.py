"""A producer thread's fixed schedule: event n is due at start + n / rate, whatever came before.

A late thread sends at once and never skips one, so the achieved rate and how late each send
was (``SendLog.late_ms``) say whether the producer, not the system under test, fell behind."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from confluent_kafka import Producer


@dataclass
class SendLog:
    sent: dict[str, int] = field(default_factory=dict)  # email id -> sent_ns
    late_ms: list[float] = field(default_factory=list)  # how far behind schedule each send was
    started_ns: int = 0
    finished_ns: int = 0


def paced_send(send: Callable[[int], tuple[str, int]], producer: Producer, *, rate: float, duration_s: float,
               log: SendLog, stop: threading.Event) -> None:
    """Call ``send(seq)`` (it produces event ``seq`` and returns its email id and send time) on
    schedule for ``duration_s``, then flush ``producer``."""
    start = time.perf_counter()
    log.started_ns = time.time_ns()
    for seq in range(int(rate * duration_s)):
        if stop.is_set():
            break
        due = start + seq / rate
        if (wait := due - time.perf_counter()) > 0:
            time.sleep(wait)
        log.late_ms.append(max(0.0, time.perf_counter() - due) * 1e3)
        email_id, sent_ns = send(seq)
        log.sent[email_id] = sent_ns
        producer.poll(0)
    remaining = producer.flush(30)
    log.finished_ns = time.time_ns()
    if remaining:
        print(f"warning: {remaining} events not acknowledged by the broker", file=sys.stderr)
