"""Graph webhooks into the running bridge, with its real live side, against the emulator's
Microsoft face (its subscriptions POST the notifications Graph documents) on the real stack:
mailbox changes arrive as update events per user in order; ``missed`` resyncs;
``subscriptionRemoved`` recreates the subscription; forged, malformed, oversized, unknown and
duplicate notifications are handled; no token or clientState reaches the logs; a restarted
bridge loses nothing."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

import httpx
from cryptography.fernet import Fernet

from connectors.emulator.microsoft import DEMO_TENANT
from producers.bridge.metrics import METRICS
from producers.integrations.state import GRAPH_SUBSCRIPTION
from schemas.models import DocType
from tests.integration.bridge.harness import INTERNAL_TOKEN, RunningBridge, free_port, running_bridge
# Imported into this module, so they win over the Google fixtures of the same names.
from tests.integration.microsoft.harness import emulator, pristine_world, tls  # noqa: F401
from tests.integration.producers.live_helpers import ALL, downstream
from tests.integration.producers.stack_fixtures import payloads  # noqa: F401
from tests.integration.producers.test_live_microsoft import expected

if TYPE_CHECKING:
    from tests.integration.microsoft.harness import Emulator

DOC_TYPES = ["email", "calendar_event", "contact"]


def webhooks(outcome: str) -> float:
    return METRICS.value("officestream_bridge_webhooks_total", provider="microsoft", outcome=outcome)


async def connected_live(running: RunningBridge, emulator: Emulator) -> str:
    answer = await running.connect(provider="microsoft", user=emulator.user, doc_types=DOC_TYPES)
    assert answer.status_code == 201, answer.text
    await running.wait_for_job(answer.json()["job_id"])
    await running.wait_for_status("microsoft", emulator.user, "live")
    await running.live.drain()  # the hand-off's syncs
    return f"microsoft:{emulator.user}"


def subscription(running: RunningBridge, key: str, resource: str) -> Any:
    return next(w for w in running.bridge.integrations.get(key).watches
                if w.kind == GRAPH_SUBSCRIPTION and w.resource == resource)


def notification(watch: Any, user: str, item_id: str, *, client_state: str | None = None) -> dict[str, Any]:
    """A change notification as Graph POSTs it (basic, without resource data's content)."""
    resource = f"Users/{user}/Messages/{item_id}"
    return {"value": [{
        "subscriptionId": watch.id, "subscriptionExpirationDateTime": watch.expires_at.isoformat(),
        "changeType": "created", "resource": resource, "tenantId": DEMO_TENANT,
        "clientState": client_state if client_state is not None else watch.client_state.get_secret_value(),
        "resourceData": {"@odata.type": "#Microsoft.Graph.Message", "@odata.id": resource, "id": item_id}}]}


def quiet_change(emulator: Emulator) -> str:
    """A new message the emulator does not notify (as if Graph dropped the notification)."""
    box = emulator.world.mailbox(emulator.user)
    source = box.emails[sorted(box.emails)[0]]
    item_id = f"quiet-{len(box.emails)}"
    box.emails[item_id] = dataclasses.replace(source, id=item_id)
    box.record("email", "created", item_id)
    return item_id


async def matches_mailbox(running: RunningBridge, emulator: Emulator, payloads) -> Any:
    seen = await downstream(running.kafka, running.serde, payloads, emulator.user)
    for doc_type in ALL:
        assert seen.live(doc_type) == expected(emulator)[doc_type], doc_type
    seen.assert_in_order()
    return seen


async def test_mailbox_changes_arrive_through_the_webhook_as_updates_in_order(emulator, stack, topic_prefix, serde,
                                                                             payloads, caplog):
    caplog.set_level(logging.DEBUG)
    async with running_bridge(stack, topic_prefix, serde, microsoft=emulator.settings(), live_side=True) as running:
        key = await connected_live(running, emulator)
        states = [w.client_state.get_secret_value() for w in running.bridge.integrations.get(key).watches]
        access_token = await running.bridge.tokens.access_token(emulator.user)
        for round_ in range(2):
            accepted = webhooks("accepted")
            updates_before = len((await downstream(running.kafka, running.serde, payloads, emulator.user))
                                 .updates.get(DocType.email, []))
            changes = (await emulator.post("/_emulator/advance", {"user": emulator.user}))["changes"]
            assert webhooks("accepted") > accepted, "the emulator's notifications were not accepted"
            await running.live.drain()
            seen = await matches_mailbox(running, emulator, payloads)
            emailed = {c["item_id"] for c in changes if c["kind"] == "email"}
            assert emailed <= set(seen.update_ids(DocType.email, updates_before)), round_
    assert states and all(state not in caplog.text for state in states)
    assert access_token not in caplog.text and INTERNAL_TOKEN not in caplog.text


async def test_missed_resyncs_and_subscription_removed_recreates_the_subscription(emulator, stack, topic_prefix, serde,
                                                                                 payloads):
    async with running_bridge(stack, topic_prefix, serde, microsoft=emulator.settings(), live_side=True) as running:
        key = await connected_live(running, emulator)
        item = quiet_change(emulator)
        await running.live.drain()
        assert item not in (await downstream(running.kafka, running.serde, payloads, emulator.user)).live(DocType.email)
        mail = subscription(running, key, "mail")
        answer = await emulator.post("/_emulator/microsoft/lifecycle", {"subscription_id": mail.id, "event": "missed"})
        assert answer == {"delivered": 202}
        await running.live.drain()
        assert item in (await matches_mailbox(running, emulator, payloads)).live(DocType.email)

        contacts = subscription(running, key, "contacts")
        await emulator.post("/_emulator/microsoft/lifecycle", {"subscription_id": contacts.id,
                                                               "event": "subscriptionRemoved"})
        await running.bridge.renewals.idle()
        recreated = subscription(running, key, "contacts")
        assert recreated.id != contacts.id and (await emulator.stats())["subscriptions"] == 3
        await emulator.post("/_emulator/advance", {"user": emulator.user})  # notified through the new one
        await running.live.drain()
        await matches_mailbox(running, emulator, payloads)


async def test_forged_malformed_oversized_unknown_and_duplicate_notifications(emulator, stack, topic_prefix, serde,
                                                                             payloads, caplog):
    caplog.set_level(logging.INFO)
    async with running_bridge(stack, topic_prefix, serde, microsoft=emulator.settings(), live_side=True) as running:
        key = await connected_live(running, emulator)
        requested: list[tuple[str, str]] = []
        real_request = running.live.request

        def recording(key: str, resource: str, *, reason: str, trace=None) -> None:
            requested.append((key, resource))
            real_request(key, resource, reason=reason, trace=trace)

        running.live.request = recording  # type: ignore[method-assign]
        mail = subscription(running, key, "mail")
        item = quiet_change(emulator)
        url = f"{running.url}/webhooks/microsoft"
        async with httpx.AsyncClient() as http:
            counts = {outcome: webhooks(outcome) for outcome in ("forged", "malformed", "oversized", "unknown")}
            forged = await http.post(url, json=notification(mail, emulator.user, item, client_state="not-the-secret"))
            assert forged.status_code == 403 and webhooks("forged") == counts["forged"] + 1
            for body in (b"{not json", b'{"value": "no list"}', b'{"value": [{"changeType": "created"}]}'):
                answer = await http.post(url, content=body, headers={"Content-Type": "application/json"})
                assert answer.status_code == 400, body
            assert webhooks("malformed") == counts["malformed"] + 3
            huge = {"value": [], "padding": "x" * running.bridge.settings.max_body_bytes}
            assert (await http.post(url, json=huge)).status_code == 413
            assert webhooks("oversized") == counts["oversized"] + 1
            stranger = notification(mail.model_copy(update={"id": "not-ours"}), emulator.user, item)
            assert (await http.post(url, json=stranger)).status_code == 202
            assert webhooks("unknown") == counts["unknown"] + 1
            assert requested == [], "a refused or unknown notification requested a sync"

            body = notification(mail, emulator.user, item)
            twice = await asyncio.gather(http.post(url, json=body), http.post(url, json=body))
            assert [a.status_code for a in twice] == [202, 202] and requested == [(key, "mail"), (key, "mail")]
            await running.live.drain()
            await http.post(url, json=body)  # once more, after the sync
            await running.live.drain()
        seen = await matches_mailbox(running, emulator, payloads)
        assert seen.update_ids(DocType.email).count(item) == 1, "a duplicate notification published the item again"
    assert mail.client_state.get_secret_value() not in caplog.text and "not-the-secret" not in caplog.text
    assert "webhook refused provider=microsoft status=403" in caplog.text


async def test_a_restarted_bridge_catches_up_with_what_changed_while_it_was_down(emulator, stack, topic_prefix, serde,
                                                                                payloads):
    port, state_key = free_port(), Fernet.generate_key().decode()
    settings = emulator.settings()
    async with running_bridge(stack, topic_prefix, serde, microsoft=settings, live_side=True, port=port,
                              state_key=state_key) as running:
        await connected_live(running, emulator)
    # Down: the emulator's notifications find nobody (dropped, as Graph eventually drops them).
    delivered = (await emulator.stats())["deliveries"]
    changes = (await emulator.post("/_emulator/advance", {"user": emulator.user}))["changes"]
    assert (await emulator.stats())["deliveries"].get("failed", 0) > delivered.get("failed", 0)
    async with running_bridge(stack, topic_prefix, serde, microsoft=settings, live_side=True, port=port,
                              state_key=state_key) as running:
        await running.live.drain()  # the first backstop round at start
        seen = await matches_mailbox(running, emulator, payloads)
        assert {c["item_id"] for c in changes if c["kind"] == "email"} <= set(seen.update_ids(DocType.email))
        await emulator.post("/_emulator/advance", {"user": emulator.user})  # and notifications flow again
        await running.live.drain()
        await matches_mailbox(running, emulator, payloads)


async def test_subscriptions_are_renewed_at_half_their_lifetime_on_reauthorization_and_recreated_when_gone(
        emulator, stack, topic_prefix, serde, payloads):
    async with running_bridge(stack, topic_prefix, serde, microsoft=emulator.settings(), live_side=True) as running:
        key = await connected_live(running, emulator)
        renewals = running.bridge.renewals
        first = {w.resource: w for w in running.bridge.integrations.get(key).watches}
        renewals.check(now=first["mail"].renewed_at + (first["mail"].expires_at - first["mail"].renewed_at) * 0.4)
        await renewals.idle()
        assert {w.resource: w for w in running.bridge.integrations.get(key).watches} == first  # not due yet
        halfway = max(w.renewed_at + (w.expires_at - w.renewed_at) * 0.5 for w in first.values())
        renewals.check(now=halfway + dt.timedelta(seconds=1))
        await renewals.idle()
        renewed = {w.resource: w for w in running.bridge.integrations.get(key).watches}
        assert all(renewed[r].id == first[r].id and renewed[r].renewed_at > first[r].renewed_at for r in first)

        await emulator.post("/_emulator/microsoft/lifecycle", {"subscription_id": renewed["calendar"].id,
                                                               "event": "reauthorizationRequired"})
        await renewals.idle()
        assert subscription(running, key, "calendar").renewed_at > renewed["calendar"].renewed_at

        # Gone at Graph without a word (expired while the bridge was down): the renewal recreates it.
        await running.bridge.watches.stop(running.bridge.integrations.get(key), renewed["mail"])
        renewals.check(now=halfway + 2 * (halfway - first["mail"].renewed_at))
        await renewals.idle()
        assert subscription(running, key, "mail").id != renewed["mail"].id
        assert (await emulator.stats())["subscriptions"] == 3
        await emulator.post("/_emulator/advance", {"user": emulator.user})
        await running.live.drain()
        await matches_mailbox(running, emulator, payloads)
