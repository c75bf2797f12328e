"""Every user's backfill on the terminal: one bar per (user, doc type), read from the bridge's
``GET /internal/backfill/{job_id}`` once a second until every job has finished. On a terminal
that is not one (a log file, CI), a line per change instead of redrawn bars."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

FINISHED = {"completed", "failed", "cancelled"}


class BackfillBars:
    def __init__(self, bridge_url: str, token: str, jobs: dict[str, str], *, say: Callable[[str], None],
                 timeout_s: float = 1800.0) -> None:
        self.bridge_url, self.jobs, self.say, self.timeout_s = bridge_url, jobs, say, timeout_s
        self.headers = {"Authorization": f"Bearer {token}"}
        self.console = Console(file=sys.stderr)
        self.final: dict[str, dict] = {}

    def follow(self, *, stop: threading.Event, check: Callable[[], None]) -> dict[str, dict]:
        """Until every job finished (or ``stop``); ``check`` raises if a child process died."""
        progress = Progress(TextColumn("{task.description:<44}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[state]}"), TimeElapsedColumn(), console=self.console,
                            disable=not self.console.is_terminal)
        tasks: dict[tuple[str, str], TaskID] = {}
        printed: dict[tuple[str, str], tuple[int, bool]] = {}
        deadline = time.monotonic() + self.timeout_s
        with progress, httpx.Client(base_url=self.bridge_url, headers=self.headers, timeout=30) as client:
            while not stop.is_set() and time.monotonic() < deadline:
                check()
                statuses = {user: client.get(f"/internal/backfill/{job}").json() for user, job in self.jobs.items()}
                for user, status in statuses.items():
                    for doc, doc_progress in status.get("progress", {}).items():
                        key = (user, doc)
                        done = bool(doc_progress["done"])
                        total = doc_progress["items"] if done else doc_progress.get("estimated")
                        state = "up to date" if done else status["status"]
                        if key not in tasks:
                            tasks[key] = progress.add_task(f"{user[:32]} {doc}", total=total, state=state)
                        progress.update(tasks[key], completed=doc_progress["items"], total=total, state=state)
                        if not self.console.is_terminal and printed.get(key) != (doc_progress["items"], done):
                            printed[key] = (doc_progress["items"], done)
                            self.say(f"backfill {user} {doc}: {doc_progress['items']} items" + (" (done)" if done else ""))
                if all(s.get("status") in FINISHED for s in statuses.values()):
                    self.final = statuses
                    break
                stop.wait(1.0)
        for user, status in self.final.items():
            if status["status"] != "completed":
                self.say(f"backfill of {user} ended {status['status']}: {status.get('last_error')}")
        return self.final
