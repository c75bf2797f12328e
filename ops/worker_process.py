"""One faust worker as users run it (``faust -A processors.<module>.app worker -l info``), as a
child process in a session of its own, its output in a log file.

The end-to-end tests (``tests/workers.py``) and the benchmarks (``bench/harness/worker.py``)
start their workers through this one runner: spawn, wait for faust's ``Ready`` line, read the
log, stop with SIGTERM (faust commits on the way out) or kill with SIGKILL (a crash).

A worker that does not stop within its timeout after SIGTERM is killed and reported
(``WorkerHung``): a shutdown that hangs is a bug to see, not something to paper over with a
SIGKILL that also skips the final commit.
"""

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


class WorkerNotReady(RuntimeError):
    """The worker exited, or did not log ``Ready`` in time; the message ends with its log tail."""


class WorkerHung(RuntimeError):
    """The worker did not exit within its timeout after SIGTERM; it was killed. The message ends
    with its log tail."""


def faust_worker_argv(module: str) -> list[str]:
    """The faust worker CLI for ``processors.<module>.app``, from this interpreter's environment."""
    return [FAUST, "-A", f"processors.{module}.app", "worker", "-l", "info"]


class WorkerProcess:
    """``argv`` (by default the faust worker of ``module``) with ``env``; output to ``log_path``,
    appended to (``append``) or replacing what is there. ``stop()`` also runs on leaving a
    ``with`` block."""

    def __init__(
        self, module: str, env: dict[str, str], log_path: Path, *, argv: list[str] | None = None, append: bool = False
    ) -> None:
        self.module = module
        self.env = env
        self.log_path = log_path
        self.argv = argv or faust_worker_argv(module)
        self.append = append
        self.process: subprocess.Popen[bytes] | None = None
        self.spawned_at: float | None = None
        self._log_start = 0

    def spawn(self) -> Self:
        """Start the process; returns at once (see ``wait_ready``)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_start = self.log_path.stat().st_size if self.append and self.log_path.exists() else 0
        with self.log_path.open("ab" if self.append else "wb") as log:
            self.spawned_at = time.perf_counter()
            self.process = subprocess.Popen(
                self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        return self

    def wait_ready(self, timeout_s: float) -> float:
        """Seconds from spawning to faust's ``Ready`` line (logged since this spawn); raises
        ``WorkerNotReady`` if the worker exits or takes longer than ``timeout_s``."""
        assert self.process is not None and self.spawned_at is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.check_alive()
            if READY_LINE in self.log_text()[self._log_start:]:
                return time.perf_counter() - self.spawned_at
            time.sleep(0.05)
        raise WorkerNotReady(f"worker {self.module} not ready after {timeout_s:.0f}s; log {self.log_path}:\n{self.log_tail()}")

    def check_alive(self) -> None:
        assert self.process is not None
        if self.process.poll() is not None:
            raise WorkerNotReady(
                f"worker {self.module} exited with {self.process.returncode}; log {self.log_path}:\n{self.log_tail()}"
            )

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def stop(self, timeout_s: float = 30.0) -> None:
        """SIGTERM to the worker's process group (faust commits and shuts down); a worker still
        running after ``timeout_s`` is killed and ``WorkerHung`` raised."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            raise WorkerHung(
                f"worker {self.module} still running {timeout_s:g}s after SIGTERM: killed; log {self.log_path}:\n{self.log_tail()}"
            ) from None

    def kill(self) -> None:
        """SIGKILL: a crash, nothing committed on the way out."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if exc is None:
            self.stop()
            return
        try:
            self.stop()
        except WorkerHung as hung:  # the failure already on its way is the one to report
            exc.add_note(str(hung))
