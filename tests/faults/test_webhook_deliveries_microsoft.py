"""Graph change notifications delivered twice and in reversed order, and forged ones, into the
running bridge (real live side, the emulator's Microsoft face) with the three sink workers
behind it on the real stack.

Two rounds of mailbox activity happen without Graph notifying them (the emulator's world is
changed directly); the test then delivers each change's notification itself, last change
first, every one twice at once. Before that, a notification with a forged ``clientState`` for a
change only it announces is refused (403) and publishes nothing. Afterwards: every changed item
was published at its newest version and no (item, version) twice; every sink holds exactly
what the mailbox holds, at the provider's version (tests/faults/webhook_sinks.py)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from schemas.models import DocType
from tests.faults import webhook_sinks as sinks
from tests.integration.bridge.harness import running_bridge
from tests.integration.bridge.test_webhooks_microsoft import (
    connected_live,
    matches_mailbox,
    notification,
    quiet_change,
    subscription,
)
from tests.integration.microsoft.harness import emulator, pristine_world, tls  # noqa: F401
from tests.integration.producers.live_helpers import downstream
from tests.integration.producers.stack_fixtures import payloads  # noqa: F401
from tests.kafka_helpers import prepared

if TYPE_CHECKING:
    from tests.integration.microsoft.harness import Emulator

pytestmark = [pytest.mark.integration, pytest.mark.faults]

#: The emulator's change kinds: the doc type and the Graph subscription's resource.
KINDS = {"email": (DocType.email, "mail"), "event": (DocType.calendar_event, "calendar"),
         "contact": (DocType.contact, "contacts")}


def change_notification(running, key: str, user: str, change: Any) -> dict[str, Any]:
    doc_type, resource = KINDS[change.kind]
    body = notification(subscription(running, key, resource), user, change.item_id)
    body["value"][0]["changeType"] = change.change
    return body


async def test_duplicate_reversed_and_forged_graph_notifications_give_one_event_per_change_and_the_newest_in_every_sink(
        emulator: Emulator, stack, topic_prefix, serde, payloads, tmp_path):
    kafka = prepared(stack, topic_prefix)
    workers = sinks.start_sinks(stack, topic_prefix, tmp_path)
    try:
        async with running_bridge(stack, topic_prefix, serde, microsoft=emulator.settings(), live_side=True) as running:
            key = await connected_live(running, emulator)
            seen = await downstream(running.kafka, running.serde, payloads, emulator.user)
            since = {doc_type: len(updates) for doc_type, updates in seen.updates.items()}
            url, changed = f"{running.url}/webhooks/microsoft", set()
            async with httpx.AsyncClient() as http:
                forged_item = quiet_change(emulator)
                forged = notification(subscription(running, key, "mail"), emulator.user, forged_item,
                                      client_state="forged-client-state")
                assert [(await http.post(url, json=forged)).status_code for _ in range(2)] == [403, 403]
                await running.live.drain()
                after_forged = await downstream(running.kafka, running.serde, payloads, emulator.user)
                assert forged_item not in after_forged.update_ids(DocType.email), "a forged notification synced"
                changed.add((DocType.email, forged_item))  # the genuine notifications of round 0 bring it
                for _ in range(2):
                    changes = emulator.world.advance(emulator.user)  # nobody notified yet
                    changed |= {(KINDS[c.kind][0], c.item_id) for c in changes}
                    for change in reversed(changes):
                        body = change_notification(running, key, emulator.user, change)
                        answers = await asyncio.gather(http.post(url, json=body), http.post(url, json=body))
                        assert [a.status_code for a in answers] == [202, 202]
                    await running.live.drain()
            seen = await matches_mailbox(running, emulator, payloads)  # the newest versions, in order
            lost, twice = sinks.print_published(changed, seen, since)
            await sinks.wait_consumed(kafka, workers)
            problems = await sinks.sink_verdict(kafka, running.url, tmp_path)
    finally:
        for worker in workers:
            worker.stop()
    assert not lost and not twice, (lost, twice)
    assert not problems, problems
