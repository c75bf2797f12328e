"""Events/s of the producers' publisher against raw confluent-kafka produce, in one run.

Two variants publish the same N ``EmailUpdateEvent``s (one email each, ~3 KB: the serde
benchmark's records without their HTML body, embedded), keyed by 24 users, to the run's own
``email-updates`` topic:

- ``raw`` (the ceiling): ``confluent_kafka.Producer.produce`` of the very bytes the publisher
  sends (key, Avro value, ``traceparent`` header; encoded before timing) with the publisher's own
  librdkafka configuration, a delivery callback counting what failed, ``poll(0)`` after each
  produce, ``flush`` at the end.
- ``publisher``: ``Publisher.submit_update`` for every email (stamping, the event model, Avro
  encoding, embed-or-reference check, the delivery future, back-pressure), pipelined: all
  submitted, then every future awaited.

A round is one pass of each over all N events, the order alternating between rounds; each is
timed from its first produce to its last delivery confirmed. One untimed warm-up round first
(registry lookups, connections). Reported per variant: the median events/s, MB/s of values, CPU
per event (``time.process_time``: the whole process, librdkafka's threads included), and the
ratio publisher/raw within each round (paired: the machine is shared) with its median, the goal
being >= 0.5 (PASS/FAIL printed; the exit status is 0 either way).

Run: ``.venv/bin/python bench/publisher_bench.py [--events 5000] [--rounds 5] [--profile]`` with
the local stack up. Figures go to stdout and ``bench/results/publisher.json``; the run's topics
and subjects (prefix ``bench-publisher-<12 hex>-``) are deleted at the end unless ``--keep``.
Bounded: each variant's pass must finish within ``--timeout-s`` (60 s).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import Producer
from harness.publishing import run_publisher
from harness.report import RESULTS_DIR, load_line, machine_info, write_json
from harness.stack import Stack, stack_for_run
from serde_bench import make_email  # one record generator for the benches

from connectors.kafka.topics import EMAIL_UPDATES
from producers.embedding import UPDATES
from producers.publisher import Publisher
from producers.settings import ProducerSettings
from schemas.models import ChangeType, DocType, Email, Event
from schemas.registry_client import registry_client
from schemas.serde import AvroEventSerde

TARGET_RATIO = 0.5
USERS = 24
SEED = 20261212


@dataclass(frozen=True)
class Outgoing:
    """One record as the publisher would send it, for the raw variant."""

    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def make_workload(count: int) -> tuple[list[Email], list[str]]:
    """``count`` distinct ~3 KB emails (text body only) and the user each belongs to."""
    rng = random.Random(SEED)
    emails = [make_email(rng, i).model_copy(update={"body_html": None}) for i in range(count)]
    return emails, [f"bench-user-{i % USERS:02d}" for i in range(count)]


def events_like_the_publisher(publisher: Publisher, emails: list[Email], users: list[str]) -> list[Event]:
    """The events ``submit_update`` builds for each email (its own stamper, its event shape)."""
    shape = UPDATES[DocType.email]
    events = []
    for email, user in zip(emails, users, strict=True):
        metadata = publisher.stamper.metadata(shape.event.__name__, user_id=user, provider=email.provider,
                                              occurred_at=email.received_at or email.sent_at)
        events.append(shape.event(metadata=metadata, change_type=ChangeType.created, email_id=email.id, email=email))
    return events


def outgoing_of(event: Event, value: bytes) -> Outgoing:
    return Outgoing(event.metadata.user_id.encode(), value, [("traceparent", event.metadata.traceparent().encode())])


# -- the variants ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pass:
    events: int
    value_bytes: int
    seconds: float
    cpu_seconds: float

    def as_dict(self) -> dict[str, float]:
        return {"events": self.events, "seconds": self.seconds, "events_per_s": self.events / self.seconds,
                "mb_per_s": self.value_bytes / self.seconds / 1e6, "cpu_us_per_event": self.cpu_seconds / self.events * 1e6}


class RawProducer:
    """confluent-kafka as its documentation uses it: produce, ``poll(0)``, a delivery callback
    counting failures, ``flush`` at the end."""

    def __init__(self, config: dict[str, Any], topic: str) -> None:
        self.producer = Producer(config)
        self.topic = topic
        self.failed: list[Any] = []

    def _delivered(self, error: Any, _message: Any) -> None:
        if error is not None:
            self.failed.append(error)

    def produce(self, record: Outgoing) -> None:
        while True:
            try:
                self.producer.produce(self.topic, record.value, key=record.key, headers=record.headers,
                                      on_delivery=self._delivered)
                break
            except BufferError:  # librdkafka's queue is full: let deliveries drain
                self.producer.poll(0.01)
        self.producer.poll(0)

    def flush(self, timeout_s: float) -> None:
        left = self.producer.flush(timeout_s)
        if left or self.failed:
            raise RuntimeError(f"raw produce: {left} records unacknowledged, {len(self.failed)} failed ({self.failed[:1]})")


def raw_pass(raw: RawProducer, outgoing: list[Outgoing], timeout_s: float) -> Pass:
    started, cpu = time.perf_counter(), time.process_time()
    for record in outgoing:
        raw.produce(record)
    raw.flush(timeout_s)
    return Pass(len(outgoing), sum(len(r.value) for r in outgoing), time.perf_counter() - started, time.process_time() - cpu)


def encode_produce_pass(raw: RawProducer, serde: AvroEventSerde, events: list[Event], value_bytes: int,
                        timeout_s: float) -> Pass:
    """The same events (built beforehand) encoded with the serde and produced: the floor of any
    publisher of Avro events on this serde, without stamping, futures or checks."""
    started, cpu = time.perf_counter(), time.process_time()
    for event in events:
        raw.produce(outgoing_of(event, serde.encode(raw.topic, event)))
    raw.flush(timeout_s)
    return Pass(len(events), value_bytes, time.perf_counter() - started, time.process_time() - cpu)


async def publisher_pass(publisher: Publisher, emails: list[Email], users: list[str], value_bytes: int,
                         timeout_s: float) -> Pass:
    async def publish_all() -> None:
        futures = [
            await publisher.submit_update(user_id=user, provider=email.provider, doc_type=DocType.email,
                                          change=ChangeType.created, doc_id=email.id, record=email,
                                          occurred_at=email.received_at or email.sent_at)
            for email, user in zip(emails, users, strict=True)
        ]
        await asyncio.gather(*futures)  # raises PublishFailed if any delivery failed

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.wait_for(publish_all(), timeout=timeout_s)
    return Pass(len(emails), value_bytes, time.perf_counter() - started, time.process_time() - cpu)


# -- the run ---------------------------------------------------------------------------------


VARIANTS = ("raw", "encode+produce", "publisher")


async def measure(stack: Stack, args: argparse.Namespace) -> dict[str, Any]:
    async with run_publisher(stack, source_service="bench") as publisher:
        return await measure_with(publisher, stack, args)


async def measure_with(publisher: Publisher, stack: Stack, args: argparse.Namespace) -> dict[str, Any]:
    serde = AvroEventSerde(registry_client(stack.registry), auto_register=True)
    topic = stack.kafka.topic(EMAIL_UPDATES)
    emails, users = make_workload(args.events)
    events = events_like_the_publisher(publisher, emails, users)
    outgoing = [outgoing_of(event, serde.encode(topic, event)) for event in events]
    value_bytes = sum(len(record.value) for record in outgoing)
    raw = RawProducer(publisher.producer_config, topic)
    profiler = cProfile.Profile() if args.profile else None

    async def run(variant: str) -> Pass:
        if variant == "raw":
            return raw_pass(raw, outgoing, args.timeout_s)
        if variant == "encode+produce":
            return encode_produce_pass(raw, serde, events, value_bytes, args.timeout_s)
        if profiler is not None:
            profiler.enable()
        try:
            return await publisher_pass(publisher, emails, users, value_bytes, args.timeout_s)
        finally:
            if profiler is not None:
                profiler.disable()

    rounds: list[dict[str, Any]] = []
    try:
        for variant in VARIANTS:  # warm-up: connections, metadata, registry ids
            await run(variant)
        for index in range(args.rounds):
            order = VARIANTS[index % 3:] + VARIANTS[:index % 3]  # each variant takes each place in turn
            passes = {variant: await run(variant) for variant in order}
            rate = {name: p.events / p.seconds for name, p in passes.items()}
            rounds.append({"order": list(order), **{name: p.as_dict() for name, p in passes.items()},
                           "ratio": rate["publisher"] / rate["raw"],
                           "ratio_to_encode_produce": rate["publisher"] / rate["encode+produce"]})
            print(f"round {index + 1}/{args.rounds}: " + ", ".join(f"{v} {rate[v]:,.0f}" for v in VARIANTS)
                  + f" events/s; publisher/raw {rounds[-1]['ratio']:.2f}", flush=True)
    finally:
        raw.producer.flush(10)
        del raw  # no producer of the run outlives its topics
    if profiler is not None:
        path = RESULTS_DIR / "publisher.prof"
        path.parent.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(path)
        print(f"cProfile stats of the publisher passes: {path}")
    return {"rounds": rounds, "value_bytes_per_event": value_bytes / len(outgoing),
            "producer_settings": ProducerSettings.from_env().librdkafka_overrides()}


def summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    def median(variant: str, figure: str) -> float:
        return statistics.median(r[variant][figure] for r in rounds)

    result: dict[str, Any] = {
        variant: {figure: median(variant, figure) for figure in ("events_per_s", "mb_per_s", "cpu_us_per_event")}
        for variant in VARIANTS
    }
    ratios = [r["ratio"] for r in rounds]
    result.update(ratio_median_paired=statistics.median(ratios), ratio_min=min(ratios), ratio_max=max(ratios),
                  ratio_of_medians=result["publisher"]["events_per_s"] / result["raw"]["events_per_s"],
                  ratio_to_encode_produce=statistics.median(r["ratio_to_encode_produce"] for r in rounds))
    result["verdict"] = "PASS" if result["ratio_median_paired"] >= TARGET_RATIO else "FAIL"
    return result


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000, help="events per pass (default 5000)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (default 5)")
    parser.add_argument("--timeout-s", type=float, default=60.0, help="max seconds of one pass (default 60)")
    parser.add_argument("--profile", action="store_true", help="cProfile the publisher passes (bench/results/publisher.prof)")
    parser.add_argument("--keep", action="store_true", help="keep the run's topics and subjects")
    args = parser.parse_args(argv)
    if args.events < 1 or args.rounds < 1:
        parser.error("--events and --rounds must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    machine = machine_info()
    with stack_for_run("publisher", {EMAIL_UPDATES}, keep=args.keep) as stack:
        figures = asyncio.run(measure(stack, args))
    result = summary(figures["rounds"])
    report = {
        "benchmark": "publisher", "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "parameters": {"events": args.events, "rounds": args.rounds, "users": USERS, "profile": args.profile,
                       "topic_prefix": stack.prefix, "target_ratio": TARGET_RATIO,
                       "value_bytes_per_event": round(figures["value_bytes_per_event"]),
                       "producer_settings": figures["producer_settings"]},
        "machine": machine, "summary": result, "rounds": figures["rounds"],
    }
    print()
    print(f"publisher vs raw confluent-kafka produce: {args.events} EmailUpdateEvents per pass "
          f"(~{figures['value_bytes_per_event'] / 1024:.1f} KB each), {args.rounds} rounds"
          f"{' (PROFILED: publisher rates distorted)' if args.profile else ''}")
    print(load_line(machine))
    for variant in VARIANTS:
        row = result[variant]
        print(f"  {variant:<15} {row['events_per_s']:>9,.0f} events/s  {row['mb_per_s']:>6.1f} MB/s  "
              f"{row['cpu_us_per_event']:>6.0f} CPU-us/event  (medians)")
    print(f"  publisher/raw: {result['ratio_median_paired']:.2f} (median of per-round ratios; "
          f"{result['ratio_min']:.2f}-{result['ratio_max']:.2f}), ratio of medians {result['ratio_of_medians']:.2f}; "
          f"goal >= {TARGET_RATIO}: {result['verdict']}")
    print(f"  publisher/encode+produce: {result['ratio_to_encode_produce']:.2f} (median per round; what stamping, "
          "futures and checks cost beyond encoding; reported, not the goal)")
    print(f"figures written to {write_json('publisher', report)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
