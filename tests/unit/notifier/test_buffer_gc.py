"""What the replay buffers cost the process: the garbage collector does not walk what they keep
(its pauses over them were the notifier's p99 at 2,000 events/s), and the bytes they count cover
the memory they hold."""

from __future__ import annotations

import gc
import tracemalloc

from processors.notifier.buffer import ReplayBuffer
from processors.notifier.hub import NotificationHub
from processors.notifier.notifications import Notification, notification_id
from processors.notifier.positions import ConsumedPositions
from processors.notifier.presentation import display_for
from tests.unit.notifier.samples import T0

TOPICS = ("email-updates", "email-backfill", "calendar-updates")


def positions() -> ConsumedPositions:
    consumed = ConsumedPositions(TOPICS)
    consumed.started({(topic, partition): 0 for topic in TOPICS for partition in range(6)})
    consumed.assign([(topic, p) for topic in TOPICS for p in range(6)], {topic: 6 for topic in TOPICS})
    return consumed


def email_notification(user_id: str, n: int) -> Notification:
    """What an e-mail update makes (``notifications._email_update``): nested sender, display."""
    payload = {
        "email_id": f"AAMkAGI2-{user_id}-{n}", "thread_id": f"thread-{n // 3}", "subject": f"Order {n} has shipped",
        "from": {"email": "orders@shop.example", "name": "Shop"}, "received_at": T0.isoformat(),
        "is_read": False, "attachment_count": n % 2,
    }
    return Notification(
        id=notification_id(T0, f"{user_id}-{n}"), user_id=user_id, kind="email.created", payload=payload,
        created_at=T0, display=display_for("email.created", payload),
    )


def publish(hub: NotificationHub, consumed: ConsumedPositions, numbers: range, users: int) -> None:
    for n in numbers:
        user_id = f"user-{n % users}"
        consumed.read("email-updates", n % 6, n)
        hub.publish(email_notification(user_id, n), source=consumed.source("email-updates", n % 6, n, user_id))


def test_buffered_notifications_are_not_tracked_by_the_garbage_collector() -> None:
    consumed = positions()
    hub = NotificationHub(buffer_size=500, queue_size=10, positions=consumed)
    publish(hub, consumed, range(200), users=20)  # every user's ring and partitions exist
    gc.collect()
    tracked_before = len(gc.get_objects())
    publish(hub, consumed, range(200, 4_200), users=20)
    gc.collect()
    grown = len(gc.get_objects()) - tracked_before
    # Kept as models and dataclasses, each notification left 9 objects for every collection to
    # walk (36,000 here); kept as tuples, 1-2 until the next collection; kept flat, none.
    assert hub.buffered_bytes() > 0 and sum(len(hub.recent(f"user-{u}")) for u in range(20)) == 4_200
    assert grown < 100, grown


def test_the_counted_bytes_cover_the_memory_the_buffers_hold() -> None:
    consumed = positions()
    buffer = ReplayBuffer(size=1_000, max_users=100)
    for n in range(100):  # every user's ring and shared partitions exist before measuring
        buffer.append(email_notification(f"user-{n % 50}", n), consumed.source("email-updates", n % 6, n, f"user-{n % 50}"))
    counted_before = buffer.bytes
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(100, 5_100):
            user_id = f"user-{n % 50}"
            consumed.read("email-updates", n % 6, n)
            buffer.append(email_notification(user_id, n), consumed.source("email-updates", n % 6, n, user_id))
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    counted = buffer.bytes - counted_before
    assert held <= counted, (held, counted)  # the budget never understates what is held
    assert counted <= 2 * held, (held, counted)  # nor overstates it grossly
