"""File mode: operations appended to a JSON Lines file that ``vespa feed`` reads as it is.

``vespa feed`` takes a JSON array or newline-separated JSON objects; JSON Lines can be appended
to without rewriting anything. Each ``feed`` call is one write, flushed and fsynced before it
returns, so the caller may commit its offsets as soon as ``feed`` returns. A crash in the
middle of a write can leave a torn last line; the file is repaired (the torn line dropped)
when it is next opened. Those operations were never acknowledged, so Kafka redelivers them.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Self

from connectors.vespa.exceptions import FeedFileError
from connectors.vespa.operations import FeedOperation, FeedOutcome, FeedResult

_CHUNK = 64 * 1024


class FileFeedClient:
    """Appends operations to ``path``; the file is opened on the first ``feed``, not here."""

    def __init__(self, path: Path, *, fsync: bool = True) -> None:
        self._path = path
        self._fsync = fsync
        self._file: BinaryIO | None = None
        self._lock = asyncio.Lock()

    @property
    def path(self) -> Path:
        return self._path

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def feed(self, operations: Sequence[FeedOperation]) -> list[FeedResult]:
        """Append ``operations`` durably; every one is ``applied`` once this returns."""
        if not operations:
            return []
        payload = b"".join(op.feed_line() for op in operations)
        async with self._lock:
            await asyncio.to_thread(self._append, payload)
        return [FeedResult(operation=op, outcome=FeedOutcome.applied) for op in operations]

    async def aclose(self) -> None:
        async with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def _append(self, payload: bytes) -> None:
        try:
            if self._file is None:
                self._file = _open_for_append(self._path)
            self._file.write(payload)
            self._file.flush()
            if self._fsync:
                os.fsync(self._file.fileno())
        except OSError as exc:
            # Reopening repairs a torn tail, so a half-written batch never precedes the next one.
            if self._file is not None:
                self._file.close()
                self._file = None
            raise FeedFileError(f"cannot append to the Vespa feed file {self._path}: {exc}") from exc


def _open_for_append(path: Path) -> BinaryIO:
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    drop_torn_tail(path)
    handle = open(path, "ab")  # noqa: SIM115 - held open across feed calls
    if created:
        # A new file's directory entry must be durable too, or a crash could lose the file.
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    return handle


def drop_torn_tail(path: Path) -> int:
    """Truncate ``path`` after its last newline; returns the bytes dropped (0 if none)."""
    if not path.exists():
        return 0
    with open(path, "r+b") as handle:
        size = handle.seek(0, os.SEEK_END)
        end = size
        while end > 0:
            start = max(0, end - _CHUNK)
            handle.seek(start)
            chunk = handle.read(end - start)
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                keep = start + newline + 1
                break
            end = start
        else:
            keep = 0
        if keep < size:
            handle.truncate(keep)
            handle.flush()
            os.fsync(handle.fileno())
        return size - keep
