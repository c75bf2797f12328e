"""How busy the whole machine was over a stretch of time (``/proc/stat``), so a slow figure can
be told apart from a machine that other work (the broker, other jobs) kept busy."""

from __future__ import annotations

import os
from pathlib import Path


def jiffies() -> tuple[int, int]:
    """(busy, total) CPU jiffies summed over all CPUs since boot; idle and iowait count as idle."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    total = sum(fields[:8])  # user nice system idle iowait irq softirq steal (guest is inside user)
    return total - idle, total


class MachineCpu:
    """``busy()`` since construction (or the last ``restart``): the share of all CPUs in use,
    and the same in cores (2.0 = two CPUs fully busy)."""

    def __init__(self) -> None:
        self.restart()

    def restart(self) -> None:
        self._start = jiffies()

    def busy(self) -> dict[str, float]:
        busy, total = (now - then for now, then in zip(jiffies(), self._start, strict=True))
        share = busy / total if total else float("nan")
        return {"share": share, "cores": share * (os.cpu_count() or 1)}


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (all its threads); NaN once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return float("nan")
    fields = stat.rsplit(")", 1)[1].split()  # after "(comm)": state is field 3, utime 14, stime 15
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_memory_kib(pid: int, field: str = "VmRSS") -> int | None:
    """A memory line of ``/proc/<pid>/status`` in KiB: ``VmRSS`` (resident now) or ``VmHWM``
    (its high-water mark); None once the process is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return None


def process_run_queue_wait_seconds(pid: int) -> float:
    """Time the threads of ``pid`` spent runnable but waiting for a CPU (``schedstat``): when it
    grows as fast as the clock, the machine, not the process, sets the pace."""
    total = 0
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return float("nan")
    for task in tasks:
        try:
            total += int((task / "schedstat").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue  # a thread that ended meanwhile
    return total / 1e9
