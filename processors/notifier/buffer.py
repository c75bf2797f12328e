"""The recent notifications of each user, kept so a reconnecting client can resume.

Resumption rule (``Last-Event-ID`` or ``?last_event_id=``):
- the id is in the user's buffer: everything after it, in the order this instance received it —
  exact, nothing lost, nothing repeated;
- the id is not (older than the buffer, or from an instance that received events in another
  order): every buffered notification whose id sorts after it, flagged ``exact=False`` so the
  client is told to resync (refetch its state) because something may have been missed.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass

from processors.notifier.notifications import Notification


@dataclass(frozen=True, slots=True)
class Replay:
    """What to send a resuming client before live notifications; ``exact`` if nothing was lost."""

    notifications: tuple[Notification, ...]
    exact: bool


class ReplayBuffer:
    """A bounded ring of notifications per user, for at most ``max_users`` users.

    Every instance sees every user's events, so the number of users is bounded too: the user
    notified least recently loses their buffer first (their clients then resume with a resync).
    """

    def __init__(self, *, size: int, max_users: int) -> None:
        if size < 1 or max_users < 1:
            raise ValueError("size and max_users must be positive")
        self._size = size
        self._max_users = max_users
        self._by_user: OrderedDict[str, _Ring] = OrderedDict()

    def append(self, notification: Notification) -> bool:
        """Keep ``notification``; ``False`` (nothing kept) if its id is already buffered.

        Kafka redelivers after a rebalance or crash, and a redelivered event yields the same id:
        refusing it here is what makes the notifier idempotent towards clients.
        """
        ring = self._by_user.get(notification.user_id)
        if ring is None:
            ring = self._by_user[notification.user_id] = _Ring(self._size)
            if len(self._by_user) > self._max_users:
                self._by_user.popitem(last=False)
        else:
            self._by_user.move_to_end(notification.user_id)
        return ring.add(notification)

    def recent(self, user_id: str) -> tuple[Notification, ...]:
        """The user's buffered notifications, oldest first."""
        ring = self._by_user.get(user_id)
        return tuple(ring.items) if ring is not None else ()

    def after(self, user_id: str, last_event_id: str) -> Replay:
        """The notifications a client that last saw ``last_event_id`` has missed (module docstring)."""
        buffered = self.recent(user_id)
        for position in range(len(buffered) - 1, -1, -1):
            if buffered[position].id == last_event_id:
                return Replay(notifications=buffered[position + 1 :], exact=True)
        later = tuple(n for n in buffered if n.id > last_event_id)
        return Replay(notifications=later, exact=False)

    def users(self) -> int:
        return len(self._by_user)


class _Ring:
    """A bounded deque of one user's notifications plus the set of their ids, kept in step."""

    def __init__(self, size: int) -> None:
        self.items: deque[Notification] = deque(maxlen=size)
        self._ids: set[str] = set()

    def add(self, notification: Notification) -> bool:
        if notification.id in self._ids:
            return False
        if len(self.items) == self.items.maxlen:
            self._ids.discard(self.items[0].id)
        self.items.append(notification)
        self._ids.add(notification.id)
        return True
