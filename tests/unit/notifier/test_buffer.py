"""The replay buffer: exact resumption after a buffered id, a flagged best effort otherwise."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict

import pytest

from processors.notifier.buffer import ReplayBuffer
from processors.notifier.notifications import notification_id
from tests.unit.notifier.samples import T0, note, numbers


def test_resuming_after_a_buffered_id_replays_exactly_what_followed() -> None:
    buffer = ReplayBuffer(size=10, max_users=10)
    sent = [note("ada", n) for n in range(5)]
    for n in sent:
        buffer.append(n)
    replay = buffer.after("ada", sent[1].id)
    assert numbers(replay.notifications) == [2, 3, 4]
    assert replay.exact


def test_resuming_after_the_newest_id_replays_nothing() -> None:
    buffer = ReplayBuffer(size=10, max_users=10)
    sent = [note("ada", n) for n in range(3)]
    for n in sent:
        buffer.append(n)
    replay = buffer.after("ada", sent[-1].id)
    assert replay.notifications == () and replay.exact


def test_an_id_pushed_out_of_the_ring_replays_what_is_left_and_asks_for_a_resync() -> None:
    buffer = ReplayBuffer(size=3, max_users=10)
    sent = [note("ada", n) for n in range(6)]
    for n in sent:
        buffer.append(n)
    replay = buffer.after("ada", sent[0].id)
    assert numbers(replay.notifications) == [3, 4, 5]
    assert not replay.exact


def test_an_unknown_id_replays_only_later_ids() -> None:
    buffer = ReplayBuffer(size=10, max_users=10)
    for n in range(4):
        buffer.append(note("ada", n))
    from_elsewhere = notification_id(T0 + dt.timedelta(seconds=1, milliseconds=500), "seen-on-another-instance")
    replay = buffer.after("ada", from_elsewhere)
    assert numbers(replay.notifications) == [2, 3]
    assert not replay.exact


def test_another_users_ids_never_replay_into_this_users_stream() -> None:
    buffer = ReplayBuffer(size=10, max_users=10)
    bob = note("bob", 1)
    buffer.append(bob)
    buffer.append(note("ada", 2))
    assert [n.user_id for n in buffer.after("ada", bob.id).notifications] == ["ada"]
    assert buffer.after("bob", bob.id).notifications == ()


def test_the_user_notified_least_recently_is_forgotten_first() -> None:
    buffer = ReplayBuffer(size=5, max_users=2)
    buffer.append(note("ada", 1))
    buffer.append(note("bob", 1))
    buffer.append(note("ada", 2))
    buffer.append(note("cy", 1))
    assert (buffer.recent("bob"), numbers(buffer.recent("ada")), buffer.users()) == ((), [1, 2], 2)


def test_a_buffer_without_room_is_refused() -> None:
    with pytest.raises(ValueError):
        ReplayBuffer(size=0, max_users=1)


def test_a_redelivered_notification_is_not_kept_twice() -> None:
    buffer = ReplayBuffer(size=3, max_users=10)
    first = note("ada", 1)
    assert buffer.append(first)
    assert not buffer.append(first)
    assert numbers(buffer.recent("ada")) == [1]


def test_a_redelivery_of_a_notification_pushed_out_of_the_ring_is_refused() -> None:
    """Appended again it would be the newest, and resuming from it would skip 1 and 2 as "exact"."""
    buffer = ReplayBuffer(size=2, max_users=10)
    oldest = note("ada", 0)
    for n in (oldest, note("ada", 1), note("ada", 2)):
        buffer.append(n)
    assert not buffer.append(oldest)
    assert numbers(buffer.recent("ada")) == [1, 2]
    replay = buffer.after("ada", oldest.id)
    assert numbers(replay.notifications) == [1, 2] and not replay.exact


def test_an_id_that_left_long_ago_can_be_kept_again() -> None:
    """Ids that left are remembered for as many notifications as the ring holds, not forever."""
    buffer = ReplayBuffer(size=2, max_users=10)
    oldest = note("ada", 0)
    for n in (oldest, *(note("ada", k) for k in range(1, 5))):
        buffer.append(n)
    assert buffer.append(oldest)
    assert numbers(buffer.recent("ada")) == [4, 0]


class _CountingUsers(OrderedDict):  # type: ignore[type-arg]
    """The buffer's users, counting how often something walks all of them."""

    walks = 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        self.walks += 1
        return super().__iter__()


def test_appending_under_the_user_limit_does_not_walk_every_user() -> None:
    # Every event of every user is appended: a walk over all buffered users per append cost 0.7 ms
    # at 10,000 users (the notifier scale benchmark's profile), more than decoding the event.
    buffer = ReplayBuffer(size=5, max_users=100)
    for i in range(50):
        buffer.append(note(f"u{i}", i))
    buffer._by_user = users = _CountingUsers(buffer._by_user)
    for i in range(50):
        assert buffer.append(note(f"u{i}", 100 + i))
    assert (users.walks, buffer.users()) == (0, 50)
