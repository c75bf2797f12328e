"""Resuming from a resume token (``buffer.after_position``, the hub and ``streams.outgoing``):
exact on any instance whatever order it read the topics in, and a resync only when this
instance cannot know (evicted, started too late, partition not read)."""

from __future__ import annotations

import pytest

from processors.notifier.exceptions import InvalidResumeToken
from processors.notifier.hub import NO_NOTIFICATION_YET, NotificationHub, Subscription
from processors.notifier.positions import ConsumedPositions, partition_for
from processors.notifier.resume_token import notification_id_of
from processors.notifier.streams import RESYNC, Framed, Heartbeat, outgoing
from tests.unit.notifier.samples import note

#: Two source topics with different partition counts: cursors are keyed by topic and partition.
COUNTS = {"mail": 6, "ships": 3}
TOPICS = tuple(COUNTS)


def tp(topic: str, user: str = "ada") -> tuple[str, int]:
    return (topic, partition_for(user, COUNTS[topic]))


class Instance:
    """One notifier instance: its positions and hub, fed records as its agent would."""

    def __init__(self, *, mail_start: int = 0, buffer_size: int = 50, assigned: bool = True) -> None:
        self.positions = ConsumedPositions(TOPICS)
        every = [(topic, p) for topic, count in COUNTS.items() for p in range(count)]
        self.positions.assign(every if assigned else [], COUNTS)
        self.positions.started({(topic, p): mail_start if topic == "mail" else 0 for topic, p in every})
        self.hub = NotificationHub(buffer_size=buffer_size, queue_size=100, positions=self.positions)

    def read(self, topic: str, offset: int, n: int | None, user: str = "ada") -> None:
        """The record at ``topic[user's partition]@offset``; ``n`` its notification (None: none)."""
        partition = partition_for(user, COUNTS[topic])
        self.positions.read(topic, partition, offset)
        if n is not None:
            self.hub.publish(note(user, n), source=self.positions.source(topic, partition, offset, user))


async def frames(subscription: Subscription) -> list[object]:
    """What the connection sends until its queue is empty: notification numbers, ``"resync"``."""
    sent: list[object] = []
    async for item in outgoing(subscription, heartbeat_s=0.01, seconds_left=0.03):
        if isinstance(item, Framed):
            sent.append(item.notification.payload["n"])
            subscription.last = item.event_id  # type: ignore[attr-defined]
        elif item is RESYNC:
            sent.append("resync")
    return sent


async def test_a_client_moving_to_an_instance_that_read_the_topics_in_another_order_resumes_exactly():
    a, b = Instance(), Instance()
    for instance, order in ((a, [("mail", 0, 1), ("ships", 0, 2), ("mail", 1, 3), ("ships", 1, 4)]),
                            (b, [("ships", 0, 2), ("ships", 1, 4), ("mail", 0, 1), ("mail", 1, 3)])):
        connected = instance.hub.subscribe("ada") if instance is a else None
        for topic, offset, n in order[:2]:
            instance.read(topic, offset, n)
        if connected is not None:
            assert await frames(connected) == [1, 2]
            token = connected.last  # type: ignore[attr-defined]
        for topic, offset, n in order[2:]:
            instance.read(topic, offset, n)
    assert await frames(b.hub.subscribe("ada", last_event_id=token)) == [4, 3]  # in b's order
    # By id, instance b would have repeated 1 (it read 1 after 2) and called it exact:
    assert [n.payload["n"] for n in b.hub.subscribe("ada", last_event_id=note("ada", 2).id).replay.notifications] == [4, 1, 3]


async def test_an_instance_behind_the_client_sends_only_what_comes_after_its_cursor():
    a, b = Instance(), Instance()
    client = a.hub.subscribe("ada")
    for topic, offset, n in [("mail", 0, 1), ("ships", 0, 2), ("mail", 1, 3)]:
        a.read(topic, offset, n)
    assert await frames(client) == [1, 2, 3]
    b.read("mail", 0, 1)
    moved = b.hub.subscribe("ada", last_event_id=client.last)  # type: ignore[attr-defined]
    assert moved.replay.exact and await frames(moved) == []
    for topic, offset, n in [("ships", 0, 2), ("mail", 1, 3), ("ships", 1, 4), ("mail", 2, 5)]:
        b.read(topic, offset, n)
    assert await frames(moved) == [4, 5]
    again = a.hub.subscribe("ada", last_event_id=moved.last)  # type: ignore[attr-defined]
    assert again.replay.exact and await frames(again) == []  # b's token is ahead of a: nothing repeated


