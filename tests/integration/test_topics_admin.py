"""`officestream topics create` against the real broker: creates, is idempotent, repairs drift."""

from __future__ import annotations

from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource

import pytest

from connectors.kafka.admin import ensure_topics
from connectors.kafka.exceptions import KafkaUnavailable
from connectors.kafka.settings import KafkaSettings
from connectors.kafka.topics import TOPICS
from tests.waiting import wait_for


def broker_config(admin: AdminClient, topic: str) -> dict[str, str]:
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    entries = admin.describe_configs([resource])[resource].result()
    return {key: entry.value for key, entry in entries.items()}


def test_catalogue_topics_are_created_with_their_configs(stack, topic_prefix):
    settings = KafkaSettings.from_env(bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    plan = ensure_topics(settings)
    assert {a.kind for a in plan} == {"create"}
    admin = AdminClient(settings.librdkafka_config())
    metadata = admin.list_topics(timeout=10)
    for spec in TOPICS:
        name = settings.topic(spec.name)
        assert len(metadata.topics[name].partitions) == spec.partitions
        assert broker_config(admin, name)["cleanup.policy"] == spec.cleanup_policy
    assert broker_config(admin, settings.topic("integration-state"))["cleanup.policy"] == "compact"


def test_second_run_changes_nothing_and_drift_is_repaired(stack, topic_prefix):
    settings = KafkaSettings.from_env(bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(settings)
    assert {a.kind for a in ensure_topics(settings, dry_run=True)} == {"unchanged"}
    admin = AdminClient(settings.librdkafka_config())
    drifted = settings.topic("backfill-jobs")
    resource = ConfigResource(
        ConfigResource.Type.TOPIC,
        drifted,
        incremental_configs=[ConfigEntry("cleanup.policy", "delete", incremental_operation=AlterConfigOpType.SET)],
    )
    admin.incremental_alter_configs([resource])[resource].result()
    # Config changes reach the broker asynchronously (through the KRaft metadata log).
    wait_for(lambda: broker_config(admin, drifted)["cleanup.policy"] == "delete", what="the drift to apply")
    plan = {a.topic: a.kind for a in ensure_topics(settings)}
    assert plan[drifted] == "alter-config"
    wait_for(lambda: broker_config(admin, drifted)["cleanup.policy"] == "compact", what="the repair to apply")


def test_dry_run_creates_nothing(stack, topic_prefix):
    settings = KafkaSettings.from_env(bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(settings, dry_run=True)
    names = AdminClient(settings.librdkafka_config()).list_topics(timeout=10).topics
    assert not [n for n in names if n.startswith(topic_prefix)]


def test_unreachable_broker_gives_a_clear_error():
    settings = KafkaSettings.from_env({}, bootstrap_servers="127.0.0.1:1")
    with pytest.raises(KafkaUnavailable, match="cannot reach Kafka at 127.0.0.1:1.*officestream stack up"):
        ensure_topics(settings, timeout_s=2)
