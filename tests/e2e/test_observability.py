"""What an operator's tools read of a worker: its log as JSON lines (OFFICESTREAM_LOG_FORMAT=json,
connectors/logs.py), every line one JSON object, a dead-letter line with its topic, partition,
offset and event as fields; and its Prometheus /metrics (processors/common/metrics.py)."""

from __future__ import annotations

import json

from connectors.kafka.admin import ensure_topics
from connectors.kafka.settings import KafkaSettings
from schemas.models import ChangeType, EmailUpdateEvent
from tests import factories
from tests.e2e.worker_faults import metric_value
from tests.http_fakes import free_port
from tests.kafka_helpers import produce
from tests.waiting import wait_for
from tests.workers import FaustWorker, worker_env

#: faust prints its start-up banner (a table) on stdout, outside logging.
BANNER = ("+", "|")


def test_a_worker_logs_json_lines_with_the_dead_letters_context_as_fields(stack, topic_prefix, tmp_path):
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(kafka)
    env = worker_env(stack, topic_prefix, tmp_path / "data", OFFICESTREAM_LOG_FORMAT="json",
                     OFFICESTREAM_VESPA_FEED_FILE=str(tmp_path / "feed.jsonl"))
    topic = kafka.topic("email-updates")
    with FaustWorker("vespa_loader", env, tmp_path / "worker.log").start() as worker:
        produce(kafka, topic, [(b"user-1", b"not avro at all", [])])
        wait_for(lambda: "dead-lettered" in worker.log_text(), timeout_s=60, what="the poison message dead-lettered")
    lines = [line for line in worker.log_text().splitlines() if line.strip() and not line.startswith(BANNER)]
    records = [json.loads(line) for line in lines]  # every log line is JSON
    assert {r["service"] for r in records} == {"vespa-loader"}
    assert any(r["event"] == "[^Worker]: Ready" for r in records)
    [dead] = [r for r in records if r["event"].startswith("dead-lettered")]
    assert (dead["topic"], dead["offset"], dead["level"]) == (topic, 0, "error")
    assert isinstance(dead["partition"], int) and dead["event_id"]


def test_a_workers_metrics_count_its_messages_by_outcome_with_their_age_and_the_partitions_lag(
    stack, serde, topic_prefix, tmp_path,
):
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(kafka)
    web_port = free_port()
    env = worker_env(stack, topic_prefix, tmp_path / "data", OFFICESTREAM_PROCESSOR_WEB_PORT=str(web_port),
                     OFFICESTREAM_VESPA_FEED_FILE=str(tmp_path / "feed.jsonl"))
    topic = kafka.topic("email-updates")
    good = [(b"user-1", serde.encode(topic, EmailUpdateEvent(
        metadata=factories.metadata("EmailUpdateEvent", user_id="user-1"), change_type=ChangeType.created,
        email_id=f"m-{n}", email=factories.email(f"m-{n}"))), []) for n in range(5)]
    with FaustWorker("vespa_loader", env, tmp_path / "worker.log").start():
        produce(kafka, topic, [*good, (b"user-1", b"poison", [])])  # one partition: user-1's
        handled = wait_for(lambda: metric_value(web_port, "officestream_processor_messages_total", outcome="handled") == 5
                           and metric_value(web_port, "officestream_processor_messages_total", outcome="dead-lettered"),
                           timeout_s=60, what="six messages counted")
        assert handled
        assert metric_value(web_port, "officestream_processor_event_age_seconds_count", service="vespa-loader") == 6
        assert metric_value(web_port, "officestream_processor_message_seconds_count", service="vespa-loader") == 6
        assert metric_value(web_port, "officestream_processor_consumer_lag", topic=topic) == 0  # caught up
