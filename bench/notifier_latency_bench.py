"""End-to-end latency of the notifier: an EmailUpdateEvent produced to Kafka until its SSE frame
arrives at a connected client, at a steady rate.

One notifier worker (``faust -A processors.notifier.app worker``) runs under a fresh topic
prefix; one SSE client (aiohttp) holds ``GET /events`` open for one user with a token from
``StreamTokens``. The notifier's group starts at the latest offset, so warm-up events are sent
until they come back (the group is assigned and the stream subscribed) before measuring. Then a
producer thread sends ``--rate`` events/s for ``--duration`` s, paced on a fixed schedule; each
event's email subject carries its wall-clock send time in ns (``sent_ns=...``, taken just before
``Producer.produce``) and its ``metadata.produced_at`` is that time too (ms). The client stamps
each frame when its last line arrives; latency = that stamp - sent_ns (one machine, one clock).

Beside it, a Kafka-only baseline: a plain confluent-kafka consumer in this process reads the same
topic and times produce -> poll, so a spike that the broker or the machine caused shows there
too, and the difference is what the notifier adds (faust fetch, decode, hub, SSE write).

Goals (the issue's "Speed"): p50 <= 20 ms and p99 <= 100 ms, every event received once; printed
as PASS/FAIL, the exit status is 0 either way.

Run: ``.venv/bin/python bench/notifier_latency_bench.py [--rate 500] [--duration 20]`` with the
local stack up. Figures go to stdout and ``bench/results/notifier_latency.json``; the worker's
log to ``bench/results/notifier-latency-logs/``. The run's topics, group and registry subjects
are deleted at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from confluent_kafka import Producer
from harness.cpu import MachineCpu
from harness.email_events import EventMaker
from harness.latency import SENT_NS, BaselineConsumer, distribution, percentile, summary
from harness.pacing import SendLog, paced_send
from harness.report import RESULTS_DIR, free_port, load_line, machine_info, write_json
from harness.sse_client import SseStream, hub_counters, open_events
from harness.stack import Stack, cleanup, open_stack, worker_env
from harness.worker import WorkerProcess
from pydantic import SecretStr

from connectors.kafka.admin import ensure_topics
from connectors.kafka.topics import CLIENT_SSE, EMAIL_UPDATES
from processors.notifier.tokens import StreamTokens
from schemas.registry_client import registry_client
from schemas.serde import AvroEventSerde

GOAL_P50_MS = 20.0
GOAL_P99_MS = 100.0
USER = "bench-latency-user"
INSTANCE = "bench-latency"
LOG_DIR = RESULTS_DIR / "notifier-latency-logs"


@dataclass
class Pipe:
    """What the measuring code talks to: the stream, the producer and the topic."""

    stream: SseStream
    producer: Producer
    maker: EventMaker
    topic: str

    def send(self, email_id: str) -> int:
        sent_ns = time.time_ns()
        self.producer.produce(self.topic, key=USER.encode(), value=self.maker.encode(email_id, sent_ns))
        return sent_ns

    def send_seq(self, seq: int) -> tuple[str, int]:
        email_id = f"lat-{seq:06d}"
        return email_id, self.send(email_id)


# -- receiving -----------------------------------------------------------------------------


@dataclass
class ReceiveLog:
    latency_ms: dict[str, float] = field(default_factory=dict)  # email id -> ms
    arrivals_ns: list[int] = field(default_factory=list)
    duplicates: int = 0

    def note(self, notification: dict[str, Any], received_ns: int) -> None:
        payload = notification.get("payload", {})
        email_id, sent = payload.get("email_id"), SENT_NS.search((payload.get("subject") or "").encode())
        if email_id is None or sent is None:
            return
        if email_id in self.latency_ms:
            self.duplicates += 1
        else:
            self.latency_ms[email_id] = (received_ns - int(sent.group(1))) / 1e6
            self.arrivals_ns.append(received_ns)


async def receive_until(stream: SseStream, log: ReceiveLog, done: Callable[[], bool], *, timeout_s: float) -> bool:
    """Read frames until ``done()``; False if ``timeout_s`` passed first."""
    deadline = time.monotonic() + timeout_s
    while not done():
        if (left := deadline - time.monotonic()) <= 0:
            return False
        try:
            received = await stream.frame(timeout=min(left, 1.0))
        except TimeoutError:
            continue
        if received.frame.event == "notification":
            log.note(received.frame.json(), received.received_ns)
    return True


async def warm_up(pipe: Pipe, *, timeout_s: float) -> int:
    """Send a warm-up event every 0.25 s until one arrives (the group is assigned and reads the
    end of the topic), then five more, and wait for those. Returns how many were sent."""
    log, sent = ReceiveLog(), 0
    deadline = time.monotonic() + timeout_s
    while not log.latency_ms:
        if time.monotonic() > deadline:
            raise RuntimeError(f"no warm-up event came back within {timeout_s:.0f}s")
        pipe.send(f"warmup-{sent}")
        pipe.producer.flush(10)
        sent += 1
        await receive_until(pipe.stream, log, lambda: bool(log.latency_ms), timeout_s=0.25)
    tail = [f"warmup-{sent + i}" for i in range(5)]
    for email_id in tail:
        pipe.send(email_id)
    pipe.producer.flush(10)
    if not await receive_until(pipe.stream, log, lambda: all(e in log.latency_ms for e in tail), timeout_s=timeout_s):
        raise RuntimeError("the last warm-up events did not come back")
    return sent + len(tail)


@dataclass
class Measured:
    sends: SendLog
    received: ReceiveLog
    baseline_ms: dict[int, float]
    warm_up_events: int
    cpu: dict[str, float]


async def measure(pipe: Pipe, baseline: BaselineConsumer, worker: WorkerProcess, args: argparse.Namespace) -> Measured:
    """Warm up, send paced for the duration while reading the stream, then wait for stragglers."""
    warm = await warm_up(pipe, timeout_s=args.warmup_timeout)
    sends, received, stop = SendLog(), ReceiveLog(), threading.Event()
    sender = threading.Thread(target=paced_send, name="paced-producer", daemon=True, args=(pipe.send_seq, pipe.producer),
                              kwargs={"rate": args.rate, "duration_s": args.duration, "log": sends, "stop": stop})
    machine, started = MachineCpu(), time.perf_counter()
    worker_cpu, worker_waited = worker.cpu_seconds(), worker.run_queue_wait_seconds()
    sender.start()
    try:
        await receive_until(pipe.stream, received, lambda: not sender.is_alive(), timeout_s=args.duration + 30)
        elapsed = time.perf_counter() - started
        cpu = {"worker_cores": (worker.cpu_seconds() - worker_cpu) / elapsed,
               "worker_waiting_for_cpu": (worker.run_queue_wait_seconds() - worker_waited) / elapsed,
               "machine_cores": machine.busy()["cores"]}
        await receive_until(pipe.stream, received, lambda: sends.sent.keys() <= received.latency_ms.keys(),
                            timeout_s=args.drain_timeout)
    finally:
        stop.set()
        sender.join(35)
    return Measured(sends, received, dict(baseline.latency_ms), warm, cpu)


async def open_and_measure(port: int, token: str, pipe_parts: tuple[Producer, EventMaker, str],
                           baseline: BaselineConsumer, worker: WorkerProcess, args: argparse.Namespace) -> Measured:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as http:
        stream = await open_events(http, port, token)
        try:
            return await measure(Pipe(stream, *pipe_parts), baseline, worker, args)
        finally:
            stream.response.close()


# -- reporting -----------------------------------------------------------------------------


def per_second(measured: Measured) -> list[dict[str, Any]]:
    """Latency of the events sent in each second of the run, notifier and baseline (spot a bad spell)."""
    sends = measured.sends
    buckets: dict[int, tuple[list[float], list[float]]] = {}
    for email_id, sent_ns in sends.sent.items():
        bucket = buckets.setdefault((sent_ns - sends.started_ns) // 1_000_000_000, ([], []))
        if email_id in measured.received.latency_ms:
            bucket[0].append(measured.received.latency_ms[email_id])
        if sent_ns in measured.baseline_ms:
            bucket[1].append(measured.baseline_ms[sent_ns])
    return [{"second": second, "notifier": summary(sse), "kafka_baseline": summary(kafka)}
            for second, (sse, kafka) in sorted(buckets.items())]


def stalls(measured: Measured, *, over_ms: float = 100.0) -> dict[str, Any]:
    """Gaps between consecutive frames while events were being sent (one is due every
    1000/rate ms): a gap far longer than that is the notifier (or the client) standing still."""
    sends, arrivals = measured.sends, measured.received.arrivals_ns
    inside = [t for t in arrivals if sends.started_ns <= t <= sends.finished_ns]
    gaps = [((b - a) / 1e6, (a - sends.started_ns) / 1e9) for a, b in itertools.pairwise(inside)]
    long = [{"at_s": round(at, 2), "gap_ms": round(gap, 1)} for gap, at in gaps if gap > over_ms]
    return {"threshold_ms": over_ms, "count": len(long), "longest_ms": max((g for g, _ in gaps), default=None),
            "gaps": long[:50]}


def build_report(args: argparse.Namespace, machine: dict[str, Any], stack: Stack, measured: Measured,
                 worker: dict[str, Any]) -> dict[str, Any]:
    sends, received = measured.sends, measured.received
    latencies = [v for k, v in received.latency_ms.items() if k in sends.sent]
    baseline = [measured.baseline_ms[ns] for ns in sends.sent.values() if ns in measured.baseline_ms]
    stats, span_s = distribution(latencies), (sends.finished_ns - sends.started_ns) / 1e9
    complete = len(latencies) == len(sends.sent) and received.duplicates == 0
    p50, p99 = stats["p50"], stats["p99"]
    ok = complete and p50 is not None and p99 is not None and p50 <= GOAL_P50_MS and p99 <= GOAL_P99_MS
    return {
        "benchmark": "notifier_latency",
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "parameters": {"rate_per_s": args.rate, "duration_s": args.duration, "drain_timeout_s": args.drain_timeout,
                       "topic_prefix": stack.prefix, "user": USER, "instance_id": INSTANCE,
                       "producer_linger_ms": "project producer config (librdkafka default 5)" if args.linger_ms is None
                       else args.linger_ms,
                       "event": "EmailUpdateEvent (created), email with ~3 KB body_text", "profiled": args.profile,
                       "faust_env": args.faust_env,
                       "clock": "time.time_ns() in this process: before Producer.produce / when the frame's last line arrived"},
        "machine": machine,
        "worker": worker,
        "warm_up_events": measured.warm_up_events,
        "sent": len(sends.sent), "received": len(latencies), "lost": len(sends.sent) - len(latencies),
        "duplicates": received.duplicates,
        "achieved_send_rate_per_s": len(sends.sent) / span_s if span_s > 0 else None,
        "sender_late_ms": {"p99": percentile(sorted(sends.late_ms), 99), "max": max(sends.late_ms)} if sends.late_ms else None,
        "latency_ms": stats | {"mean": statistics.fmean(latencies) if latencies else None},
        "kafka_baseline_latency_ms": distribution(baseline),
        "cpu_while_sending": measured.cpu,
        "frame_gaps_while_sending": stalls(measured),
        "per_second": per_second(measured),
        "goal": {"p50_ms": GOAL_P50_MS, "p99_ms": GOAL_P99_MS, "all_received_once": True, "result": "PASS" if ok else "FAIL"},
    }


def _ms(value: float | None) -> str:
    return f"{value:8.1f}" if value is not None else "     nan"


def print_table(report: dict[str, Any]) -> None:
    params, hub = report["parameters"], report["worker"]["hub"]
    print()
    print(f"officestream notifier latency: EmailUpdateEvent produced -> SSE frame received, {params['rate_per_s']:.0f}/s "
          f"for {params['duration_s']:.0f} s, 1 worker, 1 SSE client")
    if params["faust_env"]:
        print(f"worker environment overrides (not the production configuration): {params['faust_env']}")
    print(load_line(report["machine"]))
    print()
    print(f"{'path':<34} {'events':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for label, row in (("notifier (produce -> SSE frame)", report["latency_ms"]),
                       ("Kafka only (produce -> poll)", report["kafka_baseline_latency_ms"])):
        print(f"{label:<34} {row['count']:>7} {_ms(row['p50'])} {_ms(row['p95'])} {_ms(row['p99'])} {_ms(row['max'])}")
    print()
    late, cpu = report["sender_late_ms"] or {}, report["cpu_while_sending"]
    print(f"sent {report['sent']} at {report['achieved_send_rate_per_s'] or 0:.0f}/s, received {report['received']}, "
          f"lost {report['lost']}, duplicates {report['duplicates']}; producer thread behind schedule p99 "
          f"{late.get('p99', float('nan')):.1f} ms, max {late.get('max', float('nan')):.1f} ms")
    print(f"while sending: the notifier ran {cpu['worker_cores']:.0%} of the time and waited for a CPU "
          f"{cpu['worker_waiting_for_cpu']:.0%} of it (threads summed); the machine had {cpu['machine_cores']:.2f} of "
          f"{report['machine']['cpu_count']} cores busy")
    print(f"hub: published {hub.get('published')}, dropped slow connections {hub.get('dropped_slow_connections')}")
    gaps = report["frame_gaps_while_sending"]
    print(f"frames stood still > {gaps['threshold_ms']:.0f} ms {gaps['count']} times while sending "
          f"(longest {_ms(gaps['longest_ms']).strip()} ms" + (", at s " + ", ".join(f"{g['at_s']:.1f}" for g in gaps["gaps"][:12])
          if gaps["gaps"] else "") + ")")
    goal = report["goal"]
    print(f"goal: p50 <= {goal['p50_ms']:.0f} ms, p99 <= {goal['p99_ms']:.0f} ms, every event received once: {goal['result']}")


# -- main ----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=500.0, help="events per second (default 500)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of sending (default 20)")
    parser.add_argument("--drain-timeout", type=float, default=10.0, help="max seconds to wait for stragglers (default 10)")
    parser.add_argument("--warmup-timeout", type=float, default=60.0, help="max seconds for warm-up (default 60)")
    parser.add_argument("--ready-timeout", type=float, default=60.0, help="max seconds for the worker to start (default 60)")
    parser.add_argument("--linger-ms", type=float, default=None,
                        help="producer linger.ms (default: the project's producer config, i.e. librdkafka's 5 ms)")
    parser.add_argument("--faust-env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra worker environment (faust reads settings such as BROKER_COMMIT_INTERVAL from it); "
                             "for experiments only, repeatable")
    parser.add_argument("--profile", action="store_true",
                        help="run the worker under cProfile (stats in bench/results/notifier-latency-logs/; latency distorted)")
    parser.add_argument("--keep", action="store_true", help="keep the run's topics, group and subjects")
    args = parser.parse_args(argv)
    if not 0 < args.rate <= 5000 or not 1 <= args.duration <= 120:
        parser.error("--rate must be in (0, 5000] and --duration between 1 and 120 s")
    if any("=" not in pair for pair in args.faust_env):
        parser.error("--faust-env takes NAME=VALUE")
    args.faust_env = dict(pair.split("=", 1) for pair in args.faust_env)
    return args


def run(stack: Stack, args: argparse.Namespace, machine: dict[str, Any], workdir: Path) -> dict[str, Any]:
    topic, port, secret = stack.kafka.topic(EMAIL_UPDATES), free_port(), secrets.token_urlsafe(48)
    maker = EventMaker(AvroEventSerde(registry_client(stack.registry), auto_register=True), topic, user=USER)
    maker.encode("register", time.time_ns())  # registers the schema before anything is timed
    env = worker_env(stack, workdir / "data", OFFICESTREAM_NOTIFIER_TOKEN_SECRET=secret,
                     OFFICESTREAM_NOTIFIER_PORT=str(port), OFFICESTREAM_NOTIFIER_INSTANCE_ID=INSTANCE) | args.faust_env
    token = StreamTokens(SecretStr(secret), ttl=dt.timedelta(minutes=30)).issue(USER)
    producer = Producer(stack.kafka.producer_config(**({} if args.linger_ms is None else {"linger.ms": args.linger_ms})))
    baseline = BaselineConsumer(stack.kafka, topic, partitions=list(range(6)))
    worker = WorkerProcess("notifier", env, LOG_DIR / "notifier.log",
                           profile_to=LOG_DIR / "notifier.prof" if args.profile else None)
    print(f"starting the notifier worker (log {worker.log_path}) ...", flush=True)
    baseline.start()
    try:
        with worker.start():
            ready_s = worker.wait_ready(args.ready_timeout)
            print(f"ready after {ready_s:.1f} s; warming up, then {args.rate:.0f} events/s for {args.duration:.0f} s ...",
                  flush=True)
            measured = asyncio.run(open_and_measure(port, token, (producer, maker, topic), baseline, worker, args))
            facts = {"spawn_to_ready_s": ready_s, "hub": hub_counters(port),
                     "peak_rss_mib": (worker.peak_rss_kib() or 0) / 1024 or None}
    finally:
        baseline.stop()
    report = build_report(args, machine, stack, measured, facts)
    report["rss_peak_mib"] = {"notifier worker": facts["peak_rss_mib"]}
    return report


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    machine = machine_info()
    stack = open_stack("notifier-latency")
    ensure_topics(stack.kafka)
    print(f"topic prefix {stack.prefix}", flush=True)
    try:
        with tempfile.TemporaryDirectory(prefix="notifier-latency-bench-") as workdir:
            report = run(stack, args, machine, Path(workdir))
    finally:
        if not args.keep:
            cleanup(stack, [stack.kafka.group(f"{CLIENT_SSE}.{INSTANCE}")])
    print_table(report)
    print(f"figures written to {write_json('notifier_latency', report)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
