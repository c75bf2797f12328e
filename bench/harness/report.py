"""What every benchmark result carries besides its figures: the machine, and where it is written."""

from __future__ import annotations

import json
import os
import platform
import socket
from importlib.metadata import version
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent.parent / "results"


def machine_info() -> dict[str, Any]:
    """Python and library versions, CPUs and the load average when the run started."""
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_average_at_start": list(os.getloadavg()),
        "faust_streaming": version("faust-streaming"),
        "aiokafka": version("aiokafka"),
        "confluent_kafka": version("confluent-kafka"),
        "fastavro": version("fastavro"),
        "pydantic": version("pydantic"),
    }


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_json(name: str, report: dict[str, Any]) -> Path:
    """``bench/results/<name>.json`` (gitignored; overwritten by each run)."""
    path = RESULTS_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return path


def load_line(machine: dict[str, Any]) -> str:
    loads = " ".join(f"{value:.2f}" for value in machine["load_average_at_start"])
    return (f"python {machine['python']}, faust-streaming {machine['faust_streaming']}, "
            f"{machine['cpu_count']} CPUs, load average at start {loads}")
