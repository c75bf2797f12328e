"""The hub's connection limits: per user and per instance, refused without holding anything,
freed when a connection ends; and the buffer budget's view of who is connected."""

from __future__ import annotations

import pytest

from processors.notifier.ring import notification_cost
from processors.notifier.exceptions import ServerConnectionLimitReached, UserConnectionLimitReached
from processors.notifier.hub import NotificationHub
from processors.notifier.settings import NotifierSettings
from tests.unit.notifier.samples import note


def limited(*, total: int = 100, per_user: int = 100, budget: int | None = None) -> NotificationHub:
    return NotificationHub(buffer_size=10, queue_size=10, max_connections=total, max_connections_per_user=per_user,
                           buffer_budget_bytes=budget)


def test_a_user_over_their_limit_is_refused_and_the_others_still_connect() -> None:
    hub = limited(per_user=2)
    hub.subscribe("ada"), hub.subscribe("ada")
    with pytest.raises(UserConnectionLimitReached):
        hub.subscribe("ada")
    hub.subscribe("bob")
    assert (hub.connections("ada"), hub.connections("bob"), hub.refused_user_limit) == (2, 1, 1)


def test_an_instance_over_its_limit_refuses_everyone() -> None:
    hub = limited(total=2)
    hub.subscribe("ada"), hub.subscribe("bob")
    with pytest.raises(ServerConnectionLimitReached):
        hub.subscribe("cy")
    assert (hub.connections(), hub.refused_server_limit) == (2, 1)


def test_the_users_own_limit_is_named_first_when_both_are_reached() -> None:
    hub = limited(total=2, per_user=2)
    hub.subscribe("ada"), hub.subscribe("ada")
    with pytest.raises(UserConnectionLimitReached):
        hub.subscribe("ada")
    with pytest.raises(ServerConnectionLimitReached):
        hub.subscribe("bob")


def test_a_refused_connection_holds_nothing_and_gets_no_notifications() -> None:
    hub = limited(per_user=1)
    first = hub.subscribe("ada")
    with pytest.raises(UserConnectionLimitReached):
        hub.subscribe("ada")
    assert hub.publish(note("ada", 1)) == 1 and first.pending() == 1


@pytest.mark.parametrize("how", ["unsubscribe", "slow_consumer", "close_all"])
def test_every_way_a_connection_ends_frees_its_slot(how: str) -> None:
    hub = NotificationHub(buffer_size=10, queue_size=1, max_connections=1, max_connections_per_user=1)
    subscription = hub.subscribe("ada")
    if how == "unsubscribe":
        with subscription:
            pass
    elif how == "slow_consumer":
        hub.publish(note("ada", 1))
        hub.publish(note("ada", 2))  # its queue of one is full: dropped
    else:
        hub.close_all()
    hub.unsubscribe(subscription)  # the handler's own exit afterwards changes nothing
    assert hub.connections() == 0
    assert hub.subscribe("ada").user_id == "ada"


def test_the_newest_notification_of_a_connected_user_survives_the_budget() -> None:
    hub = limited(budget=3 * notification_cost(note("ada", 0)))
    with hub.subscribe("ada"):
        hub.publish(note("ada", 0))
        for n in range(10):
            hub.publish(note("bob", n))
        assert [n.payload["n"] for n in hub.recent("ada")] == [0]
        assert hub.buffered_bytes() <= 3 * notification_cost(note("ada", 0)) and hub.evicted() >= 8


def test_the_limits_come_from_the_settings() -> None:
    settings = NotifierSettings.from_env({}, token_secret="k" * 32, max_connections=3, max_connections_per_user=1)
    hub = NotificationHub.from_settings(settings)
    hub.subscribe("ada")
    with pytest.raises(UserConnectionLimitReached):
        hub.subscribe("ada")
    hub.subscribe("bob"), hub.subscribe("cy")
    with pytest.raises(ServerConnectionLimitReached):
        hub.subscribe("dan")
