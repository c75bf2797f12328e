"""Dropping meeting tombstones once no late update can arrive for them.

A deleted meeting leaves a ``MeetingTombstone`` so that a late, older update cannot bring it
back (``changes.py``). Kept forever, tombstones would make the table grow with every meeting
ever deleted. Once ``retention`` has passed since the tombstone was stored (``stored_at``, the
service's clock: a backfill's deletes carry old provider times; it should outlast the source
topic's retention plus the longest consumer lag, see ``is_expired_tombstone``), the key is
deleted from the table: its changelog gets a Kafka tombstone and compaction removes the key.

When: while a message of the same user is processed. ``calendar-updates`` is keyed by user, so
all of a user's keys belong to the partition of that message, which is what a faust table
writes to (its current event); a timer has no such partition to write to. A user who never
changes a calendar again keeps their tombstones, which costs little.

Which keys: an index in memory (user -> tombstone keys and their delete times), filled from the
table when first used (and again after partitions were reassigned: ``invalidate``), then kept
up to date with every record the service stores.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, MutableMapping

from processors.meetings.context import MeetingContext, MeetingTombstone, load_meeting_record

log = logging.getLogger("officestream.processors.meetings")

#: How a stored tombstone's JSON starts (``dump_meeting_record``): records are scanned for it
#: before any is parsed, so loading the index parses tombstones only.
_TOMBSTONE_MARK = b'"record_type":"tombstone"'


class TombstoneIndex:
    """The tombstones of each user in a meetings table."""

    def __init__(self) -> None:
        self._by_user: dict[str, dict[str, dt.datetime]] = {}
        self._loaded = False

    def invalidate(self) -> None:
        """Read the table again before the next use (its partitions changed)."""
        self._loaded = False

    def ensure_loaded(self, items: Iterable[tuple[str, bytes]]) -> None:
        if self._loaded:
            return
        self._by_user = {}
        for key, raw in items:
            if raw and _TOMBSTONE_MARK in raw:
                try:
                    record = load_meeting_record(raw)
                except ValueError as exc:  # pydantic's ValidationError too: a record nothing wrote so
                    log.warning("meetings: unreadable record under %r left alone: %s", key, exc)
                    continue
                if isinstance(record, MeetingTombstone):
                    self._by_user.setdefault(record.user_id, {})[key] = record.kept_since
        self._loaded = True

    def note(self, key: str, record: MeetingContext | MeetingTombstone) -> None:
        """``record`` was just stored under ``key``."""
        if isinstance(record, MeetingTombstone):
            self._by_user.setdefault(record.user_id, {})[key] = record.kept_since
        else:
            self.forget(record.user_id, key)

    def forget(self, user_id: str, key: str) -> None:
        keys = self._by_user.get(user_id)
        if keys is not None:
            keys.pop(key, None)
            if not keys:
                del self._by_user[user_id]

    def expired(self, user_id: str, *, now: dt.datetime, retention: dt.timedelta) -> list[str]:
        """The keys of ``user_id`` whose tombstones have been kept at least ``retention``."""
        return [key for key, since in self._by_user.get(user_id, {}).items() if now - since >= retention]


def drop_expired_tombstones(
    table: MutableMapping[str, bytes], index: TombstoneIndex, user_id: str, *, now: dt.datetime, retention: dt.timedelta
) -> int:
    """Delete ``user_id``'s expired tombstones from ``table``; returns how many. Run it while a
    message of that user is processed (its partition is theirs)."""
    index.ensure_loaded(table.items())
    dropped = 0
    for key in index.expired(user_id, now=now, retention=retention):
        index.forget(user_id, key)
        raw = table[key] if key in table else None
        if raw is None or _TOMBSTONE_MARK not in raw:
            continue  # gone, or a meeting again: the index was behind
        del table[key]
        dropped += 1
    return dropped
