"""Subscriptions and notifications: the validation handshake against a webhook the test runs,
change notifications after mailbox activity with clientState verification, renewal, deletion,
and lifecycle notifications."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import httpx
import pytest
import pytest_asyncio

from connectors.microsoft.auth import AppCredentials
from connectors.microsoft.exceptions import SubscriptionValidationFailed
from connectors.microsoft.graph_client import GraphClient
from connectors.microsoft.notifications import (
    ChangeNotification,
    LifecycleNotification,
    accept_verified,
    parse_notifications,
)
from connectors.microsoft.subscriptions import SubscriptionManager

if TYPE_CHECKING:
    from tests.integration.microsoft.harness import Emulator, Webhook

pytest_plugins = ("tests.integration.microsoft.harness",)


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest_asyncio.fixture
async def client(emulator: Emulator, webhook: Webhook) -> AsyncIterator[GraphClient]:
    settings = emulator.settings(notification_url=f"{webhook.url}/graph/notifications",
                                 lifecycle_notification_url=f"{webhook.url}/graph/lifecycle")
    async with GraphClient(settings, AppCredentials(settings)) as graph:
        yield graph


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def manager(client: GraphClient, clock: Clock) -> SubscriptionManager:
    return SubscriptionManager(client, client.settings, clock=clock)


async def test_create_passes_the_validation_handshake_for_both_urls(emulator: Emulator, webhook: Webhook,
                                                                   manager: SubscriptionManager, clock: Clock) -> None:
    subscription = await manager.create(emulator.user, "messages")
    assert len(webhook.validations) == 2 and all(v.startswith("Validation: ") for v in webhook.validations)
    assert subscription.resource == f"users/{emulator.user}/messages"
    assert subscription.expires_at - clock.now == dt.timedelta(minutes=10_070)
    assert subscription.client_state not in repr(subscription)


async def test_create_fails_when_the_webhook_does_not_echo_the_token(emulator: Emulator, webhook: Webhook,
                                                                    manager: SubscriptionManager) -> None:
    webhook.echo_validation = False
    with pytest.raises(SubscriptionValidationFailed):
        await manager.create(emulator.user, "messages")
    assert (await emulator.stats())["subscriptions"] == 0


async def test_mailbox_activity_is_notified_and_verified_by_client_state(emulator: Emulator, webhook: Webhook,
                                                                       manager: SubscriptionManager) -> None:
    subscription = await manager.create(emulator.user, "messages")
    changes = (await emulator.post("/_emulator/advance", {"user": emulator.user}))["changes"]
    expected = {(c["change"], c["item_id"]) for c in changes if c["kind"] == "email"}
    received = [await webhook.next() for _ in expected]
    assert all(isinstance(n, ChangeNotification) for n in received)
    assert {(n.change_type, n.item_id) for n in received} == expected  # type: ignore[union-attr]
    secrets = {subscription.id: subscription.client_state}
    verified, refused = accept_verified(received, secrets.get)
    assert (len(verified), refused) == (len(expected), [])


async def test_forged_notification_is_refused(emulator: Emulator, webhook: Webhook, manager: SubscriptionManager) -> None:
    subscription = await manager.create(emulator.user, "messages")
    forged = {"value": [{"subscriptionId": subscription.id, "changeType": "deleted", "clientState": "guess",
                         "resource": "Users/x/Messages/m1", "resourceData": {"id": "m1"}}]}
    async with httpx.AsyncClient() as http:
        await http.post(f"{webhook.url}/graph/notifications", json=forged)
    notification = await webhook.next()
    verified, refused = accept_verified([notification], {subscription.id: subscription.client_state}.get)
    assert verified == [] and refused == [notification]
    assert accept_verified(parse_notifications(forged), {}.get)[1]  # unknown subscription: refused too


async def test_renewal_happens_only_past_half_the_lifetime(emulator: Emulator, manager: SubscriptionManager,
                                                          client: GraphClient, clock: Clock) -> None:
    clock.now -= dt.timedelta(minutes=5_040)  # created half a lifetime ago (Graph checks expiries on its own clock)
    subscription = await manager.create(emulator.user, "events")
    sent = client.requests_sent
    assert await manager.renew_due([subscription]) == [subscription]
    assert client.requests_sent == sent  # nothing due: no request
    clock.now += dt.timedelta(minutes=5_040)
    [renewed] = await manager.renew_due([subscription])
    assert renewed.renewed_at == clock.now and renewed.expires_at == clock.now + dt.timedelta(minutes=10_070)
    assert renewed.client_state == subscription.client_state


async def test_delete_removes_the_subscription_and_tolerates_a_second_delete(emulator: Emulator,
                                                                          manager: SubscriptionManager) -> None:
    subscription = await manager.create(emulator.user, "contacts")
    await manager.delete(subscription)
    await manager.delete(subscription)
    assert (await emulator.stats())["subscriptions"] == 0


@pytest.mark.parametrize("event", ["reauthorizationRequired", "missed", "subscriptionRemoved"])
async def test_lifecycle_notifications_arrive_typed(emulator: Emulator, webhook: Webhook, manager: SubscriptionManager,
                                                    event: str) -> None:
    subscription = await manager.create(emulator.user, "messages")
    await emulator.post("/_emulator/microsoft/lifecycle", {"subscription_id": subscription.id, "event": event})
    notification = await webhook.next()
    assert isinstance(notification, LifecycleNotification)
    assert (notification.lifecycle_event, notification.subscription_id) == (event, subscription.id)
    assert accept_verified([notification], {subscription.id: subscription.client_state}.get)[0] == [notification]
