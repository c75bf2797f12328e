"""One faust worker for the benchmarks: the project's worker runner (``ops/worker_process.py``,
which the end-to-end tests use too) plus what a benchmark reads of it: its peak RSS, CPU time
and time spent waiting for a CPU, and optionally a cProfile run."""

from __future__ import annotations

import sys
from pathlib import Path

from harness.cpu import process_cpu_seconds, process_memory_kib, process_run_queue_wait_seconds

from ops.worker_process import WorkerProcess as _WorkerProcess
from ops.worker_process import faust_worker_argv


class WorkerProcess(_WorkerProcess):
    """Start with ``start()`` and wait with ``wait_ready``; ``stop()`` (also on leaving the
    ``with`` block) ends it. With ``profile_to`` the worker runs under ``python -m cProfile -o
    <profile_to>`` (the stats are written when it exits)."""

    def __init__(self, module: str, env: dict[str, str], log_path: Path, *, profile_to: Path | None = None) -> None:
        argv = faust_worker_argv(module)
        if profile_to is not None:
            argv = [sys.executable, "-m", "cProfile", "-o", str(profile_to), *argv]
        super().__init__(module, env, log_path, argv=argv)
        self.profile_to = profile_to

    def start(self) -> WorkerProcess:
        self.spawn()
        return self

    def peak_rss_kib(self) -> int | None:
        """``VmHWM`` of the worker process (its resident-set high-water mark), in KiB."""
        if self.process is None or self.process.poll() is not None:
            return None
        return process_memory_kib(self.process.pid, "VmHWM")

    def rss_kib(self) -> int | None:
        """``VmRSS`` of the worker process (resident now), in KiB."""
        if self.process is None or self.process.poll() is not None:
            return None
        return process_memory_kib(self.process.pid)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the worker process so far (all its threads)."""
        if self.process is None or self.process.poll() is not None:
            return float("nan")
        return process_cpu_seconds(self.process.pid)

    def run_queue_wait_seconds(self) -> float:
        """Time the worker's threads spent runnable but waiting for a CPU (``schedstat``):
        when it grows as fast as the clock, the machine, not the worker, sets the pace."""
        if self.process is None or self.process.poll() is not None:
            return float("nan")
        return process_run_queue_wait_seconds(self.process.pid)
