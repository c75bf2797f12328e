"""Cost growth and recovery of the shipments service with its tables in RocksDB: 10k, 100k and
1M emails (time and memory per event), then the restart of a worker whose tables hold them all.

Why shipments: its ``applied`` idempotence ledger gets one key per email (one changelog record
each), and its other effect, the ``packages`` table, stays empty for mail without tracking
numbers, so what grows with the input is the ledger itself. (The vespa-loader has the same
ledger, but its file-mode effect is a feed file of every document: gigabytes at 1M.)

Per size, under one run's topic prefix: ``--size`` emails (short ones: ~300 characters of text,
no HTML or attachments, so 1M fit the broker's disk and the producer's time; the cost per event
is the ledger's and the pipeline's, not the body's) in EmailBackfillEvents of ``--batch-size``
keyed by 24 users, pre-produced; then one worker with ``OFFICESTREAM_PROCESSOR_STORE=rocksdb://``
in a group and data dir of its own. The window: the first record on the ledger's changelog to
the last (every email on it; polled every 0.2 s; the group's commit of the whole input, which
follows within faust's commit interval, is awaited but not in the window). Reported:
items/s, µs per event (wall clock and worker CPU), the worker's peak RSS (``VmHWM``) and its RSS
at the end, the RocksDB files' size. Goals (PASS/FAIL, figures only): peak RSS < 500 MB at the
largest size; items/s at the largest size >= 0.8 x items/s at the smallest.

Recovery (after the largest size unless ``--no-recovery``): the worker is stopped (SIGTERM) and
started again (a) on its data dir, RocksDB files kept, (b) on an empty data dir, so its tables
are rebuilt from the changelog topics. Each time: spawn to faust's ``Worker ready`` (recovery
done, partitions assigned) and to the effect of one new email produced right after the spawn.

Run: ``.venv/bin/python bench/cost_growth_bench.py [--sizes 10000,100000,1000000] [--batch-size 100]``
Figures to stdout, ``bench/results/cost_growth.json`` and ``bench/results/recovery.json``; worker
logs in ``bench/results/cost-growth-logs/``.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from confluent_kafka.admin import AdminClient
from harness.progress import TopicRecords, commits_cover, end_offsets, watch
from harness.report import RESULTS_DIR, load_line, machine_info, write_json
from harness.stack import Stack, cleanup, open_stack, register_schemas, worker_env
from harness.worker import WorkerProcess
from harness.workload import SEED, USERS, Backlog, _metadata, produce_backlog
from scale_out_bench import RECOVERED_LINE
from serde_bench import make_email

from connectors.kafka.admin import ensure_topics
from connectors.kafka.topics import EMAIL_BACKFILL, SHIPMENTS
from processors.common.settings import ProcessorSettings
from schemas.models import Email, EmailBackfillEvent
from schemas.registry_client import registry_client
from schemas.serde import AvroEventSerde

LOG_DIR = RESULTS_DIR / "cost-growth-logs"
POLL_S = 0.2
RSS_GOAL_MB = 500
RATE_GOAL = 0.8
STORE = "rocksdb://"
CHUNK = 500  # messages produced per flush: the whole input is never held in memory


def short_email(template: Email, index: int, size: int) -> Email:
    return template.model_copy(update={"id": f"cg{size}-{index:07d}", "version_marker": str(index)})


def input_chunks(serde: AvroEventSerde, topic: str, *, size: int, batch_size: int) -> Iterator[Backlog]:
    """``size`` distinct short emails in EmailBackfillEvents of ``batch_size``, ``CHUNK`` messages at a time."""
    rng = random.Random(SEED)
    base = make_email(rng, 0)
    template = base.model_copy(update={"body_text": base.body_text[:300], "body_html": None, "attachments": [],
                                       "snippet": base.snippet[:100]})
    messages: list[tuple[bytes, bytes]] = []
    for index, start in enumerate(range(0, size, batch_size)):
        user = f"bench-user-{index % USERS:02d}"
        emails = [short_email(template, i, size) for i in range(start, min(start + batch_size, size))]
        event = EmailBackfillEvent(metadata=_metadata("EmailBackfillEvent", user, f"job-{user}", rng),
                                   job_id=f"job-{user}", batch_index=index // USERS, emails=emails)
        messages.append((user.encode(), serde.encode(topic, event)))
        if len(messages) == CHUNK:
            yield Backlog(topic, messages, CHUNK * batch_size, "chunk")
            messages = []
    if messages:
        yield Backlog(topic, messages, size - (size // (CHUNK * batch_size)) * CHUNK * batch_size, "chunk")


def produce_input(stack: Stack, topic: str, size: int, batch_size: int) -> float:
    serde = AvroEventSerde(registry_client(stack.registry), auto_register=True)
    started = time.perf_counter()
    for chunk in input_chunks(serde, topic, size=size, batch_size=batch_size):
        produce_backlog(stack.kafka, chunk)
    return time.perf_counter() - started


def rss_kib(worker: WorkerProcess) -> int | None:
    """``VmRSS`` now (``peak_rss_kib`` is the high-water mark)."""
    try:
        status = Path(f"/proc/{worker.process.pid}/status").read_text()  # type: ignore[union-attr]
    except (OSError, AttributeError):
        return None
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), None)


def dir_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6 if path.exists() else 0.0


class SizeRun:
    """One size: its group, data dir, worker environment and the ledger's changelog probe."""

    def __init__(self, stack: Stack, size: int, workdir: Path) -> None:
        self.stack, self.size = stack, size
        self.topic = stack.kafka.topic(EMAIL_BACKFILL)
        self.group = stack.kafka.group(f"{SHIPMENTS}-cg{size}")
        self.data_dir = workdir / f"data-{size}"
        self.admin = AdminClient(stack.kafka.librdkafka_config())

    def env(self, data_dir: Path) -> dict[str, str]:
        return worker_env(self.stack, data_dir, OFFICESTREAM_PROCESSOR_STORE=STORE, OFFICESTREAM_PROCESSOR_GROUP_ID=self.group)

    def ledger(self) -> TopicRecords:
        return TopicRecords(self.admin, [f"{self.group}-applied-changelog"])

    def worker(self, data_dir: Path, label: str) -> WorkerProcess:
        return WorkerProcess("shipments", self.env(data_dir), LOG_DIR / f"shipments-{self.size}-{label}.log")


