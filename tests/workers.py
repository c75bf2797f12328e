"""Starting real faust workers (the faust worker CLI, as users run it) for end-to-end tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.stack import StackEndpoints

FAUST = str(Path(sys.executable).parent / "faust")


def worker_env(stack: StackEndpoints, topic_prefix: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a worker on the test stack, with topics and group under ``topic_prefix``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OFFICESTREAM_")}
    env.update(
        OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS=stack.kafka.bootstrap_servers,
        OFFICESTREAM_KAFKA_TOPIC_PREFIX=topic_prefix,
        OFFICESTREAM_REGISTRY_URL=stack.registry.url,
        OFFICESTREAM_REDIS_URL=stack.redis.url,
        OFFICESTREAM_PROCESSOR_DATA_DIR=str(data_dir),
        OFFICESTREAM_PROCESSOR_RETRY_BASE_S="0.05",
        OFFICESTREAM_PROCESSOR_RETRY_MAX_S="0.5",
    )
    env.update(extra)
    return env


class FaustWorker:
    """``faust -A processors.<module>.app worker`` in a subprocess, with its log in a file."""

    def __init__(self, module: str, env: dict[str, str], log_path: Path, *, argv: list[str] | None = None) -> None:
        self.module = module
        self.env = env
        self.log_path = log_path
        self.argv = argv or [FAUST, "-A", f"processors.{module}.app", "worker", "-l", "info"]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *, ready_timeout_s: float = 60.0) -> "FaustWorker":
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.argv,
            env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
        try:
            self._wait_ready(ready_timeout_s)
        except BaseException:
            self.kill()  # never leave a half-started worker behind
            raise
        return self

    def _wait_ready(self, timeout_s: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout_s
        seen = self.log_path.stat().st_size if self.log_path.exists() else 0
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"worker {self.module} exited with {self.process.returncode}:\n{self.log_tail()}")
            if "[^Worker]: Ready" in self.log_path.read_text(errors="replace")[seen:]:
                return
            time.sleep(0.1)
        raise AssertionError(f"worker {self.module} not ready after {timeout_s}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout_s: float = 30.0) -> None:
        """SIGTERM (faust commits and shuts down cleanly), SIGKILL if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def kill(self) -> None:
        """SIGKILL: a crash, nothing committed on the way out."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
