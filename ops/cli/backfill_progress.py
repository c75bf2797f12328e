"""The live progress of a backfill on the terminal (rich): one bar per doc type, with items,
rate and, where the provider gives a total, the time left. On a terminal that is not one (a
log file, CI), a line per update instead of redrawn bars."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from types import TracebackType
from typing import Self

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from producers.backfill.job import BackfillJob, JobStatus
from schemas.models import DocType


class ProgressBars:
    def __init__(self, job: BackfillJob, names: Mapping[DocType, str], *, console: Console | None = None) -> None:
        self._names = names
        self._console = console or Console(file=sys.stderr)
        self._progress = Progress(
            TextColumn("[bold]{task.description:<9}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>9}"), TextColumn("{task.fields[state]}"), TimeElapsedColumn(),
            TimeRemainingColumn(), console=self._console, disable=not self._console.is_terminal,
        )
        self._tasks: dict[DocType, TaskID] = {}
        self._job = job

    def __enter__(self) -> Self:
        self._progress.start()
        for doc_type in self._job.doc_types:
            progress = self._job.doc(doc_type)
            self._tasks[doc_type] = self._progress.add_task(
                self._names[doc_type], total=progress.estimated, completed=progress.items, rate="", state="",
            )
        return self

    def update(self, job: BackfillJob) -> None:
        """The runner stored ``job`` (a checkpoint, a status change)."""
        state = "paused: provider quota" if job.status is JobStatus.paused_for_quota else ""
        for doc_type, task in self._tasks.items():
            progress = job.doc(doc_type)
            elapsed = self._progress.tasks[task].elapsed or 0
            rate = f"{progress.items / elapsed:,.0f}/s" if elapsed > 0.5 and progress.items else ""
            total = progress.items if progress.done else progress.estimated
            self._progress.update(task, completed=progress.items, total=total, rate=rate,
                                  state="done" if progress.done else state)
            if not self._console.is_terminal and progress.batches != self._job.doc(doc_type).batches:
                self._console.print(f"{self._names[doc_type]}: {progress.items} items, {progress.batches} batches"
                                    + (" (done)" if progress.done else f" {state}"))
        self._job = job

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._progress.stop()
