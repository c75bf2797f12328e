"""Applying each item version at most once, whatever Kafka redelivers or reorders.

The ledger maps ``{user_id}:{doc_type}:{doc_id}`` to the last applied version. It is a faust
table in the services, so it lives in a compacted changelog topic and survives restarts; here
it is any mutable mapping, so the rules are tested without Kafka.

Which version is newer is decided by ``processors.common.versions`` (one order for every
service: provider change time, version marker, producer sequence, event time).

A delete leaves a tombstone entry (``"deleted": true``) that beats late, older updates. A
delete of an item the ledger holds as deleted has no effect (``should_apply`` is false), but a
later one moves the tombstone's time on. The tombstone records the user and when it was stored (the service's clock, ``stored_at_ms``) so that
``LedgerTombstones`` can drop it once no late update can arrive any more.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, MutableMapping
from json.encoder import encode_basestring_ascii as _json_string
from typing import TYPE_CHECKING, Any

from processors.common.effects import noted
from processors.common.items import ItemChange
from processors.common.versions import Version, is_newer

if TYPE_CHECKING:
    from processors.common.ledger_tombstones import LedgerTombstones

log = logging.getLogger("officestream.processors")

#: How a stored tombstone entry's JSON marks it (``encode_entry``): entries are scanned for it
#: before any is parsed.
TOMBSTONE_MARK = b'"deleted":true'


def version_of(item: ItemChange) -> Version:
    return Version(
        event_id=item.event_id, occurred_at_ms=item.occurred_at_ms, deleted=item.change == "delete",
        changed_at_ms=item.changed_at_ms, marker=item.version_marker, sequence=item.sequence,
    )


def stored_version(entry: dict[str, Any]) -> Version:
    """A ledger entry (as written by any version of this module) as a ``Version``."""
    return Version(
        event_id=entry["event_id"], occurred_at_ms=entry["occurred_at_ms"], deleted=entry["deleted"],
        changed_at_ms=entry.get("changed_at_ms"), marker=entry.get("version_marker"), sequence=entry.get("sequence"),
    )


def decode_entry(stored: Any) -> dict[str, Any]:
    return json.loads(stored) if isinstance(stored, (bytes, str)) else stored


class VersionLedger:
    """The last applied version per item, in a faust table (or any mutable mapping).

    Entries are stored as the JSON the ledger encodes itself (a table made with
    ``json_table(..., encoded=True)``): the same changelog bytes faust's JSON codec writes for
    the dict, for a fraction of its cost on the one write per item. Entries read back as dicts
    (a table holding decoded JSON) are understood too. ``now_ms`` is the clock tombstones are
    stamped with; with ``tombstones``, they are dropped once expired (``drop_expired``)."""

    def __init__(
        self, table: MutableMapping[str, Any], *, now_ms: Callable[[], int] | None = None,
        tombstones: LedgerTombstones | None = None,
    ) -> None:
        self._table = table
        self._now_ms = now_ms or _wall_clock_ms
        self._tombstones = tombstones

    @property
    def table(self) -> MutableMapping[str, Any]:
        return self._table

    def should_apply(self, item: ItemChange) -> bool:
        """Whether ``item`` is newer than what is applied (each answer counted for the message's
        log line: ``effects.py``)."""
        key = item.key
        if key not in self._table:  # most items are new; a faust table's ``get`` costs ~6x more
            return noted(True)
        incoming, stored = version_of(item), stored_version(decode_entry(self._table[key]))
        if incoming.deleted and stored.deleted:
            # Deleted again (the same deletion found by a later sync, e.g. one republished after
            # the bridge was killed before storing its cursor): nothing to undo twice, so no
            # effect; a later one still moves the tombstone on, so a late update of a version
            # between the two deletes cannot bring the item back.
            if is_newer(incoming, stored):
                self.record(item)
            return noted(False)
        return noted(is_newer(incoming, stored))

    def holds(self, item: ItemChange) -> bool:
        """Whether the entry for ``item``'s key was written by ``item``'s own event: a redelivery
        or a replay (after a crash, say) of a version already applied. Such an item changes
        nothing, but its service announces again what it announced (processors/common/derived.py)."""
        key = item.key
        if key not in self._table:
            return False
        stored = self._table[key]
        entry = json.loads(stored) if isinstance(stored, (bytes, str)) else stored
        return bool(entry["event_id"] == item.event_id)

    def record(self, item: ItemChange) -> None:
        stored_at_ms = self._now_ms() if item.change == "delete" else None
        self._table[item.key] = encode_entry(item, stored_at_ms=stored_at_ms)
        if self._tombstones is not None:
            self._tombstones.noted(item.user_id, item.key, stored_at_ms)

    def partitions_changed(self) -> None:
        """The table holds other partitions now: the tombstone index is read again when next used."""
        if self._tombstones is not None:
            self._tombstones.invalidate()

    def drop_expired(self, user_id: str) -> int:
        """Drop ``user_id``'s expired tombstones (run it while a message of that user is handled).
        Housekeeping never costs the message: a failure is logged and the message goes on."""
        if self._tombstones is None:
            return 0
        try:
            return self._tombstones.drop_expired(self._table, user_id, now_ms=self._now_ms())
        except Exception as exc:  # noqa: BLE001
            log.warning("expired ledger tombstones not dropped this time: %s: %s", type(exc).__name__, exc)
            return 0


def encode_entry(item: ItemChange, *, stored_at_ms: int | None = None) -> bytes:
    """The ledger entry of ``item`` as JSON: the bytes faust's JSON codec writes for
    ``entry_of(item, stored_at_ms)`` (tested), in a quarter of a JSON encoder's time (a fixed
    shape: only the strings need encoding)."""
    marker = "null" if item.version_marker is None else _json_string(item.version_marker)
    text = (
        f'{{"occurred_at_ms":{int(item.occurred_at_ms)},"event_id":{_json_string(item.event_id)},'
        f'"version_marker":{marker},"deleted":{"true" if item.change == "delete" else "false"}'
    )
    if item.changed_at_ms is not None:
        text += f',"changed_at_ms":{int(item.changed_at_ms)}'
    if item.sequence is not None:
        text += f',"sequence":{int(item.sequence)}'
    if item.change == "delete":
        text += f',"user_id":{_json_string(item.user_id)},"stored_at_ms":{int(stored_at_ms or 0)}'
    return (text + "}").encode()


def entry_of(item: ItemChange, stored_at_ms: int | None = None) -> dict[str, Any]:
    """The ledger entry of ``item`` as a dict (what ``encode_entry`` encodes)."""
    entry: dict[str, Any] = {
        "occurred_at_ms": item.occurred_at_ms,
        "event_id": item.event_id,
        "version_marker": item.version_marker,
        "deleted": item.change == "delete",
    }
    if item.changed_at_ms is not None:
        entry["changed_at_ms"] = item.changed_at_ms
    if item.sequence is not None:
        entry["sequence"] = item.sequence
    if item.change == "delete":
        entry |= {"user_id": item.user_id, "stored_at_ms": int(stored_at_ms or 0)}
    return entry


def _wall_clock_ms() -> int:
    return int(time.time() * 1000)
