"""What handling one message did to its items, for the log line that ends it: how many items the
idempotence ledger let through (applied) and how many it found already applied (a redelivery,
a replay, an older version: skipped as a duplicate).

The tally lives in a context variable that ``RecordProcessor`` sets per message, so the ledger
(``idempotence.py``) notes its decisions without being handed the message: every handler that
asks the ledger is counted, and a service that keeps no ledger (the notifier) reports neither.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class Effects:
    applied: int = 0
    duplicates: int = 0

    @property
    def outcome(self) -> str:
        """applied (any item), duplicate (every item already applied), handled (no ledger asked)."""
        if self.applied:
            return "applied"
        return "duplicate" if self.duplicates else "handled"


CURRENT: ContextVar[Effects | None] = ContextVar("officestream_effects", default=None)


def noted(applies: bool) -> bool:
    """Count one ledger decision for the message being handled; returns ``applies``."""
    effects = CURRENT.get()
    if effects is not None:
        if applies:
            effects.applied += 1
        else:
            effects.duplicates += 1
    return applies
