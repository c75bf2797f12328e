"""A message that keeps failing for one document is still retried, never dropped, and raises a
visible signal once past the stall limit: an error log naming it and a metric on the real
worker's /metrics (issue 10, item 5)."""

from __future__ import annotations

import hashlib
import threading

from connectors.kafka.admin import ensure_topics
from connectors.kafka.settings import KafkaSettings
from connectors.redis.payload_store import content_type, encode_record, payload_key
from schemas.models import ChangeType, DocType, EmailUpdateEvent, PayloadRef
from tests import factories
from tests.e2e.worker_faults import high_watermark, metric_value, ups_mail
from tests.http_fakes import free_port, http_server
from tests.kafka_helpers import consume, produce, register_derived_schemas
from tests.waiting import wait_for
from tests.workers import FaustWorker, worker_env

USER = "user:stalled%"  # a user id that needs the key escaping


class FlakyContentEndpoint:
    """The producer's content endpoint, answering 503 for every request until ``heal``."""

    def __init__(self, served: bytes) -> None:
        self.served = served
        self.healed = threading.Event()
        self.requests: list[str] = []

    def __call__(self, method: str, path: str, body: bytes):
        self.requests.append(path)
        if not self.healed.is_set():
            return 503, {"Content-Type": "text/plain"}, b"upstream mailbox store unavailable"
        return 200, {"Content-Type": content_type(DocType.email)}, self.served


def test_a_message_failing_past_the_limit_is_reported_stalled_and_still_retried(stack, serde, registry, topic_prefix, tmp_path):
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(kafka)
    register_derived_schemas(kafka, registry)
    updates = kafka.topic("email-updates")
    email = ups_mail("m-big", factories.T0)
    data = encode_record(email)
    ref = PayloadRef(  # the key expired (never written here): the worker falls back to the endpoint
        key=payload_key(USER, DocType.email, email.id), doc_type=DocType.email, doc_id=email.id,
        sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data), content_type=content_type(DocType.email),
    )
    event = EmailUpdateEvent(
        metadata=factories.metadata("EmailUpdateEvent", user_id=USER), change_type=ChangeType.updated,
        email_id=email.id, email_ref=ref,
    )
    endpoint = FlakyContentEndpoint(data)
    web_port = free_port()
    with http_server(endpoint) as endpoint_url:
        env = worker_env(
            stack, topic_prefix, tmp_path / "data",
            OFFICESTREAM_PROCESSOR_CONTENT_ENDPOINT=endpoint_url,
            OFFICESTREAM_PROCESSOR_STALLED_AFTER_ATTEMPTS="3",
            OFFICESTREAM_PROCESSOR_WEB_PORT=str(web_port),
        )
        with FaustWorker("shipments", env, tmp_path / "shipments.log").start() as worker:
            produce(kafka, updates, [(USER.encode(), serde.encode(updates, event), [])])
            stalled = wait_for(
                lambda: [line for line in worker.log_text().splitlines() if "[ERROR]" in line and "stalled service=shipments" in line],
                timeout_s=60, what="the stall to be logged",
            )
            assert len(stalled) == 1
            assert f"where={updates}[" in stalled[0] and "]@0 " in stalled[0] and f"event_id={event.metadata.event_id}" in stalled[0]
            assert "error=PayloadStoreUnavailable: content endpoint answered 503" in stalled[0]
            assert wait_for(lambda: metric_value(web_port, "officestream_processor_stalled_messages", topic=updates) == 1, timeout_s=30, what="the stalled gauge")
            assert high_watermark(kafka, kafka.topic("shipments-dlq")) == 0  # waiting, not dropped
            assert all(path == "/content/user%3Astalled%25/email/m-big" for path in endpoint.requests)
            endpoint.healed.set()
            [update] = consume(kafka, kafka.topic("shipment-updates"), 1, group="after")
            assert serde.decode(update.value()).kind.value == "created"
            assert wait_for(lambda: metric_value(web_port, "officestream_processor_stalled_messages", topic=updates) == 0, timeout_s=30, what="the gauge to clear")
            assert "unstalled service=shipments" in worker.log_text()
            assert high_watermark(kafka, kafka.topic("shipments-dlq")) == 0
