"""Gmail Pub/Sub pushes out of order and twice, Calendar channel messages repeated, and forged
pushes (push URL token, channel token, Pub/Sub's OIDC token) into the running bridge (real live
side, OIDC check on, the emulator's Google face) with the three sink workers behind it.

Each round, the account changes without Google pushing anything (the emulator's world is
changed directly). First the forged pushes announce it: all refused (401 / 403) and nothing
published. Then the genuine ones: the Gmail push with the newest ``historyId``, then one with an
older ``historyId``, then the newest again (a Pub/Sub redelivery); the Calendar channel message
twice with one message number. Contacts are polled (People has no push). Afterwards: every
changed item was published at its newest version and no (item, version) twice; every sink
holds exactly what the account holds, at the provider's version (tests/faults/webhook_sinks.py)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from connectors.google.push import channel_token, pubsub_push_token
from producers.bridge.push_oidc import PushTokenVerifier
from producers.integrations.state import CALENDAR_CHANNEL
from schemas.models import DocType
from tests.faults import webhook_sinks as sinks
from tests.integration.bridge.harness import RunningBridge, running_bridge
from tests.integration.bridge.test_connect_google import TOPIC
from tests.integration.bridge.test_webhooks_google import (
    channel_headers,
    connected_live,
    envelope,
    matches_account,
    watch_of,
)
from tests.integration.google.fixtures import RunningEmulator, emulator, pristine_world  # noqa: F401
from tests.integration.producers.live_helpers import Downstream, downstream
from tests.integration.producers.stack_fixtures import payloads  # noqa: F401
from tests.kafka_helpers import prepared
from tests.unit.producers.oidc_keys import AUDIENCE, SERVICE_ACCOUNT, FakeCerts, signed_token

pytestmark = [pytest.mark.integration, pytest.mark.faults]

KINDS = {"email": DocType.email, "event": DocType.calendar_event, "contact": DocType.contact}
def doc_id(change) -> str:
    """The id events carry for an emulator change: People resource names are ``people/<id>``."""
    return f"people/{change.item_id}" if change.kind == "contact" else change.item_id


OIDC = {"google_push_audience": AUDIENCE, "google_push_service_account": SERVICE_ACCOUNT}


def genuine_bearer() -> dict[str, str]:
    """A valid push token signed now: it expires in 10 min, and the fault suite outlasts that (one
    signed at import failed this test when it ran 14 min after collection)."""
    return {"Authorization": f"Bearer {signed_token()}"}


@dataclass
class Pushes:
    """Pushes to the bridge as Pub/Sub and Calendar send them; each returns the HTTP status."""

    http: httpx.AsyncClient
    running: RunningBridge
    user: str
    secret: SecretStr
    channel: Any

    async def gmail(self, history_id: int, message_id: str, *, token: str | None = None,
                    headers: dict[str, str] | None = None) -> int:
        headers = genuine_bearer() if headers is None else headers
        params = {"token": token or pubsub_push_token(self.secret)}
        return (await self.http.post(f"{self.running.url}/webhooks/google/gmail", params=params, headers=headers,
                                     json=envelope(self.user, history_id, message_id))).status_code

    async def calendar(self, number: int, *, token: str | None = None) -> int:
        token = token or channel_token(self.secret, self.channel.id)
        headers = channel_headers(self.channel.id, self.channel.resource_id, token, "exists", number)
        return (await self.http.post(f"{self.running.url}/webhooks/google/calendar", headers=headers)).status_code

    async def forged(self, history_id: int, round_: int) -> list[int]:
        def bearer(token: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {token}"}

        message = f"forged-{round_}"
        return [await self.gmail(history_id, message, token="not-the-push-token"),
                await self.gmail(history_id, message, headers={}),
                await self.gmail(history_id, message, headers=bearer(signed_token(key="unknown"))),
                await self.gmail(history_id, message, headers=bearer(signed_token(audience="other"))),
                await self.calendar(1000 * (round_ + 1), token="not-the-channel-token")]

    async def genuine(self, newest: int, older: int, round_: int) -> list[int]:
        """The newest history id, an older one after it, the newest again (a redelivery); one
        channel message twice at once."""
        number = 1000 * (round_ + 1) + 1
        return [await self.gmail(newest, f"new-{round_}"), await self.gmail(older, f"old-{round_}"),
                await self.gmail(newest, f"new-{round_}"),
                *await asyncio.gather(self.calendar(number), self.calendar(number))]


def update_counts(seen: Downstream) -> list[int]:
    return [len(seen.updates.get(doc_type, [])) for doc_type in KINDS.values()]


async def test_out_of_order_repeated_and_forged_google_pushes_give_one_event_per_change_and_the_newest_in_every_sink(
        emulator: RunningEmulator, stack, topic_prefix, serde, payloads, tmp_path):
    kafka = prepared(stack, topic_prefix)
    google = emulator.settings(gmail_push_topic=TOPIC)
    workers = sinks.start_sinks(stack, topic_prefix, tmp_path)
    try:
        async with running_bridge(stack, topic_prefix, serde, google=google, live_side=True,
                                  bridge_settings=OIDC) as running:
            running.bridge.webhooks.oidc = PushTokenVerifier(AUDIENCE, service_account=SERVICE_ACCOUNT,
                                                             request=FakeCerts())
            key, user = await connected_live(running, emulator), emulator.user
            seen = await downstream(running.kafka, running.serde, payloads, user)
            since = {doc_type: len(updates) for doc_type, updates in seen.updates.items()}
            changed: set[tuple[DocType, str]] = set()
            async with httpx.AsyncClient() as http:
                pushes = Pushes(http, running, user, google.push_token_secret, watch_of(running, key, CALENDAR_CHANNEL))
                for round_ in range(2):
                    stored = int(running.bridge.integrations.get(key).cursors["gmail"])
                    changes = emulator.world.advance(user)  # nobody pushed yet
                    changed |= {(KINDS[c.kind], doc_id(c)) for c in changes}
                    newest = emulator.world.mailbox(user).seq
                    assert await pushes.forged(newest, round_) == [403, 401, 401, 401, 403]
                    await running.live.drain()
                    after = await downstream(running.kafka, running.serde, payloads, user)
                    assert update_counts(after) == update_counts(seen), "a forged push published events"
                    assert await pushes.genuine(newest, stored + (newest - stored) // 2, round_) == [202] * 5
                    await running.live.drain()
                    assert (await running.live.sync_now(key, "contacts")).outcome == "synced"  # People: polled
                    seen = await downstream(running.kafka, running.serde, payloads, user)
            seen = await matches_account(running, emulator, payloads, doc_types=tuple(KINDS.values()))
            lost, twice = sinks.print_published(changed, seen, since)
            await sinks.wait_consumed(kafka, workers)
            problems = await sinks.sink_verdict(kafka, running.url, tmp_path)
    finally:
        for worker in workers:
            worker.stop()
    assert not lost and not twice, (lost, twice)
    assert not problems, problems
