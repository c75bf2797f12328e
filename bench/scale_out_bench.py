"""Scale-out: items/s of two workers of each service against one, on the same pre-produced input,
with the CPU use of every worker process and of the machine.

Per service (vespa-loader, shipments, notifier, then meetings), on the six-partition input topic
of one run (``processors_bench.py``'s workload, produced once): first one worker, then two
workers started together, each variant in a consumer group of its own
(``OFFICESTREAM_PROCESSOR_GROUP_ID``), so both read the very same messages from the start. The
two workers of a group split its six partitions (3 + 3). The notifier is the exception: every
instance is its own group and reads everything (a client may connect to any instance), so its
"two" is two instances each publishing every notification: a second instance adds fan-out
capacity for clients, not throughput.

Window: the first effect seen (or, if later, the moment every worker of the variant has its
partitions: faust's ``Worker ready``; the first of two may work alone while the second joins) to "every effect seen and the group(s) committed the whole input"
(polled every 50 ms); start-up is not in it. CPU: each worker's CPU time in the window / window
(100% = one core), and the machine's busy cores. On 2 cores a CPU-bound service cannot double:
the two workers plus the broker share them.

Run: ``.venv/bin/python bench/scale_out_bench.py [--batches 300] [--batch-size 50]
[--services vespa-loader,shipments,notifier,meetings]``; figures to stdout and
``bench/results/scale_out.json``, worker logs to ``bench/results/scale-out-logs/``.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from confluent_kafka.admin import AdminClient
from harness.cpu import jiffies
from harness.progress import FeedFileLines, committed, HubPublished, Probe, Timeline, TopicRecords, commit_offsets, commits_cover, end_offsets, watch
from harness.report import RESULTS_DIR, free_port, load_line, machine_info, write_json
from harness.stack import Stack, cleanup, open_stack, register_schemas, worker_env
from harness.worker import WorkerProcess
from harness.workload import USERS, Backlog
from processors_bench import POLL_S, SERVICES, ServiceSpec, backlog_for

from connectors.kafka.admin import ensure_topics
from connectors.kafka.topics import CLIENT_SSE, EMAIL_BACKFILL
from schemas.registry_client import registry_client
from schemas.serde import AvroEventSerde

#: faust's recovery service logs it once the worker has its partitions and its tables are restored.
RECOVERED_LINE = "[^---Recovery]: Worker ready"
LOG_DIR = RESULTS_DIR / "scale-out-logs"
VARIANTS = {"one": 1, "two": 2}


@dataclass
class Launch:
    """One variant of one service: the workers' environments, their groups, the progress probe
    (summed over workers) and the count at which every effect is visible."""

    envs: list[dict[str, str]]
    groups: list[str]
    progress: Probe
    target: int


def launch_plan(spec: ServiceSpec, stack: Stack, backlog: Backlog, variant: str, workdir: Path, admin: AdminClient) -> Launch:
    count, kafka = VARIANTS[variant], stack.kafka
    group = kafka.group(f"{spec.group}-{variant}")
    envs = [worker_env(stack, workdir / f"data-{n}", OFFICESTREAM_PROCESSOR_GROUP_ID=group) for n in range(count)]
    if spec.name == "vespa-loader":  # a feed file per worker: two appenders would interleave lines
        feeds = [workdir / f"feed-{n}.jsonl" for n in range(count)]
        for env, feed in zip(envs, feeds, strict=True):
            env["OFFICESTREAM_VESPA_FEED_FILE"] = str(feed)
        probes = [FeedFileLines(feed) for feed in feeds]
        return Launch(envs, [group], lambda: sum(p() for p in probes), backlog.items)
    if spec.name == "notifier":  # one group per instance, each starting at the backlog's beginning
        instances = [f"bench-{variant}-{n}" for n in range(count)]
        ports = [free_port() for _ in instances]
        for env, instance, port in zip(envs, instances, ports, strict=True):
            del env["OFFICESTREAM_PROCESSOR_GROUP_ID"]
            env |= {"OFFICESTREAM_NOTIFIER_TOKEN_SECRET": secrets.token_urlsafe(48),
                    "OFFICESTREAM_NOTIFIER_PORT": str(port), "OFFICESTREAM_NOTIFIER_INSTANCE_ID": instance}
        groups = [kafka.group(f"{CLIENT_SSE}.{instance}") for instance in instances]
        for instance_group in groups:
            commit_offsets(admin, instance_group, {(backlog.topic, p): 0 for p in end_offsets(admin, backlog.topic)})
        probes = [HubPublished(port) for port in ports]
        return Launch(envs, groups, lambda: sum(p() for p in probes), count * len(backlog.messages))
    table = "applied" if spec.name == "shipments" else "meetings"
    return Launch(envs, [group], TopicRecords(admin, [f"{group}-{table}-changelog"]), backlog.items)


def run_variant(spec: ServiceSpec, stack: Stack, backlog: Backlog, variant: str, args: argparse.Namespace,
                workdir: Path) -> dict[str, Any]:
    admin = AdminClient(stack.kafka.librdkafka_config())
    ends = end_offsets(admin, backlog.topic)
    plan = launch_plan(spec, stack, backlog, variant, workdir / f"{spec.name}-{variant}", admin)
    workers = [WorkerProcess(spec.module, env, LOG_DIR / f"{spec.name}-{variant}-{n}.log") for n, env in enumerate(plan.envs)]
    print(f"[{spec.name}] {variant}: starting {len(workers)} worker(s) ...", flush=True)
    with ExitStack() as stop_all:
        for worker in workers:
            stop_all.enter_context(worker.start())
        ready_s = [worker.wait_ready(args.ready_timeout) for worker in workers]
        if isinstance(plan.progress, TopicRecords):  # the changelog appears only once a worker runs
            plan.progress.refresh()
        probes: dict[str, Probe] = {f"cpu-{n}": w.cpu_seconds for n, w in enumerate(workers)}
        probes["assigned"] = lambda: sum(RECOVERED_LINE in w.log_text() for w in workers)
        probes |= {"machine_busy": lambda: jiffies()[0], "machine_total": lambda: jiffies()[1], "progress": plan.progress}

        def done(values: dict[str, float]) -> bool:
            return values["progress"] >= plan.target and all(commits_cover(admin, g, backlog.topic, ends) for g in plan.groups)

        def alive() -> None:
            for worker in workers:
                worker.check_alive()

        timelines, completed = watch(probes, done, interval_s=POLL_S, timeout_s=args.timeout, check=alive)
        peak_rss = [worker.peak_rss_kib() for worker in workers]
    figures = summarize(spec, backlog, variant, timelines, completed, plan.target, ready_s, peak_rss)
    return figures | {"uncommitted_partitions": behind(admin, plan.groups, backlog.topic, ends)}


def behind(admin: AdminClient, groups: list[str], topic: str, ends: dict[int, int]) -> dict[str, dict[int, list[int]]]:
    """Per group, the partitions whose committed offset stayed short of the end: [committed, end]
    (a timed-out variant: which partitions were left unprocessed)."""
    short = {}
    for group in groups:
        offsets = committed(admin, group, topic, ends)
        short[group] = {p: [offsets.get(p, 0), end] for p, end in ends.items() if offsets.get(p, 0) < end}
    return {group: parts for group, parts in short.items() if parts}


def summarize(spec: ServiceSpec, backlog: Backlog, variant: str, timelines: dict[str, Any], completed: bool, target: int,
              ready_s: list[float], peak_rss: list[int | None]) -> dict[str, Any]:
    progress = timelines["progress"]
    first = window_start(progress, timelines["assigned"], VARIANTS[variant])
    end_at, end_value = progress.samples[-1] if progress.samples else (0.0, 0.0)
    if first is None or end_at <= first[0]:
        return {"completed": False, "items_per_s": None, "cpu_percent": {}, "window_s": None}
    seconds, done = end_at - first[0], end_value - first[1]
    # The notifier counts messages (one notification each) per instance; the rate is in items of
    # the input, which every instance went through whole.
    per_item = backlog.items / len(backlog.messages) / VARIANTS[variant] if spec.name == "notifier" else 1

    def delta(name: str) -> float | None:
        before, after = timelines[name].value_at(first[0]), timelines[name].value_at(end_at)
        return after - before if before is not None and after is not None else None

    cpu = {f"{spec.name}-{n}": 100 * (delta(f"cpu-{n}") or float("nan")) / seconds for n in range(VARIANTS[variant])}
    busy, total = delta("machine_busy"), delta("machine_total")
    machine_cores = busy / total * (os.cpu_count() or 1) if busy is not None and total else None
    cpu["machine"] = 100 * machine_cores if machine_cores is not None else float("nan")
    return {"completed": completed, "items_per_s": done * per_item / seconds, "window_s": seconds,
            "progress": {"count": progress.last, "target": target}, "cpu_percent": cpu,
            "machine_busy_cores": machine_cores, "spawn_to_ready_s": ready_s,
            "peak_rss_mib": [kib / 1024 if kib else None for kib in peak_rss]}


def window_start(progress: Timeline, assigned: Timeline, workers: int) -> tuple[float, float] | None:
    """(time, count done then): the first effect, or if later the moment every worker had its
    partitions (the first of two may work alone while the second joins: not the rate of two)."""
    first, everyone = progress.first_progress(), assigned.reached(workers)
    if first is None or everyone is None:
        return None
    at = max(first[0], everyone)
    return at, progress.value_at(at) or 0.0


def run(stack: Stack, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Services reading email-backfill first, meetings last: the calendar backlog is produced
    only then, so no vespa-loader group ever sees it (as in processors_bench.py)."""
    serde = AvroEventSerde(registry_client(stack.registry), auto_register=True)
    ordered = sorted(args.service_list, key=lambda s: SERVICES[s].input_topic != EMAIL_BACKFILL)
    backlogs: dict[str, Backlog] = {}
    results: dict[str, Any] = {}
    for name in ordered:
        spec = SERVICES[name]
        if spec.input_topic not in backlogs:
            backlogs[spec.input_topic] = backlog_for(spec.input_topic, stack, serde, args)
        results[name] = {variant: run_variant(spec, stack, backlogs[spec.input_topic], variant, args, workdir)
                         for variant in VARIANTS}
        print_service(name, results[name])
    return results


