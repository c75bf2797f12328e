"""Gmail (Pub/Sub push) and Calendar (channel) webhooks into the running bridge, with its real
live side, against the emulator's Google face (it pushes the envelopes and channel headers
Google documents) on the real stack: changes arrive as update events per user in order;
forged, malformed, oversized, unknown and duplicate pushes are handled; the optional OIDC check;
the Gmail watch and the Calendar channel renewed before they expire; no token in the logs."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import logging
from typing import Any

import httpx

from connectors.emulator.google import refresh_token_for
from connectors.emulator.google.state import GOOGLE
from connectors.google.push import channel_token, pubsub_push_token
from producers.bridge.metrics import METRICS
from producers.bridge.push_oidc import PushTokenVerifier
from producers.integrations.state import CALENDAR_CHANNEL, GMAIL_WATCH
from schemas.models import DocType
from tests.integration.bridge.harness import INTERNAL_TOKEN, RunningBridge, running_bridge
from tests.integration.bridge.test_connect_google import TOPIC, connected
from tests.integration.google.fixtures import RunningEmulator, emulator, pristine_world  # noqa: F401
from tests.integration.producers.live_helpers import downstream
from tests.integration.producers.stack_fixtures import payloads  # noqa: F401
from tests.integration.producers.test_live_google import expected
from tests.unit.producers.oidc_keys import AUDIENCE, SERVICE_ACCOUNT, FakeCerts, signed_token

PUSHED = (DocType.email, DocType.calendar_event)


def webhooks(provider: str, outcome: str) -> float:
    return METRICS.value("officestream_bridge_webhooks_total", provider=provider, outcome=outcome)


async def connected_live(running: RunningBridge, emulator: RunningEmulator) -> str:
    await running.wait_for_job(await connected(running, emulator))
    await running.wait_for_status("google", emulator.user, "live")
    await running.live.drain()
    return f"google:{emulator.user}"


def watch_of(running: RunningBridge, key: str, kind: str) -> Any:
    return next(w for w in running.bridge.integrations.get(key).watches if w.kind == kind)


async def matches_account(running: RunningBridge, emulator: RunningEmulator, payloads, doc_types=PUSHED) -> Any:
    seen = await downstream(running.kafka, running.serde, payloads, emulator.user)
    for doc_type in doc_types:
        assert seen.live(doc_type) == expected(emulator)[doc_type], doc_type
    seen.assert_in_order()
    return seen


def envelope(address: str, history_id: int, message_id: str = "m-1") -> dict[str, Any]:
    data = base64.b64encode(json.dumps({"emailAddress": address, "historyId": history_id}).encode()).decode()
    return {"message": {"data": data, "messageId": message_id, "publishTime": "2026-12-04T10:00:00Z"},
            "subscription": "projects/officestream-tests/subscriptions/officestream-push"}


def channel_headers(channel_id: str, resource_id: str, token: str, state: str, number: int) -> dict[str, str]:
    return {"X-Goog-Channel-ID": channel_id, "X-Goog-Resource-ID": resource_id, "X-Goog-Channel-Token": token,
            "X-Goog-Resource-State": state, "X-Goog-Message-Number": str(number)}


async def test_gmail_and_calendar_pushes_arrive_as_updates_in_order(emulator, stack, topic_prefix, serde, payloads,
                                                                   caplog):
    caplog.set_level(logging.DEBUG)
    google = emulator.settings(gmail_push_topic=TOPIC)
    async with running_bridge(stack, topic_prefix, serde, google=google, live_side=True) as running:
        key = await connected_live(running, emulator)
        channel = watch_of(running, key, CALENDAR_CHANNEL)
        for round_ in range(2):
            before = {p: webhooks(p, "accepted") for p in ("gmail", "calendar")}
            changes = await asyncio.to_thread(emulator.control, "/_emulator/advance", {"user": emulator.user})
            assert all(webhooks(p, "accepted") == before[p] + 1 for p in before), "pushes not accepted"
            await running.live.drain()
            seen = await matches_account(running, emulator, payloads)
            mailed = {c["item_id"] for c in changes["changes"] if c["kind"] == "email"}
            assert mailed and mailed <= set(seen.update_ids(DocType.email)), round_
        assert (await running.live.sync_now(key, "contacts")).outcome == "synced"  # People: polled, never pushed
        await matches_account(running, emulator, payloads, doc_types=(DocType.contact,))
        access_tokens = [t for t in emulator.runners[0].app[GOOGLE].access_tokens]
    secret = google.push_token_secret
    used = [refresh_token_for(emulator.user), pubsub_push_token(secret), channel_token(secret, channel.id),
            secret.get_secret_value(), INTERNAL_TOKEN, *access_tokens]
    assert access_tokens and [token for token in used if token in caplog.text] == []


async def test_forged_malformed_oversized_unknown_and_duplicate_pushes(emulator, stack, topic_prefix, serde, payloads):
    google = emulator.settings(gmail_push_topic=TOPIC)
    async with running_bridge(stack, topic_prefix, serde, google=google, live_side=True) as running:
        key = await connected_live(running, emulator)
        requested: list[tuple[str, str, str]] = []
        real_request = running.live.request

        def recording(key: str, resource: str, *, reason: str, trace=None) -> None:
            requested.append((key, resource, reason))
            real_request(key, resource, reason=reason, trace=trace)

        running.live.request = recording  # type: ignore[method-assign]
        secret, user = google.push_token_secret, emulator.user
        gmail = f"{running.url}/webhooks/google/gmail"
        calendar_url = f"{running.url}/webhooks/google/calendar"
        channel = watch_of(running, key, CALENDAR_CHANNEL)
        token = channel_token(secret, channel.id)
        history = int(running.bridge.integrations.get(key).cursors["gmail"])
        async with httpx.AsyncClient() as http:
            answers = [
                (await http.post(gmail, params={"token": "wrong"}, json=envelope(user, history + 1))).status_code,
                (await http.post(gmail, json=envelope(user, history + 1))).status_code,
                (await http.post(gmail, params={"token": pubsub_push_token(secret)},
                                 json={"message": {"data": "%%%not base64"}})).status_code,
                (await http.post(gmail, params={"token": pubsub_push_token(secret)}, content=b"[1, 2")).status_code,
                (await http.post(gmail, params={"token": pubsub_push_token(secret)},
                                 content=b"x" * (running.bridge.settings.max_body_bytes + 1))).status_code,
                (await http.post(gmail, params={"token": pubsub_push_token(secret)},
                                 json=envelope("nobody@example.com", history + 1))).status_code,
                (await http.post(gmail, params={"token": pubsub_push_token(secret)},
                                 json=envelope(user, history))).status_code,  # already synced to it
                (await http.post(calendar_url, headers=channel_headers(channel.id, channel.resource_id, "forged",
                                                                       "exists", 90))).status_code,
                (await http.post(calendar_url, headers=channel_headers(channel.id, channel.resource_id, token,
                                                                       "sync", 91))).status_code,
                (await http.post(calendar_url, headers=channel_headers(channel.id, channel.resource_id, token,
                                                                       "bogus-state", 92))).status_code,
                (await http.post(calendar_url, headers=channel_headers("other", "r", channel_token(secret, "other"),
                                                                       "exists", 1))).status_code,
            ]
            assert answers == [403, 403, 400, 400, 413, 202, 202, 403, 200, 400, 202]
            assert requested == [], "a refused, unknown or covered push requested a sync"

            # The same channel message twice (a redelivery): one request; the sync finds it once.
            item = next(iter(emulator.world.mailbox(user).events))
            emulator.world.mailbox(user).record("event", "updated", item)
            twice = [await http.post(calendar_url, headers=channel_headers(channel.id, channel.resource_id, token,
                                                                           "exists", 100)) for _ in range(2)]
            assert [a.status_code for a in twice] == [202, 202] and len(requested) == 1
        await running.live.drain()
        await matches_account(running, emulator, payloads)


async def test_the_oidc_check_refuses_pushes_without_a_valid_google_token(emulator, stack, topic_prefix, serde):
    google = emulator.settings(gmail_push_topic=TOPIC)
    settings = {"google_push_audience": AUDIENCE, "google_push_service_account": SERVICE_ACCOUNT}
    async with running_bridge(stack, topic_prefix, serde, google=google, live_side=True,
                              bridge_settings=settings) as running:
        key = await connected_live(running, emulator)
        running.bridge.webhooks.oidc = PushTokenVerifier(AUDIENCE, service_account=SERVICE_ACCOUNT, request=FakeCerts())
        history = int(running.bridge.integrations.get(key).cursors["gmail"])
        url = f"{running.url}/webhooks/google/gmail?token={pubsub_push_token(google.push_token_secret)}"
        body = envelope(emulator.user, history + 5)
        forged_before = webhooks("gmail", "forged")
        async with httpx.AsyncClient() as http:
            bearer = {"Authorization": f"Bearer {signed_token()}"}
            answers = [(await http.post(url, json=body, headers=headers)).status_code for headers in (
                {}, {"Authorization": "Bearer not.a.jwt"}, {"Authorization": f"Bearer {signed_token(audience='other')}"},
                {"Authorization": f"Bearer {signed_token(email='someone@example.com')}"},
                {"Authorization": f"Bearer {signed_token(key='unknown')}"}, bearer)]
        assert answers == [401, 401, 401, 401, 401, 202]
        assert webhooks("gmail", "forged") == forged_before + 5


async def test_the_gmail_watch_and_the_calendar_channel_are_renewed_before_they_expire(emulator, stack, topic_prefix,
                                                                                       serde, payloads):
    google = emulator.settings(gmail_push_topic=TOPIC)
    async with running_bridge(stack, topic_prefix, serde, google=google, live_side=True) as running:
        key = await connected_live(running, emulator)
        old_channel, old_watch = watch_of(running, key, CALENDAR_CHANNEL), watch_of(running, key, GMAIL_WATCH)
        running.bridge.renewals.check(now=old_channel.renewed_at + dt.timedelta(seconds=1))
        await running.bridge.renewals.idle()
        assert watch_of(running, key, CALENDAR_CHANNEL) == old_channel  # not due yet
        halfway = max(old_channel.renewed_at + (old_channel.expires_at - old_channel.renewed_at) * 0.51,
                      old_watch.renewed_at + (old_watch.expires_at - old_watch.renewed_at) * 0.51)
        running.bridge.renewals.check(now=halfway)
        await running.bridge.renewals.idle()
        channel, watch = watch_of(running, key, CALENDAR_CHANNEL), watch_of(running, key, GMAIL_WATCH)
        assert channel.id != old_channel.id and channel.renewed_at > old_channel.renewed_at
        assert watch.renewed_at > old_watch.renewed_at
        state = emulator.runners[0].app[GOOGLE]
        assert set(state.channels) == {channel.id}, "the replaced channel was not stopped"
        assert METRICS.value("officestream_bridge_renewals_total", kind=CALENDAR_CHANNEL, action="renew",
                             outcome="ok") >= 1
        before = (await downstream(running.kafka, running.serde, payloads, emulator.user)).update_ids(DocType.calendar_event)
        accepted = webhooks("calendar", "accepted")
        await asyncio.to_thread(emulator.control, "/_emulator/advance", {"user": emulator.user})  # the new channel pushes
        assert webhooks("calendar", "accepted") == accepted + 1
        await running.live.drain()
        seen = await matches_account(running, emulator, payloads)
        assert seen.update_ids(DocType.calendar_event).count("evt-weekly") == before.count("evt-weekly") + 1