def measure_size(run: SizeRun, args: argparse.Namespace) -> dict[str, Any]:
    ends = end_offsets(run.admin, run.topic)
    worker = run.worker(run.data_dir, "run")
    with worker.start():
        ready_s = worker.wait_ready(args.ready_timeout)
        ledger = run.ledger()
        ledger.refresh()

        def done(values: dict[str, float]) -> bool:
            return values["ledger"] >= run.size and commits_cover(run.admin, run.group, run.topic, ends)

        probes = {"cpu_s": worker.cpu_seconds, "ledger": ledger}
        timelines, completed = watch(probes, done, interval_s=POLL_S, timeout_s=args.timeout, check=worker.check_alive)
        peak, now = worker.peak_rss_kib(), rss_kib(worker)
    return size_figures(run, timelines, completed, ready_s, peak, now)


def size_figures(run: SizeRun, timelines: dict[str, Any], completed: bool, ready_s: float,
                 peak_kib: int | None, end_kib: int | None) -> dict[str, Any]:
    progress = timelines["ledger"]
    first = progress.first_progress()
    # The window ends when the last email's ledger record is on the broker; the commit that
    # follows (faust commits every few seconds) is reported apart, not in the rate.
    committed_at, end_value = progress.samples[-1]
    end_at = progress.reached(run.size) or committed_at
    seconds = end_at - first[0] if first else float("nan")
    items = end_value - (first[1] if first else 0)
    cpu = timelines["cpu_s"]
    cpu_s = (cpu.value_at(end_at) or 0) - (cpu.value_at(first[0]) or 0) if first else float("nan")
    return {"events": run.size, "completed": completed, "seconds": seconds, "items_per_s": items / seconds if seconds > 0 else float("nan"),
            "us_per_event": 1e6 * seconds / items if items else None,
            "cpu_us_per_event": 1e6 * cpu_s / items if items else None,
            "rss_mb": peak_kib / 1024 if peak_kib else None, "rss_end_mb": end_kib / 1024 if end_kib else None,
            "rocksdb_mb": dir_mb(run.data_dir), "spawn_to_ready_s": ready_s, "commit_after_s": committed_at - end_at, "ledger_records": end_value}


