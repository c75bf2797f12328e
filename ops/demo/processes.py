"""The demo's child processes: each in a session of its own, its output in a log file, stopped
with SIGTERM to its group (SIGKILL after a timeout). The demo stops what it started, and only
that: the stack components it found running are left running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ops.stack import manager
from ops.stack.settings import StackSettings


class DemoFailed(RuntimeError):
    """A step of the demo failed; the message says which and where its log is."""


class Child:
    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_path: Path) -> None:
        self.name, self.argv, self.env, self.log_path = name, argv, env, log_path
        self.process: subprocess.Popen[bytes] | None = None
        #: Killed on purpose (``kill``) and not started since: its exit is no failure.
        self.killed = False

    def start(self, *, append: bool = False) -> Child:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.killed = False
        with self.log_path.open("ab" if append else "wb") as log:
            self.process = subprocess.Popen(self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        return self

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for_line(self, needle: str, *, timeout_s: float) -> str:
        """The log once ``needle`` is in it; ``DemoFailed`` if the child exits or times out."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            text = self.log_text()
            if needle in text:
                return text
            self.check_alive()
            time.sleep(0.2)
        raise DemoFailed(f"{self.name} not ready after {timeout_s:.0f}s (log {self.log_path})")

    def check_alive(self) -> None:
        if self.process is not None and not self.killed and self.process.poll() is not None:
            tail = "\n".join(self.log_text().splitlines()[-15:])
            raise DemoFailed(f"{self.name} exited with {self.process.returncode} (log {self.log_path}):\n{tail}")

    def kill(self) -> None:
        """SIGKILL to its whole group, as a crash would end it (no shutdown code runs)."""
        self.killed = True
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self, timeout_s: float = 30.0) -> bool:
        """SIGTERM, then SIGKILL after ``timeout_s``; True if it had to be killed."""
        if self.process is None or self.process.poll() is not None:
            return False
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout_s)
            return False
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            return True


def officestream_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "ops.cli", *args]


class Children:
    """Every process the demo started, stopped in reverse order."""

    def __init__(self, logs: Path, say: Callable[[str], None]) -> None:
        self.logs, self.say = logs, say
        self._children: list[Child] = []
        self._stack_started: list[str] = []
        self._stack: StackSettings | None = None
        #: Every process the demo started (name → pid), for the summary: all gone at the end.
        self.started: dict[str, int] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> Child:
        child = Child(name, argv, env, self.logs / f"{name}.log").start()
        self._children.append(child)
        assert child.process is not None
        self.started[name] = child.process.pid
        return child

    def run_once(self, name: str, argv: list[str], env: dict[str, str], *, timeout_s: float = 180.0) -> None:
        """A command that runs to its end (``topics create``); ``DemoFailed`` unless it exits 0."""
        child = Child(name, argv, env, self.logs / f"{name}.log").start()
        assert child.process is not None
        try:
            code = child.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            child.stop()
            raise DemoFailed(f"{name} did not finish within {timeout_s:.0f}s (log {child.log_path})") from None
        if code != 0:  # its own last line is its error (the CLI's commands end with one)
            last = (child.log_text().strip().splitlines() or ["(no output)"])[-1]
            raise DemoFailed(f"{name} failed with {code} (log {child.log_path}): {last}")

    def stack_up(self, settings: StackSettings) -> None:
        """Start the components that are not running; remember which, to stop only those."""
        running = {s.name for s in manager.status(settings) if s.pid is not None or s.probe.healthy}
        statuses = manager.up(settings, say=lambda line: self.say(line))
        self._stack = settings
        self._stack_started = [s.name for s in statuses if s.name not in running]
        self.started |= {s.name: s.pid for s in statuses if s.name in self._stack_started and s.pid is not None}

    def child(self, name: str) -> Child:
        return next(child for child in self._children if child.name == name)

    def restart(self, name: str, *, ready_line: str, timeout_s: float = 180.0) -> Child:
        """Start ``name`` again (after ``kill`` or a crash) with its argv and environment, its
        log appended to, and wait until the log says ``ready_line`` once more."""
        child = self.child(name)
        assert child.process is None or child.process.poll() is not None, f"{name} is still running"
        ready_before = child.log_text().count(ready_line)
        child.start(append=True)
        assert child.process is not None
        self.started[name] = child.process.pid
        deadline = time.monotonic() + timeout_s
        while child.log_text().count(ready_line) <= ready_before:
            child.check_alive()
            if time.monotonic() > deadline:
                raise DemoFailed(f"{name} not ready again after {timeout_s:.0f}s (log {child.log_path})")
            time.sleep(0.2)
        return child

    def check_alive(self) -> None:
        for child in self._children:
            child.check_alive()

    def stop_all(self) -> list[str]:
        """Stop every child (last started first), then the stack components the demo started."""
        stopped = []
        for child in reversed(self._children):
            if child.stop():
                self.say(f"{child.name}: did not stop after SIGTERM, killed")
            stopped.append(child.name)
        self._children.clear()
        if self._stack is not None:
            for component in reversed(manager.build_components(self._stack)):
                if component.name in self._stack_started and component.processes.stop(component.name):
                    stopped.append(component.name)
            self._stack_started = []
        return stopped
