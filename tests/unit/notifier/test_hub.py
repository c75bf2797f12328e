"""The hub: per-user fan-out, resumption on subscribe, and slow connections dropped without waiting."""

from __future__ import annotations

import asyncio

import pytest

from processors.notifier.exceptions import SubscriptionClosed
from processors.notifier.hub import SHUTDOWN, SLOW_CONSUMER, NotificationHub
from tests.unit.notifier.samples import note


def drain(subscription) -> list[object]:  # type: ignore[no-untyped-def]
    return [subscription._items.popleft().notification.payload["n"] for _ in range(subscription.pending())]


def test_a_notification_reaches_every_connection_of_its_user_and_no_other() -> None:
    hub = NotificationHub(buffer_size=10, queue_size=10)
    ada_phone, ada_laptop, bob = hub.subscribe("ada"), hub.subscribe("ada"), hub.subscribe("bob")
    assert hub.publish(note("ada", 1)) == 2
    assert (drain(ada_phone), drain(ada_laptop), drain(bob)) == ([1], [1], [])


def test_a_connection_whose_queue_is_full_is_dropped_and_the_others_keep_receiving() -> None:
    hub = NotificationHub(buffer_size=10, queue_size=2)
    slow, fast = hub.subscribe("ada"), hub.subscribe("ada")
    dropped: list[int] = []
    slow.on_drop = lambda: dropped.append(slow.id)
    for n in range(5):
        hub.publish(note("ada", n))
        drain(fast)  # the fast client keeps up; the slow one never reads
    assert (slow.closed_reason, dropped, hub.dropped) == (SLOW_CONSUMER, [slow.id], 1)
    assert fast.closed_reason is None
    assert hub.connections("ada") == 1
    hub.publish(note("ada", 9))
    assert drain(fast) == [9]


def test_a_failing_drop_callback_does_not_stop_the_fan_out() -> None:
    hub = NotificationHub(buffer_size=10, queue_size=1)
    slow, fast = hub.subscribe("ada"), hub.subscribe("ada")
    hub.publish(note("ada", 1))
    drain(fast)

    def broken() -> None:
        raise RuntimeError("transport already gone")

    slow.on_drop = broken
    hub.publish(note("ada", 2))
    assert (slow.closed_reason, drain(fast)) == (SLOW_CONSUMER, [2])


def test_subscribing_with_a_last_event_id_replays_what_was_missed_and_then_goes_live() -> None:
    hub = NotificationHub(buffer_size=10, queue_size=10)
    sent = [note("ada", n) for n in range(4)]
    for n in sent:
        hub.publish(n)
    subscription = hub.subscribe("ada", last_event_id=sent[1].id)
    hub.publish(note("ada", 4))
    assert [n.payload["n"] for n in subscription.replay.notifications] == [2, 3]
    assert subscription.replay.exact
    assert drain(subscription) == [4]


def test_subscribing_without_a_last_event_id_replays_nothing() -> None:
    hub = NotificationHub(buffer_size=10, queue_size=10)
    hub.publish(note("ada", 1))
    subscription = hub.subscribe("ada")
    assert subscription.replay.notifications == () and subscription.replay.exact


def test_leaving_the_subscription_context_forgets_the_connection() -> None:
    hub = NotificationHub(buffer_size=10, queue_size=10)
    with hub.subscribe("ada") as subscription:
        assert hub.connections("ada") == 1
    assert hub.connections() == 0
    assert hub.publish(note("ada", 1)) == 0
    assert subscription.pending() == 0


async def test_next_waits_for_a_publish() -> None:
    hub = NotificationHub(buffer_size=10, queue_size=10)
    subscription = hub.subscribe("ada")
    waiting = asyncio.ensure_future(subscription.next(timeout=5))
    await asyncio.sleep(0)  # let it start waiting
    hub.publish(note("ada", 7))
    received = await waiting
    assert received is not None and received.payload["n"] == 7


async def test_next_returns_none_when_the_heartbeat_interval_passes_quietly() -> None:
    hub = NotificationHub(buffer_size=10, queue_size=10)
    assert await hub.subscribe("ada").next(timeout=0.01) is None


async def test_closing_all_wakes_waiting_connections_with_the_reason() -> None:
    hub = NotificationHub(buffer_size=10, queue_size=10)
    subscription = hub.subscribe("ada")
    waiting = asyncio.ensure_future(subscription.next(timeout=5))
    await asyncio.sleep(0)
    hub.close_all()
    with pytest.raises(SubscriptionClosed) as closed:
        await waiting
    assert closed.value.reason == SHUTDOWN
    assert hub.connections() == 0


async def test_a_dropped_connection_discards_its_queue() -> None:
    hub = NotificationHub(buffer_size=10, queue_size=1)
    subscription = hub.subscribe("ada")
    hub.publish(note("ada", 1))
    hub.publish(note("ada", 2))
    with pytest.raises(SubscriptionClosed, match=SLOW_CONSUMER):
        await subscription.next(timeout=1)


def test_the_buffer_keeps_notifications_without_any_connection() -> None:
    hub = NotificationHub(buffer_size=2, queue_size=1)
    for n in range(3):
        hub.publish(note("ada", n))
    assert [n.payload["n"] for n in hub.recent("ada")] == [1, 2]


def test_a_redelivered_event_reaches_no_connection_twice() -> None:
    hub = NotificationHub(buffer_size=10, queue_size=10)
    subscription = hub.subscribe("ada")
    notification = note("ada", 1)
    assert (hub.publish(notification), hub.publish(notification)) == (1, 0)
    assert (drain(subscription), hub.duplicates) == ([1], 1)