def restart(run: SizeRun, data_dir: Path, label: str, probe_index: int, args: argparse.Namespace) -> dict[str, Any]:
    """Spawn a worker on ``data_dir`` and produce one new email at once: seconds to faust's
    ``Worker ready`` (tables restored) and to that email's record on the ledger."""
    ledger = run.ledger()
    before = ledger()
    worker = run.worker(data_dir, label)
    with worker.start():
        assert worker.spawned_at is not None
        produce_input_one(run, probe_index)
        timelines, reached = watch({"ledger": ledger, "ready": lambda: float(RECOVERED_LINE in worker.log_text())},
                                   lambda v: v["ledger"] > before and v["ready"] > 0, interval_s=POLL_S,
                                   timeout_s=args.recovery_timeout, check=worker.check_alive)
        peak = worker.peak_rss_kib()
    since = (lambda t: t - worker.spawned_at if t is not None else None)
    return {"completed": reached, "spawn_to_worker_ready_s": since(timelines["ready"].reached(1)),
            "spawn_to_new_effect_s": since(timelines["ledger"].reached(before + 1)),
            "data_dir_mb_at_start": dir_mb(data_dir) if label == "kept" else 0.0,
            "peak_rss_mb": peak / 1024 if peak else None}


def produce_input_one(run: SizeRun, index: int) -> None:
    serde = AvroEventSerde(registry_client(run.stack.registry), auto_register=True)
    rng = random.Random(index)
    email = make_email(rng, index).model_copy(update={"id": f"cg-probe-{index}"})
    event = EmailBackfillEvent(metadata=_metadata("EmailBackfillEvent", "bench-user-00", "job-probe", rng),
                               job_id="job-probe", batch_index=0, emails=[email])
    produce_backlog(run.stack.kafka, Backlog(run.topic, [(b"bench-user-00", serde.encode(run.topic, event))], 1, "probe"))


