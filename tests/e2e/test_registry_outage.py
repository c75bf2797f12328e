"""A real worker against a registry that is down or refuses it (issue 10, item 3).

The worker is started fresh, so its schema cache is empty: every schema it meets for the first
time needs the registry. While the registry is stopped nothing may be dead-lettered, whether
the worker reaches it directly (connection refused) or through a gateway that answers 502; when
the registry is back, processing resumes. A registry that refuses the credentials stops the
worker with a message naming the settings, and nothing is dead-lettered or committed.
"""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext

import pytest

from connectors.kafka.admin import ensure_topics
from connectors.kafka.settings import KafkaSettings
from processors.common.dead_letters import reason_headers
from schemas.models import ChangeType, EmailBackfillEvent, EmailUpdateEvent
from tests import factories
from tests.e2e.worker_faults import committed_offset, high_watermark, metric_value, ups_mail
from tests.http_fakes import free_port, gateway_to, http_server
from tests.kafka_helpers import consume, produce, register_derived_schemas
from tests.stack import external_stack_configured, registry_stopped
from tests.waiting import wait_for
from tests.workers import FaustWorker, worker_env

USER = "user-outage"


def retries_of(worker: FaustWorker, error_class: str) -> int:
    return sum(1 for line in worker.log_text().splitlines() if "retrying service=shipments" in line and f"error={error_class}" in line)


@pytest.mark.parametrize("path", ["direct", "gateway"])
def test_a_registry_stopped_mid_run_dead_letters_nothing_and_processing_resumes(
    stack, serde, registry, topic_prefix, tmp_path, path,
):
    if external_stack_configured():
        pytest.skip("stops the registry process, which only the local stack lets a test do")
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(kafka)
    register_derived_schemas(kafka, registry)
    updates, backfills = kafka.topic("email-updates"), kafka.topic("email-backfill")
    t0 = factories.T0
    first = EmailUpdateEvent(
        metadata=factories.metadata("EmailUpdateEvent", user_id=USER, occurred_at=t0),
        change_type=ChangeType.created, email_id="m-1", email=ups_mail("m-1", t0),
    )
    during = EmailBackfillEvent(  # another schema: the fresh worker has not met it when the registry stops
        metadata=factories.metadata("EmailBackfillEvent", user_id=USER, occurred_at=t0), job_id="job-1", batch_index=0,
        emails=[ups_mail("m-2", t0 + dt.timedelta(hours=1), subject="Delivered: your UPS package")],
    )
    first_bytes, during_bytes = serde.encode(updates, first), serde.encode(backfills, during)  # registered while it is up
    web_port = free_port()
    gateway = http_server(gateway_to(stack.registry.url)) if path == "gateway" else nullcontext(None)
    with gateway as gateway_url:
        registry_url = stack.registry.url if gateway_url is None else gateway_url + "/apis/ccompat/v7"
        env = worker_env(
            stack, topic_prefix, tmp_path / "data",
            OFFICESTREAM_REGISTRY_URL=registry_url, OFFICESTREAM_PROCESSOR_WEB_PORT=str(web_port),
        )
        with FaustWorker("shipments", env, tmp_path / "shipments.log").start() as worker:
            produce(kafka, updates, [(USER.encode(), first_bytes, [])])
            consume(kafka, kafka.topic("shipment-updates"), 1, group="before")
            with registry_stopped():
                produce(kafka, backfills, [(USER.encode(), during_bytes, [])])
                # More failed attempts than OFFICESTREAM_PROCESSOR_MAX_ATTEMPTS (3): an error that
                # is not transient would have dead-lettered the message by now.
                wait_for(lambda: retries_of(worker, "RegistryUnavailable") >= 5, timeout_s=60, what="retries while the registry is down")
                assert (metric_value(web_port, "officestream_processor_retries_total", error_class="RegistryUnavailable") or 0) >= 5
            shipments = consume(kafka, kafka.topic("shipment-updates"), 2, group="after", timeout_s=90)
            assert [serde.decode(m.value()).kind.value for m in shipments] == ["created", "delivered"]
            produce(kafka, updates, [(USER.encode(), b"not avro: the marker", [])])
            [dead] = consume(kafka, kafka.topic("shipments-dlq"), 1, group="dlq")  # the first dead letter is the marker
            assert dead.value() == b"not avro: the marker" and reason_headers(dead.headers())["error.class"] == "BadMagicByte"
            worker.check_alive()


def test_a_registry_refusing_the_credentials_stops_the_worker_naming_the_settings(stack, serde, topic_prefix, tmp_path):
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(kafka)
    updates = kafka.topic("email-updates")
    event = EmailUpdateEvent(
        metadata=factories.metadata("EmailUpdateEvent", user_id=USER), change_type=ChangeType.created,
        email_id="m-1", email=ups_mail("m-1", factories.T0),
    )
    produce(kafka, updates, [(USER.encode(), serde.encode(updates, event), [])])
    unauthorized = (401, {"Content-Type": "application/json"}, b'{"error_code": 40101, "message": "Unauthorized"}')
    with http_server(lambda method, path, body: unauthorized) as registry_url:
        env = worker_env(stack, topic_prefix, tmp_path / "data", OFFICESTREAM_REGISTRY_URL=registry_url)
        worker = FaustWorker("shipments", env, tmp_path / "shipments.log").start()
        try:
            assert wait_for(lambda: worker.process.poll() is not None, timeout_s=60, what="the worker to stop")
        finally:
            worker.kill()
    log = worker.log_text()
    assert "refused access (401)" in log and "OFFICESTREAM_REGISTRY_USERNAME / OFFICESTREAM_REGISTRY_PASSWORD" in log
    assert retries_of(worker, "RegistryAccessDenied") == 0
    assert high_watermark(kafka, kafka.topic("shipments-dlq")) == 0
    assert committed_offset(kafka, kafka.group("shipments"), updates) == 0

