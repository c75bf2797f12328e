"""The notifier worker end to end: Kafka events in, SSE frames out, poison to the dead-letter topic."""

from __future__ import annotations

import datetime as dt
import json
import socket
import urllib.error
import urllib.request
import uuid

import aiohttp
from pydantic import SecretStr

from connectors.kafka.admin import ensure_topics
from connectors.kafka.settings import KafkaSettings
from processors.common.dead_letters import reason_headers
from processors.notifier.tokens import StreamTokens
from schemas.models import ChangeType, ShipmentUpdateKind
from tests import factories
from tests.integration.notifier.serving import SseReader
from tests.kafka_helpers import consume, produce
from tests.waiting import wait_for
from tests.workers import FaustWorker, notifier_worker, worker_env

SECRET = "e2e-secret-" + "x" * 32


def healthz(port: int) -> dict:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return json.load(response)
    except urllib.error.HTTPError as answer:  # 503 carries the same body
        return json.load(answer)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_events_reach_the_users_sse_stream_and_poison_is_dead_lettered(stack, serde, topic_prefix, tmp_path):
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(kafka)
    # Two instances: each must see every user's events, so a client may connect to either.
    ports = [free_port(), free_port()]
    workers: list[FaustWorker] = []
    try:
        for i, port in enumerate(ports):  # appended before starting: a failed start still stops the others
            workers.append(FaustWorker("notifier", worker_env(
                stack, topic_prefix, tmp_path / f"data-{i}", OFFICESTREAM_NOTIFIER_TOKEN_SECRET=SECRET,
                OFFICESTREAM_NOTIFIER_PORT=str(port), OFFICESTREAM_NOTIFIER_INSTANCE_ID=f"e2e-{i}",
            ), tmp_path / f"notifier-{i}.log"))
            workers[-1].start()
        token = StreamTokens(SecretStr(SECRET), ttl=dt.timedelta(minutes=5)).issue("user-a")
        async with aiohttp.ClientSession() as http:
            other = await http.get(f"http://127.0.0.1:{ports[1]}/events", params={"token": token})
            other_stream = SseReader(other)
            await other_stream.frame()
            response = await http.get(f"http://127.0.0.1:{ports[0]}/events", params={"token": token})
            assert response.status == 200
            stream = SseReader(response)
            await stream.frame()  # the retry frame: subscribed
            updates = kafka.topic("email-updates")
            shipment = factories.shipment_update(user_id="user-a").model_copy(update={"kind": ShipmentUpdateKind.out_for_delivery})
            produce(kafka, updates, [
                (b"user-a", b"\x00\x00\x00\x00", []),  # truncated: poison
                (b"user-b", serde.encode(updates, factories.email_update(user_id="user-b", email_id="b-1")), []),
                (b"user-a", serde.encode(updates, factories.email_update(user_id="user-a", email_id="a-1")), []),
            ])
            # The shipments worker emitting the event again after a crash: new produced_at, span
            # and record timestamp, same event id. Then another event, to see what comes after it.
            again = shipment.model_copy(update={"metadata": shipment.metadata.model_copy(
                update={"produced_at": factories.T0 + dt.timedelta(hours=1), "span_id": "0123456789abcdef"})})
            later = factories.shipment_update(user_id="user-a")
            shipments = kafka.topic("shipment-updates")
            produce(kafka, shipments, [(b"user-a", serde.encode(shipments, event), []) for event in (shipment, again, later)])
            first = await stream.notification(timeout=30)
            second = await stream.notification(timeout=30)
            third = await stream.notification(timeout=30)
            on_other_instance = await other_stream.notification(timeout=30)
            response.close()
            other.close()
        assert on_other_instance == first  # same notification, same id: resumable on either instance
        for port in ports:  # each instance its own group: each reads every partition
            health = healthz(port)
            assert (health["status"], health["partitions"]["complete"], health["partitions"]["expected"]) == ("ok", True, 42)
        assert (first["user_id"], first["kind"]) == ("user-a", "email.created")
        assert first["payload"]["email_id"] == "a-1"
        assert (second["kind"], second["payload"]["tracking_number"]) == ("shipment.out_for_delivery", "1Z999AA10123456784")
        assert third["kind"] == "shipment.delivered"  # the re-emitted shipment.out_for_delivery was a duplicate
        [dead] = consume(kafka, kafka.topic("client-sse-dlq"), 1, group=f"dlq-{topic_prefix}")
        reason = reason_headers(dead.headers())
        assert (reason["error.class"], reason["source.topic"], dead.value()) == ("TruncatedPayload", updates, b"\x00\x00\x00\x00")
    finally:
        for worker in workers:
            worker.stop()


