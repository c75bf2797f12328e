"""The in-process fan-out: one publish reaches every open connection of that user, never others.

Everything here runs on one asyncio event loop and no method awaits while it changes state, so
each call is atomic with respect to the others (a subscriber registers and receives its replay
in one step: nothing published in between is lost or sent twice). From another thread, call
``loop.call_soon_threadsafe(hub.publish, notification)``.

Publishing never blocks and never waits for a client: each connection has a bounded queue, and a
connection whose queue is full is dropped (its ``on_drop`` callback closes the socket). The
client reconnects with ``Last-Event-ID`` and resumes from the replay buffer, so a slow client
costs itself a reconnect and costs the others nothing.

Subscribing is refused over two limits, so one user (or a crowd) cannot take every socket and
buffer of an instance: ``max_connections_per_user`` (``UserConnectionLimitReached``, HTTP 429)
and ``max_connections`` in all (``ServerConnectionLimitReached``, HTTP 503). A refused connection
holds nothing, and a closed one frees its slot at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
from collections import deque
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Self

from processors.notifier import resume_token
from processors.notifier.buffer import Replay, ReplayBuffer
from processors.notifier.exceptions import (
    ServerConnectionLimitReached,
    SubscriptionClosed,
    UserConnectionLimitReached,
)
from processors.notifier.notifications import Notification
from processors.notifier.positions import ConsumedPositions, Source, TopicPartition
from processors.notifier.ring import Buffered
from processors.notifier.settings import NotifierSettings

log = logging.getLogger(__name__)

SLOW_CONSUMER = "slow_consumer"
SHUTDOWN = "shutdown"
NO_REPLAY = Replay(entries=(), exact=True)
#: What a checkpoint names before a connection sent any notification (sorts before every id).
NO_NOTIFICATION_YET = "0000000000000-000000000000"


def user_ref(user_id: str) -> str:
    """A stable, non-reversible stand-in for a user id in logs."""
    return hashlib.sha256(user_id.encode()).hexdigest()[:12]


class Subscription:
    """One connection's queue of one user's notifications. Use it as a context manager."""

    _ids = itertools.count(1)

    def __init__(
        self, hub: NotificationHub, user_id: str, *, maxsize: int, replay: Replay,
        cursor: dict[TopicPartition, int] | None = None,
    ) -> None:
        self.id = next(self._ids)
        self.user_id = user_id
        self.replay = replay
        #: How far this client has been sent each of its user's partitions (``resume_token.py``).
        self.cursor: dict[TopicPartition, int] = cursor or {}
        #: The id of the last notification sent (what a checkpoint's token names).
        self._last_id = NO_NOTIFICATION_YET
        self.closed_reason: str | None = None
        self.on_drop: Callable[[], None] | None = None
        self._hub = hub
        self._maxsize = maxsize
        self._items: deque[Buffered] = deque()
        self._wakeup = asyncio.Event()

    async def next(self, timeout: float) -> Notification | None:
        """The next live notification, or ``None`` when ``timeout`` seconds pass without one."""
        entry = await self.next_entry(timeout)
        return entry.notification if entry is not None else None

    async def next_entry(self, timeout: float) -> Buffered | None:
        """The next live notification with its source, or ``None`` after ``timeout`` seconds.

        Raises ``SubscriptionClosed`` once the hub closed this subscription; what was still queued
        is discarded then, since the client resumes from the replay buffer.
        """
        if not self._items and self.closed_reason is None:
            self._wakeup.clear()
            try:
                async with asyncio.timeout(timeout):
                    await self._wakeup.wait()
            except TimeoutError:
                return None
        if self.closed_reason is not None:
            raise SubscriptionClosed(self.closed_reason)
        return self._items.popleft()

    def pending(self) -> int:
        return len(self._items)

    def sent_already(self, entry: Buffered) -> bool:
        """Whether the client was sent ``entry``'s record already (on an instance ahead of this one)."""
        source = entry.source
        return source is not None and source.offset <= self.cursor.get(source.topic_partition, -1)

    def checkpoint(self) -> str | None:
        """A resume token for the client's position now, sent with no notification (``None``
        without positions). Only while nothing is queued: then every notification of the user
        read so far has been sent, so the user's position is a cursor the client has reached."""
        topics, positions = self._hub.topics, self._hub._positions
        if topics is None or positions is None or self._items:
            return None
        self._advance(positions.position(self.user_id))
        return resume_token.encode(self._last_id, self.cursor, topics)

    def _advance(self, offsets: Iterable[tuple[TopicPartition, int]]) -> None:
        for tp, offset in offsets:
            if offset > self.cursor.get(tp, -2):
                self.cursor[tp] = offset

    def event_id(self, entry: Buffered) -> str:
        """The SSE ``id:`` of ``entry`` on this connection: its notification id, or, for one read
        from Kafka, a resume token with the cursor advanced past it (``resume_token.py``)."""
        source, topics = entry.source, self._hub.topics
        self._last_id = entry.id
        if source is None or topics is None:
            return entry.id
        self._advance((*source.position, (source.topic_partition, source.offset)))
        return resume_token.encode(entry.id, self.cursor, topics)

    def _offer(self, entry: Buffered) -> bool:
        """Queue without waiting; ``False`` (and nothing queued) when the queue is full."""
        if self.closed_reason is not None or len(self._items) >= self._maxsize:
            return False
        self._items.append(entry)
        self._wakeup.set()
        return True

    def _close(self, reason: str) -> None:
        if self.closed_reason is None:
            self.closed_reason = reason
            self._items.clear()
            self._wakeup.set()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._hub.unsubscribe(self)


