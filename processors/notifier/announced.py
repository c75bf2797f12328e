"""The item versions the notifier has announced: a raw change published again is not news.

The services apply each item version once (``processors/common/idempotence.py``), but the
notifier keeps no item state, so a change published again under a new event id reached a live
page twice: a deletion republished by a bridge killed after publishing it and before storing its
cursor, or an update of the same version found again by a later sync. An event id the hub has
seen is dropped by the replay buffer; these have new ids.

``AnnouncedVersions`` remembers, for the ``announced_items`` items changed last (the least
recently changed are forgotten first), the version of each it last announced, and tells whether
a raw update is news on the services' own version order (``processors/common/versions.py``): an
older version or the same one again is not, nor is a delete of an item announced deleted (a
later such delete still moves the remembered time on, as the ledger's tombstone does, so a late
update from between the two is not news either).

Only single updates (``EmailUpdateEvent``, ``CalendarUpdateEvent``, ``ContactUpdateEvent``) are
judged; everything else is news. An update embedding its record carries the record's version
marker and change time; one by reference is ordered by the producer's sequence and event time.
What an instance remembers starts empty with the process (and is refilled by the records it
reads back at start-up), so a repeat may still reach a page after a restart: no worse than
before, and never a change lost, since only what was announced already is skipped.

Each entry is the item's key and a tuple of ints and strings, which the garbage collector stops
tracking: the notifier keeps its long-lived state out of the collector's walks (``ring.py``).
"""

from __future__ import annotations

from collections import OrderedDict

from processors.common.items import SINGLE_UPDATES, millis
from processors.common.versions import Version, is_newer
from schemas.models import ChangeType, Event

#: ``(event_id, occurred_at_ms, deleted, changed_at_ms, marker, sequence)``: a ``Version`` kept flat.
_Stored = tuple[str, int, bool, int | None, str | None, int | None]


class AnnouncedVersions:
    """The last announced version of up to ``capacity`` items (0: remember none, all is news)."""

    def __init__(self, capacity: int) -> None:
        if capacity < 0:
            raise ValueError(f"capacity must be >= 0, got {capacity}")
        self._capacity = capacity
        self._versions: OrderedDict[str, _Stored] = OrderedDict()
        #: Raw changes judged not news (``/healthz`` ``stale_changes_skipped``).
        self.skipped = 0

    def __len__(self) -> int:
        return len(self._versions)

    def is_news(self, event: Event) -> bool:
        """Whether ``event`` tells the page something it was not told; remembers it if so."""
        fields = SINGLE_UPDATES.get(type(event))
        if fields is None or self._capacity == 0:
            return True
        doc_type, id_field, record_field = fields
        key = f"{event.user_id}:{doc_type.value}:{getattr(event, id_field)}"  # the ledger's item key
        incoming = _stored(event, record_field)
        known = self._versions.get(key)
        if known is not None:
            stored, new = _version(known), _version(incoming)
            if new.deleted and stored.deleted:
                if is_newer(new, stored):
                    self._remember(key, incoming)
                self.skipped += 1
                return False
            if not is_newer(new, stored):
                self.skipped += 1
                return False
        self._remember(key, incoming)
        return True

    def _remember(self, key: str, version: _Stored) -> None:
        self._versions[key] = version
        self._versions.move_to_end(key)
        while len(self._versions) > self._capacity:
            self._versions.popitem(last=False)


def _stored(event: Event, record_field: str) -> _Stored:
    metadata = event.metadata
    record = getattr(event, record_field)
    updated_at = getattr(record, "updated_at", None) if record is not None else None
    return (
        str(metadata.event_id), millis(metadata.occurred_at), event.change_type is ChangeType.deleted,  # type: ignore[attr-defined]
        millis(updated_at) if updated_at is not None else None,
        getattr(record, "version_marker", None) if record is not None else None, metadata.sequence,
    )


def _version(stored: _Stored) -> Version:
    event_id, occurred_at_ms, deleted, changed_at_ms, marker, sequence = stored
    return Version(event_id=event_id, occurred_at_ms=occurred_at_ms, deleted=deleted, changed_at_ms=changed_at_ms,
                   marker=marker, sequence=sequence)
