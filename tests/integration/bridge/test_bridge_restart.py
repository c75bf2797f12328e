"""A bridge that stopped between two steps finishes (or undoes) them when it starts again: a
backfill that completed without its hand-off is handed off, a connect whose job was never
queued has its registrations removed. Emulator's Microsoft face, real stack."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import httpx
import pytest
from cryptography.fernet import Fernet

from producers.backfill.job import BackfillJob
from producers.exceptions import PublishFailed
from tests.integration.bridge.harness import running_bridge

# Imported into this module, so they win over the Google fixtures of the same names.
from tests.integration.microsoft.harness import emulator, pristine_world, tls  # noqa: F401

if TYPE_CHECKING:
    from tests.integration.microsoft.harness import Emulator


async def test_a_backfill_completed_before_a_stop_is_handed_off_at_the_next_start(
        emulator: Emulator, stack, topic_prefix, serde):
    key = Fernet.generate_key().decode()
    async with running_bridge(stack, topic_prefix, serde, microsoft=emulator.settings(), state_key=key) as first:
        async def stopped_before_hand_off(job: BackfillJob) -> None:
            return None

        first.bridge.orchestrator.hand_off = stopped_before_hand_off  # type: ignore[method-assign]
        answer = await first.connect(provider="microsoft", user=emulator.user, doc_types=["email", "contact"])
        assert answer.status_code == 201, answer.text
        await first.wait_for_job(answer.json()["job_id"])
        assert (await first.integration("microsoft", emulator.user))["status"] == "backfilling"
    async with running_bridge(stack, topic_prefix, serde, microsoft=emulator.settings(), state_key=key) as second:
        live = await second.integration("microsoft", emulator.user)  # handed off during start
        assert live["status"] == "live" and set(live["backfilled"]) == {"email", "contact"}
        assert "contacts" in live["cursors"] and any(name.startswith("mail:") for name in live["cursors"])
        assert {request[1] for request in second.live.requests} == {"mail", "contacts"}
        assert len(live["watches"]) == 2 and (await emulator.stats())["subscriptions"] == 2


async def test_a_connect_cut_short_before_its_job_is_undone_at_the_next_start(emulator: Emulator, stack, topic_prefix,
                                                                             serde):
    key = Fernet.generate_key().decode()
    async with running_bridge(stack, topic_prefix, serde, microsoft=emulator.settings(), state_key=key) as first:
        async def die(job: BackfillJob) -> None:
            raise asyncio.CancelledError  # the process stops here: no handler of ours runs after it

        first.bridge.backfill.store.save = die  # type: ignore[method-assign]
        with pytest.raises(httpx.HTTPError):
            await first.connect(provider="microsoft", user=emulator.user)
        assert (await emulator.stats())["subscriptions"] == 3
        assert (await first.integration("microsoft", emulator.user))["status"] == "backfilling"
    async with running_bridge(stack, topic_prefix, serde, microsoft=emulator.settings(), state_key=key) as second:
        undone = await second.integration("microsoft", emulator.user)
        assert undone["status"] == "disconnected" and undone["watches"] == []
        assert "connect again" in undone["last_error"]
        assert (await emulator.stats())["subscriptions"] == 0
        again = await second.connect(provider="microsoft", user=emulator.user)
        assert again.status_code == 201, again.text


async def test_a_connect_whose_job_cannot_be_queued_is_undone_at_once(emulator: Emulator, stack, topic_prefix, serde):
    async with running_bridge(stack, topic_prefix, serde, microsoft=emulator.settings()) as running:
        store = running.bridge.backfill.store
        working_save = store.save

        async def refused(job: BackfillJob) -> None:
            raise PublishFailed("the brokers did not take it", topic="backfill-jobs")

        store.save = refused  # type: ignore[method-assign]
        failed = await running.connect(provider="microsoft", user=emulator.user)
        assert failed.status_code == 503, failed.text
        undone = await running.integration("microsoft", emulator.user)
        assert undone["status"] == "disconnected" and "PublishFailed" in undone["last_error"]
        assert (await emulator.stats())["subscriptions"] == 0
        store.save = working_save  # type: ignore[method-assign]
        again = await running.connect(provider="microsoft", user=emulator.user)
        assert again.status_code == 201, again.text
