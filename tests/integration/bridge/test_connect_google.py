"""Connecting a Google account through the bridge's internal API, against the emulator's Google
face (real google-auth and google-api-python-client) on the real stack: the Gmail watch and the
Calendar channel first, then the backfill and the hand-off; the content endpoint serves expired
references; a revoked grant pauses the integration; disconnecting removes the registrations."""

from __future__ import annotations

import asyncio
import logging

import httpx

from connectors.emulator.google import refresh_token_for
from connectors.emulator.google.state import GOOGLE
from connectors.google.push import pubsub_push_token
from processors.common.faust_wiring import create_payload_store
from processors.common.settings import ProcessorSettings
from producers.backfill.job import JobStatus
from producers.integrations.secret_box import SecretBox
from producers.integrations.store import decode_integration
from schemas.models import IntegrationConnectedEvent, IntegrationNeedsReauthEvent
from tests.integration.bridge.harness import INTERNAL_TOKEN, RunningBridge, running_bridge
from tests.integration.google.fixtures import RunningEmulator, emulator, pristine_world  # noqa: F401

TOPIC = "projects/officestream-tests/topics/gmail-push"
ALL = ["email", "calendar_event", "contact"]


def google_state(emulator: RunningEmulator):
    return emulator.runners[0].app[GOOGLE]


async def connected_answer(running: RunningBridge, emulator: RunningEmulator) -> httpx.Response:
    """Connect the emulator's first user with the refresh token the emulator issued."""
    secret = emulator.settings().push_token_secret
    await asyncio.to_thread(emulator.control, "/_emulator/google/pubsub", {
        "topic": TOPIC, "push_endpoint": f"{running.url}/webhooks/google/gmail?token={pubsub_push_token(secret)}"})
    return await running.connect(provider="google", user=emulator.user, doc_types=ALL,
                                 grant=refresh_token_for(emulator.user))


async def connected(running: RunningBridge, emulator: RunningEmulator) -> str:
    """``connected_answer``, succeeded; the backfill job's id."""
    answer = await connected_answer(running, emulator)
    assert answer.status_code == 201, answer.text
    return answer.json()["job_id"]


