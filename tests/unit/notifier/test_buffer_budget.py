"""The replay buffers' byte budget: least recently active users lose their oldest notifications
first, the newest of an active user is kept, and resumption stays exact only when it can be."""

from __future__ import annotations

import pytest

from processors.notifier.buffer import ReplayBuffer
from processors.notifier.ring import FORGOTTEN_ID_BYTES, notification_cost
from tests.unit.notifier.samples import note, numbers


#: Every test note costs the same (same payload shape): budgets are counted in notes.
COST = notification_cost(note("ada", 1))


def budget_for(notes: int) -> int:
    """Room for ``notes`` notifications plus a few ids remembered of those that left."""
    return notes * COST + 4 * FORGOTTEN_ID_BYTES


def test_the_buffers_never_hold_more_than_the_budget() -> None:
    buffer = ReplayBuffer(size=500, max_users=10_000, budget_bytes=budget_for(50))
    for n in range(400):
        buffer.append(note(f"user-{n % 40}", n))
    assert buffer.bytes <= budget_for(50)
    assert sum(len(buffer.recent(f"user-{u}")) for u in range(40)) <= 50
    assert buffer.evicted >= 350


def test_the_least_recently_active_user_loses_their_oldest_notifications_first() -> None:
    buffer = ReplayBuffer(size=10, max_users=10, budget_bytes=budget_for(6))
    for n in range(3):
        buffer.append(note("ada", n))
    for n in range(3):
        buffer.append(note("bob", n))
    buffer.append(note("cy", 0))  # one over: ada, notified least recently, gives her oldest
    assert (numbers(buffer.recent("ada")), numbers(buffer.recent("bob")), numbers(buffer.recent("cy"))) == ([1, 2], [0, 1, 2], [0])
    for n in range(3, 5):
        buffer.append(note("cy", n))  # ada goes entirely before bob loses anything
    assert (buffer.recent("ada"), numbers(buffer.recent("bob")), numbers(buffer.recent("cy"))) == ((), [0, 1, 2], [0, 3, 4])


def test_the_newest_notification_of_the_user_just_notified_is_kept_even_alone_over_the_budget() -> None:
    buffer = ReplayBuffer(size=10, max_users=10, budget_bytes=COST // 2)
    buffer.append(note("ada", 1))
    buffer.append(note("ada", 2))
    assert numbers(buffer.recent("ada")) == [2]


def test_the_newest_notification_of_a_connected_user_is_never_evicted() -> None:
    connected = {"ada"}
    buffer = ReplayBuffer(size=10, max_users=10, budget_bytes=budget_for(4), is_active=connected.__contains__)
    for n in range(3):
        buffer.append(note("ada", n))
    for n in range(10):
        buffer.append(note("bob", n))
    assert numbers(buffer.recent("ada")) == [2]  # her older ones went; her newest stays
    connected.clear()
    for n in range(10, 14):
        buffer.append(note("bob", n))
    assert buffer.recent("ada") == ()  # gone once she has no connection left


def test_a_connecting_client_makes_its_user_recently_active() -> None:
    buffer = ReplayBuffer(size=10, max_users=10, budget_bytes=budget_for(4))
    for user in ("ada", "bob"):
        buffer.append(note(user, 0))
        buffer.append(note(user, 1))
    buffer.touch("ada")  # ada's client connects: bob is now the least recently active
    buffer.append(note("cy", 0))
    assert (numbers(buffer.recent("ada")), numbers(buffer.recent("bob"))) == ([0, 1], [1])


def test_resuming_from_an_evicted_id_replays_what_is_left_and_asks_for_a_resync() -> None:
    buffer = ReplayBuffer(size=10, max_users=10, budget_bytes=budget_for(3))
    sent = [note("ada", n) for n in range(6)]
    for n in sent:
        buffer.append(n)
    assert numbers(buffer.recent("ada")) == [3, 4, 5]
    evicted = buffer.after("ada", sent[1].id)
    assert numbers(evicted.notifications) == [3, 4, 5] and not evicted.exact
    kept = buffer.after("ada", sent[3].id)  # everything after a kept id is kept too: oldest go first
    assert numbers(kept.notifications) == [4, 5] and kept.exact


def test_a_redelivery_of_an_evicted_notification_is_refused_not_kept_as_the_newest() -> None:
    buffer = ReplayBuffer(size=10, max_users=10, budget_bytes=budget_for(3))
    sent = [note("ada", n) for n in range(5)]
    for n in sent:
        buffer.append(n)
    assert not buffer.append(sent[1])  # Kafka redelivers after a rebalance
    assert numbers(buffer.recent("ada")) == [2, 3, 4]
    assert not buffer.after("ada", sent[1].id).exact


def test_accounting_returns_to_zero_when_everyone_is_gone() -> None:
    buffer = ReplayBuffer(size=3, max_users=1, budget_bytes=budget_for(2))
    for n in range(5):
        buffer.append(note("ada", n))
    buffer.append(note("bob", 0))  # ada is forgotten: one user at most
    assert buffer.users() == 1 and buffer.bytes == COST


@pytest.mark.parametrize("budget", [0, -1])
def test_a_budget_without_room_is_refused(budget: int) -> None:
    with pytest.raises(ValueError):
        ReplayBuffer(size=1, max_users=1, budget_bytes=budget)