def test_instances_sharing_an_instance_id_report_that_each_reads_only_some_partitions(stack, topic_prefix, tmp_path):
    """One group for two instances splits the partitions: clients on either miss some users' events
    (the scale benchmark lost half its frames so). Both say so; once one leaves, the other is whole."""
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(kafka)
    ports = [free_port(), free_port()]
    workers: list[FaustWorker] = []
    try:
        for i, port in enumerate(ports):
            workers.append(FaustWorker("notifier", worker_env(
                stack, topic_prefix, tmp_path / f"data-{i}", OFFICESTREAM_NOTIFIER_TOKEN_SECRET=SECRET,
                OFFICESTREAM_NOTIFIER_PORT=str(port), OFFICESTREAM_NOTIFIER_INSTANCE_ID="e2e-same",
            ), tmp_path / f"notifier-{i}.log"))
            workers[-1].start()
        split = wait_for(lambda: all(healthz(p)["status"] == "incomplete_assignment" for p in ports) and
                         [healthz(p)["partitions"] for p in ports], timeout_s=90, what="both instances to report a split")
        assert sum(part["assigned"] for part in split) == 42 and all(part["expected"] == 42 for part in split)
        assert all("another instance shares instance_id=e2e-same" in worker.log_text() for worker in workers)
        workers.pop().stop()
        wait_for(lambda: healthz(ports[0])["status"] == "ok", timeout_s=90, what="the remaining instance to read every partition")
        assert healthz(ports[0])["partitions"] == {"assigned": 42, "expected": 42, "complete": True, "missing": []}
    finally:
        for worker in workers:
            worker.stop()


async def test_a_deletion_published_again_under_a_new_event_id_reaches_the_page_once(stack, serde, topic_prefix, tmp_path):
    """A bridge killed after publishing a deletion and before storing its cursor publishes it
    again, as a new and later event: the page hears of it once (``announced.py``)."""
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(kafka)
    port = free_port()
    worker = notifier_worker(stack, topic_prefix, tmp_path, port=port, secret=SECRET, instance_id="e2e-again")
    try:
        worker.start()
        token = StreamTokens(SecretStr(SECRET), ttl=dt.timedelta(minutes=5)).issue("user-a")
        async with aiohttp.ClientSession() as http:
            response = await http.get(f"http://127.0.0.1:{port}/events", params={"token": token})
            stream = SseReader(response)
            await stream.frame()  # subscribed
            deleted = factories.email_update(ChangeType.deleted, user_id="user-a", email_id="a-1")
            again = deleted.model_copy(update={"metadata": deleted.metadata.model_copy(
                update={"event_id": uuid.uuid4(), "occurred_at": factories.T0 + dt.timedelta(minutes=1)})})
            created = factories.email_update(user_id="user-a", email_id="a-2")
            updates = kafka.topic("email-updates")
            produce(kafka, updates, [(b"user-a", serde.encode(updates, event), []) for event in (deleted, again, created)])
            told = [await stream.notification(timeout=30) for _ in range(2)]
            response.close()
        assert [(n["kind"], n["payload"]["email_id"]) for n in told] == [("email.deleted", "a-1"), ("email.created", "a-2")]
        assert healthz(port)["stale_changes_skipped"] == 1
    finally:
        worker.stop()
