"""The notifier at scale: many users' SSE clients on one and on two notifier instances, a steady
event rate spread over the users, produce-to-frame latency and exactly-once delivery per tab.

``--users`` users (default 1,000), ``--two-tab-share`` of them (10%) with a second tab: each tab
is its own ``GET /events`` connection, spread round-robin over the instances (a two-tab user's
tabs land on different instances) and over ``--client-processes`` client processes
(``harness/sse_fleet.py``). Then ``--rate`` EmailUpdateEvents/s (2,000) for ``--duration`` s
(60), each for a user drawn at random and keyed by that user as the producers key them, with
its send time in the subject (``harness/email_events.py``).

Each instance runs as the notifier is deployed: its own ``instance_id``, hence its own consumer
group ``client-sse.<instance_id>`` reading every partition, so a tab gets its user's events
whichever instance it is connected to. ``--group-mode shared`` gives every instance the same
``instance_id`` (one group, partitions split between them) to show what that misconfiguration
costs.

Reported per run: p50/p95/p99/max produce-to-frame latency (goal p99 <= 100 ms) beside a
Kafka-only baseline (produce -> poll in this process), missing / duplicate / misrouted frames per
tab (any nonzero fails the run; the report names the tabs), notifier RSS sampled every 0.5 s (max
and end, per instance), the CPU of each notifier, each client process and the machine while
sending, and which of them set the limit.

Run: ``.venv/bin/python bench/notifier_scale_bench.py [--instances 1,2] [--rate 2000]
[--duration 60] [--users 1000]`` with the local stack up. Figures go to stdout and
``bench/results/notifier_scale.json``; worker logs to ``bench/results/notifier-scale-logs/``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import random
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from confluent_kafka import Producer
from harness.cpu import MachineCpu
from harness.delivery import Delivery, account, late_by_second
from harness.email_events import EventMaker
from harness.latency import BaselineConsumer, percentile, summary
from harness.pacing import SendLog, paced_send
from harness.report import RESULTS_DIR, free_port, load_line, machine_info, write_json
from harness.sse_client import hub_counters
from harness.sse_fleet import WARM_PREFIX, ClientFleet, Tab
from harness.stack import Stack, cleanup, open_stack, worker_env
from harness.worker import WorkerProcess
from pydantic import SecretStr

from connectors.kafka.admin import ensure_topics
from connectors.kafka.topics import CLIENT_SSE, EMAIL_UPDATES
from processors.notifier.tokens import StreamTokens
from schemas.registry_client import registry_client
from schemas.serde import AvroEventSerde

GOAL_P99_MS = 100.0
USER_PREFIX = "bench-scale-user-"
LOG_DIR = RESULTS_DIR / "notifier-scale-logs"
#: A process busier than this share of one core is taken as saturated (it is single-threaded where it matters).
SATURATED = 0.85


@dataclass
class Spread:
    """Produces each event for a random user (seeded), keyed by the user; remembers who got what."""

    producer: Producer
    maker: EventMaker
    topic: str
    users: list[str]
    rng: random.Random
    user_of: dict[str, str] = field(default_factory=dict)
    warm_rng: random.Random = field(default_factory=lambda: random.Random(0))

    def produce(self, email_id: str, user: str) -> int:
        sent_ns = time.time_ns()
        self.producer.produce(self.topic, key=user.encode(), value=self.maker.encode(email_id, sent_ns, user=user))
        return sent_ns

    def send(self, seq: int) -> tuple[str, int]:
        user, email_id = self.users[self.rng.randrange(len(self.users))], f"scale-{seq:07d}"
        self.user_of[email_id] = user
        return email_id, self.produce(email_id, user)

    def send_warm(self, seq: int) -> tuple[str, int]:
        """A warm-up event at the measured rate (its frames are not counted), for a random user
        drawn from a generator of its own, so the measured events' users do not depend on it."""
        user, email_id = self.users[self.warm_rng.randrange(len(self.users))], f"{WARM_PREFIX}steady-{seq}"
        return email_id, self.produce(email_id, user)

    def warm_round(self, round_no: int) -> None:
        for i, user in enumerate(self.users):
            self.produce(f"{WARM_PREFIX}{round_no}-{i}", user)
            self.producer.poll(0)
        self.producer.flush(30)