def recovery(run: SizeRun, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    kept = restart(run, run.data_dir, "kept", 1, args)
    print(f"[recovery] RocksDB files kept: Worker ready {kept['spawn_to_worker_ready_s']} s, "
          f"new effect {kept['spawn_to_new_effect_s']} s", flush=True)
    fresh_dir = workdir / f"fresh-{run.size}"
    fresh = restart(run, fresh_dir, "fresh", 2, args)
    print(f"[recovery] fresh data dir: Worker ready {fresh['spawn_to_worker_ready_s']} s, "
          f"new effect {fresh['spawn_to_new_effect_s']} s", flush=True)
    shutil.rmtree(fresh_dir, ignore_errors=True)
    return {"kept": kept, "fresh": fresh}


# -- reporting and main ------------------------------------------------------------------------


def verdicts(sizes: list[dict[str, Any]]) -> dict[str, Any]:
    smallest, largest = sizes[0], sizes[-1]
    ratio = largest["items_per_s"] / smallest["items_per_s"] if smallest["items_per_s"] else None
    rss_ok = largest["rss_mb"] is not None and largest["rss_mb"] < RSS_GOAL_MB and largest["completed"]
    return {"rss_goal_mb": RSS_GOAL_MB, "rss_at_largest_mb": largest["rss_mb"], "rss_pass": rss_ok,
            "rate_goal_ratio": RATE_GOAL, "rate_ratio_largest_to_smallest": ratio,
            "rate_pass": ratio is not None and ratio >= RATE_GOAL and largest["completed"]}


def print_sizes(report: dict[str, Any]) -> None:
    print()
    print(f"officestream cost growth: shipments, store {STORE}, {report['parameters']['batch_size']} emails per message")
    print(load_line(report["machine"]))
    print(f"RocksDB per table partition: {report['parameters']['rocksdb_options']}")
    header = f"{'events':>9} {'seconds':>8} {'items/s':>8} {'us/event':>8} {'CPU us/ev':>9} {'peak RSS MB':>11} {'end RSS MB':>10} {'RocksDB MB':>10}"
    print(header)
    print("-" * len(header))
    for row in report["sizes"]:
        print(f"{row['events']:>9,} {row['seconds']:>8.1f} {row['items_per_s']:>8,.0f} {row['us_per_event'] or 0:>8.0f} "
              f"{row['cpu_us_per_event'] or 0:>9.0f} {row['rss_mb'] or 0:>11.0f} {row['rss_end_mb'] or 0:>10.0f} "
              f"{row['rocksdb_mb']:>10.0f}{'' if row['completed'] else '  INCOMPLETE'}")
    goals = report["goals"]
    print(f"goal peak RSS < {RSS_GOAL_MB} MB at {report['sizes'][-1]['events']:,} keys: "
          f"{'PASS' if goals['rss_pass'] else 'FAIL'} ({goals['rss_at_largest_mb'] or float('nan'):.0f} MB)")
    print(f"goal items/s at the largest >= {RATE_GOAL} x at the smallest: {'PASS' if goals['rate_pass'] else 'FAIL'} "
          f"(ratio {goals['rate_ratio_largest_to_smallest'] or float('nan'):.2f})")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="emails per size, comma-separated (default 10k,100k,1M)")
    parser.add_argument("--batch-size", type=int, default=100, help="emails per message (default 100)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="max seconds of processing per size (default 3600)")
    parser.add_argument("--ready-timeout", type=float, default=120.0, help="max seconds for a worker to start (default 120)")
    parser.add_argument("--recovery-timeout", type=float, default=1800.0, help="max seconds per restart (default 1800)")
    parser.add_argument("--no-recovery", action="store_true", help="skip the restarts after the largest size")
    parser.add_argument("--keep", action="store_true", help="keep the runs' topics, groups and subjects")
    args = parser.parse_args(argv)
    args.size_list = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    if not args.size_list or min(args.size_list) < args.batch_size:
        parser.error("--sizes must each be at least --batch-size")
    return args


def one_size(size: int, args: argparse.Namespace, workdir: Path, *, last: bool) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Produce, process and (for the last size) restart; the size's topics are deleted after."""
    stack = open_stack(f"cost-growth-{size}")
    ensure_topics(stack.kafka)
    register_schemas(stack)
    run = SizeRun(stack, size, workdir)
    try:
        produced_s = produce_input(stack, run.topic, size, args.batch_size)
        print(f"[{size:,}] produced in {produced_s:.1f} s ({stack.prefix}); worker running ...", flush=True)
        figures = measure_size(run, args) | {"produce_s": produced_s}
        print(f"[{size:,}] {figures['items_per_s']:,.0f} items/s, {figures['us_per_event']:.0f} us/event, "
              f"peak RSS {figures['rss_mb']:.0f} MB", flush=True)
        restarts = recovery(run, args, workdir) if last and not args.no_recovery else None
    finally:
        if not args.keep:
            cleanup(stack, [run.group])
        shutil.rmtree(run.data_dir, ignore_errors=True)
    return figures, restarts


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    machine = machine_info()
    sizes, restarts = [], None
    with tempfile.TemporaryDirectory(prefix="cost-growth-bench-") as workdir:
        for size in args.size_list:
            figures, restarted = one_size(size, args, Path(workdir), last=size == args.size_list[-1])
            sizes.append(figures)
            restarts = restarted or restarts
    machine["load_average_at_end"] = list(os.getloadavg())
    parameters = {"sizes": args.size_list, "batch_size": args.batch_size, "store": STORE, "users": USERS,
                  "poll_s": POLL_S, "email": "~300 characters of body_text, no HTML, no attachments",
                  # The worker's RocksDB bounds per table partition: its defaults (worker_env).
                  "rocksdb_options": ProcessorSettings.from_env({}, store=STORE).table_store_options()}
    report = {"benchmark": "cost_growth", "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
              "parameters": parameters, "machine": machine, "service": SHIPMENTS, "sizes": sizes,
              "goals": verdicts(sizes)}
    print_sizes(report)
    print(f"figures written to {write_json('cost_growth', report)}")
    if restarts is not None:
        write_recovery(parameters, machine, args.size_list[-1], restarts)
    return 0


def write_recovery(parameters: dict[str, Any], machine: dict[str, Any], keys: int, restarts: dict[str, Any]) -> None:
    kept, fresh = restarts["kept"]["spawn_to_worker_ready_s"], restarts["fresh"]["spawn_to_worker_ready_s"]
    report = {"benchmark": "recovery", "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
              "parameters": parameters | {"service": SHIPMENTS, "table": "applied (+ packages)"}, "machine": machine,
              "keys": keys, "kept_disk_s": kept, "fresh_disk_s": fresh, "restarts": restarts,
              "goal_kept_disk_s": 30, "kept_disk_pass": kept is not None and kept <= 30}
    print(f"recovery with {keys:,} keys: RocksDB kept {kept if kept is not None else float('nan'):.1f} s to Worker ready "
          f"(goal <= 30 s: {'PASS' if report['kept_disk_pass'] else 'FAIL'}); fresh data dir (rebuilt from the changelog) "
          f"{fresh if fresh is not None else float('nan'):.1f} s")
    print(f"figures written to {write_json('recovery', report)}")


if __name__ == "__main__":
    sys.exit(main())
