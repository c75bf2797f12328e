"""`officestream status` as an operator runs it, on the real stack: topics with their end
offsets, a group's lag, a backfill job, an integration (no secret shown), registry subjects;
the registry stopped is reported down with a non-zero exit."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka.schema_registry import Schema
from cryptography.fernet import Fernet
from pydantic import SecretStr

from connectors.kafka.admin import ensure_topics
from connectors.kafka.settings import KafkaSettings
from producers.backfill.job import BackfillJob, DocProgress, JobStatus
from producers.integrations.secret_box import SecretBox
from producers.integrations.state import GRAPH_SUBSCRIPTION, Integration, IntegrationStatus, Watch
from producers.integrations.store import encode_integration
from schemas.models import DocType, Provider
from tests.kafka_helpers import create_topic, produce
from tests.stack import external_stack_configured, registry_stopped
from tests.waiting import wait_for

#: Messages the group committed past, then messages produced after its commit.
CONSUMED, PRODUCED = 3, 7
REFRESH_TOKEN = "rt-do-not-show-4f1c9a"
CLIENT_STATE = "cs-do-not-show-77b2e0"
NOW = dt.datetime.now(dt.UTC)


@pytest.fixture
def env(stack, topic_prefix) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("OFFICESTREAM_")}
    environ.update(
        OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS=stack.kafka.bootstrap_servers, OFFICESTREAM_KAFKA_TOPIC_PREFIX=topic_prefix,
        OFFICESTREAM_REGISTRY_URL=stack.registry.url, OFFICESTREAM_REDIS_URL=stack.redis.url,
    )
    # The local stack's own settings (ports) go along, so status can name the stack's pids.
    environ.update({k: v for k, v in os.environ.items() if k.startswith("OFFICESTREAM_STACK_")})
    return environ


@pytest.fixture
def kafka(stack, topic_prefix) -> KafkaSettings:
    settings = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(settings)
    return settings


def officestream_status(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ops.cli", "status", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def lagging_group(kafka: KafkaSettings, topic: str, group: str) -> None:
    """``group`` commits past CONSUMED messages of ``topic``, then PRODUCED messages arrive that
    nobody commits."""
    create_topic(kafka, topic)
    produce(kafka, topic, [(b"k", f"old{i}".encode(), []) for i in range(CONSUMED)])
    consumer = Consumer(kafka.librdkafka_config(**{"group.id": group, "enable.auto.commit": False}))
    try:
        wait_for(lambda: _committed(consumer, topic), timeout_s=60, what=f"{group} to commit {topic}[0]@{CONSUMED}")
    finally:
        consumer.close()
    produce(kafka, topic, [(b"k", f"new{i}".encode(), []) for i in range(PRODUCED)])


def _committed(consumer: Consumer, topic: str) -> bool:
    """A commit the coordinator refused for now (a fresh group's coordinator still loading, a
    topic created a moment ago not yet in its metadata, a busy broker) is tried again; any other
    error fails the test."""
    try:
        consumer.commit(offsets=[TopicPartition(topic, 0, CONSUMED)], asynchronous=False)
    except KafkaException as exc:
        if not exc.args[0].retriable() and exc.args[0].code() not in _COORDINATOR_NOT_READY:
            raise
        return False
    return True


_COORDINATOR_NOT_READY = (KafkaError.COORDINATOR_NOT_AVAILABLE, KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
                          KafkaError.NOT_COORDINATOR, KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._TIMED_OUT, KafkaError.REQUEST_TIMED_OUT)


def running_job(kafka: KafkaSettings) -> BackfillJob:
    job = BackfillJob.new(user_id="ada@example.com", provider=Provider.microsoft, doc_types=(DocType.email,), now=NOW)
    job = job.with_status(JobStatus.running, now=NOW).with_doc(
        DocType.email, DocProgress(items=40, batches=2, estimated=100), now=NOW)
    produce(kafka, kafka.topic("backfill-jobs"), [(job.job_id.encode(), job.model_dump_json().encode(), [])])
    return job


def stored_integration(kafka: KafkaSettings) -> Integration:
    watch = Watch(kind=GRAPH_SUBSCRIPTION, id="sub-1", resource="mail", client_state=SecretStr(CLIENT_STATE),
                  renewed_at=NOW, expires_at=NOW + dt.timedelta(days=2))
    integration = Integration(user_id="ada@example.com", provider=Provider.microsoft, status=IntegrationStatus.live,
                              refresh_token=SecretStr(REFRESH_TOKEN), watches=(watch,), created_at=NOW, updated_at=NOW)
    box = SecretBox(SecretStr(Fernet.generate_key().decode()))
    produce(kafka, kafka.topic("integration-state"), [(integration.key.encode(), encode_integration(integration, box), [])])
    return integration


def registered_subject(registry, topic: str) -> str:
    subject = f"{topic}-io.officestream.StatusProbe"
    schema = {"type": "record", "name": "StatusProbe", "namespace": "io.officestream", "fields": [{"name": "a", "type": "string"}]}
    registry.register_schema(subject, Schema(json.dumps(schema), "AVRO"))
    registry.set_compatibility(subject, "FULL_TRANSITIVE")
    return subject


def test_status_json_shows_end_offsets_lag_backfills_integrations_and_subjects_without_secrets(env, kafka, registry):
    topic, group = kafka.topic("orders"), kafka.group("status-group")
    lagging_group(kafka, topic, group)
    job = running_job(kafka)
    integration = stored_integration(kafka)
    subject = registered_subject(registry, topic)

    done = officestream_status("--json", env=env)

    assert done.returncode == 0, done.stderr + done.stdout
    assert REFRESH_TOKEN not in done.stdout and CLIENT_STATE not in done.stdout
    report = json.loads(done.stdout)
    assert report["ok"] is True
    assert {c["name"]: c["healthy"] for c in report["components"]} == {"kafka": True, "registry": True, "redis": True}
    [orders] = [t for t in report["topics"]["items"] if t["topic"] == topic]
    assert orders["partitions"] == 1 and orders["end_offsets"] == {"0": CONSUMED + PRODUCED}
    [lagging] = [g for g in report["groups"]["items"] if g["group"] == group]
    assert lagging["lag"] == PRODUCED
    assert lagging["topics"] == [{"topic": topic, "lag": PRODUCED,
                                  "partitions": [{"partition": 0, "committed": CONSUMED, "end": CONSUMED + PRODUCED,
                                                  "lag": PRODUCED}]}]
    [shown_job] = report["backfills"]["items"]
    assert shown_job["job_id"] == job.job_id and shown_job["status"] == "running"
    assert shown_job["progress"]["email"]["items"] == 40 and shown_job["progress"]["email"]["estimated"] == 100
    [shown] = report["integrations"]["items"]
    assert (shown["provider"], shown["user_id"], shown["status"]) == ("microsoft", "ada@example.com", "live")
    assert shown["has_grant"] is True
    assert dt.datetime.fromisoformat(shown["next_expiry"]) == integration.watches[0].expires_at
    assert "client_state" not in shown["watches"][0] and "refresh_token" not in shown
    [probe] = [s for s in report["subjects"]["items"] if s["subject"] == subject]
    assert (probe["version"], probe["compatibility"], probe["compatibility_source"]) == (1, "FULL_TRANSITIVE", "subject")


def test_status_table_names_each_topic_end_offset_and_group_lag(env, kafka):
    topic, group = kafka.topic("orders"), kafka.group("status-group")
    lagging_group(kafka, topic, group)

    done = officestream_status(env=env)

    assert done.returncode == 0, done.stderr + done.stdout
    lines = done.stdout.splitlines()
    assert any(line.split()[0] == topic and f"end offsets 0:{CONSUMED + PRODUCED}" in line for line in lines if line.startswith("  ")), done.stdout
    assert any(line.split()[0] == group and line.endswith(f"lag={PRODUCED}") for line in lines if line.startswith("  "))
    assert lines[-1] == "status: ok"


def test_status_reports_a_stopped_registry_down_and_exits_non_zero(env, kafka):
    if external_stack_configured():
        pytest.skip("stops the registry process, which only the local stack lets a test do")
    with registry_stopped():
        done = officestream_status("--json", env=env)
    assert done.returncode == 1, done.stderr + done.stdout
    report = json.loads(done.stdout)
    assert report["ok"] is False
    health = {c["name"]: c["healthy"] for c in report["components"]}
    assert health == {"kafka": True, "registry": False, "redis": True}
    assert report["subjects"] == {"items": [], "error": "registry is down"}
    assert report["topics"]["error"] is None  # what Kafka can still say is said
