"""Throughput of each faust service (one worker) against a plain decode loop, in one run.

Per service, on the service's input topic under a fresh topic prefix:

- the *ceiling*: a plain confluent-kafka consumer (its own group) that decodes every message with
  ``AvroEventSerde.decode`` and does nothing else;
- the *worker*: ``faust -A processors.<module>.app worker -l info`` started on the pre-produced
  backlog and watched from the outside (polled every 50 ms) through the service's effects:
  vespa-loader's feed-file lines (file mode), the shipments ``applied`` table changelog (one
  record per email), the meetings table changelog (one context per calendar event), the notifier's published
  count (``GET /healthz``). The window runs from the first effect seen to the later of "every
  effect seen" and the worker's last record on the broker (its table changelogs and derived
  topics, known once its group's commits cover the input: faust flushes before committing), so
  state writes that lag the effects are inside it. Start-up (spawn to faust's ``Ready`` and to
  the first effect) is reported apart. Also reported: the worker's CPU and run-queue time in the
  window, the machine's busy cores, peak RSS (``VmHWM``), dead letters.

Workload: ``--batches`` EmailBackfillEvents of ``--batch-size`` emails (the serde benchmark's
records: ~3 KB body_text + ~3 KB body_html, 2 attachments) for vespa-loader, shipments and the
notifier; meetings reads calendar-updates, so it gets as many CalendarBatchEvents of as many
calendar events (~3 KB body, 1-8 attendees, one in six a weekly series). Keys are 24 users.
The goal: worker items/s >= 0.3 x ceiling items/s. Services run one after the other.

Run: ``.venv/bin/python bench/processors_bench.py [--batches 600] [--batch-size 50]
[--services vespa-loader,meetings,shipments,notifier] [--profile] [--faust-env NAME=VALUE]``
with the local stack up (``--faust-env`` runs are labelled experiments).
Figures go to stdout and ``bench/results/processors.json``; worker logs (and with ``--profile``
cProfile stats) to ``bench/results/processors-logs/``. The run's topics, groups and registry
subjects are deleted at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from confluent_kafka.admin import AdminClient
from harness.ceiling import Rate, decode_ceiling
from harness.cpu import jiffies
from harness.progress import (
    FeedFileLines,
    HubPublished,
    Probe,
    Timeline,
    TopicRecords,
    commit_offsets,
    commits_cover,
    end_offsets,
    watch,
)
from harness.report import RESULTS_DIR, free_port, load_line, machine_info, write_json
from harness.stack import Stack, cleanup, open_stack, register_schemas, worker_env
from harness.worker import WorkerProcess
from harness.workload import (
    USERS,
    Backlog,
    calendar_batches,
    email_backfill,
    produce_backlog,
)

from connectors.kafka.admin import ensure_topics
from connectors.kafka.topics import (
    CALENDAR_UPDATES,
    CLIENT_SSE,
    EMAIL_BACKFILL,
    MEETING_UPDATES,
    SHIPMENT_UPDATES,
    dead_letter_topic,
)
from schemas.models import Event
from schemas.registry_client import registry_client
from schemas.serde import AvroEventSerde

TARGET_RATIO = 0.3
POLL_S = 0.05
LOG_DIR = RESULTS_DIR / "processors-logs"
NOTIFIER_INSTANCE = "bench"


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    input_topic: str
    #: What the completion probe counts, and whether that is items (else messages).
    signal: str
    counts_items: bool
    group: str
    dead_letters: str


SERVICES = {
    spec.name: spec
    for spec in (
        ServiceSpec("vespa-loader", "vespa_loader", EMAIL_BACKFILL, "feed-file lines (file mode)", True,
                    "vespa-loader", dead_letter_topic("vespa-loader")),
        ServiceSpec("shipments", "shipments", EMAIL_BACKFILL, "records on the applied-table changelog", True,
                    "shipments", dead_letter_topic("shipments")),
        ServiceSpec("notifier", "notifier", EMAIL_BACKFILL, "hub published count (GET /healthz)", False,
                    f"{CLIENT_SSE}.{NOTIFIER_INSTANCE}", dead_letter_topic(CLIENT_SSE)),
        ServiceSpec("meetings", "meetings", CALENDAR_UPDATES, "records on the meetings-table changelog", True,
                    "meetings", dead_letter_topic("meetings")),
    )
}


def items_in(event: Event) -> int:
    return len(getattr(event, "emails", None) or getattr(event, "calendar_events", None) or [])


# -- one service ---------------------------------------------------------------------------


@dataclass
class Watched:
    """How one worker is started and watched: its environment, the progress probe (items or
    messages done, ``target`` when all are) and the records it writes to Kafka (changelogs and
    derived topics), whose last write marks the end of its work."""

    env: dict[str, str]
    progress: Probe
    target: int
    outputs: TopicRecords


def watched(spec: ServiceSpec, stack: Stack, backlog: Backlog, workdir: Path, admin: AdminClient) -> Watched:
    kafka, env = stack.kafka, worker_env(stack, workdir / "data")
    if spec.name == "vespa-loader":
        feed = workdir / "vespa" / "feed.jsonl"
        env["OFFICESTREAM_VESPA_FEED_FILE"] = str(feed)
        return Watched(env, FeedFileLines(feed), backlog.items, TopicRecords(admin, []))
    if spec.name == "notifier":
        port = free_port()
        env |= {"OFFICESTREAM_NOTIFIER_TOKEN_SECRET": secrets.token_urlsafe(48),
                "OFFICESTREAM_NOTIFIER_PORT": str(port), "OFFICESTREAM_NOTIFIER_INSTANCE_ID": NOTIFIER_INSTANCE}
        return Watched(env, HubPublished(port), len(backlog.messages), TopicRecords(admin, []))
    if spec.name == "shipments":
        applied = TopicRecords(admin, [f"{kafka.group(spec.group)}-applied-changelog"])
        return Watched(env, applied, backlog.items, TopicRecords(admin, [kafka.topic(SHIPMENT_UPDATES)]))
    # One context per calendar event on the table's changelog; meeting-updates gets one summary
    # per batch message (written last, so the window ends with it).
    contexts = TopicRecords(admin, [f"{kafka.group(spec.group)}-meetings-changelog"])
    return Watched(env, contexts, backlog.items, TopicRecords(admin, [kafka.topic(MEETING_UPDATES)]))


@dataclass(frozen=True)
class Window:
    """The measured stretch of one worker's run (perf_counter times)."""

    first: float  # first effect seen
    first_done: float  # what that first observation had already counted (items or messages)
    effects_end: float | None  # the progress counter reached its target
    writes_end: float | None  # the worker's last record on Kafka (changelogs, derived topics)
    committed_at: float | None  # its group's commits covered the whole input topic

    @property
    def end(self) -> float | None:
        """Done = every effect visible and every state write on the broker."""
        if self.effects_end is None:
            return None
        return max(self.effects_end, self.writes_end or self.effects_end)