async def test_records_of_other_users_and_records_without_notification_advance_the_cursor():
    a, b = Instance(), Instance()
    client = a.hub.subscribe("ada")
    a.read("mail", 0, 1)
    assert await frames(client) == [1]
    b.read("mail", 0, 1)
    b.read("mail", 1, None)
    b.read("mail", 2, 2)
    assert await frames(b.hub.subscribe("ada", last_event_id=client.last)) == [2]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("start", "exact"), [(1, True), (2, False)])
async def test_an_instance_that_started_after_the_cursor_cannot_resume_exactly(start: int, exact: bool):
    a, late = Instance(), Instance(mail_start=start)
    client = a.hub.subscribe("ada")
    a.read("mail", 0, 1)
    await frames(client)
    late.read("mail", 2, 3)
    resumed = late.hub.subscribe("ada", last_event_id=client.last)  # type: ignore[attr-defined]
    assert resumed.replay.exact is exact
    assert await frames(resumed) == ([3] if exact else ["resync", 3])


async def test_a_notification_evicted_after_the_cursor_makes_the_replay_inexact():
    a, small = Instance(), Instance(buffer_size=2)
    client = a.hub.subscribe("ada")
    a.read("mail", 0, 1)
    await frames(client)
    for offset, n in [(0, 1), (1, 2), (2, 3), (3, 4)]:  # 1 and 2 leave the ring of two
        small.read("mail", offset, n)
    resumed = small.hub.subscribe("ada", last_event_id=client.last)  # type: ignore[attr-defined]
    assert await frames(resumed) == ["resync", 3, 4]
    ahead = Instance()
    for offset, n in [(0, 1), (1, 2)]:
        ahead.read("mail", offset, n)
    later = ahead.hub.subscribe("ada")
    ahead.read("mail", 2, 3)
    await frames(later)  # cursor at mail@2: what left the small ring (up to @1) is behind it
    assert await frames(small.hub.subscribe("ada", last_event_id=later.last)) == [4]  # type: ignore[attr-defined]


async def test_a_partition_this_instance_does_not_read_makes_the_replay_inexact():
    a, partial = Instance(), Instance(assigned=False)
    client = a.hub.subscribe("ada")
    a.read("mail", 0, 1)
    await frames(client)
    assert partial.hub.subscribe("ada", last_event_id=client.last).replay.exact is False  # type: ignore[attr-defined]


async def test_a_token_never_shows_another_users_notifications():
    a = Instance()
    bob = a.hub.subscribe("bob")
    a.read("mail", 0, 1, user="bob")
    a.read("mail", 1, 2, user="ada")
    await frames(bob)
    as_ada = a.hub.subscribe("ada", last_event_id=bob.last)  # type: ignore[attr-defined]
    assert all(n.user_id == "ada" for n in as_ada.replay.notifications)


def test_a_malformed_token_is_refused_and_a_bare_id_keeps_the_id_rules():
    a = Instance()
    a.read("mail", 0, 1)
    a.read("mail", 1, 2)
    with pytest.raises(InvalidResumeToken):
        a.hub.subscribe("ada", last_event_id=note("ada", 1).id + ".not-base64!")
    assert a.hub.connections() == 0  # nothing kept for a refused connection
    by_id = a.hub.subscribe("ada", last_event_id=note("ada", 1).id)
    assert by_id.replay.exact and [n.payload["n"] for n in by_id.replay.notifications] == [2]


async def test_a_client_sent_no_notification_yet_resumes_from_the_checkpoint_its_heartbeats_carry():
    a, b = Instance(), Instance()
    quiet = a.hub.subscribe("ada")
    items = [item async for item in outgoing(quiet, heartbeat_s=0.01, seconds_left=0.03)]
    checkpoints = [item.event_id for item in items if isinstance(item, Heartbeat) and item.event_id]
    assert checkpoints and notification_id_of(checkpoints[-1]) == NO_NOTIFICATION_YET
    b.read("mail", 0, 1)  # produced while the client was away (without a token it would start afresh)
    resumed = b.hub.subscribe("ada", last_event_id=checkpoints[-1])
    assert resumed.replay.exact and await frames(resumed) == [1]


def test_no_checkpoint_is_claimed_while_notifications_wait_in_the_queue():
    a = Instance()
    connected = a.hub.subscribe("ada")
    a.read("mail", 0, 1)
    assert connected.checkpoint() is None
