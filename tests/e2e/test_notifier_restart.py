"""Notifier instances restarted or changed: clients hear of what was produced meanwhile, once."""

from __future__ import annotations

import asyncio
import datetime as dt

import aiohttp
from pydantic import SecretStr

from connectors.kafka.admin import ensure_topics
from connectors.kafka.settings import KafkaSettings
from processors.notifier.sse import Frame
from processors.notifier.tokens import StreamTokens
from tests import factories
from tests.e2e.test_notifier_worker import SECRET, free_port, healthz
from tests.integration.notifier.serving import SseReader
from tests.kafka_helpers import produce
from tests.waiting import wait_for
from tests.workers import FaustWorker, worker_env

#: A killed member stays in its group for the session timeout: the restart would wait that long.
QUICK_TAKEOVER = {"OFFICESTREAM_PROCESSOR_SESSION_TIMEOUT_S": "10"}


async def events_within(stream: SseReader, *, seconds: float) -> list[Frame]:
    """The event frames ``stream`` sends within ``seconds`` (heartbeats and checkpoints left out)."""
    events: list[Frame] = []
    try:
        async with asyncio.timeout(seconds):
            while True:
                frame = await stream.frame(timeout=seconds)
                if frame.is_event:
                    events.append(frame)
    except TimeoutError:
        pass
    return events


#: Sorts before every notification id: the client asks for everything its instance buffered.
OLDEST_EVENT_ID = "0000000000000-000000000000"


async def test_an_instance_killed_before_its_first_commit_resumes_where_it_first_started(stack, serde, topic_prefix, tmp_path):
    """Killed before it consumed (so committed) anything, the instance used to restart at the end
    of the topics again, and what was produced while it was down never reached a client."""
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(kafka)
    port = free_port()
    worker = FaustWorker("notifier", worker_env(
        stack, topic_prefix, tmp_path / "data", OFFICESTREAM_NOTIFIER_TOKEN_SECRET=SECRET,
        OFFICESTREAM_NOTIFIER_PORT=str(port), OFFICESTREAM_NOTIFIER_INSTANCE_ID="e2e-restart", **QUICK_TAKEOVER,
    ), tmp_path / "notifier.log")
    try:
        worker.start()
        wait_for(lambda: healthz(port)["status"] == "ok", timeout_s=90, what="the notifier reading every partition")
        worker.kill()
        updates = kafka.topic("email-updates")
        emails = [factories.email_update(user_id="user-a", email_id=f"a-{n}") for n in range(3)]
        produce(kafka, updates, [(b"user-a", serde.encode(updates, event), []) for event in emails])
        worker.start(ready_timeout_s=120)
        token = StreamTokens(SecretStr(SECRET), ttl=dt.timedelta(minutes=5)).issue("user-a")
        async with aiohttp.ClientSession() as http:
            response = await http.get(f"http://127.0.0.1:{port}/events", params={"token": token},
                                      headers={"Last-Event-ID": OLDEST_EVENT_ID})
            stream = SseReader(response)
            async with asyncio.timeout(90):  # heartbeats would keep a per-frame timeout waiting forever
                received = [(await stream.notification(timeout=30))["payload"]["email_id"] for _ in emails]
            response.close()
        assert sorted(received) == ["a-0", "a-1", "a-2"]
    finally:
        worker.stop()


async def test_a_client_moving_to_another_instance_resumes_exactly_with_its_resume_token(stack, serde, topic_prefix, tmp_path):
    """The client reads part of its notifications from one instance, then moves to a second one
    started after they were produced: the second reads them back (``reread_records``) in its own
    interleaving of the topics, and the SSE id the client last got resumes it there with nothing
    repeated, skipped or resynced (by notification id, the other interleaving skipped some)."""
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(kafka)
    ports = [free_port(), free_port()]
    token = StreamTokens(SecretStr(SECRET), ttl=dt.timedelta(minutes=5)).issue("user-a")
    updates, shipments = kafka.topic("email-updates"), kafka.topic("shipment-updates")
    workers = [FaustWorker("notifier", worker_env(
        stack, topic_prefix, tmp_path / f"data-{i}", OFFICESTREAM_NOTIFIER_TOKEN_SECRET=SECRET,
        OFFICESTREAM_NOTIFIER_PORT=str(port), OFFICESTREAM_NOTIFIER_INSTANCE_ID=f"e2e-move-{i}",
    ), tmp_path / f"notifier-{i}.log") for i, port in enumerate(ports)]
    try:
        workers[0].start()
        wait_for(lambda: healthz(ports[0])["status"] == "ok", timeout_s=90, what="the first instance reading every partition")
        async with aiohttp.ClientSession() as http, asyncio.timeout(180):
            first = SseReader(await http.get(f"http://127.0.0.1:{ports[0]}/events", params={"token": token}))
            await first.frame()  # subscribed
            for n in range(5):  # an e-mail, then a shipment (whose id sorts later: it happened later), each round
                produce(kafka, updates, [(b"user-a", serde.encode(updates, factories.email_update(user_id="user-a", email_id=f"a-{n}")), [])])
                produce(kafka, shipments, [(b"user-a", serde.encode(shipments, factories.shipment_update(user_id="user-a")), [])])
            seen = [await first.notification(timeout=30) for _ in range(6)]
            first.response.close()
            workers[1].start()
            wait_for(lambda: healthz(ports[1])["published"] >= 10, timeout_s=90, what="the second instance reading them back")
            response = await http.get(f"http://127.0.0.1:{ports[1]}/events", params={"token": token},
                                      headers={"Last-Event-ID": first.last_event_id})
            moved = SseReader(response)
            assert (await moved.frame()).retry is not None
            events = await events_within(moved, seconds=8)
            response.close()
        assert [frame.event for frame in events] == ["notification"] * 4  # no resync, nothing repeated
        rest = [frame.json() for frame in events]
        ids = [n["id"] for n in seen + rest]
        assert len(set(ids)) == 10
        assert sorted(n["payload"]["email_id"] for n in seen + rest if n["kind"] == "email.created") == [f"a-{n}" for n in range(5)]
    finally:
        for worker in workers:
            worker.stop()
