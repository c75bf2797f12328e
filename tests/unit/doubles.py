"""Stand-ins for the unit tests of what a service does when a message comes again."""

from __future__ import annotations

from typing import Any


class Crash(Exception):
    """The worker dying where a derived event would have been sent."""


class RecordingTable(dict):
    """A dict for a faust table that keeps every write, as the table's changelog receives them."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[tuple[str, Any]] = []

    def __setitem__(self, key: str, value: Any) -> None:
        self.writes.append((key, value))
        super().__setitem__(key, value)
