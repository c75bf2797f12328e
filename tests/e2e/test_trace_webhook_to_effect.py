"""One trace id from a webhook to a consumer's effect: a Gmail push POSTed to the running bridge
(`officestream bridge serve`, against the provider emulator) with a `traceparent` header; the
sync it triggers publishes its `email-updates` events in that trace (metadata and header, each
event a span of its own); the shipments worker (the faust worker CLI) logs its handling of such
an event with the same trace id."""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path

import httpx
import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from cryptography.fernet import Fernet
from pydantic import SecretStr

from connectors.google.push import pubsub_push_token
from connectors.kafka.settings import KafkaSettings
from schemas.serde import AvroEventSerde
from tests.e2e.test_bridge_cli import TOKEN, bridge, officestream  # noqa: F401 - the same bridge process, on this env
from tests.emulator_process import free_port, start_emulator
from tests.kafka_helpers import consume_until
from tests.waiting import wait_for
from tests.workers import FaustWorker, worker_env

PUSH_SECRET = "e2e-trace-push-secret"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
GATEWAY_SPAN = "00f067aa0ba902b7"


@pytest.fixture
def emulator(tmp_path: Path):
    process, settings, [mailbox] = start_emulator(tmp_path / "emulator", emails=5)
    yield settings, mailbox
    process.terminate()
    process.wait(10)


@pytest.fixture
def env(stack, topic_prefix, emulator) -> dict[str, str]:
    settings, _ = emulator
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("OFFICESTREAM_", "OTEL_"))}
    environ.update(settings)
    environ.update(
        OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS=stack.kafka.bootstrap_servers, OFFICESTREAM_KAFKA_TOPIC_PREFIX=topic_prefix,
        OFFICESTREAM_REGISTRY_URL=stack.registry.url, OFFICESTREAM_REDIS_URL=stack.redis.url,
        OFFICESTREAM_BRIDGE_PORT=str(free_port()), OFFICESTREAM_BRIDGE_INTERNAL_TOKEN=TOKEN,
        OFFICESTREAM_BRIDGE_STATE_KEY=Fernet.generate_key().decode(),
        OFFICESTREAM_GOOGLE_GMAIL_PUSH_TOPIC="projects/officestream-e2e/topics/gmail",
        OFFICESTREAM_GOOGLE_PUSH_TOKEN_SECRET=PUSH_SECRET,
        # Only the webhook syncs the mailbox after the hand-off: no backstop round takes the change first.
        OFFICESTREAM_BRIDGE_RECONCILE_INTERVAL_S="3600",
    )
    for setup in (["topics", "create"], ["schemas", "register"]):
        done = officestream(*setup, env=environ)
        assert done.returncode == 0, done.stderr
    return environ


def gmail_push(address: str) -> bytes:
    data = base64.b64encode(json.dumps({"emailAddress": address, "historyId": 10**15}).encode()).decode()
    return json.dumps({"message": {"data": data, "messageId": "m-trace-1", "publishTime": "2026-12-05T00:00:00Z"},
                       "subscription": "projects/officestream-e2e/subscriptions/gmail"}).encode()


def test_a_webhooks_traceparent_reaches_the_event_and_the_workers_log_line_for_its_effect(
    stack, topic_prefix, env, emulator, bridge, tmp_path: Path,
):
    settings, mailbox = emulator
    url, bridge_log = bridge
    worker = FaustWorker("shipments", worker_env(stack, topic_prefix, tmp_path / "data"), tmp_path / "shipments.log").start()
    try:
        # The emulator's own pushes are refused (a wrong token): the test's push, with its
        # traceparent, is the one notification that syncs the mailbox.
        httpx.post(f"{settings['OFFICESTREAM_GOOGLE_API_ENDPOINT']}/_emulator/google/pubsub", json={
            "topic": env["OFFICESTREAM_GOOGLE_GMAIL_PUSH_TOPIC"], "push_endpoint": f"{url}/webhooks/google/gmail?token=not-ours",
        }).raise_for_status()
        connected = officestream("connect", "--provider", "google", "--user", mailbox, "--auth", "emulator", env=env)
        assert connected.returncode == 0, connected.stderr
        # The hand-off's mail sync done ("live sync synced ... updates="), not merely asked for: the
        # DEBUG line "officestream.producers.live sync requested google:.../mail" matched a looser
        # pattern, the emulator was advanced while that sync ran, and it took the change first.
        handed_off = re.compile(r"live sync \w+ google:\S+/mail updates=")
        wait_for(lambda: handed_off.search(bridge_log.read_text()), timeout_s=120, what="the hand-off's mail sync")
        httpx.post(f"{settings['OFFICESTREAM_GOOGLE_API_ENDPOINT']}/_emulator/advance", json={"user": mailbox}).raise_for_status()

        pushed = httpx.post(f"{url}/webhooks/google/gmail", params={"token": pubsub_push_token(SecretStr(PUSH_SECRET))},
                            content=gmail_push(mailbox), headers={"traceparent": f"00-{TRACE_ID}-{GATEWAY_SPAN}-01"})
        assert pushed.status_code == 202

        kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
        traced = lambda messages: [m for m in messages if dict(m.headers() or [])["traceparent"].decode().split("-")[1] == TRACE_ID]  # noqa: E731
        messages = traced(consume_until(kafka, kafka.topic("email-updates"), lambda read: len(traced(read)) >= 3,
                                        timeout_s=120))
        serde = AvroEventSerde(SchemaRegistryClient(stack.registry.client_config()))
        events = [serde.decode(message.value()) for message in messages]
        assert {event.metadata.trace_id for event in events} == {TRACE_ID}
        spans = [event.metadata.span_id for event in events]
        assert len(set(spans)) == len(spans) and GATEWAY_SPAN not in spans  # a span of its own per event
        for message, event in zip(messages, events):
            assert dict(message.headers())["traceparent"].decode() == f"00-{TRACE_ID}-{event.metadata.span_id}-01"

        text = bridge_log.read_text()
        assert f"webhook accepted provider=gmail syncs=1 trace_id={TRACE_ID}" in text
        assert re.search(rf"live sync synced google:\S+/mail updates=\d+ .*trace_id={TRACE_ID}", text), text[-3000:]
        event_ids = {str(event.metadata.event_id) for event in events}

        def effects_logged() -> list[str]:
            return [line for line in worker.log_path.read_text().splitlines()
                    if "handled service=shipments" in line and f"trace_id={TRACE_ID}" in line]

        lines = wait_for(lambda: len(effects_logged()) >= len(events) and effects_logged(), timeout_s=90,
                         what="the worker's log lines of the traced events")
        assert {re.search(r"event_id=(\S+)", line).group(1) for line in lines} == event_ids
        assert all(re.search(r"outcome=(applied|duplicate) ", line) for line in lines)
    finally:
        worker.stop()
