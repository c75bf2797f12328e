"""Every benchmark in sequence, sized to take ~10 min on a 2-core machine, then the charts.

``make bench`` runs this after ``officestream stack up``: ``.venv/bin/python bench/run_all.py``
(``--only serde,publisher`` for a subset, ``--list`` to print the plan). Each benchmark runs as
its own process with the sizes of ``BENCHMARKS`` below (the one place they are set), its output
streamed to the terminal and to ``bench/results/logs/<name>.log``, bounded by its time limit.
A benchmark that fails (non-zero exit, time limit) does not stop the others; the run ends with a
table of every benchmark's status and seconds, written to ``bench/results/run.json`` too, and
exits 1 if any failed. The charts (``bench/charts.py``) are drawn from whatever results exist.

A Python runner rather than a shell loop: it needs per-benchmark time limits that kill the
benchmark's whole process group (workers, emulator children), the stack's endpoints passed to
every child, and a summary with timings, which a loop of ``timeout`` calls would do less clearly.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.report import RESULTS_DIR, machine_info, write_json

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
LOG_DIR = RESULTS_DIR / "logs"


@dataclass(frozen=True)
class Benchmark:
    name: str
    script: str
    args: tuple[str, ...]
    limit_s: float = 600.0


#: The benchmarks and their sizes for ``make bench``: 9-13 min in all on 2 shared cores (load 6-13)
#: before scale_out and cost_growth were added (not yet timed within it).
BENCHMARKS = (
    Benchmark("serde", "serde_bench.py", ("--records", "5000", "--rounds", "5")),
    Benchmark("log_line", "log_line_bench.py", ("--lines", "20000", "--rounds", "3")),
    Benchmark("gmail_normalize", "gmail_normalize_bench.py", ("--messages", "5000", "--rounds", "5")),
    Benchmark("shipments_extract", "shipments_extract_bench.py", ("--emails", "1000", "--rounds", "3")),
    Benchmark("publisher", "publisher_bench.py", ("--events", "5000", "--rounds", "5")),
    Benchmark("graph_crawl", "graph_crawl_bench.py", ("--messages", "20000")),
    Benchmark("backfill", "backfill_bench.py", ("--messages", "5000", "--rounds", "4")),
    # A quota-paced run must last over a minute for the steady figure (the last 60 s).
    Benchmark("google_pacing", "google_pacing_bench.py", ("--messages", "1000", "--units-per-minute", "4000")),
    Benchmark("bridge", "bridge_bench.py", ("--users", "100", "--rate", "10", "--seconds", "40",
                                            "--intake-s", "3", "--intake-rounds", "4")),
    Benchmark("notifier_latency", "notifier_latency_bench.py", ("--rate", "500", "--duration", "30")),
    Benchmark("processors", "processors_bench.py", ("--batches", "600", "--batch-size", "50"), limit_s=1200.0),
    # 30,000 items per service, one and two workers of each of the four. Not fewer: at 5,000 and at
    # 15,000 (load 1-3) the first of two vespa-loader workers drained the topic before the second
    # was assigned, leaving no window to measure (incomplete); at 30,000 it took 3.5 s of the two.
    Benchmark("scale_out", "scale_out_bench.py", ("--batches", "600", "--batch-size", "50")),
    # 10k and 100k events, then the two restarts with 100k keys. The 1M size (the goals' size) is a
    # manual run of the script's defaults: about 10 min for the size, ~4 min more for its fresh-disk restart.
    Benchmark("cost_growth", "cost_growth_bench.py", ("--sizes", "10000,100000"), limit_s=900.0),
    # 1,000 users (1,100 tabs) at 200 events/s for 20 s, on one notifier instance then two.
    Benchmark("notifier_scale", "notifier_scale_bench.py", ("--users", "1000", "--rate", "200", "--duration", "20")),
)


def stack_env(environ: dict[str, str]) -> dict[str, str]:
    """The environment of every benchmark: the local stack's endpoints (its ports may be moved
    by ``OFFICESTREAM_STACK_*``), unless the caller already named them."""
    from ops.stack.settings import StackSettings  # the runner's only import of the project

    stack = StackSettings.from_env()
    env = dict(environ)
    env.setdefault("OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS", stack.bootstrap_servers)
    env.setdefault("OFFICESTREAM_REGISTRY_URL", stack.registry_url)
    env.setdefault("OFFICESTREAM_REDIS_URL", stack.redis_url)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_one(bench: Benchmark, env: dict[str, str], log_dir: Path = LOG_DIR) -> dict[str, Any]:
    """Run ``bench`` in its own process group; its output goes to the terminal and its log."""
    log_dir.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, str(BENCH_DIR / bench.script), *bench.args]
    row: dict[str, Any] = {"name": bench.name, "argv": argv[1:], "limit_s": bench.limit_s}
    if not (BENCH_DIR / bench.script).exists():
        return row | {"status": "skipped", "reason": f"{bench.script} not found", "seconds": 0.0}
    print(f"\n=== {bench.name}: {' '.join(argv[1:])}", flush=True)
    started = time.monotonic()
    with (log_dir / f"{bench.name}.log").open("w") as log:
        child = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True, start_new_session=True)
        timed_out = _stream(child, log, started + bench.limit_s)
    seconds = round(time.monotonic() - started, 1)
    if timed_out:
        return row | {"status": "failed", "reason": f"over its {bench.limit_s:.0f} s limit", "seconds": seconds}
    if child.returncode != 0:
        return row | {"status": "failed", "reason": f"exit status {child.returncode}", "seconds": seconds}
    return row | {"status": "ok", "seconds": seconds}


def _stream(child: subprocess.Popen[str], log: Any, deadline: float) -> bool:
    """Copy the child's output until it exits; past ``deadline`` kill its process group (the
    workers and emulator it started too). True if it was killed."""
    import selectors

    assert child.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(child.stdout, selectors.EVENT_READ)
        while True:
            if time.monotonic() > deadline:
                _kill_group(child)
                return True
            if selector.select(timeout=1.0):
                line = child.stdout.readline()
                if not line:  # end of output: the child is exiting
                    break
                sys.stdout.write(line)
                log.write(line)
    try:
        child.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        _kill_group(child)
        return True
    return False


def _kill_group(child: subprocess.Popen[str]) -> None:
    """SIGTERM to the benchmark's process group (it stops its workers on it), SIGKILL after 15 s."""
    for sig, wait_s in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            return
        try:
            child.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def select(names: str | None) -> list[Benchmark]:
    if not names:
        return list(BENCHMARKS)
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    known = {b.name: b for b in BENCHMARKS}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return [known[n] for n in wanted]


