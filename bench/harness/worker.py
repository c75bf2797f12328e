"""One faust worker as users run it (``faust -A processors.<module>.app worker -l info``), in a
subprocess of its own session, with its log in a file, its start-up timed and its peak RSS read."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Self

FAUST = str(Path(sys.executable).parent / "faust")
READY_LINE = "[^Worker]: Ready"


class WorkerProcess:
    """Start with ``start()``; ``stop()`` (also on leaving the ``with`` block) ends it, SIGTERM
    first so faust commits and shuts down, SIGKILL if it hangs. With ``profile_to`` the worker
    runs under ``python -m cProfile -o <profile_to>`` (the stats are written when it exits)."""

    def __init__(self, module: str, env: dict[str, str], log_path: Path, *, profile_to: Path | None = None) -> None:
        self.module = module
        self.env = env
        self.log_path = log_path
        self.profile_to = profile_to
        self.process: subprocess.Popen[bytes] | None = None
        self.spawned_at: float | None = None

    def command(self) -> list[str]:
        worker = [FAUST, "-A", f"processors.{self.module}.app", "worker", "-l", "info"]
        if self.profile_to is not None:
            return [sys.executable, "-m", "cProfile", "-o", str(self.profile_to), *worker]
        return worker

    def start(self) -> Self:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.spawned_at = time.perf_counter()
            self.process = subprocess.Popen(
                self.command(), env=self.env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        return self

    def wait_ready(self, timeout_s: float) -> float:
        """Seconds from spawning to faust's ``Ready`` line; raises RuntimeError if it dies or
        takes longer than ``timeout_s``."""
        assert self.process is not None and self.spawned_at is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.check_alive()
            if READY_LINE in self.log_text():
                return time.perf_counter() - self.spawned_at
            time.sleep(0.05)
        raise RuntimeError(f"worker {self.module} not ready after {timeout_s:.0f}s; log {self.log_path}:\n{self.log_tail()}")

    def check_alive(self) -> None:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"worker {self.module} exited with {self.process.returncode}; log {self.log_path}:\n{self.log_tail()}")

    def peak_rss_kib(self) -> int | None:
        """``VmHWM`` of the worker process (its resident-set high-water mark), in KiB."""
        if self.process is None or self.process.poll() is not None:
            return None
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return None

    def cpu_seconds(self) -> float:
        """User + system CPU time of the worker process so far (all its threads)."""
        if self.process is None or self.process.poll() is not None:
            return float("nan")
        try:
            stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        except OSError:
            return float("nan")
        fields = stat.rsplit(")", 1)[1].split()  # after "(comm)": state is field 3, utime 14, stime 15
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def run_queue_wait_seconds(self) -> float:
        """Time the worker's threads spent runnable but waiting for a CPU (``schedstat``):
        when it grows as fast as the clock, the machine, not the worker, sets the pace."""
        if self.process is None or self.process.poll() is not None:
            return float("nan")
        total = 0
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            try:
                total += int((task / "schedstat").read_text().split()[1])
            except (OSError, IndexError, ValueError):
                continue  # a thread that ended meanwhile
        return total / 1e9

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def stop(self, timeout_s: float = 30.0) -> None:
        """SIGTERM to the worker's process group (only the one this object started), then wait."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
