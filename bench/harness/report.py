"""What every benchmark result carries besides its figures: the machine (with the load before and
after the run, since the machine is shared), the benchmark process's peak RSS, and where it is written."""

from __future__ import annotations

import json
import os
import platform
import resource
import socket
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from harness.cpu import process_memory_kib

RESULTS_DIR = Path(__file__).resolve().parent.parent / "results"

#: The libraries whose versions decide most figures; a benchmark may name more.
LIBRARIES = ("faust-streaming", "aiokafka", "confluent-kafka", "fastavro", "pydantic")


def cpu_model() -> str | None:
    """The CPU's model name from ``/proc/cpuinfo`` (Linux), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def machine_info(*libraries: str) -> dict[str, Any]:
    """Python and library versions, CPUs and the load average when the run started
    (``write_json`` adds the load average at the end)."""
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_average_at_start": list(os.getloadavg()),
    }
    # Keys with underscores, as the results have always had them (faust_streaming, ...).
    info |= {name.replace("-", "_"): _version(name) for name in (*LIBRARIES, *libraries)}
    return info


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def peak_rss_mib_of_this_process() -> float:
    """The benchmark process's resident-set high-water mark (``ru_maxrss`` is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


#: Peak RSS of child processes a harness module saw just before stopping them (label -> MiB).
_CHILD_PEAKS: dict[str, float] = {}


def vmhwm_kib(pid: int) -> int | None:
    """``VmHWM`` of a running process (its resident-set high-water mark), in KiB; None if gone."""
    return process_memory_kib(pid, "VmHWM")


def note_child_peak_rss(label: str, pid: int) -> None:
    """Remember a child's peak RSS (call it just before stopping the child); ``finish`` adds it
    to ``rss_peak_mib``. Read from ``/proc``, not ``RUSAGE_CHILDREN``: a forked child's peak
    there counts the parent's pages it shared until ``exec``."""
    kib = vmhwm_kib(pid)
    if kib:
        _CHILD_PEAKS[label] = max(_CHILD_PEAKS.get(label, 0.0), round(kib / 1024, 1))


def finish(name: str, report: dict[str, Any]) -> dict[str, Any]:
    """``report`` with what every result carries: its name, when it finished, the load average at
    the end and the peak RSS of this process beside those of the processes it started
    (``rss_peak_mib``: label -> MiB, filled by the benchmark for its workers)."""
    report.setdefault("benchmark", name)
    report.setdefault("finished_at", datetime.now(UTC).isoformat(timespec="seconds"))
    machine = report.setdefault("machine", machine_info())
    machine["load_average_at_end"] = list(os.getloadavg())
    rss = report.setdefault("rss_peak_mib", {})
    rss.setdefault("benchmark process", round(peak_rss_mib_of_this_process(), 1))
    for label, mib in _CHILD_PEAKS.items():
        rss.setdefault(label, mib)
    return report


def write_json(name: str, report: dict[str, Any]) -> Path:
    """``bench/results/<name>.json`` (gitignored; overwritten by each run), finished by ``finish``."""
    path = RESULTS_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(finish(name, report), indent=2, default=str) + "\n")
    return path


def load_line(machine: dict[str, Any]) -> str:
    loads = " ".join(f"{value:.2f}" for value in machine["load_average_at_start"])
    return (f"python {machine['python']}, faust-streaming {machine['faust_streaming']}, "
            f"{machine['cpu_count']} CPUs, load average at start {loads}")