def print_summary(rows: list[dict[str, Any]], total_s: float) -> None:
    print(f"\n{'benchmark':<20} {'status':<8} {'seconds':>8}  note")
    for row in rows:
        print(f"{row['name']:<20} {row['status']:<8} {row['seconds']:>8.1f}  {row.get('reason', '')}")
    print(f"total {total_s / 60:.1f} min")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated subset of the benchmarks")
    parser.add_argument("--list", action="store_true", help="print the benchmarks and their sizes, run nothing")
    parser.add_argument("--no-charts", action="store_true", help="do not draw the charts at the end")
    args = parser.parse_args(argv)
    chosen = select(args.only)
    if args.list:
        for bench in chosen:
            print(f"{bench.name:<20} {bench.script} {' '.join(bench.args)}  (limit {bench.limit_s:.0f} s)")
        return 0
    machine, env, started = machine_info(), stack_env(dict(os.environ)), time.monotonic()
    rows = [run_one(bench, env) for bench in chosen]
    total_s = time.monotonic() - started
    print_summary(rows, total_s)
    write_json("run", {"parameters": {"only": args.only}, "machine": machine, "total_s": round(total_s, 1),
                       "benchmarks": rows})
    if not args.no_charts:
        import charts  # a sibling script: matplotlib is needed only from here on

        charts.main([])
    failed = [row["name"] for row in rows if row["status"] == "failed"]
    if failed:
        print(f"failed: {', '.join(failed)} (logs in {LOG_DIR})", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
