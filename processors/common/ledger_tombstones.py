"""Dropping the idempotence ledger's tombstones once no late update can arrive for them.

A deleted item leaves a tombstone entry in the ledger (``idempotence.py``) so that a late,
older update cannot bring it back. Kept forever, they would make the ledger grow with every
item ever deleted. Once ``retention`` has passed since a tombstone was stored (the service's
clock, ``stored_at_ms``: a backfill's deletes can carry old provider times), its key is deleted
from the table: the changelog gets a Kafka tombstone and compaction removes the key. Retention
must outlast the source topics' retention (14 days) plus the longest consumer lag: a message
older than that can no longer be redelivered.

When: while a message of the same user is processed. The source topics are keyed by user, so
all of a user's ledger keys belong to that message's partition, which is what a faust table
writes to (its current event); a timer has no partition to write to. A user who never changes
anything again keeps their tombstones, which costs little. The same scheme as the meetings
service's own tombstones (``processors/meetings/expiry.py``).

Which keys: an index in memory (user -> tombstone keys and when they were stored), read from
the table when first used (and again after partitions were reassigned: ``invalidate``), then
kept up to date by the ledger as it records entries. Tombstones written before entries named
their user cannot be attributed and are left alone.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, MutableMapping
from typing import Any

from processors.common.idempotence import TOMBSTONE_MARK

log = logging.getLogger("officestream.processors")


class LedgerTombstones:
    """The tombstone entries of each user in one ledger table."""

    def __init__(self, *, retention_ms: int) -> None:
        if retention_ms <= 0:
            raise ValueError("retention_ms must be positive (no expiry: do not build a LedgerTombstones)")
        self.retention_ms = retention_ms
        self._by_user: dict[str, dict[str, int]] = {}
        self._loaded = False

    def invalidate(self) -> None:
        """Read the table again before the next use (its partitions changed)."""
        self._loaded = False

    def noted(self, user_id: str, key: str, stored_at_ms: int | None) -> None:
        """The ledger stored ``key``: a tombstone stored at ``stored_at_ms``, or (None) a live entry."""
        if stored_at_ms is not None:
            self._by_user.setdefault(user_id, {})[key] = stored_at_ms
            return
        keys = self._by_user.get(user_id)
        if keys is not None:
            keys.pop(key, None)
            if not keys:
                del self._by_user[user_id]

    def drop_expired(self, table: MutableMapping[str, Any], user_id: str, *, now_ms: int) -> int:
        """Delete ``user_id``'s expired tombstones from ``table``; returns how many. Run it while
        a message of that user is processed (its partition is theirs)."""
        self._ensure_loaded(table.items())
        keys = self._by_user.get(user_id)
        if not keys:
            return 0
        expired = [key for key, since in keys.items() if now_ms - since >= self.retention_ms]
        dropped = 0
        for key in expired:
            self.noted(user_id, key, None)
            raw = table[key] if key in table else None
            if raw is None or TOMBSTONE_MARK not in _as_bytes(raw):
                continue  # gone, or live again: the index was behind
            del table[key]
            dropped += 1
        return dropped

    def _ensure_loaded(self, items: Iterable[tuple[str, Any]]) -> None:
        if self._loaded:
            return
        self._by_user = {}
        for key, raw in items:
            if raw is None or TOMBSTONE_MARK not in _as_bytes(raw):
                continue
            try:
                entry = json.loads(raw) if isinstance(raw, (bytes, str)) else raw
                user_id, stored_at_ms = entry["user_id"], int(entry["stored_at_ms"])
            except (ValueError, KeyError, TypeError):
                continue  # an older tombstone that names no user, or unreadable: left alone
            self._by_user.setdefault(user_id, {})[key] = stored_at_ms
        self._loaded = True


def _as_bytes(raw: Any) -> bytes:
    if isinstance(raw, bytes):
        return raw
    if isinstance(raw, str):
        return raw.encode()
    return json.dumps(raw, separators=(",", ":")).encode()
