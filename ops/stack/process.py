"""Starting, finding and stopping the stack's own processes by pid file.

A pid file alone is not proof: pids are recycled. A process counts as ours only while its
working directory (every component runs in its own state directory) or its command line lies
in the stack directory, so `down` never signals a stranger.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path


class ProcessTable:
    """The stack's processes: one pid file per component under ``run_dir``."""

    def __init__(self, *, run_dir: Path, logs_dir: Path, marker: Path) -> None:
        self.run_dir = run_dir
        self.logs_dir = logs_dir
        self.marker = str(marker)

    def log_path(self, name: str) -> Path:
        return self.logs_dir / f"{name}.log"

    def _pid_path(self, name: str) -> Path:
        return self.run_dir / f"{name}.pid"

    def start(self, name: str, argv: Sequence[str], *, cwd: Path, env: dict[str, str] | None = None) -> int:
        """Start ``argv`` detached (own session), output appended to the component's log."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path(name).open("ab") as log:
            process = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env={**os.environ, **(env or {})},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._pid_path(name).write_text(f"{process.pid}\n")
        return process.pid

    def pid(self, name: str) -> int | None:
        """The pid of our running ``name`` process, or None (a stale pid file is removed)."""
        path = self._pid_path(name)
        try:
            pid = int(path.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        if self._is_ours(pid):
            return pid
        path.unlink(missing_ok=True)
        return None

    def _is_ours(self, pid: int) -> bool:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            cwd = os.readlink(f"/proc/{pid}/cwd")
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return False
        zombie = stat.rpartition(")")[2].split()[0] == "Z"
        inside = cwd == self.marker or cwd.startswith(self.marker + os.sep)
        return not zombie and (inside or self.marker in cmdline)

    def stop(self, name: str, *, timeout_s: float = 30.0) -> bool:
        """SIGTERM our ``name`` process group, SIGKILL after ``timeout_s``; True if one was running."""
        pid = self.pid(name)
        if pid is None:
            return False
        _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self._is_ours(pid):
            time.sleep(0.1)
        if self._is_ours(pid):
            _signal_group(pid, signal.SIGKILL)
        self._pid_path(name).unlink(missing_ok=True)
        return True

    def log_tail(self, name: str, lines: int = 20) -> str:
        path = self.log_path(name)
        if not path.is_file():
            return ""
        with path.open("rb") as log:
            log.seek(max(0, path.stat().st_size - 64 * 1024))
            return b"".join(log.readlines()[-lines:]).decode(errors="replace")


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


def port_is_free(host: str, port: int) -> bool:
    """True when nothing listens on ``host:port`` (we try to bind it ourselves)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def port_accepts(host: str, port: int, *, timeout_s: float = 0.5) -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False
