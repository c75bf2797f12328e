"""Counting what reached each sink after a fault: ``sent / received / lost / duplicate effects``.

Lost comes from the reconciliation (``ops/reconcile.py``: the provider's items against each
sink's state; missing, stale and extra all count, an extra item being a delete that never
arrived) and, for the notifier, from the notifications the topics call for against what the
fault run's SSE clients were delivered.

Duplicate effects are counted where a second application would show, never from the topics'
record counts (at-least-once delivery repeats records by design, and the readers absorb them):

- vespa-loader: a document fed a version it had already been fed, after another version (an
  out-of-order replay in the feed file: what Vespa would then hold is old);
- meetings / shipments: one change of a meeting or package (same item and version, or history
  step) announced under two derived event ids (the ledger let the same version in twice: readers
  deduplicate by id, so they would notify twice), and, for shipments, a package whose status
  history holds one e-mail's step twice;
- notifier: one notification id delivered twice to one SSE client.

A notifier that cannot resume a client exactly (the client's position is older than what it
read or still buffers) sends it a ``resync`` frame first: what a resynced client missed is counted
apart (``resynced``), not as lost; the tests that must resume every client exactly assert it is 0.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.kafka.compacted import read_compacted
from connectors.kafka.settings import KafkaSettings
from connectors.kafka.topic_reader import read_records
from connectors.kafka.topics import MEETING_UPDATES, SHIPMENT_UPDATES, SHIPMENTS
from ops.reconcile import Verdict
from processors.notifier.announced import AnnouncedVersions
from processors.notifier.exceptions import InvalidNotification
from processors.notifier.notifications import SOURCE_TOPICS, notification_for
from schemas.models import MeetingUpdateEvent, ShipmentUpdateEvent
from schemas.serde import AvroEventSerde

#: The reconciliation's sinks that make up each counted sink.
_RECONCILED = {"vespa-loader": ("vespa-loader", "vespa-documents"), "meetings": ("meetings",),
               "shipments": ("shipments",)}

@dataclass(frozen=True)
class SinkCount:
    sink: str
    sent: int
    received: int
    lost: int
    duplicates: int
    #: Notifications not delivered to a client the notifier told to resync (it could not resume
    #: the client exactly: the notifier's documented limit, so not counted as lost).
    resynced: int = 0
    #: Raw changes told to a client again under another notification id: a change that was not
    #: newer than one already told of its item (published again under a new event id). The
    #: notifier skips them while it remembers the item (``announced.py``), not across its own
    #: restarts, so only the tests that keep it running assert this is 0.
    repeated_changes: int = 0

    def line(self) -> str:
        return (f"{self.sink:<13} sent {self.sent:>5} / received {self.received:>5} / lost {self.lost:>3} / "
                f"duplicate effects {self.duplicates:>3}"
                + (f" ({self.resynced} missed by clients told to resync)" if self.resynced else "")
                + (f" ({self.repeated_changes} raw changes told again)" if self.repeated_changes else ""))

def count_sinks(kafka: KafkaSettings, serde: AvroEventSerde, verdict: Verdict, *, feed_file: Path,
                delivered: dict[str, set[str]], repeated: dict[str, int], resynced: set[str]) -> list[SinkCount]:
    """Every sink's count; ``delivered`` (user → notification ids), ``repeated`` (user → ids
    delivered again) and ``resynced`` (users told to resync) are what the SSE clients saw."""
    derived = {topic: _decoded(kafka, serde, topic) for topic in (MEETING_UPDATES, SHIPMENT_UPDATES)}
    extra_duplicates = {
        "vespa-loader": refed_out_of_order(feed_file),
        "meetings": announced_twice(derived[MEETING_UPDATES]),
        "shipments": announced_twice(derived[SHIPMENT_UPDATES]) + doubled_history_steps(
            read_compacted(kafka, f"{kafka.group(SHIPMENTS)}-packages-changelog").values()),
    }
    counts = [_reconciled(verdict, sink, parts, extra_duplicates[sink]) for sink, parts in _RECONCILED.items()]
    expected, stale = expected_notifications(kafka, serde, users=delivered.keys())
    missed = {user: len(ids - delivered[user]) for user, ids in expected.items()}
    counts.append(SinkCount(
        "notifier", sent=sum(map(len, expected.values())), received=sum(map(len, delivered.values())),
        lost=sum(n for user, n in missed.items() if user not in resynced), duplicates=sum(repeated.values()),
        resynced=sum(n for user, n in missed.items() if user in resynced),
        repeated_changes=sum(len(ids & delivered[user]) for user, ids in stale.items())))
    return counts

def _reconciled(verdict: Verdict, sink: str, parts: tuple[str, ...], duplicates: int) -> SinkCount:
    # The document count is the sink's main figure (vespa-documents: what Vespa would hold);
    # lost sums the gaps of every part (the loader's ledger too).
    gaps = [g for g in verdict.gaps if g.sink in parts]
    main = [g for g in gaps if g.sink == parts[-1]]
    return SinkCount(sink, sent=sum(g.provider_items for g in main), received=sum(g.sink_items for g in main),
                     lost=sum(len(g.missing) + len(g.stale) + len(g.extra) for g in gaps), duplicates=duplicates)

def _decoded(kafka: KafkaSettings, serde: AvroEventSerde, topic: str) -> list[Any]:
    return [serde.decode(r.value) for r in read_records(kafka, kafka.topic(topic), timeout_s=60) if r.value is not None]

def refed_out_of_order(feed_file: Path) -> int:
    """Feed operations that bring a document back to a version it had already been fed after it
    was fed another one (a put of A, then B, then A again; or a put after its remove)."""
    history: dict[str, list[str | None]] = defaultdict(list)
    if not feed_file.exists():
        return 0
    with feed_file.open() as lines:
        for line in lines:
            operation = json.loads(line)
            if "put" in operation:
                history[operation["put"]].append(str(operation["fields"].get("version_marker")))
            elif "remove" in operation:
                history[operation["remove"]].append(None)
    return sum(_returns(versions) for versions in history.values())

def _returns(versions: list[str | None]) -> int:
    seen: set[str | None] = set()
    back = 0
    for previous, version in zip([object(), *versions], versions):
        if version != previous and (version in seen or None in seen):
            back += 1
        seen.add(version)
    return back

def announced_twice(events: list[Any]) -> int:
    """Derived events announcing one change under more than one event id: one version of a
    meeting (or its deletion), one step of a package's history, whatever kind each names."""
    ids: dict[tuple, set[str]] = defaultdict(set)
    for event in events:
        if isinstance(event, MeetingUpdateEvent):
            record = event.context or event.tombstone
            version = event.context.version_marker if event.context else event.tombstone.last_version_marker
            change = (event.user_id, record.event_id, event.tombstone is None, version)
        elif isinstance(event, ShipmentUpdateEvent):
            package = event.package
            change = (event.user_id, package.tracking_number, len(package.status_history), package.status)
        else:  # MeetingsSyncedEvent: a count per batch, no item of its own
            continue
        ids[change].add(str(event.metadata.event_id))
    return sum(len(found) - 1 for found in ids.values())