def plan_tabs(args: argparse.Namespace, ports: list[int], tokens: dict[str, str]) -> list[Tab]:
    """One tab per user, two for an evenly spread ``two_tab_share`` of them; tab n on instance n % k."""
    two = round(args.users * args.two_tab_share)
    doubled = {i * args.users // two for i in range(two)} if two else set()
    tabs: list[Tab] = []
    for i, user in enumerate(tokens):
        for _ in range(2 if i in doubled else 1):
            tabs.append(Tab(len(tabs), user, ports[len(tabs) % len(ports)], tokens[user]))
    return tabs


class RssSampler(threading.Thread):
    """Every ``interval_s``: each worker's resident set (VmRSS), in MiB."""

    def __init__(self, workers: list[WorkerProcess], interval_s: float = 0.5) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self._workers, self._interval = workers, interval_s
        self.samples: list[list[float]] = [[] for _ in workers]
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(self._interval):
            for samples, worker in zip(self.samples, self._workers, strict=True):
                if (kib := worker.rss_kib()) is not None:
                    samples.append(kib / 1024)

    def stop(self) -> list[dict[str, float | None]]:
        self._done.set()
        self.join(5)
        return [{"max": max(s, default=None), "end": s[-1] if s else None} for s in self.samples]


def warm_up(spread: Spread, fleet: ClientFleet, args: argparse.Namespace) -> dict[str, Any]:
    """Send every user a warm-up event each round until every tab has seen one (each instance's
    group is assigned and reads the topic's end) or ``--warmup-timeout`` passes (reported, not
    fatal: ``--group-mode shared`` never gets there). Then ``--steady-warmup`` seconds of
    uncounted events at the measured rate, straight into the measured ones: the minute measured
    starts in the steady state. A broker JVM started just before the run compiles its produce and
    fetch paths in these first seconds (it used a whole core in them, ~0.2 later), and the
    backlog that leaves took the notifier 10-15 s to clear (bench/README.md)."""
    started, rounds = time.monotonic(), 0
    while fleet.warm_tabs < len(fleet.tabs) and time.monotonic() - started < args.warmup_timeout:
        spread.warm_round(rounds)
        rounds += 1
        until = time.monotonic() + 2.0
        while fleet.warm_tabs < len(fleet.tabs) and time.monotonic() < until:
            time.sleep(0.05)
    tabs_warm, rounds_s = fleet.warm_tabs, round(time.monotonic() - started, 1)
    if args.steady_warmup > 0:
        paced_send(spread.send_warm, spread.producer, rate=args.rate, duration_s=args.steady_warmup,
                   log=SendLog(), stop=threading.Event())
    return {"rounds": rounds, "tabs_warm": tabs_warm, "tabs": len(fleet.tabs), "seconds": rounds_s,
            "steady_seconds": args.steady_warmup}


@dataclass
class Window:
    """While sending, in percent of one core: CPU used and time spent runnable but waiting for a
    CPU (``schedstat``), per notifier and per client process; events each notifier read per s."""

    notifier: list[float]
    notifier_waiting: list[float]
    clients: list[float]
    clients_waiting: list[float]
    machine_cores: float
    notifier_events_per_s: list[float]


def published(ports: list[int]) -> list[int]:
    """Notifications each instance's hub has published (events it has read) so far."""
    return [int(hub_counters(port).get("published", -1)) for port in ports]


def send_and_drain(spread: Spread, fleet: ClientFleet, workers: list[WorkerProcess], ports: list[int],
                   args: argparse.Namespace) -> tuple[SendLog, Window, list[int]]:
    """Send for the duration, then wait (up to ``--drain-timeout``) until every instance has read
    every event and the clients hold every expected frame. Returns the events each instance read."""
    sends, stop = SendLog(), threading.Event()
    sender = threading.Thread(target=paced_send, name="paced-producer", daemon=True, args=(spread.send, spread.producer),
                              kwargs={"rate": args.rate, "duration_s": args.duration, "log": sends, "stop": stop})
    machine, started, read_before = MachineCpu(), time.perf_counter(), published(ports)
    before = ([w.cpu_seconds() for w in workers], [w.run_queue_wait_seconds() for w in workers],
              fleet.cpu_seconds(), fleet.run_queue_wait_seconds())
    sender.start()
    sender.join(args.duration + 60)
    stop.set()
    elapsed, read_by_now = time.perf_counter() - started, published(ports)
    after = ([w.cpu_seconds() for w in workers], [w.run_queue_wait_seconds() for w in workers],
             fleet.cpu_seconds(), fleet.run_queue_wait_seconds())
    shares = [[round(100 * (b - a) / elapsed, 1) for a, b in zip(x, y, strict=True)] for x, y in zip(before, after, strict=True)]
    window = Window(*shares[:2], *shares[2:], machine.busy()["cores"],
                    [round((b - a) / elapsed, 1) for a, b in zip(read_before, read_by_now, strict=True)])
    per_user = {tab.user: 0 for tab in fleet.tabs}
    for tab in fleet.tabs:
        per_user[tab.user] += 1
    expected = sum(per_user[user] for user in spread.user_of.values())
    deadline = time.monotonic() + args.drain_timeout
    while time.monotonic() < deadline:
        read = [b - a for a, b in zip(read_before, published(ports), strict=True)]
        if fleet.frames >= expected and min(read) >= len(sends.sent):
            break
        time.sleep(0.5)
    time.sleep(0.5)  # a duplicate arriving just after the count was reached still counts
    return sends, window, [b - a for a, b in zip(read_before, published(ports), strict=True)]


def limit_of(window: Window) -> str:
    """Which process, if any, was saturated or starved of CPU while sending: the figure is its limit."""
    parts = []
    for name, used, waited in (("notifier", window.notifier, window.notifier_waiting),
                               ("client process", window.clients, window.clients_waiting)):
        for i, (cpu, wait) in enumerate(zip(used, waited, strict=True)):
            if cpu >= 100 * SATURATED:
                parts.append(f"{name} {i} CPU-bound ({cpu:.0f}% of a core)")
            elif wait >= cpu and wait >= 20:
                parts.append(f"{name} {i} starved: waited for a CPU {wait:.0f}% of the time, ran {cpu:.0f}%")
    if window.machine_cores >= 1.8:
        parts.append(f"the machine was saturated ({window.machine_cores:.2f} of 2 cores busy)")
    return "; ".join(parts) or "no process saturated or starved: latency is the pipeline's, not a CPU limit"


def build_run(n: int, args: argparse.Namespace, tabs: list[Tab], sends: SendLog, delivery: Delivery,
              window: Window, rss: list[dict[str, float | None]], extra: dict[str, Any]) -> dict[str, Any]:
    stats = summary(delivery.latencies_ms)
    failures = [f"{name} {count}" for name, count in (("missing", delivery.missing), ("duplicate", delivery.duplicate),
                                                      ("misrouted", delivery.misrouted)) if count]
    unread = [len(sends.sent) - read for read in extra["notifier_read_events"]]
    if delivery.missing and any(unread):
        why = ("their partitions were assigned to the other instance" if args.group_mode == "shared"
               else "behind, not known lost")
        failures.append(f"(of the missing: the instances had not read {unread} of the {len(sends.sent)} events "
                        f"when the drain timeout ended: {why})")
    if stats["p99"] is None or stats["p99"] > GOAL_P99_MS:
        failures.append(f"p99 {stats['p99']} ms > {GOAL_P99_MS:.0f} ms")
    span_s = (sends.finished_ns - sends.started_ns) / 1e9
    return {
        "instances": n, "group_mode": args.group_mode, "users": args.users, "clients": len(tabs), "events": len(sends.sent),
        "achieved_send_rate_per_s": round(len(sends.sent) / span_s, 1) if span_s > 0 else None,
        "sender_late_ms": {"p99": percentile(sorted(sends.late_ms), 99), "max": max(sends.late_ms)} if sends.late_ms else None,
        "frames_expected": delivery.frames_expected, "frames_received": delivery.frames_received,
        "latency_ms": stats,
        "over_goal_frames_by_send_second": late_by_second(delivery.arrivals, sends.sent, sends.started_ns, GOAL_P99_MS),
        "sending_started_at_unix_s": round(sends.started_ns / 1e9, 3),
        "missing": delivery.missing, "duplicate": delivery.duplicate, "misrouted": delivery.misrouted,
        "missing_by_instance": {str(k): v for k, v in sorted(delivery.missing_by_instance.items())},
        "streams_ended_early": delivery.ended_early, "problem_tabs": delivery.problem_tabs,
        "notifier_rss_mb": {"max": max((r["max"] or 0 for r in rss), default=None),
                            "end": max((r["end"] or 0 for r in rss), default=None)},
        "notifier_rss_mb_per_instance": rss,
        "client_cpu_percent": round(sum(window.clients), 1),
        "client_cpu_percent_per_process": window.clients,
        "client_waiting_for_cpu_percent_per_process": window.clients_waiting,
        "notifier_cpu_percent": round(sum(window.notifier), 1),
        "notifier_cpu_percent_per_instance": window.notifier,
        "notifier_waiting_for_cpu_percent_per_instance": window.notifier_waiting,
        "notifier_events_read_per_s_while_sending": window.notifier_events_per_s,
        "notifier_cpu_ms_per_event_read": [round(10 * cpu / rate, 2) if rate > 0 else None
                                           for cpu, rate in zip(window.notifier, window.notifier_events_per_s, strict=True)],
        "machine_busy_cores": round(window.machine_cores, 2),
        "limit": limit_of(window) if failures else f"goals met ({limit_of(window)})",
        "goal": {"p99_ms": GOAL_P99_MS, "every_frame_once_to_its_user": True,
                 "result": "FAIL" if failures else "PASS", "failures": failures},
    } | extra


def instance_ids(n: int, group_mode: str) -> list[str]:
    """Each instance's ``instance_id`` (its group is ``client-sse.<instance_id>``)."""
    return [f"bench-scale-{n}x-{'shared' if group_mode == 'shared' else i}" for i in range(n)]


def run_instances(n: int, stack: Stack, args: argparse.Namespace, spread: Spread, baseline: BaselineConsumer,
                  workdir: Path) -> dict[str, Any]:
    """One run: ``n`` notifier instances, the tabs spread over them, warm-up, send, drain, account."""
    secret, ports = secrets.token_urlsafe(48), [free_port() for _ in range(n)]
    ids = instance_ids(n, args.group_mode)
    tokens = StreamTokens(SecretStr(secret), ttl=dt.timedelta(minutes=30))
    tabs = plan_tabs(args, ports, {user: tokens.issue(user) for user in spread.users})
    instance_of = {tab.tab: ports.index(tab.port) for tab in tabs}
    spread.user_of = {}
    with contextlib.ExitStack() as running:
        workers = []
        for i, (port, instance_id) in enumerate(zip(ports, ids, strict=True)):
            env = worker_env(stack, workdir / f"data-{n}x-{i}", **args.settings, OFFICESTREAM_NOTIFIER_TOKEN_SECRET=secret,
                             OFFICESTREAM_NOTIFIER_PORT=str(port), OFFICESTREAM_NOTIFIER_INSTANCE_ID=instance_id)
            profile = LOG_DIR / f"notifier-{n}x-{i}.prof" if args.profile else None
            workers.append(running.enter_context(
                WorkerProcess("notifier", env, LOG_DIR / f"notifier-{n}x-{i}.log", profile_to=profile).start()))
        ready_s = [w.wait_ready(args.ready_timeout) for w in workers]
        fleet = running.enter_context(ClientFleet(tabs, args.client_processes))
        connect_s = fleet.wait_connected(args.connect_timeout)
        print(f"{n} instance(s) ready, {len(tabs)} SSE clients connected in {connect_s:.1f} s; warming up ...", flush=True)
        if args.steady_warmup > 0:
            print(f"{args.steady_warmup:.0f} s of uncounted events at {args.rate:.0f}/s ...", flush=True)
        warm = warm_up(spread, fleet, args)
        print(f"warm-up: {warm}; sending {args.rate:.0f} events/s for {args.duration:.0f} s ...", flush=True)
        sampler = RssSampler(workers)
        sampler.start()
        sends, window, read = send_and_drain(spread, fleet, workers, ports, args)
        rss = sampler.stop()
        hubs = [hub_counters(port) for port in ports]
        logs = fleet.collect()
    delivery = account(tabs, spread.user_of, logs, instance_of)
    kafka_ms = dict(baseline.latency_ms)
    extra = {"kafka_baseline_latency_ms": summary([kafka_ms[ns] for ns in sends.sent.values() if ns in kafka_ms]),
             "instance_ids": ids, "spawn_to_ready_s": ready_s, "connect_s": round(connect_s, 1), "warm_up": warm,
             "hub": hubs, "notifier_read_events": read}
    return build_run(n, args, tabs, sends, delivery, window, rss, extra)


def _ms(value: float | None) -> str:
    return f"{value:8.1f}" if value is not None else "     nan"


def print_table(report: dict[str, Any]) -> None:
    params = report["parameters"]
    print()
    print(f"officestream notifier at scale: {params['users']} users ({params['two_tab_share']:.0%} with two tabs), "
          f"{params['rate_per_s']:.0f} events/s for {params['duration_s']:.0f} s, group mode {params['group_mode']}")
    print(load_line(report["machine"]))
    print()
    print(f"{'inst':>4} {'tabs':>5} {'events':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'kafka p99':>9} "
          f"{'miss':>6} {'dup':>5} {'misr':>5} {'rss max/end MB':>15} {'notif cpu%':>10} {'client cpu%':>12} result")
    for run in report["runs"]:
        lat, rss = run["latency_ms"], run["notifier_rss_mb"]
        print(f"{run['instances']:>4} {run['clients']:>5} {run['events']:>7} {_ms(lat['p50'])} {_ms(lat['p95'])} "
              f"{_ms(lat['p99'])} {_ms(lat['max'])} {_ms(run['kafka_baseline_latency_ms']['p99']):>9} {run['missing']:>6} "
              f"{run['duplicate']:>5} {run['misrouted']:>5} {rss['max'] or 0:>7.0f}/{rss['end'] or 0:<7.0f} "
              f"{'+'.join(f'{c:.0f}' for c in run['notifier_cpu_percent_per_instance']):>10} "
              f"{'+'.join(f'{c:.0f}' for c in run['client_cpu_percent_per_process']):>12} {run['goal']['result']}")
    for run in report["runs"]:
        print(f"{run['instances']} instance(s): sent at {run['achieved_send_rate_per_s']}/s; each notifier read "
              f"{run['notifier_events_read_per_s_while_sending']} events/s while sending and waited for a CPU "
              f"{run['notifier_waiting_for_cpu_percent_per_instance']}% of the time; machine {run['machine_busy_cores']} cores busy")
        print(f"  limit: {run['limit']}" + (f"; FAILED: {', '.join(run['goal']['failures'])}" if run["goal"]["failures"] else ""))
        if run["problem_tabs"]:
            print(f"  missing by instance {run['missing_by_instance']}; first problem tabs: {run['problem_tabs'][:3]}")
    print(f"goal: p99 <= {GOAL_P99_MS:.0f} ms and every frame to the right tab exactly once")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000, help="users, one SSE client each (default 1000)")
    parser.add_argument("--two-tab-share", type=float, default=0.1, help="share of users with a second tab (default 0.1)")
    parser.add_argument("--rate", type=float, default=2000.0, help="events per second over all users (default 2000)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of sending (default 60)")
    parser.add_argument("--instances", default="1,2", help="notifier instance counts to run, comma-separated (default 1,2)")
    parser.add_argument("--group-mode", choices=("per-instance", "shared"), default="per-instance",
                        help="per-instance: each instance its own group, as deployed (default); shared: one instance_id for all")
    parser.add_argument("--client-processes", type=int, default=2, help="processes the SSE clients are split over (default 2)")
    parser.add_argument("--seed", type=int, default=15, help="seed of the user drawn for each event (default 15)")
    parser.add_argument("--drain-timeout", type=float, default=60.0,
                        help="max seconds after sending for every instance to read every event and the clients to get its frames (default 60)")
    parser.add_argument("--warmup-timeout", type=float, default=60.0, help="max seconds of warm-up (default 60)")
    parser.add_argument("--steady-warmup", type=float, default=15.0,
                        help="seconds of uncounted events at --rate before the measured ones (default 15; 0: none)")
    parser.add_argument("--connect-timeout", type=float, default=120.0, help="max seconds to connect every client (default 120)")
    parser.add_argument("--ready-timeout", type=float, default=90.0, help="max seconds for a worker to start (default 90)")
    parser.add_argument("--profile", action="store_true",
                        help="run the workers under cProfile (stats in bench/results/notifier-scale-logs/; latency distorted)")
    parser.add_argument("--keep", action="store_true", help="keep the run's topics, groups and subjects")
    parser.add_argument("--set", dest="settings", action="append", default=[], metavar="OFFICESTREAM_NAME=VALUE",
                        help="a setting for the notifier workers, which otherwise keep the defaults (repeatable)")
    args = parser.parse_args(argv)
    args.instances = [int(n) for n in args.instances.split(",")]
    pairs = [setting.partition("=") for setting in args.settings]
    if any(not name.startswith("OFFICESTREAM_") or not sep for name, sep, _ in pairs):
        parser.error("--set takes OFFICESTREAM_NAME=VALUE")
    args.settings = {name: value for name, _, value in pairs}
    if not 1 <= args.users <= 5000 or not 0 <= args.two_tab_share <= 1 or not 0 < args.rate <= 10_000:
        parser.error("--users in [1, 5000], --two-tab-share in [0, 1], --rate in (0, 10000]")
    if not 0 <= args.steady_warmup <= 600:
        parser.error("--steady-warmup in [0, 600] s")
    if not 1 <= args.duration <= 600 or not all(1 <= n <= 4 for n in args.instances) or not 1 <= args.client_processes <= 8:
        parser.error("--duration in [1, 600] s, --instances each in [1, 4], --client-processes in [1, 8]")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    machine, stack = machine_info(), open_stack("notifier-scale")
    ensure_topics(stack.kafka)
    topic = stack.kafka.topic(EMAIL_UPDATES)
    users = [f"{USER_PREFIX}{i:04d}" for i in range(args.users)]
    maker = EventMaker(AvroEventSerde(registry_client(stack.registry), auto_register=True), topic, user=users[0])
    maker.encode("register", time.time_ns())  # registers the schema before anything is timed
    spread = Spread(Producer(stack.kafka.producer_config()), maker, topic, users, random.Random(args.seed))
    baseline = BaselineConsumer(stack.kafka, topic, partitions=list(range(6)))
    print(f"topic prefix {stack.prefix}", flush=True)
    baseline.start()
    runs: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="notifier-scale-bench-") as workdir:
            for n in args.instances:
                runs.append(run_instances(n, stack, args, spread, baseline, Path(workdir)))
    finally:
        baseline.stop()
        if not args.keep:
            ids = {i for n in args.instances for i in instance_ids(n, args.group_mode)}
            cleanup(stack, [stack.kafka.group(f"{CLIENT_SSE}.{i}") for i in ids])
    report = {"benchmark": "notifier_scale", "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              "parameters": {"users": args.users, "two_tab_share": args.two_tab_share, "rate_per_s": args.rate,
                             "duration_s": args.duration, "steady_warmup_s": args.steady_warmup, "instances": args.instances, "group_mode": args.group_mode,
                             "client_processes": args.client_processes, "seed": args.seed, "profiled": args.profile, "topic_prefix": stack.prefix,
                             "worker_settings": args.settings,
                             "event": "EmailUpdateEvent (created), ~3 KB body, keyed by user",
                             "clock": "time.time_ns(): before Producer.produce / when the frame's last line arrived"},
              "machine": machine, "runs": runs}
    print_table(report)
    print(f"figures written to {write_json('notifier_scale', report)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
