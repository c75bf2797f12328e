"""What one live sync of a resource yields, step by step, for the publishing side.

A query (``microsoft_*.py``, ``google.py``) reads the provider from the stored cursor and yields:

- ``Changes``: changed items in the provider's order, each published as one ``*-updates``
  event (an update with its record, or a delete);
- ``Listing``: part of a complete listing of the resource (an expired cursor made the provider
  start over, or there was no cursor), published as batch events like a backfill page;
- ``Advance``, last: the cursors to store once everything before it is on Kafka (a value of
  None drops that cursor: a mail folder that is gone).

The query never publishes or stores anything itself, so a failure anywhere before ``Advance``
leaves the stored cursors where they were and the next sync repeats the query.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any

from connectors.tracing import TraceContext
from producers.dead_letters import ProviderDeadLetter
from producers.integrations.state import Integration
from schemas.models import AvroModel, DocType


@dataclass(frozen=True, slots=True)
class ItemChange:
    doc_id: str
    #: The item as it is now; None: it was deleted.
    record: AvroModel | None

    @property
    def deleted(self) -> bool:
        return self.record is None

    @property
    def changed_at(self) -> dt.datetime | None:
        """The provider's change time of the item, when the record carries one."""
        return getattr(self.record, "updated_at", None)


def updated(record: AvroModel) -> ItemChange:
    return ItemChange(str(getattr(record, "id")), record)


def deleted(doc_id: str) -> ItemChange:
    return ItemChange(doc_id, None)


@dataclass(frozen=True, slots=True)
class Changes:
    items: list[ItemChange]


@dataclass(frozen=True, slots=True)
class Listing:
    records: list[AvroModel]


@dataclass(frozen=True, slots=True)
class Advance:
    cursors: dict[str, str | None]


Step = Changes | Listing | Advance


@dataclass
class SyncContext:
    """One sync of one resource: the integration as it stood when the sync began, the time the
    changes are detected, and the payloads that would not normalize (to dead-letter)."""

    integration: Integration
    resource: str
    doc_type: DocType
    detected_at: dt.datetime
    #: The sync's own span (its events are its children); None: each event starts a trace.
    trace: TraceContext | None = None
    dead_letters: list[ProviderDeadLetter] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def unreadable(self, item_id: str, payload: Any, reason: str) -> None:
        """A payload that did not normalize (called from the Google worker thread too)."""
        letter = ProviderDeadLetter(user_id=self.integration.user_id, provider=self.integration.provider,
                                    doc_type=self.doc_type, item_id=item_id, payload=payload, reason=reason)
        with self._lock:
            self.dead_letters.append(letter)

    def take_dead_letters(self) -> list[ProviderDeadLetter]:
        with self._lock:
            letters, self.dead_letters = self.dead_letters, []
        return letters