def measure(worker: WorkerProcess, how: Watched, admin: AdminClient, group: str, topic: str,
            ends: dict[int, int], timeout_s: float) -> tuple[Window | None, dict[str, Timeline]]:
    """Watch until the effects reached their target and the group committed the whole topic
    (faust flushes its producer before committing, so by then every state write is out)."""
    covered: dict[str, float] = {}

    def done(values: dict[str, float]) -> bool:
        if values["progress"] < how.target or not commits_cover(admin, group, topic, ends):
            return False
        covered["at"] = time.perf_counter()
        return True

    # CPU first: the window's first poll then has a CPU reading taken just before its effects.
    probes: dict[str, Probe] = {"cpu_s": worker.cpu_seconds, "wait_s": worker.run_queue_wait_seconds, "machine_busy": lambda: jiffies()[0], "machine_total": lambda: jiffies()[1],
              "progress": how.progress, "outputs": how.outputs}
    timelines, _ = watch(probes, done, interval_s=POLL_S, timeout_s=timeout_s, check=worker.check_alive)
    first = timelines["progress"].first_progress()
    if first is None:
        return None, timelines
    outputs = timelines["outputs"]
    return Window(first=first[0], first_done=first[1], effects_end=timelines["progress"].reached(how.target),
                  writes_end=outputs.reached(outputs.last) if outputs.last else None,
                  committed_at=covered.get("at")), timelines


