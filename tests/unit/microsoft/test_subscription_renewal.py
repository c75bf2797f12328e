"""When a subscription is due for renewal, and what we send Graph."""

from __future__ import annotations

import datetime as dt

from connectors.microsoft.subscriptions import (
    Subscription,
    new_client_state,
    resource_for,
)

CREATED = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def _subscription(lifetime: dt.timedelta) -> Subscription:
    return Subscription(id="s1", mailbox="ada@contoso.example", kind="messages", resource="users/ada@contoso.example/messages",
                        change_types=("created",), notification_url="https://hooks.example/graph", client_state="x",
                        renewed_at=CREATED, expires_at=CREATED + lifetime)


def test_renewal_is_due_once_the_fraction_of_the_lifetime_has_passed() -> None:
    subscription = _subscription(dt.timedelta(minutes=10_070))
    halfway = CREATED + dt.timedelta(minutes=5_035)
    assert not subscription.needs_renewal(halfway - dt.timedelta(seconds=1), 0.5)
    assert subscription.needs_renewal(halfway, 0.5)
    assert not subscription.needs_renewal(halfway, 0.75)


def test_each_subscription_gets_its_own_unguessable_client_state() -> None:
    states = {new_client_state() for _ in range(50)}
    assert len(states) == 50 and all(40 <= len(state) <= 128 for state in states)


def test_resource_paths_name_the_mailbox() -> None:
    assert resource_for("events", "ada@contoso.example") == "users/ada@contoso.example/events"