class NotificationHub:
    """Per-user replay buffers plus the live subscriptions of this instance."""

    def __init__(
        self,
        *,
        buffer_size: int,
        queue_size: int,
        buffered_users: int = 10_000,
        buffer_budget_bytes: int | None = None,
        max_connections: int | None = None,
        max_connections_per_user: int | None = None,
        positions: ConsumedPositions | None = None,
    ) -> None:
        """Limits left ``None`` are not enforced (``from_settings`` sets every one). With
        ``positions`` (the worker's), resume tokens are sent and accepted (``resume_token.py``)."""
        if queue_size < 1:
            raise ValueError("queue_size must be positive")
        self._subscriptions: dict[str, set[Subscription]] = {}
        self._buffer = ReplayBuffer(
            size=buffer_size, max_users=buffered_users, budget_bytes=buffer_budget_bytes,
            is_active=self._subscriptions.__contains__,
        )
        self._queue_size = queue_size
        self._max_connections = max_connections
        self._max_per_user = max_connections_per_user
        self._positions = positions
        #: The source topics resume tokens index (``None``: ids are bare notification ids).
        self.topics = positions.topics if positions is not None else None
        self._open = 0
        self.published = 0
        self.duplicates = 0
        self.dropped = 0
        self.refused_user_limit = 0
        self.refused_server_limit = 0

    @classmethod
    def from_settings(cls, settings: NotifierSettings, *, positions: ConsumedPositions | None = None) -> Self:
        return cls(
            positions=positions,
            buffer_size=settings.buffer_size,
            queue_size=settings.queue_size,
            buffered_users=settings.buffered_users,
            buffer_budget_bytes=settings.buffer_budget_bytes,
            max_connections=settings.max_connections,
            max_connections_per_user=settings.max_connections_per_user,
        )

    def publish(self, notification: Notification, *, source: Source | None = None) -> int:
        """Buffer the notification (read from ``source``) and queue it for each of its user's connections.

        Returns how many connections it was queued for: 0 for a redelivered notification (same
        id still buffered), which is not sent again. Connections with a full queue are dropped
        here, without waiting for them.
        """
        entry = Buffered.of(notification, source)
        if not self._buffer.append(entry):
            self.duplicates += 1
            return 0
        self.published += 1
        delivered = 0
        for subscription in tuple(self._subscriptions.get(entry.user_id, ())):
            if subscription._offer(entry):
                delivered += 1
            else:
                self._drop(subscription)
        return delivered

    def subscribe(self, user_id: str, *, last_event_id: str | None = None) -> Subscription:
        """Open a connection's subscription; its ``replay`` holds what it missed since ``last_event_id``.

        Raises ``InvalidResumeToken`` for a malformed resume token, ``UserConnectionLimitReached``
        or ``ServerConnectionLimitReached`` (nothing is kept for a refused connection).
        """
        token = resume_token.decode(last_event_id, self.topics) if last_event_id and self.topics else None
        self._admit(user_id)
        self._buffer.touch(user_id)
        if token is not None and self._positions is not None:
            replay = self._buffer.after_position(user_id, token.cursor, self._positions.covers)
        else:
            replay = NO_REPLAY if last_event_id is None else self._buffer.after(user_id, last_event_id)
        cursor = dict(token.cursor) if token is not None else None
        if last_event_id is None and self._positions is not None:
            # A new client starts now: what was read before it connected is not owed to it.
            cursor = dict(self._positions.position(user_id))
        subscription = Subscription(self, user_id, maxsize=self._queue_size, replay=replay, cursor=cursor)
        self._subscriptions.setdefault(user_id, set()).add(subscription)
        self._open += 1
        log.info(
            "notifier subscribed subscription=%d user=%s replay=%d exact=%s",
            subscription.id, user_ref(user_id), len(replay.entries), replay.exact,
        )
        return subscription

    def _admit(self, user_id: str) -> None:
        """Refuse a connection over a limit; the user's own limit first (it names their fault)."""
        if self._max_per_user is not None and self.connections(user_id) >= self._max_per_user:
            self.refused_user_limit += 1
            log.warning("notifier refused connection user=%s limit=max_connections_per_user(%d)", user_ref(user_id), self._max_per_user)
            raise UserConnectionLimitReached(f"{self._max_per_user} connections of this user are open already")
        if self._max_connections is not None and self._open >= self._max_connections:
            self.refused_server_limit += 1
            log.warning("notifier refused connection user=%s limit=max_connections(%d)", user_ref(user_id), self._max_connections)
            raise ServerConnectionLimitReached(f"this instance holds {self._max_connections} connections already")

    def unsubscribe(self, subscription: Subscription) -> None:
        """Forget a connection (idempotent); called when its handler ends, however it ends."""
        subscriptions = self._subscriptions.get(subscription.user_id)
        if subscriptions is None or subscription not in subscriptions:
            return
        subscriptions.discard(subscription)
        self._open -= 1
        if not subscriptions:
            del self._subscriptions[subscription.user_id]
        subscription._close(subscription.closed_reason or "unsubscribed")

    def recent(self, user_id: str) -> tuple[Notification, ...]:
        return self._buffer.recent(user_id)

    def connections(self, user_id: str | None = None) -> int:
        if user_id is not None:
            return len(self._subscriptions.get(user_id, ()))
        return self._open

    def buffered_users(self) -> int:
        return self._buffer.users()

    def buffered_bytes(self) -> int:
        """What the replay buffers count against ``buffer_budget_bytes`` now."""
        return self._buffer.bytes

    def evicted(self) -> int:
        """Notifications the replay buffers let go to stay within their limits (``buffer_size`` aside)."""
        return self._buffer.evicted

    def close_all(self, reason: str = SHUTDOWN) -> None:
        """Close every subscription (on shutdown), so long-lived handlers return promptly."""
        for subscriptions in tuple(self._subscriptions.values()):
            for subscription in tuple(subscriptions):
                subscription._close(reason)
                self.unsubscribe(subscription)

    def _drop(self, subscription: Subscription) -> None:
        self.dropped += 1
        subscription._close(SLOW_CONSUMER)
        self.unsubscribe(subscription)
        log.warning(
            "notifier dropped slow connection subscription=%d user=%s queue_size=%d",
            subscription.id, user_ref(subscription.user_id), self._queue_size,
        )
        if subscription.on_drop is not None:
            try:
                subscription.on_drop()
            except Exception:  # one client's teardown must not stop the fan-out to the others
                log.exception("notifier on_drop failed subscription=%d", subscription.id)
