"""`python -m connectors.emulator` in a subprocess, as users run it, and the settings it prints."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_emulator(tmp_path: Path, *, users: int = 1, emails: int = 30) -> tuple[subprocess.Popen[str], dict[str, str], list[str]]:
    """The emulator process, the ``OFFICESTREAM_*`` settings it printed, and its mailboxes."""
    args = ["--https-port", str(free_port()), "--http-port", str(free_port()), "--users", str(users),
            "--emails-per-user", str(emails), "--cert-dir", str(tmp_path / "certs")]
    process = subprocess.Popen([sys.executable, "-m", "connectors.emulator", *args], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while not any(line.startswith("# Google refresh") for line in lines):
        assert time.monotonic() < deadline and process.poll() is None, "\n".join(lines)
        lines.append(process.stdout.readline().rstrip("\n"))
    settings = dict(line.split("=", 1) for line in lines if line.startswith("OFFICESTREAM_"))
    mailboxes = next(line for line in lines if line.startswith("mailboxes: ")).removeprefix("mailboxes: ").split(", ")
    return process, settings, mailboxes


