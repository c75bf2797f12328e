"""Starting, finding and stopping the stack's own processes by pid file.

A pid alone is not proof: pids are recycled, and a process whose command line or working
directory merely mentions the stack directory (``tail -f .stack/logs/kafka.log``, a shell) is
not ours. The pid file records the pid, its start time (``/proc/<pid>/stat`` field 22, clock
ticks after boot, fixed for the process's life) and the exact command the stack started; a
process counts as ours only while all three match, and only then is it signalled.

Children get only the environment they need (``INHERITED_ENVIRONMENT``, ``LC_*`` and what their
component adds), never the whole of ours: it may hold credentials for other systems.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Inherited by every stack process: where programs and the JDK are, home, locale, temp dir.
INHERITED_ENVIRONMENT = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "JAVA_HOME")


def child_environment(extra: Mapping[str, str] | None = None, *, parent: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a stack process: the inherited names from ``parent`` (default ours) plus ``extra``."""
    parent = os.environ if parent is None else parent
    kept = {k: v for k, v in parent.items() if k in INHERITED_ENVIRONMENT or k.startswith("LC_")}
    return {**kept, **(extra or {})}


@dataclass(frozen=True)
class ProcessRecord:
    """What a pid file holds: the process the stack started, identified beyond its pid."""

    pid: int
    start_time: int
    argv: tuple[str, ...]

    def to_json(self) -> str:
        return json.dumps({"pid": self.pid, "start_time": self.start_time, "argv": list(self.argv)}) + "\n"

    @classmethod
    def from_json(cls, text: str) -> ProcessRecord:
        data = json.loads(text)
        return cls(pid=int(data["pid"]), start_time=int(data["start_time"]), argv=tuple(str(a) for a in data["argv"]))


def running(pid: int) -> tuple[int, tuple[str, ...]] | None:
    """``(start time, argv)`` of a live, non-zombie process ``pid``; ``None`` if there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: count after the last ')'.
    fields = stat.rpartition(")")[2].split()
    if fields[0] == "Z":
        return None
    argv = tuple(part.decode(errors="surrogateescape") for part in cmdline.split(b"\0")[:-1])
    return int(fields[19]), argv


class ProcessTable:
    """The stack's processes: one pid file per component under ``run_dir``."""

    def __init__(self, *, run_dir: Path, logs_dir: Path) -> None:
        self.run_dir = run_dir
        self.logs_dir = logs_dir

    def log_path(self, name: str) -> Path:
        return self.logs_dir / f"{name}.log"

    def _pid_path(self, name: str) -> Path:
        return self.run_dir / f"{name}.pid"

    def start(self, name: str, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None) -> int:
        """Start ``argv`` detached (own session), output appended to the component's log; the
        environment is ``child_environment(env)``."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path(name).open("ab") as log:
            process = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=child_environment(env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        start_time = _exec_done(process.pid, tuple(argv))
        self._pid_path(name).write_text(ProcessRecord(process.pid, start_time, tuple(argv)).to_json())
        return process.pid

    def names(self, pattern: str = "*") -> list[str]:
        """The names with a pid file matching the glob ``pattern`` (running or not)."""
        return sorted(path.stem for path in self.run_dir.glob(f"{pattern}.pid"))

    def record(self, name: str) -> ProcessRecord | None:
        try:
            return ProcessRecord.from_json(self._pid_path(name).read_text())
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return None

    def pid(self, name: str) -> int | None:
        """The pid of our running ``name`` process, or None (a stale or foreign pid file is removed)."""
        record = self.record(name)
        if record is not None and _is(record):
            return record.pid
        self._pid_path(name).unlink(missing_ok=True)
        return None

    def adopt_legacy(self, name: str, argv: Sequence[str]) -> bool:
        """Upgrade a pid file of an older version (a bare pid) when that pid runs exactly ``argv``.

        Those files named no start time; the exact command line is the only proof accepted.
        """
        try:
            pid = int(self._pid_path(name).read_text().strip())
        except (FileNotFoundError, ValueError):
            return False
        seen = running(pid)
        if seen is None or seen[1] != tuple(argv):
            return False
        self._pid_path(name).write_text(ProcessRecord(pid, seen[0], tuple(argv)).to_json())
        return True

    def stop(self, name: str, *, timeout_s: float = 30.0) -> bool:
        """SIGTERM our ``name`` process (its process group: it leads one), SIGKILL after
        ``timeout_s``; True if one was running. Nothing is signalled that is not ours."""
        return bool(self.stop_all([name], timeout_s=timeout_s))

    def stop_all(self, names: Sequence[str], *, timeout_s: float = 30.0) -> list[str]:
        """``stop`` for several processes at once, so they shut down together (the last nodes
        of a Kafka cluster stopped one by one wait for a controller quorum that is gone);
        returns the names that were running."""
        records = {}
        for name in names:
            record = self.record(name)
            if record is None or not _is(record):
                self._pid_path(name).unlink(missing_ok=True)
                continue
            records[name] = record
            _signal(record, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and any(_exists(r) for r in records.values()):
            time.sleep(0.1)
        for name, record in records.items():
            if _exists(record):
                _signal(record, signal.SIGKILL)
            self._pid_path(name).unlink(missing_ok=True)
        return list(records)

    def log_tail(self, name: str, lines: int = 20) -> str:
        path = self.log_path(name)
        if not path.is_file():
            return ""
        with path.open("rb") as log:
            log.seek(max(0, path.stat().st_size - 64 * 1024))
            return b"".join(log.readlines()[-lines:]).decode(errors="replace")


def _exec_done(pid: int, argv: tuple[str, ...], *, timeout_s: float = 10.0) -> int:
    """The start time of ``pid`` once ``/proc`` shows it running ``argv``; -1 if it exited first.

    Popen returns when the exec closed the child's close-on-exec pipe, which the kernel does
    before it sets up the new program's arguments: for a moment ``/proc/<pid>/cmdline`` is
    empty, and a check then would take the new process for a stranger.
    """
    deadline = time.monotonic() + timeout_s
    while (seen := running(pid)) is not None and seen[1] != argv and time.monotonic() < deadline:
        time.sleep(0.005)
    return seen[0] if seen is not None and seen[1] == argv else -1


def _is(record: ProcessRecord) -> bool:
    """Is ``record.pid`` still the process the stack started: same start time, same command?"""
    return running(record.pid) == (record.start_time, record.argv)


def _exists(record: ProcessRecord) -> bool:
    """Is the process still there? Unlike ``_is``, true while it exits: the kernel empties a
    dying process's ``/proc/<pid>/cmdline`` before it is gone."""
    seen = running(record.pid)
    return seen is not None and seen[0] == record.start_time


def _signal(record: ProcessRecord, sig: signal.Signals) -> None:
    """Signal the process and the group it leads (redis' save children, say), checked just before."""
    try:
        if not _is(record):
            return
        if os.getpgid(record.pid) == record.pid:
            os.killpg(record.pid, sig)
        else:
            os.kill(record.pid, sig)
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
