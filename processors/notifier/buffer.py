"""The recent notifications of each user, kept so a reconnecting client can resume.

Resumption rule (``Last-Event-ID`` or ``?last_event_id=``):
- the id is in the user's buffer: everything after it, in the order this instance received it —
  exact, nothing lost, nothing repeated;
- the id is not (older than the buffer, evicted, or from an instance that received events in
  another order): every buffered notification whose id sorts after it, flagged ``exact=False``
  so the client is told to resync (refetch its state) because something may have been missed.

- the value is a resume token (``resume_token.py``: the id plus the client's cursor, the last
  offset it was sent of each of its user's partitions): every buffered notification whose
  record sits after the cursor on its partition, in arrival order (``after_position``). Exact,
  on any instance, whatever order it read the topics in, iff for every partition of the cursor
  the instance reads it and started there at or before the cursor's next offset (``covers``),
  and nothing of the user's after the cursor's offset has left the ring (each ring remembers the
  highest offset it let go per partition; a user forgotten whole raises that mark for everyone,
  which is coarse but never wrong). Otherwise the same notifications, flagged ``exact=False``.

The id rules hold through eviction because a user's notifications only ever leave oldest first:
if the id a client names is still buffered, so is everything that followed it. A notification
that left is remembered by id (up to ``size`` ids per user), so a Kafka redelivery of it is
refused instead of being appended again as the newest — where resuming from it would claim an
exact replay while skipping what followed it the first time.

Every instance holds every user, so memory is bounded three ways: ``size`` notifications per
user, ``max_users`` users, and ``budget_bytes`` in all. Over the budget, the least recently
active user loses their oldest notifications first (a user is active when notified or when a
client connects). The newest notification of the user just notified, and of every user with an
open connection (``is_active``), is never evicted: a client that drops and resumes from the
last id it saw resumes exactly.

What a ring keeps of a notification is a few strings and ints (``ring.py``): its id, its JSON (made
once, at publish: what every connection sends and what the budget counts) and its record's
place, none of them an object CPython's cyclic garbage collector tracks, so the tens of
thousands of notifications an instance buffers are never walked by a collection. Kept as models
and dataclasses they were: at 2,000 events/s a full collection over them stopped the event loop
for 540-650 ms, and those pauses were the notifier's p99 (bench/README.md).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from processors.notifier.notifications import Notification
from processors.notifier.positions import Source, TopicPartition
from processors.notifier.ring import Buffered, Ring


@dataclass(frozen=True, slots=True)
class Replay:
    """What to send a resuming client before live notifications; ``exact`` if nothing was lost."""

    entries: tuple[Buffered, ...]
    exact: bool

    @property
    def notifications(self) -> tuple[Notification, ...]:
        return tuple(entry.notification for entry in self.entries)


class ReplayBuffer:
    """Bounded per-user rings of notifications (module docstring: limits and eviction order).

    ``budget_bytes`` ``None`` means no byte budget; ``is_active(user_id)`` says whether a user
    has an open connection (their newest notification is then never evicted).
    """

    def __init__(
        self,
        *,
        size: int,
        max_users: int,
        budget_bytes: int | None = None,
        is_active: Callable[[str], bool] = lambda user_id: False,
    ) -> None:
        if size < 1 or max_users < 1 or (budget_bytes is not None and budget_bytes < 1):
            raise ValueError("size, max_users and budget_bytes must be positive")
        self._size = size
        self._max_users = max_users
        self._budget = budget_bytes
        self._is_active = is_active
        self._by_user: OrderedDict[str, Ring] = OrderedDict()
        #: The highest offset per partition of a notification that left with a user forgotten whole.
        self._forgotten_upto: dict[TopicPartition, int] = {}
        self.bytes = 0
        self.evicted = 0

    def append(self, item: Buffered | Notification, source: Source | None = None) -> bool:
        """Keep ``item`` (a ``Notification`` is read from ``source``); ``False`` (nothing kept)
        if its id is buffered or remembered.

        Kafka redelivers after a rebalance or crash, and a redelivered event yields the same id:
        refusing it here is what makes the notifier idempotent towards clients.
        """
        entry = item if isinstance(item, Buffered) else Buffered.of(item, source)
        user_id = entry.user_id
        ring = self._by_user.get(user_id)
        if ring is None:
            ring = self._by_user[user_id] = Ring(user_id, self._size)
        else:
            self._by_user.move_to_end(user_id)
        before = ring.bytes
        added = ring.add(entry)
        self.bytes += ring.bytes - before
        self._drop_users_over_count(protect=user_id)
        self._fit_budget(protect=user_id)
        return added

    def touch(self, user_id: str) -> None:
        """Count a connecting client as activity: their user is evicted last."""
        if user_id in self._by_user:
            self._by_user.move_to_end(user_id)

    def recent(self, user_id: str) -> tuple[Notification, ...]:
        """The user's buffered notifications, oldest first."""
        return tuple(entry.notification for entry in self._entries(user_id))

    def _entries(self, user_id: str) -> tuple[Buffered, ...]:
        ring = self._by_user.get(user_id)
        return ring.entries() if ring is not None else ()

    def after(self, user_id: str, last_event_id: str) -> Replay:
        """The notifications a client that last saw ``last_event_id`` has missed (module docstring)."""
        buffered = self._entries(user_id)
        for position in range(len(buffered) - 1, -1, -1):
            if buffered[position].id == last_event_id:
                return Replay(entries=buffered[position + 1 :], exact=True)
        later = tuple(entry for entry in buffered if entry.id > last_event_id)
        return Replay(entries=later, exact=False)

    def after_position(
        self, user_id: str, cursor: Mapping[TopicPartition, int], covers: Callable[[TopicPartition, int], bool]
    ) -> Replay:
        """The notifications a client whose cursor is ``cursor`` has not been sent (module
        docstring); ``covers(tp, offset)``: this instance has read every record of ``tp`` after
        ``offset`` that it has read at all (``ConsumedPositions.covers``)."""
        later = tuple(entry for entry in self._entries(user_id) if not _sent(entry, cursor))
        ring = self._by_user.get(user_id)
        exact = all(
            covers(tp, offset) and self._left_upto(ring, tp) <= offset for tp, offset in cursor.items()
        ) and all(entry.source is not None and entry.source.topic_partition in cursor for entry in later)
        return Replay(entries=later, exact=exact)

    def _left_upto(self, ring: Ring | None, tp: TopicPartition) -> int:
        own = ring.left_upto.get(tp, -1) if ring is not None else -1
        return max(own, self._forgotten_upto.get(tp, -1))

    def users(self) -> int:
        return len(self._by_user)

    def _protected(self, user_id: str, protect: str) -> bool:
        return user_id == protect or self._is_active(user_id)

    def _drop_users_over_count(self, *, protect: str) -> None:
        """Forget whole users, least recently active first, while there are more than ``max_users``."""
        if len(self._by_user) <= self._max_users:
            return  # the common case, and O(1): listing every user per append cost 0.7 ms at 10,000 users
        for user_id in list(self._by_user):
            if len(self._by_user) <= self._max_users:
                return
            if not self._protected(user_id, protect):
                self._forget_user(user_id)

    def _fit_budget(self, *, protect: str) -> None:
        """Evict oldest notifications of the least recently active users until within the budget.

        A protected user keeps their newest notification and is moved behind the others (a
        connected user is active), so the next pass starts with someone who can give more.
        """
        set_aside = 0
        while self._budget is not None and self.bytes > self._budget and set_aside < len(self._by_user):
            user_id, ring = next(iter(self._by_user.items()))
            keep = 1 if self._protected(user_id, protect) else 0
            if len(ring) > keep:
                self.bytes -= ring.evict_oldest()
                self.evicted += 1
            elif keep == 0:
                self._forget_user(user_id)
            else:
                self.bytes -= ring.forget_ids()
                self._by_user.move_to_end(user_id)
                set_aside += 1

    def _forget_user(self, user_id: str) -> None:
        ring = self._by_user.pop(user_id)
        self.bytes -= ring.bytes
        self.evicted += len(ring)
        ring.mark_all_left()
        for tp, offset in ring.left_upto.items():
            self._forgotten_upto[tp] = max(offset, self._forgotten_upto.get(tp, -1))


def _sent(entry: Buffered, cursor: Mapping[TopicPartition, int]) -> bool:
    """Whether a client at ``cursor`` was sent ``entry`` already (its record is not after it)."""
    source = entry.source
    return source is not None and source.topic_partition in cursor and source.offset <= cursor[source.topic_partition]