def worker_rate(window: Window, progress: Timeline, target: int, *, counts_items: bool, batch_size: int) -> Rate | None:
    """From the first observed effect to the end; the first observation opens the window and
    what it had counted is left out. A run that timed out is rated up to its last progress."""
    end, reached = window.end, float(target)
    if end is None:  # incomplete: the partial rate, flagged by "completed": false
        end, reached = progress.samples[-1]
    if end <= window.first:
        return None
    done = reached - window.first_done
    items = int(done if counts_items else done * batch_size)
    return Rate(messages=round(items / batch_size), items=items, seconds=end - window.first)


def ceilings(spec: ServiceSpec, stack: Stack, backlog: Backlog, args: argparse.Namespace, run: int) -> Rate:
    group = stack.kafka.group(f"ceiling-{spec.name}-{run}")
    return decode_ceiling(stack.kafka, stack.registry, backlog.topic, group=group,
                          messages=len(backlog.messages), items_of=items_in, timeout_s=args.timeout)


def run_worker(spec: ServiceSpec, stack: Stack, backlog: Backlog, args: argparse.Namespace,
               workdir: Path) -> dict[str, Any]:
    kafka, topic = stack.kafka, backlog.topic
    admin, group = AdminClient(kafka.librdkafka_config()), kafka.group(spec.group)
    ends = end_offsets(admin, topic)
    if spec.name == "notifier":  # its groups start at the latest offset; read the backlog instead
        commit_offsets(admin, group, {(topic, p): 0 for p in ends})
    how = watched(spec, stack, backlog, workdir / spec.name, admin)
    how.env |= dict(args.faust_env)
    profile = LOG_DIR / f"{spec.name}.prof" if args.profile else None
    worker = WorkerProcess(spec.module, how.env, LOG_DIR / f"{spec.name}.log", profile_to=profile)
    print(f"[{spec.name}] worker: starting (log {worker.log_path}) ...", flush=True)
    with worker.start():
        ready_s = worker.wait_ready(args.ready_timeout)
        how.outputs.refresh(matching=lambda t: t.startswith(f"{group}-") and t.endswith("-changelog"))
        if isinstance(how.progress, TopicRecords):  # a changelog appears only once the worker runs
            how.progress.refresh()
        window, timelines = measure(worker, how, admin, group, topic, ends, args.timeout)
        peak_rss_kib = worker.peak_rss_kib()
    assert worker.spawned_at is not None
    return {"ready_s": ready_s, "spawned_at": worker.spawned_at, "window": window, "timelines": timelines,
            "target": how.target, "peak_rss_kib": peak_rss_kib, "log": str(worker.log_path)}