def doubled_history_steps(packages: Iterable[bytes]) -> int:
    """Steps of a package's status history that one e-mail stated more than once (``packages``:
    the packages table's values, JSON as its changelog holds them)."""
    doubled = 0
    for raw in packages:
        package = json.loads(raw)
        package = json.loads(package) if isinstance(package, str) else package
        steps = Counter((step["status"], step["email_id"]) for step in package.get("status_history", []))
        doubled += sum(n - 1 for n in steps.values())
    return doubled

def expected_notifications(kafka: KafkaSettings, serde: AvroEventSerde, *,
                           users: Iterable[str]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """User → the notification ids the notifier's topics call for (its own rules), and user →
    those of raw changes it must not tell again: not newer than the version last told of their
    item (``announced.py``). Versions are remembered here without a bound, so what an instance
    forgot (by restarting, say) and tells again is counted in the second set. A user's records
    are in offset order in their partition, the order the notifier judges them in."""
    owed: dict[str, set[str]] = {user: set() for user in users}
    stale: dict[str, set[str]] = {user: set() for user in owed}
    announced = AnnouncedVersions(sys.maxsize)
    for topic in SOURCE_TOPICS:
        for event in _decoded(kafka, serde, topic):
            try:
                notification = notification_for(event)
            except InvalidNotification:  # dead-lettered by the notifier: no notification owed
                continue
            if notification is not None and notification.user_id in owed:
                (owed if announced.is_news(event) else stale)[notification.user_id].add(notification.id)
    return owed, stale
