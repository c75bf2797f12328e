"""The one version order of an item (an email, a calendar event, a contact), for every service.

Several clocks reach a consumer: the provider's change time of the item, the provider's
version marker, the producer's sequence, and the event's ``occurred_at`` (the provider's time
for a live change, the crawl time for a backfill page). Compared carelessly they disagree: a
backfill page crawled at 10:00 holding an item changed at 09:00 must not beat a live change
made at 09:59. So versions are compared on one ladder, each rung used only when both sides
have it and it tells them apart:

1. **Provider change time** (``changed_at``): Graph ``lastModifiedDateTime`` (mail, events,
   contacts), Google Calendar ``updated``, People ``metadata.sources[].updateTime``, carried on
   the record as ``updated_at``. Gmail has none.
2. **Version marker**: equal markers are the same version (a duplicate: the backfill and the
   live side both saw it). Markers that are numbers (Gmail ``historyId``, Google Calendar's
   etag ``"3181161784712000"``) are ordered numerically; opaque ones (Graph ``changeKey``,
   People etags) only tell equal from different.
3. **Producer sequence** (``metadata.sequence``): strictly increasing over what one producer
   publishes for a user (a microsecond clock bumped on ties), so two edits the provider's
   clocks leave tied are ordered as they were read.
4. **Event time** (``metadata.occurred_at``).
5. A full tie with different (or unknown) markers applies the incoming version: the
   partition's order decides, and it is the same on every replay.

A delete carries no record, so it has no provider time nor marker: it is ordered by its event
time against the stored version's best time (provider change time, else event time) and wins
ties. An update beats a stored delete only when it is strictly newer on that same comparison.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMERIC_MARKER = re.compile(r'^(?:W/)?"?(\d{1,30})"?$')


@dataclass(frozen=True, slots=True, kw_only=True)
class Version:
    """What the order needs of one applied (or incoming) version of an item."""

    event_id: str
    #: ``metadata.occurred_at`` of the event, epoch milliseconds.
    occurred_at_ms: int
    deleted: bool = False
    #: The provider's change time of the item (``record.updated_at``), epoch milliseconds.
    changed_at_ms: int | None = None
    marker: str | None = None
    #: ``metadata.sequence`` of the event.
    sequence: int | None = None

    @property
    def best_time_ms(self) -> int:
        """The provider's time when known, else the event's: what deletes are compared on."""
        return self.changed_at_ms if self.changed_at_ms is not None else self.occurred_at_ms


def is_newer(incoming: Version, stored: Version | None) -> bool:
    """Should ``incoming`` be applied on top of ``stored`` (None: nothing applied yet)?"""
    if stored is None:
        return True
    if incoming.event_id == stored.event_id:
        return False  # the same event, redelivered
    if incoming.deleted:
        if stored.deleted:
            return incoming.occurred_at_ms > stored.occurred_at_ms
        return incoming.occurred_at_ms >= stored.best_time_ms
    if stored.deleted:
        return incoming.best_time_ms > stored.occurred_at_ms
    order = compare_updates(incoming, stored)
    return order > 0 if order is not None else True


def compare_updates(a: Version, b: Version) -> int | None:
    """1, -1 or 0 as update ``a`` is newer than, older than or the same version as ``b``;
    None when nothing tells them apart (rung 5: the incoming one applies)."""
    if a.changed_at_ms is not None and b.changed_at_ms is not None and a.changed_at_ms != b.changed_at_ms:
        return _sign(a.changed_at_ms - b.changed_at_ms)
    if a.marker is not None and b.marker is not None:
        if a.marker == b.marker:
            return 0
        numbers = marker_number(a.marker), marker_number(b.marker)
        if numbers[0] is not None and numbers[1] is not None:
            return _sign(numbers[0] - numbers[1])
    if a.sequence is not None and b.sequence is not None and a.sequence != b.sequence:
        return _sign(a.sequence - b.sequence)
    if a.occurred_at_ms != b.occurred_at_ms:
        return _sign(a.occurred_at_ms - b.occurred_at_ms)
    return None


def marker_number(marker: str) -> int | None:
    """The number a numeric version marker stands for (``"123"``, ``W/"123"``, ``123``), else None."""
    match = _NUMERIC_MARKER.match(marker)
    return int(match.group(1)) if match else None


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)