def print_service(name: str, row: dict[str, Any]) -> None:
    for variant, figures in row.items():
        rate = figures["items_per_s"]
        cpu = ", ".join(f"{process} {value:.0f}%" for process, value in figures["cpu_percent"].items())
        print(f"[{name}] {variant}: {rate or float('nan'):,.0f} items/s in {figures['window_s'] or float('nan'):.1f} s"
              f"{'' if figures['completed'] else ' (INCOMPLETE)'}; CPU {cpu}", flush=True)
        for group, parts in figures.get("uncommitted_partitions", {}).items():
            print(f"[{name}] {variant}: {group} left partitions {parts} ([committed, end]) unprocessed", flush=True)


def print_table(report: dict[str, Any]) -> None:
    print()
    print(f"officestream scale-out: {report['parameters']['batches']} messages x {report['parameters']['batch_size']} items, "
          "one worker vs two per service (notifier: one instance vs two, each reading everything)")
    print(load_line(report["machine"]))
    header = f"{'service':<13} {'1 worker/s':>10} {'2 workers/s':>11} {'2/1':>5}  CPU with one | CPU with two (100% = one core)"
    print(header)
    print("-" * len(header))
    for name, row in report["services"].items():
        one, two = row["one"]["items_per_s"], row["two"]["items_per_s"]
        ratio = two / one if one and two else float("nan")
        cpus = [" ".join(f"{p.rsplit('-', 1)[-1]}:{v:.0f}%" for p, v in row[v]["cpu_percent"].items()) for v in VARIANTS]
        print(f"{name:<13} {one or float('nan'):>10,.0f} {two or float('nan'):>11,.0f} {ratio:>5.2f}  {cpus[0]} | {cpus[1]}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=300, help="messages per input topic (default 300)")
    parser.add_argument("--batch-size", type=int, default=50, help="items per message (default 50)")
    parser.add_argument("--services", default=",".join(SERVICES), help=f"comma-separated subset of {','.join(SERVICES)}")
    parser.add_argument("--timeout", type=float, default=180.0, help="max seconds of processing per variant (default 180)")
    parser.add_argument("--ready-timeout", type=float, default=90.0, help="max seconds for the workers to start (default 90)")
    parser.add_argument("--keep", action="store_true", help="keep the run's topics, groups and subjects")
    args = parser.parse_args(argv)
    args.service_list = [s.strip() for s in args.services.split(",") if s.strip()]
    if not args.service_list or any(s not in SERVICES for s in args.service_list):
        parser.error(f"choose services from {', '.join(SERVICES)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    machine = machine_info()
    stack = open_stack("scale-out")
    ensure_topics(stack.kafka)
    register_schemas(stack)
    print(f"topic prefix {stack.prefix}", flush=True)
    groups = [stack.kafka.group(f"{SERVICES[s].group}-{v}") for s in args.service_list for v in VARIANTS]
    groups += [stack.kafka.group(f"{CLIENT_SSE}.bench-{v}-{n}") for v, count in VARIANTS.items() for n in range(count)]
    try:
        with tempfile.TemporaryDirectory(prefix="scale-out-bench-") as workdir:
            services = run(stack, args, Path(workdir))
    finally:
        if not args.keep:
            cleanup(stack, groups)
    report = {
        "benchmark": "scale_out",
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "parameters": {"batches": args.batches, "batch_size": args.batch_size, "services": args.service_list,
                       "users": USERS, "partitions": 6, "poll_s": POLL_S, "topic_prefix": stack.prefix},
        "machine": machine,
        "services": services,
    }
    print_table(report)
    print(f"figures written to {write_json('scale_out', report)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