def run_service(spec: ServiceSpec, stack: Stack, backlog: Backlog, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Ceiling, worker, ceiling again (the better ceiling counts: the machine is shared)."""
    print(f"[{spec.name}] ceiling: decode loop over {backlog.topic} ...", flush=True)
    before = ceilings(spec, stack, backlog, args, 1)
    run = run_worker(spec, stack, backlog, args, workdir)
    after = ceilings(spec, stack, backlog, args, 2)
    ceiling = max(before, after, key=lambda r: r.items_per_s)
    dead = TopicRecords(AdminClient(stack.kafka.librdkafka_config()), [stack.kafka.topic(spec.dead_letters)])
    return summarize(spec, backlog, args, run, ceiling, [before, after], int(dead()))


def cpu_in_window(timelines: dict[str, Timeline], start: float, seconds: float) -> dict[str, float | None]:
    """Per second of the window: the worker's CPU time (1.0 = one core), its threads' time
    runnable but waiting for a CPU, and the whole machine's busy cores (worker, broker, this
    script, anything else). Busy + waiting well below 1 means the worker sat idle (I/O, fetch)."""
    def delta(name: str) -> float | None:
        before, after = timelines[name].value_at(start), timelines[name].value_at(start + seconds)
        return after - before if before is not None and after is not None else None

    worker, waited, busy, total = delta("cpu_s"), delta("wait_s"), delta("machine_busy"), delta("machine_total")
    return {"worker_cpu": worker / seconds if worker is not None else None,
            "worker_waiting_for_cpu": waited / seconds if waited is not None else None,
            "machine_busy_cores": busy / total * (os.cpu_count() or 1) if busy is not None and total else None}


def summarize(spec: ServiceSpec, backlog: Backlog, args: argparse.Namespace, run: dict[str, Any], ceiling: Rate,
              ceiling_runs: list[Rate], dead_letters: int) -> dict[str, Any]:
    window: Window | None = run["window"]
    progress = run["timelines"]["progress"]
    rate = (worker_rate(window, progress, run["target"], counts_items=spec.counts_items, batch_size=args.batch_size)
            if window else None)
    spawned = run["spawned_at"]
    since_spawn = (lambda t: t - spawned if t is not None else None)
    cpu = cpu_in_window(run["timelines"], window.first, rate.seconds) if window and rate else {}
    worker_cpu_s = cpu["worker_cpu"] * rate.seconds if rate and cpu.get("worker_cpu") else None
    worker_per_cpu = rate.items / worker_cpu_s if rate and worker_cpu_s else None
    ceiling_per_cpu = max((r.items_per_cpu_s for r in ceiling_runs if r.items_per_cpu_s), default=None)
    return {
        "input_topic": backlog.topic,
        "workload": backlog.description,
        "completion_signal": spec.signal,
        "completed": bool(window and window.end and window.committed_at),
        "progress": {"count": progress.last, "target": run["target"], "unit": "items" if spec.counts_items else "messages"},
        "startup": {"spawn_to_ready_s": run["ready_s"], "spawn_to_first_effect_s": since_spawn(window.first if window else None)},
        "after_spawn_s": {"effects_done": since_spawn(window.effects_end if window else None),
                          "last_state_write": since_spawn(window.writes_end if window else None),
                          "commits_cover_input": since_spawn(window.committed_at if window else None)},
        "worker_records_written": run["timelines"]["outputs"].last,
        "worker": rate.as_dict() if rate else None,
        "worker_cpu_busy": cpu.get("worker_cpu"),
        "worker_waiting_for_cpu": cpu.get("worker_waiting_for_cpu"),
        "machine_cpu_busy_cores": cpu.get("machine_busy_cores"),
        "ceiling": ceiling.as_dict(),
        "ceiling_runs": [r.as_dict() for r in ceiling_runs],
        "ratio_items_per_s": rate.items_per_s / ceiling.items_per_s if rate else None,
        # Steadier on a shared machine: work per item, not the CPU the machine happened to give.
        "worker_items_per_cpu_s": worker_per_cpu,
        "ceiling_items_per_cpu_s": ceiling_per_cpu,
        "ratio_items_per_cpu_s": worker_per_cpu / ceiling_per_cpu if worker_per_cpu and ceiling_per_cpu else None,
        "peak_rss_mib": run["peak_rss_kib"] / 1024 if run["peak_rss_kib"] else None,
        "dead_letters": dead_letters,
        "log": run["log"],
    }


# -- reporting -----------------------------------------------------------------------------


def _num(value: float | None, spec: str) -> str:
    return format(value, spec) if value is not None else format(float("nan"), spec.replace(",", ""))


def print_table(report: dict[str, Any]) -> None:
    params = report["parameters"]
    print()
    print(f"officestream processors benchmark: {params['batches']} messages x {params['batch_size']} items per service, "
          f"1 worker each, services one after another{' (PROFILED: rates distorted)' if params['profile'] else ''}")
    if params["faust_env"]:
        print(f"worker environment overrides (not the production configuration): {params['faust_env']}")
    print(load_line(report["machine"]))
    print()
    header = (f"{'service':<13} {'worker items/s':>14} {'msgs/s':>7} {'ceiling items/s':>15} {'msgs/s':>7} {'ratio':>6} "
              f"{'goal':>5} {'per CPU-s':>9} {'window s':>8} {'CPU':>5} {'wait':>5} {'host':>5} {'ready s':>7} {'1st eff s':>9} {'RSS MiB':>7} {'DLQ':>4}")
    print(header)
    print("-" * len(header))
    for name, row in report["services"].items():
        worker, ceiling, ratio = row["worker"] or {}, row["ceiling"], row["ratio_items_per_s"]
        verdict = "-" if ratio is None else ("PASS" if ratio >= TARGET_RATIO and row["completed"] else "FAIL")
        print(f"{name:<13} {_num(worker.get('items_per_s'), '>14,.0f')} {_num(worker.get('messages_per_s'), '>7,.1f')} "
              f"{_num(ceiling['items_per_s'], '>15,.0f')} {_num(ceiling['messages_per_s'], '>7,.1f')} "
              f"{_num(ratio, '>6.2f')} {verdict:>5} {_num(row['ratio_items_per_cpu_s'], '>9.2f')} "
              f"{_num(worker.get('seconds'), '>8.2f')} "
              f"{_num(row['worker_cpu_busy'], '>5.0%')} {_num(row['worker_waiting_for_cpu'], '>5.0%')} "
              f"{_num(row['machine_cpu_busy_cores'], '>5.2f')} "
              f"{_num(row['startup']['spawn_to_ready_s'], '>7.2f')} "
              f"{_num(row['startup']['spawn_to_first_effect_s'], '>9.2f')} {_num(row['peak_rss_mib'], '>7.0f')} "
              f"{row['dead_letters']:>4}")
    print()
    for name, row in report["services"].items():
        progress, after = row["progress"], row["after_spawn_s"]
        print(f"{name}: {row['workload']}; progress = {row['completion_signal']} "
              f"({progress['count']:.0f}/{progress['target']} {progress['unit']}"
              f"{'' if row['completed'] else ', INCOMPLETE: timed out'}); after spawn: effects done "
              f"{_num(after['effects_done'], '.1f')} s, last state write {_num(after['last_state_write'], '.1f')} s "
              f"({row['worker_records_written']:.0f} records), commits cover the input {_num(after['commits_cover_input'], '.1f')} s")
    print(f"goal: worker items/s >= {TARGET_RATIO} x ceiling items/s (ceiling: confluent-kafka consume + "
          "AvroEventSerde.decode of the same topic, own group; the better of a run before and one after the worker).")
    print("per CPU-s: the same ratio of items per CPU-second (worker process vs the ceiling's, its better run): what an "
          "item costs each, steadier than wall-clock rates when the machine is shared; reported, not the goal.")
    print("window: first effect seen -> every effect seen and the worker's last changelog/derived record on the broker "
          "(start-up excluded).\nCPU: worker CPU time / window (100% = one core); wait: its threads' time runnable but "
          "waiting for a CPU / window; host: busy cores of the whole machine in the window\n"
          f"(of {os.cpu_count()}: worker, broker, registry, this script, anything else). CPU + wait well under 100%: "
          "the worker sat idle (fetch waits, I/O).")


# -- main ----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=600, help="messages per input topic (default 600)")
    parser.add_argument("--batch-size", type=int, default=50, help="items per message (default 50)")
    parser.add_argument("--services", default=",".join(SERVICES), help=f"comma-separated subset of {','.join(SERVICES)}")
    parser.add_argument("--timeout", type=float, default=120.0, help="max seconds of processing per service (default 120)")
    parser.add_argument("--ready-timeout", type=float, default=60.0, help="max seconds for a worker to start (default 60)")
    parser.add_argument("--profile", action="store_true", help="run workers under cProfile (stats in bench/results/processors-logs/)")
    parser.add_argument("--keep", action="store_true", help="keep the run's topics, groups and subjects")
    parser.add_argument("--faust-env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra worker environment (faust reads settings such as PRODUCER_LINGER from it); "
                             "for experiments only, repeatable")
    args = parser.parse_args(argv)
    args.service_list = [s.strip() for s in args.services.split(",") if s.strip()]
    unknown = [s for s in args.service_list if s not in SERVICES]
    if unknown or not args.service_list:
        parser.error(f"unknown service(s) {unknown}; choose from {', '.join(SERVICES)}")
    if args.batches < 2 or args.batch_size < 1:
        parser.error("--batches must be at least 2 and --batch-size at least 1")
    if any("=" not in pair for pair in args.faust_env):
        parser.error("--faust-env takes NAME=VALUE")
    args.faust_env = [tuple(pair.split("=", 1)) for pair in args.faust_env]
    return args


def backlog_for(topic: str, stack: Stack, serde: AvroEventSerde, args: argparse.Namespace) -> Backlog:
    build = email_backfill if topic == EMAIL_BACKFILL else calendar_batches
    started = time.perf_counter()
    backlog = build(serde, stack.kafka.topic(topic), batches=args.batches, batch_size=args.batch_size)
    produce_backlog(stack.kafka, backlog)
    print(f"produced {len(backlog.messages)} messages ({backlog.items} items, {backlog.total_bytes / 1e6:.1f} MB) "
          f"to {backlog.topic} in {time.perf_counter() - started:.1f} s", flush=True)
    return backlog


def run(stack: Stack, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Services reading email-backfill first, meetings last: its calendar backlog is produced
    only then, so the vespa-loader (which reads calendar-updates too) never sees it."""
    serde = AvroEventSerde(registry_client(stack.registry), auto_register=True)
    ordered = sorted(args.service_list, key=lambda s: SERVICES[s].input_topic != EMAIL_BACKFILL)
    backlogs: dict[str, Backlog] = {}
    results: dict[str, Any] = {}
    for name in ordered:
        spec = SERVICES[name]
        if spec.input_topic not in backlogs:
            backlogs[spec.input_topic] = backlog_for(spec.input_topic, stack, serde, args)
        results[name] = run_service(spec, stack, backlogs[spec.input_topic], args, workdir)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    machine = machine_info()
    stack = open_stack("processors")
    ensure_topics(stack.kafka)
    register_schemas(stack)
    print(f"topic prefix {stack.prefix}", flush=True)
    groups = [stack.kafka.group(g) for s in args.service_list
              for g in (SERVICES[s].group, f"ceiling-{s}-1", f"ceiling-{s}-2")]
    try:
        with tempfile.TemporaryDirectory(prefix="processors-bench-") as workdir:
            services = run(stack, args, Path(workdir))
    finally:
        if not args.keep:
            cleanup(stack, groups)
    report = {
        "benchmark": "processors",
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "parameters": {"batches": args.batches, "batch_size": args.batch_size, "services": args.service_list,
                       "timeout_s": args.timeout, "poll_s": POLL_S, "profile": args.profile,
                       "topic_prefix": stack.prefix, "target_ratio": TARGET_RATIO, "users": USERS,
                       "faust_env": dict(args.faust_env)},
        "machine": machine,
        "services": services,
        "rss_peak_mib": {f"{name} worker": row["peak_rss_mib"] for name, row in services.items()},
    }
    print_table(report)
    print(f"figures written to {write_json('processors', report)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
