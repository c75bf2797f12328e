"""One user's kept notifications (``Ring``), and what a notification costs the replay buffers.

A ring keeps each notification flat, as strings and ints the garbage collector does not track
(``buffer.py``'s docstring: why).
"""

from __future__ import annotations

from array import array
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any

from processors.notifier.notifications import Notification
from processors.notifier.positions import Source, TopicPartition

#: What one kept notification costs besides its JSON text: the id, the string's header, its cost
#: and offsets, and its slots in the ring's deque and id set (tracemalloc: ~0.45 KiB; the user's
#: partitions tuple is shared by all their notifications).
#: ``tests/unit/notifier/test_buffer_gc.py`` checks it still covers what a notification holds.
NOTIFICATION_OVERHEAD_BYTES = 512
#: What one remembered id of a notification that left costs (the string and its set slot).
FORGOTTEN_ID_BYTES = 128


def notification_cost(notification: Notification) -> int:
    """Bytes ``notification`` is counted as against the budget: its JSON plus the overhead."""
    return json_cost(notification.to_json())


def json_cost(notification_json: str) -> int:
    return len(notification_json.encode()) + NOTIFICATION_OVERHEAD_BYTES


@dataclass(frozen=True, slots=True)
class Buffered:
    """A notification as published: its id, user and JSON (made once, sent to every connection),
    with its record's ``Source`` when it came from Kafka."""

    id: str
    user_id: str
    json: str
    source: Source | None = None

    @classmethod
    def of(cls, notification: Notification, source: Source | None = None) -> Buffered:
        return cls(notification.id, notification.user_id, notification.to_json(), source)

    @property
    def notification(self) -> Notification:
        """The notification, parsed back from its JSON: for tests and tools, never per frame."""
        return Notification.model_validate_json(self.json)


class Ring:
    """One user's notifications, oldest first, with their costs and the ids of those that left.

    Kept flat: ``_STRIDE`` slots per notification in one deque (``_kept``), none of them an
    object the garbage collector tracks (strings, ints, the offsets packed in bytes, the user's
    shared partitions tuple). A tuple per notification would be tracked until the next
    collection, which then walks every notification kept since the one before.
    """

    def __init__(self, user_id: str, size: int) -> None:
        self._user_id = user_id
        self._size = size
        self._slots: deque[object] = deque()
        self._held: set[str] = set()
        #: Ids of notifications that left (pushed out or evicted), so redeliveries are refused.
        self._gone: OrderedDict[str, None] = OrderedDict()
        #: The highest offset per partition of a notification that left (``after_position``).
        self.left_upto: dict[TopicPartition, int] = {}
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._slots) // _STRIDE

    def entries(self) -> tuple[Buffered, ...]:
        user_id, flat = self._user_id, iter(self._slots)
        return tuple(_entry(user_id, kept) for kept in zip(*[flat] * _STRIDE, strict=True))

    def add(self, entry: Buffered) -> bool:
        if entry.id in self._held or entry.id in self._gone:
            return False
        cost = json_cost(entry.json)
        self._slots.extend(_kept(entry, cost))
        self._held.add(entry.id)
        self.bytes += cost
        if len(self._slots) > self._size * _STRIDE:
            self.evict_oldest()
        return True

    def evict_oldest(self) -> int:
        """Drop the oldest notification, remembering its id; returns the bytes freed."""
        before = self.bytes
        popleft = self._slots.popleft
        notification_id, _, cost, topic, partition, offset, _, _ = (popleft() for _ in range(_STRIDE))
        self._mark_left(topic, partition, offset)  # type: ignore[arg-type]
        self._held.discard(notification_id)  # type: ignore[arg-type]
        self.bytes -= cost  # type: ignore[operator]
        self._gone[notification_id] = None  # type: ignore[index]
        self.bytes += FORGOTTEN_ID_BYTES
        if len(self._gone) > self._size:
            self._gone.popitem(last=False)
            self.bytes -= FORGOTTEN_ID_BYTES
        return before - self.bytes

    def forget_ids(self) -> int:
        """Forget the ids of notifications that left (the last thing to give up under the budget)."""
        freed = len(self._gone) * FORGOTTEN_ID_BYTES
        self._gone.clear()
        self.bytes -= freed
        return freed

    def mark_all_left(self) -> None:
        flat = iter(self._slots)
        for _, _, _, topic, partition, offset, _, _ in zip(*[flat] * _STRIDE, strict=True):
            self._mark_left(topic, partition, offset)

    def _mark_left(self, topic: str | None, partition: int, offset: int) -> None:
        """Remember how far the user's notifications on a partition have left."""
        if topic is not None:
            tp = (topic, partition)
            self.left_upto[tp] = max(offset, self.left_upto.get(tp, -1))


#: Slots per kept notification: ``id, json, cost, topic, partition, offset, partitions, offsets``,
#: the last five its ``Source``'s fields (``topic`` ``None`` for one not read from Kafka), the
#: offsets packed in ``bytes`` (which the garbage collector does not track, unlike a tuple or
#: even an ``array``).
_STRIDE = 8


def _kept(entry: Buffered, cost: int) -> tuple[object, ...]:
    source = entry.source
    if source is None:
        return (entry.id, entry.json, cost, None, -1, -1, (), _NO_OFFSETS)
    return (
        entry.id, entry.json, cost,
        source.topic, source.partition, source.offset, source.partitions, array("q", source.offsets).tobytes(),
    )


_NO_OFFSETS = b""


def _entry(user_id: str, kept: tuple[Any, ...]) -> Buffered:
    notification_id, notification_json, _, topic, partition, offset, partitions, offsets = kept
    source = None if topic is None else Source(topic, partition, offset, partitions, tuple(array("q", offsets)))
    return Buffered(notification_id, user_id, notification_json, source)