async def test_connect_watches_first_backfills_hands_off_and_serves_expired_content(emulator, stack, topic_prefix,
                                                                                      serde, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    async with running_bridge(stack, topic_prefix, serde, google=emulator.settings(gmail_push_topic=TOPIC),
                              embed_max_bytes=0) as running:
        registered_before_job: list[tuple[JobStatus, bool, int]] = []
        store, state = running.bridge.backfill.store, google_state(emulator)
        original_save = store.save

        async def watching_save(job):
            registered_before_job.append((job.status, emulator.user in state.watches, len(state.channels)))
            await original_save(job)

        store.save = watching_save  # type: ignore[method-assign]
        job_id = await connected(running, emulator)
        assert registered_before_job[0] == (JobStatus.pending, True, 1)
        [event] = await running.integration_events()
        assert isinstance(event, IntegrationConnectedEvent) and event.integration_id == f"google:{emulator.user}"

        await running.wait_for_job(job_id)
        live = await running.wait_for_status("google", emulator.user, "live")
        assert live["cursors"] == ["calendar", "contacts", "gmail"]
        assert {r[1] for r in running.live.requests} == {"mail", "calendar", "contacts"}

        monkeypatch.setenv("OFFICESTREAM_REDIS_URL", stack.redis.url)  # the workers' store, as they build it
        consumers = create_payload_store(ProcessorSettings.from_env(
            {}, content_endpoint=f"{running.url}/internal", content_token=INTERNAL_TOKEN))
        await running.expired_references_are_served_again(emulator.user, payloads=consumers)

        gone = await running.http.delete(f"/internal/integrations/google/{emulator.user}")
        assert gone.status_code == 200 and gone.json()["status"] == "disconnected", gone.text
        assert emulator.user not in state.watches and not state.channels and gone.json()["last_error"] is None

        raw = b"".join(running.raw_state())
        assert refresh_token_for(emulator.user).encode() not in raw  # the grant is sealed on the topic
        box = SecretBox(running.bridge.settings.state_key)
        first = decode_integration(running.raw_state()[0], box)
        assert first.refresh_token.get_secret_value() == refresh_token_for(emulator.user)
    assert INTERNAL_TOKEN not in caplog.text
    assert refresh_token_for(emulator.user) not in caplog.text and "ya29." not in caplog.text


async def test_a_revoked_grant_pauses_the_integration_and_asks_for_reauthorization(emulator, stack, topic_prefix,
                                                                                  serde):
    async with running_bridge(stack, topic_prefix, serde, google=emulator.settings(gmail_push_topic=TOPIC),
                              embed_max_bytes=0) as running:
        job_id = await connected(running, emulator)
        await running.wait_for_job(job_id)
        await running.wait_for_status("google", emulator.user, "live")
        some_message = next(iter(emulator.world.mailbox(emulator.user).emails))
        await asyncio.to_thread(emulator.control, "/_emulator/google/revoke", {"user": emulator.user})

        answer = await running.http.get(f"/internal/content/{emulator.user}/email/{some_message}")
        assert answer.status_code == 410, answer.text
        paused = await running.integration("google", emulator.user)
        assert paused["status"] == "needs-reauth" and "invalid_grant" in paused["last_error"]
        connected_event, reauth = await running.integration_events(count=2)
        assert isinstance(reauth, IntegrationNeedsReauthEvent)
        assert reauth.integration_id == f"google:{emulator.user}" and reauth.reason == "invalid_grant"
        again = await running.http.get(f"/internal/content/{emulator.user}/email/{some_message}")
        assert again.status_code == 410
        assert len(await running.integration_events(count=2)) == 2  # paused once, announced once


BAD_HEADERS = [None, "Bearer wrong-token-of-enough-length", f"Basic {INTERNAL_TOKEN}", f"Bearer {INTERNAL_TOKEN}x",
               f"Bearer {INTERNAL_TOKEN[:-1]}"]


async def test_internal_routes_refuse_a_missing_or_wrong_token(stack, topic_prefix, serde):
    async with running_bridge(stack, topic_prefix, serde) as running:
        for header in BAD_HEADERS:
            async with httpx.AsyncClient(base_url=running.url, headers={"Authorization": header} if header else {}) as http:
                answers = await asyncio.gather(
                    http.get("/internal/integrations"), http.post("/internal/integrations", json={}),
                    http.delete("/internal/integrations/google/ada@example.com"),
                    http.post("/internal/backfill/start", json={}), http.get("/internal/backfill/bf-1"),
                    http.get("/internal/content/ada@example.com/email/m-1"))
            assert [answer.status_code for answer in answers] == [401] * 6, header
            assert all(answer.headers["WWW-Authenticate"].startswith("Bearer") for answer in answers)
        assert (await running.http.get("/internal/integrations")).json() == {"integrations": []}
        unknown = await running.http.get("/internal/backfill/bf-none")
        assert unknown.status_code == 404


async def test_a_backfill_refused_for_a_revoked_grant_pauses_the_integration(emulator, stack, topic_prefix, serde):
    async with running_bridge(stack, topic_prefix, serde, google=emulator.settings(gmail_push_topic=TOPIC)) as running:
        await asyncio.to_thread(emulator.control, "/_emulator/google/revoke", {"user": emulator.user})
        # Contacts only: People has no push, so nothing uses the grant before the backfill does.
        answer = await running.connect(provider="google", user=emulator.user, doc_types=["contact"],
                                       grant=refresh_token_for(emulator.user))
        assert answer.status_code == 201, answer.text
        failed = await running.wait_for_job(answer.json()["job_id"], status="failed")
        assert failed["last_error"].startswith("ReauthRequired")
        paused = await running.wait_for_status("google", emulator.user, "needs-reauth")
        assert paused["backfilled"] == []
        _, reauth = await running.integration_events(count=2)
        assert isinstance(reauth, IntegrationNeedsReauthEvent) and reauth.integration_id == f"google:{emulator.user}"


async def test_a_grant_refused_while_registering_fails_the_connect_and_asks_for_reauthorization(
        emulator, stack, topic_prefix, serde):
    async with running_bridge(stack, topic_prefix, serde, google=emulator.settings(gmail_push_topic=TOPIC)) as running:
        await asyncio.to_thread(emulator.control, "/_emulator/google/revoke", {"user": emulator.user})
        answer = await connected_answer(running, emulator)
        assert answer.status_code == 403 and "invalid_grant" in answer.json()["error"]
        paused = await running.integration("google", emulator.user)
        assert paused["status"] == "needs-reauth" and paused["watches"] == []
        [reauth] = await running.integration_events()
        assert isinstance(reauth, IntegrationNeedsReauthEvent)
        assert running.bridge.backfill.store.all() == []  # no job was queued
