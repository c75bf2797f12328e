"""Connecting a Microsoft 365 mailbox through the bridge's internal API, against the emulator's
Microsoft face (real msal and httpx) on the real stack: registrations first, then the backfill,
then the hand-off to the live side; disconnecting removes the registrations."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from producers.backfill.job import JobStatus
from producers.integrations.cursors import handoff_cursors
from producers.integrations.tokens import is_token_cache
from schemas.models import DocType, IntegrationConnectedEvent, IntegrationNeedsReauthEvent, Provider
from tests.integration.bridge.harness import INTERNAL_TOKEN, running_bridge

# Imported into this module, so they win over the Google fixtures of the same names.
from tests.integration.microsoft.harness import emulator, pristine_world, tls  # noqa: F401

if TYPE_CHECKING:
    from tests.integration.microsoft.harness import Emulator

ALL = ("email", "calendar_event", "contact")


async def test_connect_registers_first_then_backfills_and_hands_off_to_the_live_side(
        emulator: Emulator, stack, topic_prefix, serde, caplog):
    caplog.set_level(logging.DEBUG)
    async with running_bridge(stack, topic_prefix, serde, microsoft=emulator.settings()) as running:
        job_saves: list[tuple[JobStatus, int]] = []
        store = running.bridge.backfill.store
        original_save = store.save

        async def watching_save(job):
            job_saves.append((job.status, (await emulator.stats())["subscriptions"]))
            await original_save(job)

        store.save = watching_save  # type: ignore[method-assign]
        answer = await running.connect(provider="microsoft", user=emulator.user, doc_types=list(ALL))
        assert answer.status_code == 201, answer.text
        job_id = answer.json()["job_id"]
        # The three Graph subscriptions existed at the emulator before the job was first written.
        assert job_saves[0] == (JobStatus.pending, 3)
        assert {w["resource"] for w in answer.json()["integration"]["watches"]} == {"mail", "calendar", "contacts"}

        [event] = await running.integration_events()
        assert isinstance(event, IntegrationConnectedEvent)
        assert event.integration_id == f"microsoft:{emulator.user}" and event.metadata.correlation_id == job_id
        assert event.metadata.source_service == "office-bridge"

        await running.wait_for_job(job_id)
        live = await running.wait_for_status("microsoft", emulator.user, "live")
        job = running.bridge.backfill.store.get(job_id)
        stored = running.bridge.integrations.get(f"microsoft:{emulator.user}")
        expected: dict[str, str] = {}
        for doc_type in (DocType.email, DocType.calendar_event, DocType.contact):
            expected |= handoff_cursors(Provider.microsoft, doc_type, job.doc(doc_type).sync_cursor)
        assert stored.cursors == expected
        assert {"calendar", "contacts"} <= set(expected) and any(name.startswith("mail:") for name in expected)
        assert set(live["backfilled"]) == set(ALL) and live["cursors"] == sorted(expected)
        assert {(r[1], r[2]) for r in running.live.requests} == {
            ("mail", "backfill-completed"), ("calendar", "backfill-completed"), ("contacts", "backfill-completed")}

        gone = await running.http.delete(f"/internal/integrations/microsoft/{emulator.user}")
        assert gone.status_code == 200 and gone.json()["status"] == "disconnected" and gone.json()["watches"] == []
        assert (await emulator.stats())["subscriptions"] == 0
        assert not gone.json()["has_grant"]
    text = caplog.text
    assert INTERNAL_TOKEN not in text
    assert "eyJ0eXAi." not in text  # the emulator's Graph access tokens


async def test_a_delegated_grant_is_kept_as_a_rotating_token_cache_and_its_revocation_pauses(
        emulator: Emulator, stack, topic_prefix, serde, caplog):
    caplog.set_level(logging.DEBUG)
    grant = await emulator.refresh_token(emulator.user)  # what a consent flow would leave behind
    async with running_bridge(stack, topic_prefix, serde, microsoft=emulator.settings(), embed_max_bytes=0) as running:
        answer = await running.connect(provider="microsoft", user=emulator.user, doc_types=list(ALL), grant=grant)
        assert answer.status_code == 201, answer.text
        assert answer.json()["integration"]["has_grant"]
        await running.wait_for_job(answer.json()["job_id"])
        await running.wait_for_status("microsoft", emulator.user, "live")
        stored = running.bridge.integrations.get(f"microsoft:{emulator.user}").refresh_token.get_secret_value()
        assert is_token_cache(stored)  # exchanged once, then kept as msal's cache (rotated tokens included)
        raw = b"".join(running.raw_state())
        assert grant.encode() not in raw and b"0.ARw" not in raw and b"secret" not in raw  # cache sealed too

        box = emulator.world.mailbox(emulator.user)
        await running.expired_references_are_served_again(
            emulator.user, usable=lambda doc_type, doc_id: doc_type is not DocType.calendar_event or doc_id in box.events)

        await emulator.post("/_emulator/microsoft/revoke", {"user": emulator.user})
        message = next(iter(box.emails))
        refused = await running.http.get(f"/internal/content/{emulator.user}/email/{message}")
        assert refused.status_code == 410, refused.text
        paused = await running.integration("microsoft", emulator.user)
        assert paused["status"] == "needs-reauth"
        _, reauth = await running.integration_events(count=2)
        assert isinstance(reauth, IntegrationNeedsReauthEvent) and reauth.reason == "invalid_grant"
        assert reauth.detail and "AADSTS50173" in reauth.detail
    assert grant not in caplog.text and "0.ARw" not in caplog.text and "eyJ0eXAi." not in caplog.text
